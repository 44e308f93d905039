//! Chapter 6: cancellation as asyncio 3.11 delivers it, tick by tick.
//!
//! `Task.cancel()` on a task that waits on a future cancels that future; on a task that is not
//! waiting (it is running, or its step is scheduled) it only sets `_must_cancel`. `Task.__step`
//! then throws `CancelledError` into the coroutine at the start of the next step, and, if the
//! flag was set during the step itself, cancels the future the coroutine suspends on
//! (bpo-34872). Awaiting a future that is already done does not suspend, so it does not
//! deliver the cancellation. Each test here is one of CPython's `test_tasks.py` cases (named
//! after it) or a program run on CPython 3.11 with a loop that counts its `_run_once` calls;
//! the tick numbers asserted are the ones CPython printed.
//!
//! # Determinism
//! Every loop runs on a virtual clock on the test's own thread, and no test depends on the
//! machine's speed: which handle runs in which tick follows from the order of the calls alone.
//! Ticks are read from the loop's trace, where `lp.print` records each line in the tick that
//! printed it.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use steploop::trace::{Event, Trace};
use steploop::{current_task, get_running_loop, sleep, Error, EventLoop, Task};

/// Prints a line through the running loop, so that the trace records it in its tick.
fn say(line: impl Into<String>) {
    get_running_loop()
        .expect("called from a task")
        .print(line.into());
}

/// Each line printed with `say`, with the number of the tick that printed it.
fn said(trace: &Trace) -> Vec<(u64, String)> {
    let mut tick = 0;
    let mut lines = Vec::new();
    for event in trace.events() {
        match event {
            Event::Tick { tick: n, .. } => tick = *n,
            Event::Print(line) => lines.push((tick, line.clone())),
            _ => {}
        }
    }
    lines
}

/// How many ticks the trace shows.
fn ticks(trace: &Trace) -> u64 {
    trace
        .events()
        .iter()
        .filter(|e| matches!(e, Event::Tick { .. }))
        .count() as u64
}

fn traced() -> EventLoop {
    let lp = EventLoop::with_virtual_clock();
    lp.set_trace(true);
    lp
}

/// The running task, as a `TaskRef`, to cancel itself.
fn me() -> steploop::TaskRef {
    current_task().expect("called from a task")
}

fn line(tick: u64, text: &str) -> (u64, String) {
    (tick, text.to_string())
}

#[test]
fn test_cancel_yield() {
    // Cancelled while its step is scheduled after a `sleep(0)`: the next step throws.
    let lp = traced();
    let task = lp.create_task(async {
        sleep(Duration::ZERO).await?;
        say("first sleep(0) back");
        sleep(Duration::ZERO).await?;
        say("second sleep(0) back");
        Ok(12)
    });
    lp.run_once().unwrap(); // start the coroutine
    assert!(task.cancel());
    assert!(matches!(
        lp.run_until_complete(task.clone()),
        Err(Error::Cancelled(None))
    ));
    assert!(task.cancelled());
    assert!(!task.cancel());
    let trace = lp.take_trace();
    assert!(said(&trace).is_empty(), "{trace}");
    assert_eq!(ticks(&trace), 3, "CPython: 3 ticks\n{trace}");
}

#[test]
fn test_cancel_inner_future() {
    let lp = traced();
    let f = lp.create_future::<u32>();
    let task = lp.create_task({
        let f = f.clone();
        async move {
            f.await?;
            Ok(12)
        }
    });
    lp.run_once().unwrap();
    assert!(f.cancel());
    assert!(matches!(
        lp.run_until_complete(task.clone()),
        Err(Error::Cancelled(None))
    ));
    assert!(f.cancelled() && task.cancelled());
    assert_eq!(ticks(&lp.take_trace()), 3, "CPython: 3 ticks");
}

#[test]
fn test_cancel_both_task_and_inner_future() {
    // The future is cancelled first, so the task's cancel() cannot cancel it again: the task
    // sets `must_cancel`, and its wakeup step throws.
    let lp = traced();
    let f = lp.create_future::<u32>();
    let task = lp.create_task({
        let f = f.clone();
        async move {
            f.await?;
            Ok(12)
        }
    });
    lp.run_once().unwrap();
    assert!(f.cancel());
    assert!(task.cancel());
    assert!(matches!(
        lp.run_until_complete(task.clone()),
        Err(Error::Cancelled(None))
    ));
    assert!(task.done() && f.cancelled() && task.cancelled());
    assert_eq!(ticks(&lp.take_trace()), 3, "CPython: 3 ticks");
}

#[test]
fn test_cancel_task_catching() {
    let lp = traced();
    let (fut1, fut2) = (lp.create_future::<()>(), lp.create_future::<()>());
    let task = lp.create_task({
        let (fut1, fut2) = (fut1.clone(), fut2.clone());
        async move {
            fut1.await?;
            match fut2.await {
                Err(e) if e.is_cancelled() => {
                    say("caught");
                    Ok(42)
                }
                other => other.map(|()| 0),
            }
        }
    });
    lp.run_once().unwrap();
    fut1.set_result(()).unwrap();
    lp.run_once().unwrap();
    assert!(task.cancel());
    assert!(
        fut2.cancelled(),
        "the cancel reached the awaited future at once"
    );
    assert_eq!(lp.run_until_complete(task.clone()).unwrap(), 42);
    assert!(!task.cancelled());
    let trace = lp.take_trace();
    assert_eq!(said(&trace), [line(3, "caught")]);
    assert_eq!(ticks(&trace), 4, "CPython: 4 ticks\n{trace}");
}

#[test]
fn test_cancel_task_ignoring() {
    let lp = traced();
    let (fut1, fut2, fut3) = (
        lp.create_future::<u32>(),
        lp.create_future::<u32>(),
        lp.create_future::<u32>(),
    );
    let task = lp.create_task({
        let (fut1, fut2, fut3) = (fut1.clone(), fut2.clone(), fut3.clone());
        async move {
            fut1.await?;
            let _ = fut2.await; // ignores its cancellation
            fut3.await
        }
    });
    lp.run_once().unwrap();
    fut1.set_result(0).unwrap();
    lp.run_once().unwrap();
    assert!(task.cancel());
    assert!(fut2.cancelled());
    lp.run_once().unwrap();
    fut3.set_result(42).unwrap();
    assert_eq!(lp.run_until_complete(task.clone()).unwrap(), 42);
    assert!(!fut3.cancelled() && !task.cancelled());
}

#[test]
fn test_cancel_current_task() {
    // A task cancels itself, then sleeps: the sleep's future is cancelled as the task
    // suspends on it, its timer with it, and the task ends cancelled on the next tick without
    // the clock moving.
    let lp = traced();
    let task = lp.create_task(async {
        assert!(me().cancel());
        sleep(Duration::from_secs(100)).await?;
        Ok(12)
    });
    assert!(matches!(
        lp.run_until_complete(task.clone()),
        Err(Error::Cancelled(None))
    ));
    assert!(task.cancelled());
    assert!(!task.cancel());
    assert_eq!(lp.time(), Duration::ZERO);
    assert_eq!(lp.scheduled_timers(), 0);
    let trace = lp.take_trace().to_string();
    assert_eq!(
        trace.matches("tick ").count(),
        3,
        "CPython: 3 ticks\n{trace}"
    );
    let cancelled = trace.find("sleep(100.000) done: cancelled").expect(&trace);
    assert!(
        cancelled < trace.find("tick 2").unwrap(),
        "the sleep is cancelled in the step that awaited it\n{trace}"
    );
}

#[test]
fn test_cancel_at_end() {
    // The coroutine ends right after cancelling its own task: the task ends cancelled.
    let lp = traced();
    let task = lp.create_task(async {
        assert!(me().cancel());
        Ok(12)
    });
    assert!(matches!(
        lp.run_until_complete(task.clone()),
        Err(Error::Cancelled(None))
    ));
    assert!(task.cancelled());
    assert!(!task.cancel());
    assert_eq!(ticks(&lp.take_trace()), 2, "CPython: 2 ticks");
}

#[test]
fn test_cancel_awaited_task() {
    // bpo-34872: a task that cancels itself and then awaits a task cancels that task, and
    // the future the inner task awaits.
    let lp = traced();
    let fut = lp.create_future::<()>();
    let nested: Rc<RefCell<Option<Task<()>>>> = Rc::default();
    let task = lp.create_task({
        let (fut, nested) = (fut.clone(), nested.clone());
        async move {
            let lp = get_running_loop().unwrap();
            let inner = lp.create_task(async move { fut.await });
            *nested.borrow_mut() = Some(inner.clone());
            sleep(Duration::ZERO).await?;
            assert!(me().cancel());
            let outcome = inner.clone().await;
            say(format!(
                "outer: {outcome:?}; inner cancelled: {}",
                inner.cancelled()
            ));
            outcome
        }
    });
    assert!(matches!(
        lp.run_until_complete(task.clone()),
        Err(Error::Cancelled(None))
    ));
    let inner = nested.borrow().clone().unwrap();
    assert!(task.cancelled() && inner.cancelled() && fut.cancelled());
    let trace = lp.take_trace();
    assert_eq!(
        said(&trace),
        [line(4, "outer: Err(cancelled); inner cancelled: true")]
    );
    assert_eq!(ticks(&trace), 5, "CPython: 5 ticks\n{trace}");
}

#[test]
fn test_task_cancel_waiter_future() {
    let lp = traced();
    let fut = lp.create_future::<()>();
    let task = lp.create_task({
        let fut = fut.clone();
        async move { fut.await }
    });
    lp.run_once().unwrap();
    assert!(task.cancel());
    lp.run_once().unwrap();
    assert!(task.done() && fut.cancelled());
    assert!(matches!(
        lp.run_until_complete(task.clone()),
        Err(Error::Cancelled(None))
    ));
}

#[test]
fn a_self_cancel_then_sleep_zero_raises_on_the_next_tick() {
    // CPython: `sleep(0)` yields; the step it scheduled throws CancelledError in tick 2.
    let lp = traced();
    let task = lp.create_task(async {
        assert!(me().cancel());
        match sleep(Duration::ZERO).await {
            Ok(()) => say("sleep(0) returned"),
            Err(e) => say(format!("sleep(0) raised: {e}")),
        }
        Ok(1)
    });
    assert_eq!(lp.run_until_complete(task.clone()).unwrap(), 1);
    let trace = lp.take_trace();
    assert_eq!(said(&trace), [line(2, "sleep(0) raised: cancelled")]);
    assert_eq!(ticks(&trace), 3, "CPython: 3 ticks\n{trace}");
}

#[test]
fn a_self_cancel_then_await_of_a_done_future_gives_its_value_and_the_task_ends_cancelled() {
    // CPython: awaiting a done future does not suspend, so it returns its result; the
    // cancellation is still pending when the coroutine returns, and the task ends cancelled.
    let lp = traced();
    let done = lp.create_future::<u32>();
    done.set_result(7).unwrap();
    let task = lp.create_task({
        let done = done.clone();
        async move {
            assert!(me().cancel());
            match done.await {
                Ok(v) => {
                    say(format!("done future gave {v}"));
                    Ok(v)
                }
                Err(e) => {
                    say(format!("caught {e}"));
                    Ok(0)
                }
            }
        }
    });
    assert!(matches!(
        lp.run_until_complete(task.clone()),
        Err(Error::Cancelled(None))
    ));
    assert!(task.cancelled());
    let trace = lp.take_trace();
    assert_eq!(said(&trace), [line(1, "done future gave 7")]);
    assert_eq!(ticks(&trace), 2, "CPython: 2 ticks\n{trace}");
}

#[test]
fn a_self_cancel_then_await_of_a_pending_future_cancels_that_future() {
    let lp = traced();
    let pending = lp.create_future::<u32>();
    let task = lp.create_task({
        let pending = pending.clone();
        async move {
            assert!(me().cancel());
            let outcome = pending.clone().await;
            say(format!(
                "await gave {outcome:?}; future cancelled: {}",
                pending.cancelled()
            ));
            outcome
        }
    });
    assert!(matches!(
        lp.run_until_complete(task.clone()),
        Err(Error::Cancelled(None))
    ));
    assert!(pending.cancelled(), "it does not stay pending for ever");
    let trace = lp.take_trace();
    assert_eq!(
        said(&trace),
        [line(2, "await gave Err(cancelled); future cancelled: true")]
    );
    assert_eq!(ticks(&trace), 3, "CPython: 3 ticks\n{trace}");
}

#[test]
fn a_child_that_cancels_its_awaiting_parent_cancels_itself() {
    // The parent waits on the child, so parent.cancel() cancels the child, which is running:
    // the child's `must_cancel` is set, and its next suspension cancels its own sleep.
    let lp = traced();
    let parent_slot: Rc<RefCell<Option<steploop::TaskRef>>> = Rc::default();
    let child_slot: Rc<RefCell<Option<Task<()>>>> = Rc::default();
    let parent = lp.create_task({
        let (parent_slot, child_slot) = (parent_slot.clone(), child_slot.clone());
        async move {
            let lp = get_running_loop().unwrap();
            let child = lp.create_task({
                let parent_slot = parent_slot.clone();
                async move {
                    sleep(Duration::ZERO).await?;
                    let parent = parent_slot.borrow().clone().unwrap();
                    say(format!("child cancels parent -> {}", parent.cancel()));
                    match sleep(Duration::from_secs(1)).await {
                        Ok(()) => say("child slept"),
                        Err(e) => {
                            say(format!("child's sleep: {e}"));
                            return Err(e);
                        }
                    }
                    Ok(())
                }
            });
            *child_slot.borrow_mut() = Some(child.clone());
            *parent_slot.borrow_mut() = Some(me());
            let outcome = child.clone().await;
            say(format!(
                "parent: {outcome:?}; child cancelled: {}",
                child.cancelled()
            ));
            outcome
        }
    });
    assert!(matches!(
        lp.run_until_complete(parent.clone()),
        Err(Error::Cancelled(None))
    ));
    assert_eq!(lp.time(), Duration::ZERO);
    let trace = lp.take_trace();
    assert_eq!(
        said(&trace),
        [
            line(3, "child cancels parent -> true"),
            line(4, "child's sleep: cancelled"),
            line(5, "parent: Err(cancelled); child cancelled: true"),
        ]
    );
    assert_eq!(ticks(&trace), 6, "CPython: 6 ticks\n{trace}");
}

#[test]
fn a_task_awaiting_itself_gets_a_runtime_error_on_its_next_step() {
    // CPython: `Task cannot await on itself`, thrown into the coroutine by a step scheduled
    // with call_soon (tick 2), not a stall of the whole loop.
    let lp = traced();
    let slot: Rc<RefCell<Option<Task<&'static str>>>> = Rc::default();
    let task = lp.create_task({
        let slot = slot.clone();
        async move {
            let itself = slot.borrow().clone().unwrap();
            match itself.await {
                Err(Error::Runtime(message)) => {
                    say(format!("refused: {message}"));
                    Ok("refused")
                }
                other => other,
            }
        }
    });
    *slot.borrow_mut() = Some(task.clone());
    assert_eq!(lp.run_until_complete(task.clone()).unwrap(), "refused");
    slot.borrow_mut().take();
    let trace = lp.take_trace();
    let said = said(&trace);
    assert_eq!(said.len(), 1);
    assert_eq!(said[0].0, 2, "{trace}");
    assert!(
        said[0]
            .1
            .starts_with("refused: Task-1 cannot await on itself"),
        "{said:?}"
    );
    assert_eq!(ticks(&trace), 3, "CPython: 3 ticks\n{trace}");
}

#[test]
fn test_cancelling() {
    let lp = EventLoop::with_virtual_clock();
    let task = lp.create_task(async {
        sleep(Duration::from_secs(10)).await?;
        Ok(())
    });
    assert_eq!(task.cancelling(), 0);
    assert!(format!("{task:?}").ends_with(" pending>"), "{task:?}");
    assert!(task.cancel());
    assert_eq!(task.cancelling(), 1);
    assert!(
        format!("{task:?}").ends_with(" pending cancelling>"),
        "{task:?}"
    );
    assert!(
        task.cancel(),
        "a second request is accepted too, as in 3.11"
    );
    assert_eq!(task.cancelling(), 2);
    assert!(matches!(
        lp.run_until_complete(task.clone()),
        Err(Error::Cancelled(None))
    ));
    assert!(!task.cancel());
    assert_eq!(task.cancelling(), 2, "a refused cancel does not count");
}

#[test]
fn test_uncancel_basic() {
    let lp = EventLoop::with_virtual_clock();
    let task = lp.create_task(async {
        if let Err(e) = sleep(Duration::from_secs(10)).await {
            assert!(e.is_cancelled());
            me().uncancel();
            sleep(Duration::from_secs(10)).await?;
        }
        Ok(())
    });
    lp.run_until_complete(sleep(Duration::from_millis(10)))
        .unwrap();
    // Cancel the first sleep.
    assert!(task.cancel());
    assert_eq!(task.cancelling(), 1);
    assert!(!task.cancelled());
    lp.run_until_complete(sleep(Duration::from_millis(10)))
        .unwrap();
    // After uncancel().
    assert_eq!(task.cancelling(), 0);
    assert!(!task.cancelled() && !task.done());
    // Cancel the second sleep.
    assert!(task.cancel());
    assert_eq!(task.cancelling(), 1);
    assert!(matches!(
        lp.run_until_complete(task.clone()),
        Err(Error::Cancelled(None))
    ));
    assert!(task.cancelled() && task.done());
    // uncancel() changes nothing once the task is done.
    task.uncancel();
    assert!(task.cancelled() && task.done());
}

/// CPython's `test_uncancel_structured_blocks`: a timeout written by hand with `call_later`,
/// `cancel` and `uncancel`, the structure `timeout()` is made of.
async fn request_with_timeout(
    sleep_for: Duration,
    timeout: Duration,
) -> Result<(bool, bool, bool), Error> {
    let task = me();
    let lp = get_running_loop().unwrap();
    let timed_out = Rc::new(std::cell::Cell::new(false));
    let handle = lp.call_later(timeout, {
        let (timed_out, task) = (timed_out.clone(), task.clone());
        move |_| {
            timed_out.set(true);
            task.cancel();
        }
    });
    // The structured block affected by the timeout.
    let outcome = sleep(sleep_for).await;
    let structured_block_finished = outcome.is_ok();
    handle.cancel();
    let outcome = match outcome {
        Err(e) if timed_out.get() && task.uncancel() == 0 && e.is_cancelled() => {
            Err(Error::Timeout)
        }
        other => other,
    };
    match outcome {
        Err(Error::Timeout) => assert!(timed_out.get()),
        other => other?,
    }
    // Outer code, not affected by the timeout.
    let outer_code_reached = true;
    sleep(Duration::ZERO).await?;
    Ok((
        timed_out.get(),
        structured_block_finished,
        outer_code_reached,
    ))
}

#[test]
fn test_uncancel_structured_blocks() {
    let lp = EventLoop::with_virtual_clock();
    let t1 = lp.create_task(request_with_timeout(
        Duration::from_secs(10),
        Duration::from_millis(100),
    ));
    assert_eq!(
        lp.run_until_complete(t1.clone()).unwrap(),
        (true, false, true)
    );
    assert_eq!(
        t1.cancelling(),
        0,
        "no cancellation of the outer task is left"
    );
    let t2 = lp.create_task(request_with_timeout(
        Duration::ZERO,
        Duration::from_secs(10),
    ));
    assert_eq!(
        lp.run_until_complete(t2.clone()).unwrap(),
        (false, true, true)
    );
    assert_eq!(t2.cancelling(), 0);
}

#[test]
fn a_cancel_that_comes_back_round_a_cycle_of_awaits_stops_instead_of_overflowing() {
    // The task awaits a gather of itself; cancelling the gather cancels the task, which
    // cancels what it awaits: the gather again. CPython recurses until RecursionError;
    // steploop stops at the task already passing the cancel on. (The task and the gather
    // wait on each other for ever, which the loop reports as a stall.)
    let lp = EventLoop::with_virtual_clock();
    let slot: Rc<RefCell<Option<Task<u32>>>> = Rc::default();
    let gathered: Rc<RefCell<Option<steploop::Future<Vec<u32>>>>> = Rc::default();
    let main = lp.create_task({
        let (slot, gathered) = (slot.clone(), gathered.clone());
        async move {
            let itself = slot.borrow_mut().take().unwrap();
            let g = steploop::gather([itself])?;
            *gathered.borrow_mut() = Some(g.clone());
            Ok(g.await?.len() as u32)
        }
    });
    *slot.borrow_mut() = Some(main.clone());
    lp.run_once().unwrap();
    let g = gathered.borrow().clone().unwrap();
    assert!(g.cancel(), "the task took the request");
    assert_eq!(main.cancelling(), 1);
    assert!(!main.done());
    assert!(matches!(
        lp.run_until_complete(main.clone()),
        Err(Error::Stalled(_))
    ));
}

#[test]
fn a_second_cancel_after_the_awaited_future_was_cancelled_keeps_the_futures_cancellation() {
    // asyncio's `__step(exc)` keeps an `exc` that already is a CancelledError (the awaited
    // future's own, here without a message) rather than making one with the second cancel's
    // message.
    let lp = EventLoop::with_virtual_clock();
    let f3 = lp.create_future::<u32>();
    let task = lp.create_task({
        let f3 = f3.clone();
        async move {
            let got = f3.await;
            assert!(matches!(got, Err(Error::Cancelled(None))), "{got:?}");
            got
        }
    });
    lp.run_once().unwrap();
    assert!(task.cancel());
    assert!(
        task.cancel_with("m14"),
        "the future is done: must_cancel, with m14"
    );
    assert!(matches!(
        lp.run_until_complete(task.clone()),
        Err(Error::Cancelled(None))
    ));
    assert!(task.cancelled());
}
