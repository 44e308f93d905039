//! Chapter 11: `call_soon_threadsafe`, `run_coroutine_threadsafe`, and a loop serving other
//! threads — every callback runs exactly once, in order per sender; results, panics and
//! cancellations cross back; closing and stopping from outside are clean.
//!
//! # Determinism
//! Threads are joined, or waited for over channels, before the loop looks at what they sent,
//! wherever an assertion depends on it. Callbacks from several threads interleave in an order
//! that changes from run to run; the tests count them and check the order within each sender,
//! which is fixed. A loop that serves other threads runs in a thread of its own and is stopped
//! through its handle; `must_finish` fails a test that would otherwise hang.

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::rc::Rc;
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::Duration;

use steploop::executor::{wait, ReturnWhen};
use steploop::{
    get_running_loop, run_coroutine_threadsafe, sleep, Error, EventLoop, ExceptionContext,
    LoopHandle,
};

/// Runs `body` in a thread and fails, instead of hanging, if it takes more than 10 s.
fn must_finish<T: Send + 'static>(body: impl FnOnce() -> T + Send + 'static) -> T {
    let (done, finished) = mpsc::channel();
    thread::spawn(move || done.send(body()).unwrap());
    finished
        .recv_timeout(Duration::from_secs(10))
        .expect("the test hung")
}

/// Starts a loop that runs forever in a thread of its own; returns its handle and a join
/// handle that gives `run_forever`'s outcome.
fn serving_loop() -> (LoopHandle, thread::JoinHandle<Result<(), Error>>) {
    let (send, receive) = mpsc::channel();
    let thread = thread::spawn(move || {
        let lp = EventLoop::new();
        send.send(lp.handle()).unwrap();
        let outcome = lp.run_forever();
        lp.close().unwrap();
        outcome
    });
    (receive.recv().unwrap(), thread)
}

// ANCHOR: ten_thousand
#[test]
fn ten_thousand_callbacks_from_four_threads_each_run_exactly_once() {
    const THREADS: usize = 4;
    const EACH: usize = 2_500;
    let lp = EventLoop::new();
    let seen: Rc<RefCell<Vec<(usize, usize)>>> = Rc::default();
    thread_local! {
        static SEEN: RefCell<Vec<(usize, usize)>> = const { RefCell::new(Vec::new()) };
    }
    let senders: Vec<_> = (0..THREADS)
        .map(|t| {
            let handle = lp.handle();
            thread::spawn(move || {
                for i in 0..EACH {
                    handle
                        .call_soon_threadsafe(move |lp| {
                            let count = SEEN.with_borrow_mut(|seen| {
                                seen.push((t, i));
                                seen.len()
                            });
                            if count == THREADS * EACH {
                                lp.stop();
                            }
                        })
                        .unwrap();
                }
            })
        })
        .collect();
    // The loop runs while the threads send: the handles keep it waiting for more.
    lp.run_forever().unwrap();
    for sender in senders {
        sender.join().unwrap();
    }
    seen.borrow_mut()
        .extend(SEEN.with_borrow_mut(std::mem::take));
    let seen = seen.borrow();
    assert_eq!(seen.len(), THREADS * EACH);
    let distinct: HashSet<_> = seen.iter().collect();
    assert_eq!(distinct.len(), THREADS * EACH, "no callback ran twice");
    for t in 0..THREADS {
        let order: Vec<usize> = seen.iter().filter(|(s, _)| *s == t).map(|p| p.1).collect();
        assert_eq!(
            order,
            (0..EACH).collect::<Vec<_>>(),
            "thread {t}'s order is kept"
        );
    }
}
// ANCHOR_END: ten_thousand

#[test]
fn callbacks_sent_before_the_loop_runs_wait_in_order_for_its_first_tick() {
    let lp = EventLoop::with_virtual_clock();
    lp.set_trace(true);
    let handle = lp.handle();
    thread::spawn(move || {
        handle.call_soon_threadsafe(|lp| lp.print("one")).unwrap();
        handle.call_soon_threadsafe(|lp| lp.print("two")).unwrap();
        handle.stop().unwrap();
    })
    .join()
    .unwrap();
    lp.run_forever().unwrap();
    let trace = lp.take_trace().to_string();
    assert!(trace.contains("tick 1  t=0.000  ready: ["), "{trace}");
    let one = trace.find("print \"one\"").unwrap();
    let two = trace.find("print \"two\"").unwrap();
    assert!(one < two, "{trace}");
}

#[test]
fn on_the_loops_own_thread_call_soon_threadsafe_keeps_its_place_among_call_soon() {
    // asyncio appends a thread-safe callback to the same ready deque at call time: calls made
    // one after the other on one thread run in the order they were made, before the loop
    // runs and while it runs.
    let lp = EventLoop::with_virtual_clock();
    let handle = lp.handle();
    let order = Arc::new(Mutex::new(Vec::new()));
    let log = |name: &'static str| {
        let order = order.clone();
        move |_: &EventLoop| order.lock().unwrap().push(name)
    };
    handle.call_soon_threadsafe(log("a")).unwrap();
    lp.call_soon(log("b"));
    let (c, d, inner) = (log("c"), log("d"), handle.clone());
    lp.call_soon(move |lp| {
        inner.call_soon_threadsafe(c).unwrap();
        lp.call_soon(d);
        lp.call_soon(|lp| lp.stop());
    });
    lp.run_forever().unwrap();
    assert_eq!(*order.lock().unwrap(), ["a", "b", "c", "d"]);
}

#[test]
fn a_panicking_threadsafe_callback_is_reported_and_the_loop_goes_on() {
    let lp = EventLoop::new();
    let reports: Rc<RefCell<Vec<String>>> = Rc::default();
    let sink = reports.clone();
    lp.set_exception_handler(move |_, context: &ExceptionContext| {
        sink.borrow_mut().push(context.to_string());
    });
    let handle = lp.handle();
    handle
        .call_soon_threadsafe(|_| panic!("bad callback"))
        .unwrap();
    handle.stop().unwrap();
    lp.run_forever().unwrap();
    let reports = reports.borrow();
    assert_eq!(reports.len(), 1);
    assert!(reports[0].contains("bad callback"), "{reports:?}");
}

#[test]
fn call_soon_threadsafe_on_a_closed_or_dropped_loop_is_an_error() {
    let lp = EventLoop::new();
    let handle = lp.handle();
    assert!(!handle.is_closed());
    lp.close().unwrap();
    assert!(handle.is_closed());
    assert!(matches!(
        handle.call_soon_threadsafe(|_| ()),
        Err(Error::Closed)
    ));
    let dropped = EventLoop::new();
    let handle = dropped.handle();
    drop(dropped);
    assert!(matches!(handle.stop(), Err(Error::Closed)));
}

#[test]
fn run_forever_reports_a_stall_once_the_last_handle_is_dropped() {
    let outcome = must_finish(|| {
        let lp = EventLoop::new();
        let handle = lp.handle();
        let (ready, go) = mpsc::channel::<()>();
        let thread = thread::spawn(move || {
            go.recv().unwrap();
            drop(handle);
        });
        lp.call_soon(move |_| ready.send(()).unwrap());
        let outcome = lp.run_forever();
        thread.join().unwrap();
        outcome
    });
    assert!(matches!(outcome, Err(Error::Stalled(_))), "{outcome:?}");
}

#[test]
fn run_coroutine_threadsafe_runs_on_the_loops_thread_and_returns_the_result() {
    must_finish(|| {
        let (handle, thread) = serving_loop();
        let future = run_coroutine_threadsafe(
            || async {
                sleep(Duration::from_millis(1)).await?;
                Ok(thread::current().id())
            },
            &handle,
        );
        let loop_thread = future.result().unwrap();
        assert_ne!(loop_thread, thread::current().id());
        handle.stop().unwrap();
        thread.join().unwrap().unwrap();
    });
}

#[test]
fn a_coroutine_that_panics_or_fails_reports_it_to_the_waiting_thread() {
    must_finish(|| {
        let (handle, thread) = serving_loop();
        let panicked = run_coroutine_threadsafe(
            || async {
                if get_running_loop().is_some() {
                    panic!("the coroutine broke");
                }
                Ok(0)
            },
            &handle,
        );
        let failed =
            run_coroutine_threadsafe(|| async { Err::<u8, _>(Error::msg("no luck")) }, &handle);
        assert!(
            matches!(panicked.result(), Err(Error::Panicked(m)) if &*m == "the coroutine broke")
        );
        assert_eq!(failed.result().unwrap_err().to_string(), "no luck");
        handle.stop().unwrap();
        thread.join().unwrap().unwrap();
    });
}

#[test]
fn cancelling_the_concurrent_future_cancels_the_task_on_the_loop() {
    must_finish(|| {
        let (handle, thread) = serving_loop();
        let (started, running) = mpsc::channel();
        let (saw_tx, saw) = mpsc::channel();
        let future = run_coroutine_threadsafe(
            move || async move {
                started.send(()).unwrap();
                let slept = sleep(Duration::from_secs(3600)).await;
                saw_tx.send(slept.is_err()).unwrap();
                slept
            },
            &handle,
        );
        running.recv().unwrap();
        assert!(future.cancel());
        assert!(
            saw.recv().unwrap(),
            "the sleep inside the task was cancelled"
        );
        assert!(future.cancelled());
        handle.stop().unwrap();
        thread.join().unwrap().unwrap();
    });
}

#[test]
fn cancelling_the_task_on_the_loop_cancels_the_concurrent_future() {
    must_finish(|| {
        let (handle, thread) = serving_loop();
        let future = run_coroutine_threadsafe(
            || async {
                let me = steploop::current_task().unwrap();
                let lp = get_running_loop().unwrap();
                lp.call_soon(move |_| {
                    me.cancel();
                });
                sleep(Duration::from_secs(3600)).await?;
                Ok(())
            },
            &handle,
        );
        let waited = wait([&future], None, ReturnWhen::AllCompleted);
        assert_eq!(waited.done.len(), 1);
        assert!(future.cancelled());
        handle.stop().unwrap();
        thread.join().unwrap().unwrap();
    });
}

#[test]
fn closing_the_loop_before_the_coroutine_finishes_tells_the_waiting_thread() {
    let lp = EventLoop::new();
    let handle = lp.handle();
    // Sent, but the loop is closed before it ever runs a tick.
    let never_started = run_coroutine_threadsafe(|| async { Ok(1) }, &handle);
    let count = Rc::new(Cell::new(0));
    let c = count.clone();
    lp.set_exception_handler(move |_, _| c.set(c.get() + 1));
    lp.close().unwrap();
    let error = never_started.result().unwrap_err().to_string();
    assert!(error.contains("closed before the coroutine"), "{error}");
    assert_eq!(count.get(), 1, "the dropped callback is reported");
    // Sent after the close: refused at once.
    let refused = run_coroutine_threadsafe(|| async { Ok(2) }, &handle);
    assert!(refused.result().is_err());
}

/// asyncio's `BaseEventLoop.__del__` closes a loop nobody closed: dropping the last handle of
/// a loop reports what `close()` would have reported, through the same exception handler.
#[test]
fn dropping_a_loop_without_closing_it_reports_what_close_would() {
    let lp = EventLoop::new();
    let handle = lp.handle();
    let reports = Rc::new(RefCell::new(Vec::new()));
    let r = reports.clone();
    lp.set_exception_handler(move |_, context| r.borrow_mut().push(context.message.clone()));
    handle.call_soon_threadsafe(|_| ()).unwrap(); // accepted, never run
    let never_started = run_coroutine_threadsafe(|| async { Ok(1) }, &handle);
    drop(lp);
    let reports = reports.borrow().clone();
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert!(
        reports[0].contains("2 call_soon_threadsafe callback(s) not yet run"),
        "{reports:?}"
    );
    let error = never_started.result().unwrap_err().to_string();
    assert!(error.contains("closed before the coroutine"), "{error}");
    assert!(handle.call_soon_threadsafe(|_| ()).is_err());
}

#[test]
fn a_coroutine_still_sleeping_when_the_loop_closes_gets_an_error_not_a_hang() {
    must_finish(|| {
        let (send, receive) = mpsc::channel();
        let (started, running) = mpsc::channel();
        let thread = thread::spawn(move || {
            let lp = EventLoop::new();
            send.send(lp.handle()).unwrap();
            lp.run_forever().unwrap();
            lp.close().unwrap(); // the sleeping task is destroyed
        });
        let handle: LoopHandle = receive.recv().unwrap();
        let future = run_coroutine_threadsafe(
            move || async move {
                started.send(()).unwrap();
                sleep(Duration::from_secs(3600)).await
            },
            &handle,
        );
        running.recv().unwrap();
        handle.stop().unwrap();
        thread.join().unwrap();
        assert!(future.result().is_err());
    });
}
