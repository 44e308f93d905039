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
