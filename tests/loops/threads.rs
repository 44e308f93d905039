//! Chapters 9 to 11's part of the differential test: what threads do, where it can be
//! compared without depending on how fast the machine is. A stage and steploop run the same
//! scripts, written once as macros over the two crates' names (their types differ, the calls
//! they make are the same), and must report the same thing.
//!
//! - `pool_script!`: one worker, jobs that a gate holds back, a job cancelled in the queue, a
//!   job that panics, a job queued at `shutdown` that still runs, one refused after it. With one worker the jobs run in the
//!   order they were queued, so the order in which their done-callbacks run is fixed.

/// What happened to a concurrent future, in words both crates share: `ok <value>`,
/// `cancelled`, or `failed` (each crate words its errors its own way).
#[macro_export]
macro_rules! outcome_of {
    ($future:expr) => {{
        let future = $future;
        match future.result() {
            Ok(value) => format!("ok {value}"),
            Err(_) if future.cancelled() => "cancelled".to_string(),
            Err(_) => "failed".to_string(),
        }
    }};
}

/// Runs the pool script on a crate's pool, built by `$new_pool` from a number of workers and
/// shut down by `$shutdown(&pool, wait)`, whose futures are `$future`; returns its log.
#[macro_export]
macro_rules! pool_script {
    ($future:ty, $new_pool:expr, $shutdown:expr) => {{
        use std::sync::{mpsc, Arc, Mutex};

        // What `main` notes, and what the done-callbacks note, wherever they run: two logs,
        // since `result()` may return before the worker has run the future's callbacks.
        let mut notes = Vec::<String>::new();
        let callbacks = Arc::new(Mutex::new(Vec::<String>::new()));
        let pool = $new_pool(1);
        let (release, gate) = mpsc::channel::<()>();
        let (started, first_started) = mpsc::channel::<()>();
        let watch = |name: &'static str, future: &$future| {
            let callbacks = callbacks.clone();
            future.add_done_callback(move |future| {
                let outcome = $crate::outcome_of!(future);
                callbacks
                    .lock()
                    .unwrap()
                    .push(format!("done-callback {name}: {outcome}"));
            });
        };
        let a = pool
            .submit(move || {
                started.send(()).unwrap();
                gate.recv().unwrap();
                1
            })
            .unwrap();
        watch("a", &a);
        let b = pool.submit(|| 2).unwrap();
        watch("b", &b);
        let c = pool.submit(|| 3).unwrap();
        watch("c", &c);
        let d = pool
            .submit(|| -> i64 { panic!("job d fails on purpose") })
            .unwrap();
        watch("d", &d);
        let e = pool.submit(|| 5).unwrap();
        watch("e", &e);
        first_started.recv().unwrap();
        notes.push(format!("a.running() = {}", a.running()));
        notes.push(format!("a.cancel() = {}", a.cancel()));
        notes.push(format!("c.cancel() = {}", c.cancel()));
        notes.push(format!("c.cancel() again = {}", c.cancel()));
        release.send(()).unwrap();
        for (name, future) in [("a", &a), ("b", &b), ("c", &c), ("d", &d), ("e", &e)] {
            notes.push(format!("{name}.result(): {}", $crate::outcome_of!(future)));
        }
        // More jobs than workers, on four workers: the results in the order submitted.
        let many = $new_pool(4);
        let futures: Vec<_> = (0..20_i64)
            .map(|i| many.submit(move || i * i).unwrap())
            .collect();
        let squares: Vec<i64> = futures.iter().map(|f| f.result().unwrap()).collect();
        notes.push(format!("squares: {squares:?}"));
        // A job still queued at `shutdown` runs all the same; new ones are refused.
        let (release, gate) = mpsc::channel::<()>();
        let (started, blocker_started) = mpsc::channel::<()>();
        let blocker = pool
            .submit(move || {
                started.send(()).unwrap();
                gate.recv().unwrap();
                6
            })
            .unwrap();
        let queued = pool.submit(|| 7).unwrap();
        blocker_started.recv().unwrap();
        $shutdown(&pool, false);
        notes.push(format!(
            "submit after shutdown is refused: {}",
            pool.submit(|| 8).is_err()
        ));
        release.send(()).unwrap();
        notes.push(format!("the blocker: {}", $crate::outcome_of!(&blocker)));
        notes.push(format!(
            "the job queued at shutdown: {}",
            $crate::outcome_of!(&queued)
        ));
        $shutdown(&pool, true);
        // The workers are joined: every callback has run.
        notes.extend(callbacks.lock().unwrap().iter().cloned());
        notes
    }};
}

/// Runs the executor script on a loop: `$new_loop` makes one on a virtual clock, `$new_pool`
/// a pool of a number of workers, `$in_executor(&lp, &pool, job)` is the crate's
/// `run_in_executor`, `$run(&lp, coroutine)` runs a coroutine to its end in a task, and
/// `$sleep` is the crate's `sleep`. Returns its log.
///
/// One worker, held back by a gate until the loop opens it; five jobs (one fails, one is
/// cancelled from the loop while queued); a done-callback on each loop future notes when the
/// loop hears of it, at which loop time. With one worker the jobs end in the order queued, and
/// the loop hears of them in that order; virtual time stands still while jobs are out.
#[macro_export]
macro_rules! executor_script {
    ($new_loop:expr, $new_pool:expr, $in_executor:expr, $run:expr, $sleep:path) => {{
        use std::cell::RefCell;
        use std::rc::Rc;
        use std::sync::{mpsc, Arc, Mutex};
        use std::time::Duration;

        let lp = $new_loop;
        let pool = $new_pool(1);
        let log = Rc::new(RefCell::new(Vec::<String>::new()));
        let ran = Arc::new(Mutex::new(Vec::<&str>::new()));
        let (release, gate) = mpsc::channel::<()>();
        let job = |name: &'static str, value: i64| {
            let ran = ran.clone();
            move || {
                ran.lock().unwrap().push(name);
                if value < 0 {
                    panic!("job {name} fails on purpose");
                }
                value
            }
        };
        let first = job("a", 1);
        let a = $in_executor(&lp, &pool, move || {
            gate.recv().unwrap();
            first()
        });
        let b = $in_executor(&lp, &pool, job("b", 2));
        let c = $in_executor(&lp, &pool, job("c", -1));
        let d = $in_executor(&lp, &pool, job("d", 4));
        let e = $in_executor(&lp, &pool, job("e", 5));
        for (name, future) in [("a", &a), ("b", &b), ("c", &c), ("d", &d), ("e", &e)] {
            let (log, lp) = (log.clone(), lp.clone());
            future.add_done_callback(move |future| {
                let t = lp.time().as_secs_f64();
                let outcome = $crate::outcome_of!(future);
                log.borrow_mut()
                    .push(format!("t={t:.3}  the loop hears of {name}: {outcome}"));
            });
        }
        // Cancel `d` while it is queued; open the gate a tick later, once the cancellation
        // has reached the pool.
        let (cancel_log, d_loop) = (log.clone(), d.clone());
        lp.call_soon(move |lp: &_| {
            cancel_log
                .borrow_mut()
                .push(format!("d.cancel() = {}", d_loop.cancel()));
            lp.call_soon(move |_: &_| release.send(()).unwrap());
        });
        // What `main` notes goes to a log of its own: whether a job ends before or after
        // `main` awaits it depends on the threads, and so would the order of the lines.
        let main_log = Rc::new(RefCell::new(Vec::<String>::new()));
        let (main_notes, main_lp) = (main_log.clone(), lp.clone());
        $run(&lp, async move {
            for (name, future) in [("a", a), ("b", b), ("c", c), ("e", e)] {
                let outcome = match future.await {
                    Ok(value) => format!("ok {value}"),
                    Err(_) => "failed".to_string(),
                };
                let t = main_lp.time().as_secs_f64();
                main_notes
                    .borrow_mut()
                    .push(format!("t={t:.3}  main awaited {name}: {outcome}"));
            }
            $sleep(Duration::from_secs(1)).await.unwrap();
            let t = main_lp.time().as_secs_f64();
            main_notes
                .borrow_mut()
                .push(format!("t={t:.3}  main slept 1 s"));
            Ok(0_i64)
        });
        let mut log = log.borrow().clone();
        log.extend(main_log.borrow().iter().cloned());
        log.push(format!("the jobs that ran: {:?}", ran.lock().unwrap()));
        log
    }};
}

/// Runs the thread-safe script on a crate: `$new_loop` makes a loop on a virtual clock,
/// `$send(&handle, boxed_callback)` is `call_soon_threadsafe`, `$stop(&handle)` stops the loop
/// from another thread, `$run_threadsafe` is `run_coroutine_threadsafe`, `$sleep` and
/// `$running_loop` are the crate's `sleep` and `get_running_loop`, and `$error()` makes an
/// exception. Returns its log.
///
/// Two threads send a running loop fifty callbacks each, then drop their handles: each
/// thread's callbacks run in the order sent, on the loop's thread, and once the last handle
/// is gone the loop reports a stall. Then a loop in a thread of its own runs three coroutines
/// sent from the test's thread: a result, an exception, and a sleep of a second of virtual
/// time.
#[macro_export]
macro_rules! threadsafe_script {
    ($new_loop:expr, $send:expr, $stop:expr, $run_threadsafe:path, $sleep:path, $running_loop:path, $error:expr) => {{
        use std::cell::RefCell;
        use std::sync::mpsc;
        use std::thread;
        use std::time::Duration;

        thread_local! {
            /// What the callbacks saw, on the loop's thread: (sender, number).
            static SEEN: RefCell<Vec<(usize, usize)>> = const { RefCell::new(Vec::new()) };
        }
        let mut log = Vec::<String>::new();
        let lp = $new_loop;
        let loop_thread = thread::current().id();
        let senders: Vec<_> = (0..2_usize)
            .map(|sender| {
                let handle = lp.handle();
                thread::spawn(move || {
                    for i in 0..50_usize {
                        $send(
                            &handle,
                            Box::new(move || {
                                assert_eq!(thread::current().id(), loop_thread);
                                SEEN.with_borrow_mut(|seen| seen.push((sender, i)));
                            }),
                        );
                    }
                })
            })
            .collect();
        let outcome = lp.run_forever();
        for sender in senders {
            sender.join().unwrap();
        }
        let seen = SEEN.with_borrow_mut(std::mem::take);
        for sender in 0..2 {
            let order: Vec<usize> = seen.iter().filter(|s| s.0 == sender).map(|s| s.1).collect();
            let in_order = order == (0..50).collect::<Vec<_>>();
            log.push(format!(
                "sender {sender}: {} callbacks, in the order sent: {in_order}",
                order.len()
            ));
        }
        log.push(format!(
            "run_forever, the handles gone: stalled = {}",
            outcome.is_err()
        ));

        let (send_handle, receive_handle) = mpsc::channel();
        let loop_thread = thread::spawn(move || {
            let lp = $new_loop;
            send_handle.send(lp.handle()).unwrap();
            lp.run_forever().is_ok()
        });
        let handle = receive_handle.recv().unwrap();
        let value = $run_threadsafe(|| async { Ok(6_i64 * 7) }, &handle);
        let failing = $run_threadsafe(|| async { Err::<i64, _>($error()) }, &handle);
        let slept = $run_threadsafe(
            || async {
                $sleep(Duration::from_secs(1)).await.unwrap();
                Ok($running_loop().unwrap().time().as_millis() as i64)
            },
            &handle,
        );
        for (name, future) in [("value", &value), ("failing", &failing), ("slept", &slept)] {
            log.push(format!("{name}: {}", $crate::outcome_of!(future)));
        }
        $stop(&handle);
        log.push(format!(
            "the loop's thread: run_forever ok = {}",
            loop_thread.join().unwrap()
        ));
        log
    }};
}
