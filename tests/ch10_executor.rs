//! Chapter 10: `run_in_executor`, `wrap_future` and the default executor — results, panics,
//! cancellation both ways, the virtual clock while a job is in flight, closing a loop with jobs
//! still out, and when an idle loop waits rather than reports a stall.
//!
//! # Determinism
//! Every job that must be "still running" at some point blocks on a channel until the test
//! releases it, so the states the assertions look at are pinned by synchronisation, not by
//! timing. The one real delay (a job's 20 ms before it returns) only makes it likely that the
//! loop is already blocked in its poll when the result arrives, which is the case under test;
//! no assertion depends on how long anything took. Each test has its own loop and executor.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use steploop::executor::ConcurrentFuture;
use steploop::{
    get_running_loop, run, run_with, sleep, wrap_future, Error, EventLoop, ExceptionContext,
    ThreadPoolExecutor,
};

/// Installs an exception handler that keeps every report's message.
fn reports(lp: &EventLoop) -> Rc<RefCell<Vec<String>>> {
    let reports = Rc::new(RefCell::new(Vec::new()));
    let sink = reports.clone();
    lp.set_exception_handler(move |_, context: &ExceptionContext| {
        sink.borrow_mut().push(context.message.clone());
    });
    reports
}

/// A job that tells the test it has started, then blocks until the test releases it.
fn gated(
    value: u32,
) -> (
    impl FnOnce() -> u32 + Send,
    mpsc::Receiver<()>,
    mpsc::Sender<()>,
) {
    let (started_tx, started) = mpsc::channel();
    let (release, release_rx) = mpsc::channel::<()>();
    let job = move || {
        started_tx.send(()).unwrap();
        let _ = release_rx.recv();
        value
    };
    (job, started, release)
}

#[test]
fn run_in_executor_gives_the_jobs_value_and_runs_it_on_a_worker() {
    let executor = ThreadPoolExecutor::with_thread_name_prefix(2, "pool");
    let lp = EventLoop::new();
    let job = lp.run_in_executor(Some(&executor), || {
        (thread::current().name().unwrap().to_string(), 21 * 2)
    });
    let (name, value) = lp.run_until_complete(job).unwrap();
    assert_eq!((name.as_str(), value), ("pool-1", 42));
}

#[test]
fn a_panicking_job_gives_error_panicked_to_the_awaiting_task() {
    let executor = ThreadPoolExecutor::new(1);
    let lp = EventLoop::new();
    let outcome = lp.run_until_complete(async move {
        let lp = get_running_loop().unwrap();
        let failed = lp
            .run_in_executor(Some(&executor), || -> u32 { panic!("the job broke") })
            .await;
        // The worker lives on: the same pool runs the next job.
        let next = lp.run_in_executor(Some(&executor), || 7).await?;
        Ok((failed, next))
    });
    let (failed, next) = outcome.unwrap();
    assert!(matches!(failed, Err(Error::Panicked(m)) if &*m == "the job broke"));
    assert_eq!(next, 7);
}

#[test]
fn cancelling_the_loop_future_cancels_a_job_that_has_not_started() {
    let executor = ThreadPoolExecutor::new(1);
    let (blocker, started, release) = gated(1);
    let ran = Arc::new(AtomicBool::new(false));
    let lp = EventLoop::new();
    let first = lp.run_in_executor(Some(&executor), blocker);
    started.recv().unwrap(); // the only worker is busy: the next job waits in the queue
    let flag = ran.clone();
    let second = lp.run_in_executor(Some(&executor), move || flag.store(true, Ordering::SeqCst));
    assert!(second.cancel());
    assert!(second.cancelled());
    release.send(()).unwrap();
    assert_eq!(lp.run_until_complete(first).unwrap(), 1);
    executor.shutdown(true, false);
    assert!(!ran.load(Ordering::SeqCst), "a cancelled job must not run");
}

#[test]
fn cancelling_a_task_that_awaits_a_running_job_lets_the_job_finish() {
    let executor = Arc::new(ThreadPoolExecutor::new(1));
    let (job, started, release) = gated(5);
    let lp = EventLoop::new();
    let pool = executor.clone();
    let waiter = lp.create_task(async move {
        let lp = get_running_loop().unwrap();
        lp.run_in_executor(Some(&pool), job).await
    });
    let canceller = {
        let waiter = waiter.clone();
        lp.create_task(async move {
            // Cancel only once the job is surely running.
            let lp = get_running_loop().unwrap();
            lp.run_in_executor(None, move || started.recv().unwrap())
                .await?;
            waiter.cancel();
            Ok(())
        })
    };
    lp.run_until_complete(canceller).unwrap();
    let outcome = lp.run_until_complete(waiter.clone());
    assert!(matches!(outcome, Err(Error::Cancelled(None))));
    // The job was running, so it could not be cancelled: it finishes when released.
    release.send(()).unwrap();
    lp.run_until_complete(lp.shutdown_default_executor())
        .unwrap();
    executor.shutdown(true, false);
}

#[test]
fn a_concurrent_future_cancelled_elsewhere_cancels_the_awaiting_task() {
    let lp = EventLoop::new();
    let source = ConcurrentFuture::<u32>::new();
    let wrapped = lp.wrap_future(source.clone());
    let canceller = thread::spawn(move || assert!(source.cancel()));
    let outcome = lp.run_until_complete(async move { wrapped.await });
    canceller.join().unwrap();
    assert!(matches!(outcome, Err(Error::Cancelled(_))));
}

#[test]
fn wrap_future_copies_the_value_and_leaves_it_readable() {
    let executor = ThreadPoolExecutor::new(2);
    let future = executor.submit(|| "some value".to_string()).unwrap();
    let kept = future.clone();
    let value = run(async move { wrap_future(future)?.await }).unwrap();
    assert_eq!(value, "some value");
    assert_eq!(kept.result().unwrap(), "some value");
}

#[test]
fn wrap_future_of_a_future_already_done_completes_on_the_next_ticks() {
    let lp = EventLoop::with_virtual_clock();
    let source = ConcurrentFuture::<u32>::new();
    source
        .set_exception(Error::msg("division by zero"))
        .unwrap();
    let wrapped = lp.wrap_future(source);
    let outcome = lp.run_until_complete(wrapped);
    assert_eq!(outcome.unwrap_err().to_string(), "division by zero");
}

// ANCHOR: virtual_clock_waits
#[test]
fn the_virtual_clock_does_not_jump_past_a_deadline_while_a_job_is_in_flight() {
    // tokio once fired a 100 s timeout during a 2 s blocking job: its paused clock jumped to
    // the timer because the loop looked idle. Here the loop waits for the job instead.
    let executor = ThreadPoolExecutor::new(1);
    let lp = EventLoop::with_virtual_clock();
    let timed_out = Rc::new(RefCell::new(false));
    let flag = timed_out.clone();
    lp.call_later(Duration::from_secs(100), move |_| *flag.borrow_mut() = true);
    let job = lp.run_in_executor(Some(&executor), || {
        thread::sleep(Duration::from_millis(20));
        "done"
    });
    assert_eq!(lp.run_until_complete(job).unwrap(), "done");
    assert_eq!(lp.time(), Duration::ZERO);
    assert!(!*timed_out.borrow());
}
// ANCHOR_END: virtual_clock_waits

#[test]
fn the_virtual_clock_jumps_again_once_the_job_is_back() {
    let executor = ThreadPoolExecutor::new(1);
    let lp = EventLoop::with_virtual_clock();
    let elapsed = lp.run_until_complete(async move {
        let lp = get_running_loop().unwrap();
        lp.run_in_executor(Some(&executor), || thread::sleep(Duration::from_millis(5)))
            .await?;
        sleep(Duration::from_secs(30)).await?;
        Ok(lp.time())
    });
    assert_eq!(elapsed.unwrap(), Duration::from_secs(30));
}

#[test]
fn closing_with_jobs_in_flight_keeps_what_was_delivered_and_reports_the_rest() {
    let quick_pool = ThreadPoolExecutor::new(1);
    let slow_pool = ThreadPoolExecutor::new(1);
    let (slow, started, release) = gated(2);
    let lp = EventLoop::new();
    let reports = reports(&lp);
    let quick = lp.run_in_executor(Some(&quick_pool), || 1);
    // Shutting down with `wait` returns once the job and its done-callbacks have run: its
    // result is in the loop's queue, delivered but not yet taken in.
    quick_pool.shutdown(true, false);
    let delivered = ConcurrentFuture::new();
    let wrapped = lp.wrap_future(delivered.clone());
    delivered.set_result("delivered").unwrap(); // runs the done-callback here and now
    let slow = lp.run_in_executor(Some(&slow_pool), slow);
    started.recv().unwrap();

    lp.close().unwrap();
    assert_eq!(quick.result().unwrap(), 1);
    assert_eq!(wrapped.result().unwrap(), "delivered");
    assert!(slow.cancelled());
    let messages = reports.borrow().clone();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(
        messages[0].contains("closed while 1 job(s)"),
        "{messages:?}"
    );
    assert!(messages[0].contains("Future-3"), "{messages:?}");
    // The slow job was running: it finishes, and its result is dropped without a fuss.
    release.send(()).unwrap();
    slow_pool.shutdown(true, false);
}

#[test]
fn run_waits_for_the_default_executors_jobs_and_names_its_threads() {
    let finished = Arc::new(AtomicUsize::new(0));
    let seen = finished.clone();
    let name = run(async move {
        let lp = get_running_loop().unwrap();
        // Not awaited: `run` still lets it finish before it returns.
        let _ = lp.run_in_executor(None, move || {
            thread::sleep(Duration::from_millis(20));
            seen.fetch_add(1, Ordering::SeqCst);
        });
        lp.run_in_executor(None, || thread::current().name().map(String::from))
            .await
    })
    .unwrap();
    assert_eq!(finished.load(Ordering::SeqCst), 1);
    assert!(name.unwrap().starts_with("steploop-default-"));
}

#[test]
fn set_default_executor_replaces_the_pool_run_in_executor_none_uses() {
    let lp = EventLoop::new();
    lp.set_default_executor(ThreadPoolExecutor::with_thread_name_prefix(1, "mine"));
    let name = run_with(&lp, async {
        let lp = get_running_loop().unwrap();
        lp.run_in_executor(None, || thread::current().name().map(String::from))
            .await
    });
    assert_eq!(name.unwrap().as_deref(), Some("mine-1"));
}

#[test]
fn an_executor_that_was_shut_down_gives_a_failed_future() {
    let executor = ThreadPoolExecutor::new(1);
    executor.shutdown(true, false);
    let lp = EventLoop::new();
    let future = lp.run_in_executor(Some(&executor), || 1);
    assert!(matches!(future.result(), Err(Error::ExecutorShutdown)));
}

#[test]
fn run_in_executor_fallible_gives_one_result_not_two() {
    let lp = EventLoop::with_virtual_clock();
    let outcome = lp.run_until_complete(async {
        let lp = get_running_loop().unwrap();
        let ok = lp
            .run_in_executor_fallible(None, || Ok::<_, Error>(40))
            .await?;
        let failed = lp
            .run_in_executor_fallible(None, || "x".parse::<u32>().map_err(Error::new))
            .await;
        Ok((ok, failed.unwrap_err().to_string()))
    });
    let (ok, failed) = outcome.unwrap();
    assert_eq!(ok, 40);
    assert_eq!(failed, "invalid digit found in string");
}

#[test]
fn run_in_executor_on_a_closed_loop_panics_and_submits_nothing() {
    // asyncio checks `_check_closed()` before it submits: the job never runs.
    let executor = ThreadPoolExecutor::new(1);
    let lp = EventLoop::new();
    lp.close().unwrap();
    let ran = Arc::new(AtomicUsize::new(0));
    for executor in [Some(&executor), None] {
        let r = ran.clone();
        let refused = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            lp.run_in_executor(executor, move || r.fetch_add(1, Ordering::SeqCst))
        }));
        let message = steploop_panic_message(refused.expect_err("a panic"));
        assert!(
            message.contains("run_in_executor on a closed event loop"),
            "{message}"
        );
    }
    executor.shutdown(true, false);
    assert_eq!(ran.load(Ordering::SeqCst), 0);
}

fn steploop_panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => payload
            .downcast_ref::<&str>()
            .map_or_else(String::new, |s| s.to_string()),
    }
}

#[test]
fn the_default_executor_refuses_work_once_shut_down() {
    let lp = EventLoop::new();
    lp.run_until_complete(lp.shutdown_default_executor())
        .unwrap();
    let refused = lp.run_in_executor(None, || 1);
    assert!(matches!(refused.result(), Err(Error::ExecutorShutdown)));
}

#[test]
fn cancel_futures_on_shutdown_reaches_the_loop_future() {
    let executor = ThreadPoolExecutor::new(1);
    let (blocker, started, release) = gated(0);
    let lp = EventLoop::new();
    let first = lp.run_in_executor(Some(&executor), blocker);
    let queued = lp.run_in_executor(Some(&executor), || 1);
    started.recv().unwrap();
    executor.shutdown(false, true); // cancels the queued job's concurrent future
    release.send(()).unwrap();
    assert_eq!(lp.run_until_complete(first).unwrap(), 0);
    assert!(matches!(
        lp.run_until_complete(queued),
        Err(Error::Cancelled(None))
    ));
}

#[test]
fn a_live_loop_handle_does_not_hide_a_stall_from_run_until_complete() {
    let lp = EventLoop::new();
    let _handle = lp.handle();
    let never = lp.create_future::<()>();
    let outcome = lp.run_until_complete(never);
    assert!(matches!(outcome, Err(Error::Stalled(_))), "{outcome:?}");
}

#[test]
fn many_jobs_at_once_all_come_back_in_their_own_futures() {
    let executor = ThreadPoolExecutor::new(4);
    let lp = EventLoop::new();
    let futures: Vec<_> = (0..1000u64)
        .map(|i| lp.run_in_executor(Some(&executor), move || i * i))
        .collect();
    let total = lp.run_until_complete(async move {
        let mut total = 0;
        for future in futures {
            total += future.await?;
        }
        Ok(total)
    });
    assert_eq!(total.unwrap(), (0..1000u64).map(|i| i * i).sum::<u64>());
}

#[test]
fn a_future_nobody_completes_is_cancelled_at_close_not_leaked() {
    let lp = EventLoop::new();
    let reports = reports(&lp);
    let source = ConcurrentFuture::<u8>::new();
    let wrapped = lp.wrap_future(source.clone());
    lp.close().unwrap();
    assert!(wrapped.cancelled());
    assert!(
        source.cancelled(),
        "it had not started, so it is cancelled too"
    );
    assert_eq!(reports.borrow().len(), 1);
    // A late completion finds the loop closed and is dropped quietly.
    assert!(source.set_result(1).is_err());
}
