//! Chapter 9: `wait` and `as_completed`, Python's `concurrent.futures.wait` and
//! `concurrent.futures.as_completed`.
//!
//! Determinism: the futures here are mostly bare ones that the test completes itself, in the
//! order it chooses; a helper thread, where one is needed to complete a future while the test
//! is blocked, waits for the test's signal first. The short timeouts below are the behaviour
//! under test (a wait that must give up), never a way to order events; nothing asserts on
//! elapsed time.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Duration;

use steploop::executor::{as_completed, wait, ConcurrentFuture, ReturnWhen, ThreadPoolExecutor};
use steploop::Error;

const GUARD: Duration = Duration::from_secs(10);
const SHORT: Duration = Duration::from_millis(20);

fn futures(n: usize) -> Vec<ConcurrentFuture<usize>> {
    (0..n).map(|_| ConcurrentFuture::new()).collect()
}

/// Positions of `some` in `all`.
fn positions<T>(all: &[ConcurrentFuture<T>], some: &[ConcurrentFuture<T>]) -> Vec<usize> {
    some.iter()
        .map(|f| all.iter().position(|g| g == f).expect("one of ours"))
        .collect()
}

/// Sets `future`'s result on another thread once the test says go.
fn complete_later(future: &ConcurrentFuture<usize>, value: usize) -> mpsc::Sender<()> {
    let (go, gate) = mpsc::channel::<()>();
    let future = future.clone();
    thread::spawn(move || {
        gate.recv().unwrap();
        future.set_result(value).unwrap();
    });
    go
}

// --- as_completed ----------------------------------------------------------------------------

#[test]
fn as_completed_yields_in_completion_order() {
    let fs = futures(4);
    let mut completed = as_completed(&fs, None);
    fs[2].set_result(2).unwrap();
    fs[0].set_exception(Error::msg("failed")).unwrap();
    fs[3].cancel();
    fs[1].set_result(1).unwrap();
    let order: Vec<_> = completed.by_ref().map(Result::unwrap).collect();
    assert_eq!(positions(&fs, &order), [2, 0, 3, 1]);
    assert!(completed.next().is_none());
}

#[test]
fn as_completed_yields_the_futures_done_already_first_in_the_order_given() {
    let fs = futures(4);
    fs[3].set_result(3).unwrap();
    fs[1].set_result(1).unwrap();
    let mut completed = as_completed(&fs, None);
    fs[0].set_result(0).unwrap();
    fs[2].set_result(2).unwrap();
    let order: Vec<_> = completed.by_ref().map(Result::unwrap).collect();
    assert_eq!(positions(&fs, &order), [1, 3, 0, 2]);
}

#[test]
fn as_completed_blocks_until_another_thread_completes_a_future() {
    let fs = futures(2);
    let go = complete_later(&fs[1], 1);
    let mut completed = as_completed(&fs, Some(GUARD));
    go.send(()).unwrap();
    let first = completed.next().unwrap().unwrap();
    assert_eq!(first, fs[1]);
    assert_eq!(first.result().unwrap(), 1);
}

#[test]
fn as_completed_times_out_once_then_ends() {
    let fs = futures(3);
    fs[1].set_result(1).unwrap();
    let mut completed = as_completed(&fs, Some(SHORT));
    assert_eq!(completed.next().unwrap().unwrap(), fs[1]);
    assert!(matches!(completed.next(), Some(Err(Error::Timeout))));
    assert!(completed.next().is_none());
    // Completing a future after the timeout does not revive the iterator.
    fs[0].set_result(0).unwrap();
    assert!(completed.next().is_none());
}

#[test]
fn as_completed_yields_a_future_given_twice_once() {
    let fs = futures(2);
    fs[0].set_result(0).unwrap();
    fs[1].set_result(1).unwrap();
    let given = [&fs[0], &fs[1], &fs[0]];
    let yielded: Vec<_> = as_completed(given, None).map(Result::unwrap).collect();
    assert_eq!(positions(&fs, &yielded), [0, 1]);
}

#[test]
fn as_completed_of_nothing_is_empty() {
    assert!(as_completed(&futures(0), None).next().is_none());
}

#[test]
fn dropping_as_completed_early_leaves_the_futures_working() {
    let fs = futures(2);
    let completed = as_completed(&fs, None);
    drop(completed);
    fs[0].set_result(0).unwrap();
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    fs[1].add_done_callback(move |_| {
        c.fetch_add(1, Ordering::SeqCst);
    });
    fs[1].set_result(1).unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[test]
fn as_completed_over_pool_jobs_sees_every_job_once() {
    let executor = ThreadPoolExecutor::new(4);
    let fs: Vec<_> = (0..200)
        .map(|n| executor.submit(move || n).unwrap())
        .collect();
    let mut seen: Vec<usize> = as_completed(&fs, Some(GUARD))
        .map(|f| f.unwrap().result().unwrap())
        .collect();
    seen.sort_unstable();
    assert_eq!(seen, (0..200).collect::<Vec<_>>());
}

// --- wait ------------------------------------------------------------------------------------

#[test]
fn wait_all_completed_returns_when_every_future_is_done() {
    let fs = futures(3);
    fs[0].set_result(0).unwrap();
    fs[2].cancel();
    let go = complete_later(&fs[1], 1);
    go.send(()).unwrap();
    let outcome = wait(&fs, Some(GUARD), ReturnWhen::AllCompleted);
    assert_eq!(positions(&fs, &outcome.done), [0, 1, 2]);
    assert!(outcome.not_done.is_empty());
}

#[test]
fn wait_first_completed_returns_with_the_first_and_the_rest_not_done() {
    let fs = futures(3);
    let go = complete_later(&fs[1], 1);
    go.send(()).unwrap();
    let outcome = wait(&fs, Some(GUARD), ReturnWhen::FirstCompleted);
    assert_eq!(positions(&fs, &outcome.done), [1]);
    assert_eq!(positions(&fs, &outcome.not_done), [0, 2]);
}

#[test]
fn wait_first_completed_counts_a_cancelled_future() {
    let fs = futures(2);
    fs[1].cancel();
    let outcome = wait(&fs, Some(GUARD), ReturnWhen::FirstCompleted);
    assert_eq!(positions(&fs, &outcome.done), [1]);
}

#[test]
fn wait_first_exception_is_not_fooled_by_results_or_cancellations() {
    let fs = futures(4);
    fs[0].set_result(0).unwrap();
    fs[2].cancel();
    // Nothing failed: it waits for all, and gives up after the timeout.
    let outcome = wait(&fs, Some(SHORT), ReturnWhen::FirstException);
    assert_eq!(positions(&fs, &outcome.done), [0, 2]);
    assert_eq!(positions(&fs, &outcome.not_done), [1, 3]);

    fs[1].set_exception(Error::msg("failed")).unwrap();
    let outcome = wait(&fs, Some(GUARD), ReturnWhen::FirstException);
    assert_eq!(positions(&fs, &outcome.done), [0, 1, 2]);
    assert_eq!(positions(&fs, &outcome.not_done), [3]);
}

#[test]
fn wait_first_exception_wakes_on_an_exception_from_another_thread() {
    let fs = futures(2);
    let (go, gate) = mpsc::channel::<()>();
    let failing = fs[0].clone();
    thread::spawn(move || {
        gate.recv().unwrap();
        failing.set_exception(Error::msg("failed")).unwrap();
    });
    go.send(()).unwrap();
    let outcome = wait(&fs, Some(GUARD), ReturnWhen::FirstException);
    assert_eq!(positions(&fs, &outcome.done), [0]);
    assert_eq!(positions(&fs, &outcome.not_done), [1]);
}

#[test]
fn wait_first_exception_without_exceptions_is_all_completed() {
    let fs = futures(2);
    fs[0].set_result(0).unwrap();
    fs[1].set_result(1).unwrap();
    let outcome = wait(&fs, None, ReturnWhen::FirstException);
    assert_eq!(outcome.done.len(), 2);
}

#[test]
fn wait_times_out_without_error_and_says_what_is_not_done() {
    let fs = futures(2);
    fs[0].set_result(0).unwrap();
    let outcome = wait(&fs, Some(SHORT), ReturnWhen::AllCompleted);
    assert_eq!(positions(&fs, &outcome.done), [0]);
    assert_eq!(positions(&fs, &outcome.not_done), [1]);
    // The waiter it installed is gone: completing the future later disturbs nothing.
    fs[1].set_result(1).unwrap();
}

#[test]
fn wait_on_nothing_returns_at_once() {
    for return_when in [
        ReturnWhen::FirstCompleted,
        ReturnWhen::FirstException,
        ReturnWhen::AllCompleted,
    ] {
        let outcome = wait(&futures(0), None, return_when);
        assert!(outcome.done.is_empty() && outcome.not_done.is_empty());
    }
    assert_eq!(ReturnWhen::default(), ReturnWhen::AllCompleted);
}

#[test]
fn wait_counts_a_future_given_twice_once() {
    let fs = futures(1);
    fs[0].set_result(0).unwrap();
    let outcome = wait([&fs[0], &fs[0]], None, ReturnWhen::AllCompleted);
    assert_eq!(outcome.done.len(), 1);
}

#[test]
fn wait_on_pool_jobs() {
    let executor = ThreadPoolExecutor::new(2);
    let fs: Vec<_> = (0..50)
        .map(|n| executor.submit(move || n).unwrap())
        .collect();
    let outcome = wait(&fs, Some(GUARD), ReturnWhen::AllCompleted);
    assert_eq!(outcome.done.len(), 50);
    let sum: usize = outcome.done.iter().map(|f| f.result().unwrap()).sum();
    assert_eq!(sum, (0..50).sum());
}
