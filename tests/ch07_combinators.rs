//! Chapter 7: the combinators' rules — `gather`, `wait`, `as_completed`, `wait_for`, `shield`,
//! `ensure_future` — each pinned by numbers: at which loop time each returns, in which order
//! results arrive, which children end cancelled and which run on, how many done-callbacks
//! were scheduled, how many reports reached the exception handler.
//!
//! # Determinism
//! Each test builds its own loop on a virtual clock, on its own thread: time moves only when
//! the loop jumps to the next deadline, so which callback runs on which tick and at which
//! loop time follows from the order of `call_soon`s and deadlines alone. Times are compared
//! with `==` and callbacks are counted exactly.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use steploop::trace::{Event, Trace};
use steploop::{
    as_completed, ensure_future, gather, gather_return_exceptions, get_running_loop, shield, sleep,
    wait, wait_for, Error, EventLoop, ExceptionContext, Future, ReturnWhen, Task,
};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn millis(ms: u64) -> Duration {
    Duration::from_millis(ms)
}

fn lp() -> EventLoop {
    EventLoop::with_virtual_clock()
}

fn running() -> EventLoop {
    get_running_loop().expect("called from inside the loop")
}

/// Sleeps `seconds`, then returns them — or fails, if `fails`.
async fn job(seconds: u64) -> Result<u64, Error> {
    sleep(secs(seconds)).await?;
    Ok(seconds)
}

async fn failing(seconds: u64) -> Result<u64, Error> {
    sleep(secs(seconds)).await?;
    Err(Error::msg(format!("job({seconds}) failed")))
}

/// A task of `job(seconds)` on the running loop.
fn spawn(seconds: u64) -> Task<u64> {
    running().create_task(job(seconds))
}

/// A task of `failing(seconds)` on the running loop.
fn spawn_failing(seconds: u64) -> Task<u64> {
    running().create_task(failing(seconds))
}

/// Installs an exception handler that keeps every report it receives.
fn reports(lp: &EventLoop) -> Rc<RefCell<Vec<ExceptionContext>>> {
    let reports = Rc::new(RefCell::new(Vec::new()));
    let sink = reports.clone();
    lp.set_exception_handler(move |_, context: &ExceptionContext| {
        sink.borrow_mut().push(context.clone());
    });
    reports
}

/// How many times `label` was put on the ready deque.
fn scheduled(trace: &Trace, label: &str) -> usize {
    trace
        .events()
        .iter()
        .filter(|e| matches!(e, Event::CallSoon(l) if l.to_string() == label))
        .count()
}

/// How many times a handle labelled `label` ran.
fn ran(trace: &Trace, label: &str) -> usize {
    trace
        .events()
        .iter()
        .filter(|e| matches!(e, Event::Run(l) if l.to_string() == label))
        .count()
}

fn message(error: &Error) -> String {
    error.to_string()
}

// ---------------------------------------------------------------------------------------------
// gather
// ---------------------------------------------------------------------------------------------

#[test]
fn gather_gives_results_in_argument_order_once_the_slowest_is_done() {
    let lp = lp();
    let results = lp
        .run_until_complete(async { gather([3, 1, 2].map(job))?.await })
        .unwrap();
    assert_eq!(results, [3, 1, 2]);
    assert_eq!(lp.time(), secs(3), "the three ran concurrently: 3 s, not 6");
}

#[test]
fn gather_takes_futures_and_tasks_too() {
    let lp = lp();
    let results = lp
        .run_until_complete(async {
            let fut = running().create_future::<u64>();
            let setter = fut.clone();
            running().call_later(secs(2), move |_| setter.set_result(20).unwrap());
            let task = spawn(1);
            let a = gather([fut])?;
            let b = gather([task])?;
            Ok((a.await?, b.await?))
        })
        .unwrap();
    assert_eq!(results, (vec![20], vec![1]));
    assert_eq!(lp.time(), secs(2));
}

/// Results of different types, through one enum.
#[derive(Clone, Debug, PartialEq)]
enum Reply {
    Name(String),
    Seconds(u64),
}

#[test]
fn gather_of_different_result_types_through_one_enum_and_ensure_future() {
    let lp = lp();
    let replies = lp
        .run_until_complete(async {
            // Two async blocks are two types; ensure_future makes both a Future<Reply>.
            let name = ensure_future(async { Ok(Reply::Name("steploop".to_string())) })?;
            let seconds = ensure_future(async { Ok(Reply::Seconds(job(2).await?)) })?;
            gather([name, seconds])?.await
        })
        .unwrap();
    assert_eq!(
        replies,
        [Reply::Name("steploop".to_string()), Reply::Seconds(2)]
    );
    assert_eq!(lp.time(), secs(2));
}

#[test]
fn gather_of_nothing_is_an_empty_vec_at_once() {
    let lp = lp();
    lp.set_trace(true);
    let results = lp
        .run_until_complete(async {
            let outer = gather(Vec::<Future<u64>>::new())?;
            assert!(outer.done(), "done before anyone awaits it");
            outer.await
        })
        .unwrap();
    assert!(results.is_empty());
    assert_eq!(lp.time(), Duration::ZERO);
    let trace = lp.take_trace();
    assert_eq!(scheduled(&trace, "gather._done_callback"), 0);
}

#[test]
fn gather_fails_with_the_first_error_at_once_and_the_others_keep_running() {
    let lp = lp();
    let reports = reports(&lp);
    lp.set_trace(true);
    lp.run_until_complete(async {
        let slow = spawn(3);
        let tasks = [spawn_failing(1), spawn_failing(2), slow.clone()];
        let error = gather(tasks.clone())?.await.unwrap_err();
        assert_eq!(message(&error), "job(1) failed");
        assert_eq!(
            running().time(),
            secs(1),
            "at the first error, not the last child"
        );
        assert!(
            tasks.iter().skip(1).all(|t| !t.done()),
            "nothing was cancelled"
        );
        assert_eq!(slow.await?, 3, "the others run to their end");
        assert_eq!(running().time(), secs(3));
        assert_eq!(message(&tasks[1].exception()?.unwrap()), "job(2) failed");
        Ok(())
    })
    .unwrap();
    // The second error arrived after the gather had failed: its callback marks it retrieved,
    // so nothing is reported as "exception was never retrieved".
    assert!(reports.borrow().is_empty(), "{:?}", reports.borrow());
    let trace = lp.take_trace();
    assert_eq!(ran(&trace, "gather._done_callback"), 3, "one per child");
}

#[test]
fn gather_return_exceptions_waits_for_every_child_and_keeps_each_outcome() {
    let lp = lp();
    let results = lp
        .run_until_complete(async {
            let cancelled = spawn(5);
            let tasks = [spawn(1), spawn_failing(2), cancelled.clone(), spawn(3)];
            let outer = gather_return_exceptions(tasks)?;
            sleep(millis(500)).await?;
            cancelled.cancel_with("not needed");
            outer.await
        })
        .unwrap();
    assert_eq!(lp.time(), secs(3));
    assert_eq!(results.len(), 4);
    assert_eq!(results[0].as_ref().unwrap(), &1);
    assert_eq!(message(results[1].as_ref().unwrap_err()), "job(2) failed");
    assert!(matches!(&results[2], Err(Error::Cancelled(Some(m))) if &**m == "not needed"));
    assert_eq!(results[3].as_ref().unwrap(), &3);
}

#[test]
fn cancelling_the_gather_cancels_every_child_not_yet_done() {
    let lp = lp();
    lp.set_trace(true);
    lp.run_until_complete(async {
        let tasks = [spawn(1), spawn(2), spawn(3)];
        let outer = gather(tasks.clone())?;
        sleep(millis(1500)).await?;
        assert!(outer.cancel(), "at least one child was cancelled");
        assert!(
            !outer.done(),
            "it ends when the cancelled children report back"
        );
        let error = outer.clone().await.unwrap_err();
        assert!(error.is_cancelled());
        assert!(outer.cancelled());
        assert_eq!(tasks[0].result()?, 1, "done before the cancel: untouched");
        assert!(tasks[1].cancelled() && tasks[2].cancelled());
        assert!(!outer.cancel(), "a done gather cannot be cancelled again");
        Ok(())
    })
    .unwrap();
    assert_eq!(
        lp.time(),
        millis(1500),
        "nobody waited for the cancelled sleeps"
    );
    let trace = lp.take_trace().to_string();
    assert_eq!(trace.matches("    cancel Task-").count(), 2);
}

#[test]
fn cancelling_the_task_that_awaits_a_gather_cancels_the_children() {
    let lp = lp();
    lp.run_until_complete(async {
        let tasks = [spawn(2), spawn(3)];
        let children = tasks.clone();
        let awaiting = running().create_task(async move { gather(children)?.await });
        sleep(secs(1)).await?;
        assert!(awaiting.cancel());
        assert!(awaiting.clone().await.unwrap_err().is_cancelled());
        assert!(tasks.iter().all(Task::cancelled));
        Ok(())
    })
    .unwrap();
    assert_eq!(lp.time(), secs(1));
}

#[test]
fn a_cancelled_child_fails_the_gather_with_cancelled_and_the_others_run_on() {
    let lp = lp();
    lp.run_until_complete(async {
        let tasks = [spawn(1), spawn(2), spawn(3)];
        let outer = gather(tasks.clone())?;
        tasks[0].cancel_with("just this one");
        let error = outer.clone().await.unwrap_err();
        assert!(matches!(&error, Error::Cancelled(Some(m)) if &**m == "just this one"));
        // As in asyncio, the gather itself was not cancelled: it failed with the child's
        // CancelledError.
        assert!(!outer.cancelled());
        assert_eq!(running().time(), Duration::ZERO);
        assert!(!tasks[1].done() && !tasks[2].done());
        assert_eq!(tasks[2].clone().await?, 3);
        Ok(())
    })
    .unwrap();
    assert_eq!(lp.time(), secs(3));
}

#[test]
fn cancelling_a_gather_with_return_exceptions_still_cancels_it() {
    let lp = lp();
    lp.run_until_complete(async {
        let tasks = [spawn(1), spawn(2)];
        let outer = gather_return_exceptions(tasks.clone())?;
        sleep(millis(500)).await?;
        assert!(outer.cancel());
        assert!(outer.clone().await.unwrap_err().is_cancelled());
        assert!(outer.cancelled());
        Ok(())
    })
    .unwrap();
    assert_eq!(lp.time(), millis(500));
}

#[test]
fn a_gather_nobody_holds_still_completes_and_runs_its_done_callbacks() {
    let lp = lp();
    let seen = Rc::new(RefCell::new(Vec::new()));
    let sink = seen.clone();
    lp.run_until_complete(async move {
        // The returned future is dropped at once: only the children's callbacks hold it.
        gather([1, 2].map(job))?.add_done_callback(move |f| {
            sink.borrow_mut()
                .push(f.result().map_err(|e| e.to_string()));
        });
        sleep(secs(3)).await
    })
    .unwrap();
    assert_eq!(*seen.borrow(), [Ok(vec![1, 2])]);
}

#[test]
fn every_function_that_needs_a_running_loop_says_so_the_same_way() {
    let no_loop = |error: Error| {
        assert!(matches!(error, Error::Runtime(_)), "{error:?}");
        assert!(message(&error).contains("needs a running event loop"));
    };
    no_loop(gather(Vec::<Future<u64>>::new()).unwrap_err());
    no_loop(gather_return_exceptions(Vec::<Future<u64>>::new()).unwrap_err());
    no_loop(as_completed(Vec::<Future<u64>>::new(), None).unwrap_err());
    let lp = lp();
    no_loop(shield(lp.create_future::<u64>()).unwrap_err());
    no_loop(ensure_future(lp.create_future::<u64>()).unwrap_err());
    let job = steploop::executor::ConcurrentFuture::<u64>::new();
    no_loop(steploop::wrap_future(job).unwrap_err());
    assert!(lp.all_tasks().is_empty(), "nothing was started");

    // `async` ones (asyncio's `async def`) say so when awaited, the same way.
    no_loop(poll_once(sleep(secs(1))).unwrap_err());
    no_loop(poll_once(sleep(Duration::ZERO)).unwrap_err());
    no_loop(
        poll_once(wait(
            [lp.create_future::<u64>()],
            None,
            ReturnWhen::AllCompleted,
        ))
        .unwrap_err(),
    );
    no_loop(poll_once(wait_for(lp.create_future::<u64>(), secs(1))).unwrap_err());
}

/// Polls a future once, outside any loop, and expects it to be ready.
fn poll_once<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match future.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(output) => output,
        std::task::Poll::Pending => panic!("pending outside a loop"),
    }
}

// ---------------------------------------------------------------------------------------------
// ensure_future
// ---------------------------------------------------------------------------------------------

#[test]
fn ensure_future_wraps_a_coroutine_in_a_task_and_passes_a_future_through() {
    let lp = lp();
    lp.run_until_complete(async {
        let before = running().all_tasks().len();
        let from_coroutine = ensure_future(job(1))?;
        assert_eq!(running().all_tasks().len(), before + 1);
        assert_eq!(from_coroutine.label().to_string(), "Task-2");
        let fut = running().create_future::<u64>();
        let same = ensure_future(fut.clone())?;
        fut.set_result(7)?;
        assert_eq!(same.result()?, 7, "the very same future");
        assert_eq!(
            running().all_tasks().len(),
            before + 1,
            "no task for a future"
        );
        assert_eq!(from_coroutine.await?, 1);
        Ok(())
    })
    .unwrap();
}

// ---------------------------------------------------------------------------------------------
// wait
// ---------------------------------------------------------------------------------------------

/// Runs `wait` over jobs of 1 s (ok), 2 s (fails) and 3 s (ok) on a fresh loop; returns the
/// time it returned at, the done outcomes and how many were pending.
fn wait_over_three(
    return_when: ReturnWhen,
    timeout: Option<Duration>,
) -> (Duration, Vec<String>, usize) {
    let lp = lp();
    lp.run_until_complete(async move {
        let tasks = vec![spawn(1), spawn_failing(2), spawn(3)];
        let (done, pending) = wait(tasks, timeout, return_when).await?;
        let outcomes = done
            .iter()
            .map(|f| match f.result() {
                Ok(v) => v.to_string(),
                Err(e) => e.to_string(),
            })
            .collect();
        let at = running().time();
        for future in &pending {
            assert!(!future.done() && !future.cancelled());
            future.cancel();
        }
        Ok((at, outcomes, pending.len()))
    })
    .unwrap()
}

#[test]
fn what_wait_returns_is_matched_against_the_tasks_by_identity() {
    // As in asyncio, where `task in done` compares the very objects: a task, its future and
    // every clone of either are one and the same; two tasks are never equal.
    let lp = lp();
    lp.run_until_complete(async {
        let tasks = vec![spawn(2), spawn(1), spawn(3)];
        let (done, pending) = wait(tasks.clone(), None, ReturnWhen::FirstCompleted).await?;
        assert!(done.contains(&tasks[1].future()));
        assert!(done[0] == tasks[1], "a future equals its task");
        assert!(tasks[1] == done[0], "and the other way round");
        assert!(!done.contains(&tasks[0].future()));
        assert_ne!(tasks[0], tasks[2]);
        let still_running: std::collections::HashSet<Future<u64>> = pending.into_iter().collect();
        assert!(still_running.contains(&tasks[0].future()));
        assert!(still_running.contains(&tasks[2].future()));
        let me = steploop::current_task().unwrap();
        assert_eq!(me, me.clone());
        assert!(tasks.iter().all(|task| me != task.as_task_ref()));
        assert!(tasks[0].as_task_ref() == tasks[0]);
        for task in &tasks {
            task.cancel();
        }
        Ok(())
    })
    .unwrap();
}

#[test]
fn wait_counts_a_future_given_twice_once() {
    // asyncio makes a set of what it is given.
    let lp = lp();
    let (done, pending) = lp
        .run_until_complete(async {
            let task = spawn(1);
            let done_already = running().create_future::<u64>();
            done_already.set_result(0)?;
            // shield() of a done future is that future: a repeat without writing one.
            let again = shield(done_already.clone())?;
            let (done, pending) = wait(
                [task.future(), task.future(), done_already, again],
                None,
                ReturnWhen::FirstCompleted,
            )
            .await?;
            Ok((done.len(), pending.len()))
        })
        .unwrap();
    assert_eq!((done, pending), (1, 1));
}

#[test]
fn wait_first_completed_returns_at_the_first_completion() {
    let (at, done, pending) = wait_over_three(ReturnWhen::FirstCompleted, None);
    assert_eq!((at, done, pending), (secs(1), vec!["1".to_string()], 2));
}

#[test]
fn wait_first_exception_returns_at_the_first_error() {
    let (at, done, pending) = wait_over_three(ReturnWhen::FirstException, None);
    assert_eq!(at, secs(2));
    assert_eq!(done, ["1", "job(2) failed"]);
    assert_eq!(pending, 1);
}

#[test]
fn wait_first_exception_without_an_error_waits_for_all_and_a_cancellation_is_no_error() {
    let lp = lp();
    let (done, pending) = lp
        .run_until_complete(async {
            let cancelled = spawn(1);
            cancelled.cancel();
            wait(
                vec![spawn(2), cancelled, spawn(3)],
                None,
                ReturnWhen::FirstException,
            )
            .await
        })
        .unwrap();
    assert_eq!((done.len(), pending.len()), (3, 0));
    assert_eq!(lp.time(), secs(3));
}

#[test]
fn wait_all_completed_returns_when_everything_is_done() {
    let (at, done, pending) = wait_over_three(ReturnWhen::AllCompleted, None);
    assert_eq!(at, secs(3));
    assert_eq!(done, ["1", "job(2) failed", "3"]);
    assert_eq!(pending, 0);
}

#[test]
fn wait_timeout_returns_what_is_done_and_cancels_nothing() {
    let lp = lp();
    lp.set_trace(true);
    lp.run_until_complete(async {
        let tasks = vec![spawn(1), spawn(2), spawn(3)];
        let (done, pending) =
            wait(tasks.clone(), Some(millis(1500)), ReturnWhen::AllCompleted).await?;
        assert_eq!(running().time(), millis(1500));
        assert_eq!((done.len(), pending.len()), (1, 2));
        assert!(tasks.iter().all(|t| !t.cancelled()));
        // Still running: they finish on their own time.
        assert_eq!(tasks[2].clone().await?, 3);
        Ok(())
    })
    .unwrap();
    assert_eq!(lp.time(), secs(3));
    let trace = lp.take_trace();
    assert!(!trace.to_string().contains("cancel Task"));
    // The callbacks were removed when wait returned: only the first job's ran.
    assert_eq!(ran(&trace, "wait._on_completion"), 1);
}

#[test]
fn wait_that_finishes_first_cancels_its_timer() {
    let lp = lp();
    lp.set_trace(true);
    lp.run_until_complete(async {
        let (done, _) = wait(vec![spawn(1)], Some(secs(5)), ReturnWhen::AllCompleted).await?;
        assert_eq!(done.len(), 1);
        Ok(())
    })
    .unwrap();
    assert_eq!(lp.time(), secs(1));
    let trace = lp.take_trace();
    assert_eq!(ran(&trace, "_release_waiter"), 0);
    assert!(trace
        .to_string()
        .contains("cancel timer _release_waiter (was due at t=5.000)"));
}

#[test]
fn wait_of_nothing_is_an_error() {
    let lp = lp();
    let error = lp
        .run_until_complete(async {
            wait(Vec::<Future<u64>>::new(), None, ReturnWhen::AllCompleted).await
        })
        .unwrap_err();
    assert!(matches!(error, Error::Runtime(_)));
    assert!(message(&error).contains("Set of Tasks/Futures is empty"));
}

#[test]
fn wait_on_futures_already_done_returns_on_the_next_tick() {
    let lp = lp();
    lp.set_trace(true);
    let (done, pending) = lp
        .run_until_complete(async {
            let fut = running().create_future::<u64>();
            fut.set_result(1)?;
            wait(vec![fut], None, ReturnWhen::AllCompleted).await
        })
        .unwrap();
    assert_eq!((done.len(), pending.len()), (1, 0));
    let trace = lp.take_trace();
    assert_eq!(ran(&trace, "wait._on_completion"), 1);
}

#[test]
fn cancelling_the_task_awaiting_wait_cancels_none_of_the_futures() {
    let lp = lp();
    lp.set_trace(true);
    lp.run_until_complete(async {
        let tasks = vec![spawn(2), spawn(3)];
        let children = tasks.clone();
        let awaiting = running().create_task(async move {
            wait(children, Some(secs(10)), ReturnWhen::AllCompleted).await
        });
        sleep(secs(1)).await?;
        awaiting.cancel();
        assert!(awaiting.clone().await.unwrap_err().is_cancelled());
        assert!(tasks.iter().all(|t| !t.done()));
        assert_eq!(tasks[1].clone().await?, 3);
        Ok(())
    })
    .unwrap();
    assert_eq!(lp.time(), secs(3));
    let trace = lp.take_trace();
    assert_eq!(ran(&trace, "wait._on_completion"), 0, "callbacks removed");
    assert_eq!(ran(&trace, "_release_waiter"), 0, "timer cancelled");
}

// ---------------------------------------------------------------------------------------------
// as_completed
// ---------------------------------------------------------------------------------------------

#[test]
fn as_completed_hands_out_results_in_completion_order() {
    let lp = lp();
    let seen = lp
        .run_until_complete(async {
            let mut results = as_completed([5, 2, 4, 3, 6].map(job), None)?;
            let mut seen = Vec::new();
            while let Some(result) = results.next().await {
                seen.push((result?, running().time()));
            }
            assert!(results.next().await.is_none(), "still None after the end");
            Ok(seen)
        })
        .unwrap();
    let expected: Vec<_> = [2, 3, 4, 5, 6].map(|s| (s, secs(s))).into();
    assert_eq!(seen, expected);
}

#[test]
fn as_completed_gives_errors_in_their_place() {
    let lp = lp();
    let seen = lp
        .run_until_complete(async {
            let tasks = vec![spawn(3), spawn_failing(1), spawn(2)];
            let mut results = as_completed(tasks, None)?;
            let mut seen = Vec::new();
            while let Some(result) = results.next().await {
                seen.push(result.map_err(|e| e.to_string()));
            }
            Ok(seen)
        })
        .unwrap();
    assert_eq!(seen, [Err("job(1) failed".to_string()), Ok(2), Ok(3)]);
}

#[test]
fn as_completed_times_out_every_result_still_pending_and_cancels_nothing() {
    let lp = lp();
    lp.run_until_complete(async {
        let tasks = vec![spawn(1), spawn(3), spawn(5)];
        let mut results = as_completed(tasks.clone(), Some(secs(2)))?;
        assert_eq!(results.next().await.unwrap()?, 1);
        assert_eq!(running().time(), secs(1));
        for _ in 0..2 {
            assert!(matches!(results.next().await, Some(Err(Error::Timeout))));
            assert_eq!(running().time(), secs(2));
        }
        assert!(results.next().await.is_none());
        assert!(tasks.iter().all(|t| !t.cancelled()));
        assert_eq!(
            tasks[2].clone().await?,
            5,
            "still running after the timeout"
        );
        Ok(())
    })
    .unwrap();
    assert_eq!(lp.time(), secs(5));
}

#[test]
fn as_completed_of_nothing_ends_at_once() {
    let lp = lp();
    lp.run_until_complete(async {
        let mut results = as_completed(Vec::<Future<u64>>::new(), Some(secs(1)))?;
        assert!(results.next().await.is_none());
        Ok(())
    })
    .unwrap();
    assert_eq!(lp.time(), Duration::ZERO, "no timer for nothing");
}

#[test]
fn a_cancelled_next_uses_up_its_turn_and_cancels_nothing() {
    // asyncio's as_completed yields one `_wait_for_one()` per awaitable: a cancelled one has
    // used its turn, and the result stays in the queue for a later turn, if any is left.
    let lp = lp();
    lp.run_until_complete(async {
        let awaiting = running().create_task(async {
            let mut results = as_completed(vec![spawn(2), spawn(3)], None)?;
            let first = results.next().await;
            let first_cancelled = matches!(&first, Some(Err(e)) if e.is_cancelled());
            let second = results.next().await.expect("a second turn")?;
            let at = running().time();
            let third = results.next().await;
            Ok((first_cancelled, second, at, third.is_none()))
        });
        sleep(secs(1)).await?;
        assert!(awaiting.cancel());
        let (first_cancelled, second, at, no_third) = awaiting.await?;
        assert!(first_cancelled, "the cancelled next() says so");
        assert_eq!(
            (second, at),
            (2, secs(2)),
            "the first result comes in the second turn"
        );
        assert!(
            no_third,
            "two awaitables, two turns: the job of 3 s is never handed out"
        );
        Ok(())
    })
    .unwrap();
}

#[test]
fn as_completed_hands_out_a_future_given_twice_once() {
    let lp = lp();
    let handed = lp
        .run_until_complete(async {
            let task = spawn(1);
            let mut results = as_completed([task.future(), task.future()], None)?;
            let mut handed = Vec::new();
            while let Some(result) = results.next().await {
                handed.push(result?);
            }
            Ok(handed)
        })
        .unwrap();
    assert_eq!(handed, [1], "asyncio makes a set of what it is given");
}

#[test]
fn dropping_as_completed_stops_listening_but_the_tasks_run_on() {
    let lp = lp();
    lp.set_trace(true);
    lp.run_until_complete(async {
        let tasks = vec![spawn(1), spawn(2)];
        let mut results = as_completed(tasks.clone(), Some(secs(10)))?;
        assert_eq!(results.next().await.unwrap()?, 1);
        drop(results);
        assert_eq!(tasks[1].clone().await?, 2);
        Ok(())
    })
    .unwrap();
    assert_eq!(lp.time(), secs(2));
    let trace = lp.take_trace();
    assert_eq!(ran(&trace, "as_completed._on_completion"), 1);
    assert_eq!(ran(&trace, "as_completed._on_timeout"), 0);
}

// ---------------------------------------------------------------------------------------------
// wait_for
// ---------------------------------------------------------------------------------------------

/// When cancelled, cleans up for half a second, then lets the cancellation go on — unless
/// `swallow`, when it returns 0 instead.
async fn careful(seconds: u64, swallow: bool) -> Result<u64, Error> {
    match sleep(secs(seconds)).await {
        Ok(()) => Ok(seconds),
        Err(cancelled) => {
            sleep(millis(500)).await?;
            if swallow {
                Ok(0)
            } else {
                Err(cancelled)
            }
        }
    }
}

#[test]
fn wait_for_returns_the_result_when_in_time_and_cancels_its_timer() {
    let lp = lp();
    lp.set_trace(true);
    let value = lp
        .run_until_complete(async { wait_for(job(1), secs(5)).await })
        .unwrap();
    assert_eq!(value, 1);
    assert_eq!(lp.time(), secs(1));
    let trace = lp.take_trace();
    assert!(trace
        .to_string()
        .contains("cancel timer _release_waiter (was due at t=5.000)"));
}

#[test]
fn wait_for_passes_the_inner_error_through() {
    let lp = lp();
    let error = lp
        .run_until_complete(async { wait_for(failing(1), secs(5)).await })
        .unwrap_err();
    assert_eq!(message(&error), "job(1) failed");
}

#[test]
fn wait_for_times_out_cancels_the_inner_and_waits_for_it_to_finish_cancelling() {
    let lp = lp();
    lp.run_until_complete(async {
        let inner = running().create_task(careful(3, false));
        let outcome = wait_for(inner.clone(), secs(1)).await;
        assert!(matches!(outcome, Err(Error::Timeout)));
        assert_eq!(
            running().time(),
            millis(1500),
            "1 s, plus the inner's 0.5 s clean-up"
        );
        assert!(inner.cancelled(), "done cancelling when wait_for returns");
        Ok(())
    })
    .unwrap();
}

#[test]
fn wait_for_returns_the_value_of_an_inner_that_swallows_the_cancellation() {
    let lp = lp();
    let value = lp
        .run_until_complete(async { wait_for(careful(3, true), secs(1)).await })
        .unwrap();
    assert_eq!(value, 0, "the inner's own answer, as in asyncio");
    assert_eq!(lp.time(), millis(1500));
}

#[test]
fn wait_for_schedules_as_python_3_11_does() {
    // CPython 3.11, counted with a loop that numbers its `_run_once` calls: with a positive
    // timeout even a future already done goes through the done-callback and the waiter (two
    // more ticks); with a zero timeout it returns at once.
    let lp = lp();
    lp.set_trace(true);
    lp.run_until_complete(async {
        let done = running().create_future::<u64>();
        done.set_result(5)?;
        running().print("before");
        let v = wait_for(done.clone(), secs(10)).await?;
        running().print(format!("wait_for gave {v}"));
        let v = wait_for(done, Duration::ZERO).await?;
        running().print(format!("wait_for(0) gave {v}"));
        let v = wait_for(async { Ok(7) }, secs(10)).await?;
        running().print(format!("wait_for(coroutine) gave {v}"));
        Ok(())
    })
    .unwrap();
    let trace = lp.take_trace();
    let mut tick = 0;
    let mut printed = Vec::new();
    for event in trace.events() {
        match event {
            Event::Tick { tick: n, .. } => tick = *n,
            Event::Print(line) => printed.push(format!("tick {tick}: {line}")),
            _ => {}
        }
    }
    assert_eq!(
        printed,
        [
            "tick 1: before",
            "tick 3: wait_for gave 5",
            "tick 3: wait_for(0) gave 5",
            "tick 6: wait_for(coroutine) gave 7",
        ],
        "{trace}"
    );
}

#[test]
fn wait_for_refuses_a_future_of_another_loop() {
    let lp = lp();
    let other = EventLoop::with_virtual_clock();
    let foreign = other.create_future::<u64>();
    let error = lp
        .run_until_complete(async move { wait_for(foreign, secs(1)).await })
        .unwrap_err();
    assert!(message(&error).contains("different loop"), "{error:?}");
}

#[test]
fn wait_for_with_zero_timeout_cancels_at_once() {
    let lp = lp();
    lp.run_until_complete(async {
        let inner = spawn(1);
        let outcome = wait_for(inner.clone(), Duration::ZERO).await;
        assert!(matches!(outcome, Err(Error::Timeout)));
        assert!(inner.cancelled());
        let done = running().create_future::<u64>();
        done.set_result(4)?;
        assert_eq!(
            wait_for(done, Duration::ZERO).await?,
            4,
            "already done: no timeout"
        );
        Ok(())
    })
    .unwrap();
    assert_eq!(lp.time(), Duration::ZERO);
}

#[test]
fn cancelling_the_task_awaiting_wait_for_cancels_the_inner_and_waits_for_it() {
    let lp = lp();
    lp.run_until_complete(async {
        let inner = running().create_task(careful(3, false));
        let target = inner.clone();
        let awaiting = running().create_task(async move { wait_for(target, secs(10)).await });
        sleep(secs(1)).await?;
        awaiting.cancel();
        let error = awaiting.clone().await.unwrap_err();
        assert!(error.is_cancelled(), "cancelled, not a timeout: {error:?}");
        assert_eq!(running().time(), millis(1500), "after the inner's clean-up");
        assert!(inner.cancelled());
        Ok(())
    })
    .unwrap();
}

// ---------------------------------------------------------------------------------------------
// shield
// ---------------------------------------------------------------------------------------------

#[test]
fn cancelling_the_shield_leaves_the_inner_running_and_its_result_available() {
    let lp = lp();
    lp.set_trace(true);
    lp.run_until_complete(async {
        let inner = spawn(2);
        let outer = shield(inner.clone())?;
        assert_eq!(outer.label().to_string(), "shield(Task-2)");
        sleep(secs(1)).await?;
        assert!(outer.cancel());
        assert!(outer.clone().await.unwrap_err().is_cancelled());
        assert!(!inner.done());
        assert_eq!(inner.clone().await?, 2);
        assert_eq!(running().time(), secs(2));
        assert!(outer.cancelled(), "the outer stays cancelled");
        Ok(())
    })
    .unwrap();
    let trace = lp.take_trace();
    assert_eq!(
        ran(&trace, "shield._inner_done_callback"),
        0,
        "removed by the outer's callback"
    );
    assert_eq!(ran(&trace, "shield._outer_done_callback"), 1);
}

#[test]
fn cancelling_the_task_awaiting_a_shield_does_not_reach_the_inner() {
    let lp = lp();
    lp.run_until_complete(async {
        let inner = spawn(2);
        let protected = inner.clone();
        let awaiting = running().create_task(async move { shield(protected)?.await });
        sleep(secs(1)).await?;
        awaiting.cancel();
        assert!(awaiting.clone().await.unwrap_err().is_cancelled());
        assert_eq!(running().time(), secs(1));
        assert_eq!(inner.clone().await?, 2);
        Ok(())
    })
    .unwrap();
    assert_eq!(lp.time(), secs(2));
}

#[test]
fn the_shield_follows_the_inner_result_error_and_cancellation() {
    let lp = lp();
    lp.run_until_complete(async {
        assert_eq!(shield(spawn(1))?.await?, 1);
        let error = shield(spawn_failing(1))?.await.unwrap_err();
        assert_eq!(message(&error), "job(1) failed");
        let inner = spawn(1);
        let outer = shield(inner.clone())?;
        inner.cancel();
        assert!(outer.clone().await.unwrap_err().is_cancelled());
        assert!(
            outer.cancelled(),
            "cancelling the inner does cancel the outer"
        );
        Ok(())
    })
    .unwrap();
    assert_eq!(lp.time(), secs(2));
}

#[test]
fn the_shield_of_a_done_future_is_that_future() {
    let lp = lp();
    lp.run_until_complete(async {
        let fut = running().create_future::<u64>();
        fut.set_result(3)?;
        let outer = shield(fut.clone())?;
        assert_eq!(outer.label(), fut.label());
        assert_eq!(outer.result()?, 3);
        Ok(())
    })
    .unwrap();
}
