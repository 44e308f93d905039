//! Chapter 5: futures — the examples' traces, and every rule of a future pinned by numbers:
//! how often each callback ran, on which tick, how often each task was stepped and woken, how
//! often the exception handler was called.
//!
//! Everything runs on one thread. Loops with timers use the virtual clock, so times are
//! exact; the others are driven one tick at a time with `run_once`, so the order of events is
//! fully determined by the order of the calls in each test.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use steploop::trace::Event;
use steploop::{Error, EventLoop, ExceptionContext, Future, FutureState};

#[path = "../examples/ch05_await_future.rs"]
mod await_future;
#[path = "../examples/ch05_callbacks.rs"]
mod callbacks;
#[allow(dead_code)] // its `main` is for `cargo run`
#[path = "../examples/ch05_misuse.rs"]
mod misuse;

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({omit_expression => true, prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!(name, text);
    });
}

/// A counter that callbacks bump: tests check exactly how often something ran.
fn counter() -> Rc<Cell<u32>> {
    Rc::new(Cell::new(0))
}

fn bump<T>(count: &Rc<Cell<u32>>) -> impl FnOnce(&Future<T>) + 'static {
    let count = count.clone();
    move |_| count.set(count.get() + 1)
}

/// A shared log the callbacks append to, to check the order in which they ran.
fn journal() -> Rc<RefCell<Vec<String>>> {
    Rc::new(RefCell::new(Vec::new()))
}

fn note<T>(log: &Rc<RefCell<Vec<String>>>, entry: &str) -> impl FnOnce(&Future<T>) + 'static {
    let log = log.clone();
    let entry = entry.to_string();
    move |_| log.borrow_mut().push(entry)
}

/// Installs an exception handler that collects every report as text.
fn collect_reports(lp: &EventLoop) -> Rc<RefCell<Vec<String>>> {
    let reports = journal();
    let seen = reports.clone();
    lp.set_exception_handler(move |_, context: &ExceptionContext| {
        seen.borrow_mut().push(context.to_string());
    });
    reports
}

fn invalid_state_message(result: Result<impl std::fmt::Debug, Error>) -> String {
    match result {
        Err(Error::InvalidState(message)) => message.to_string(),
        other => panic!("expected Error::InvalidState, got {other:?}"),
    }
}

/// How many times the trace shows a handle or step with this label running.
fn runs(events: &[Event], label: &str) -> usize {
    events
        .iter()
        .filter(|e| matches!(e, Event::Run(l) if l.to_string() == label))
        .count()
}

fn awaits(events: &[Event]) -> Vec<(String, String)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Await { task, future } => Some((task.to_string(), future.to_string())),
            _ => None,
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The examples
// ---------------------------------------------------------------------------------------------

#[test]
fn callbacks_example_trace() {
    let lp = EventLoop::with_virtual_clock();
    lp.set_trace(true);
    let result = callbacks::run(&lp).unwrap();
    assert_eq!(result, "Done after 2s");
    let trace = lp.take_trace();
    let events = trace.events();
    // The extra-argument callback and the bare future's callback each ran exactly once.
    assert_eq!(runs(events, "run::{closure}"), 1);
    assert_eq!(runs(events, "on_done"), 1);
    snapshot("ch05_callbacks", &trace.to_string());
}

#[test]
fn await_future_example_trace() {
    let lp = EventLoop::with_virtual_clock();
    lp.set_trace(true);
    assert_eq!(await_future::run(&lp).unwrap(), 42);
    let trace = lp.take_trace();
    let events = trace.events();
    assert_eq!(
        awaits(events),
        [
            ("Task-1".to_string(), "Future-1".to_string()),
            ("Task-2".to_string(), "Future-1".to_string()),
        ]
    );
    for task in ["Task-1", "Task-2"] {
        assert_eq!(
            runs(events, &format!("{task}.step")),
            1,
            "{task} steps once"
        );
        assert_eq!(
            runs(events, &format!("{task}.wakeup")),
            1,
            "{task} wakes once"
        );
    }
    assert!(
        lp.all_tasks().is_empty(),
        "both tasks finished in the last tick"
    );
    snapshot("ch05_await_future", &trace.to_string());
}

#[test]
fn the_example_programs_run() {
    callbacks::main();
    await_future::main();
}

// ---------------------------------------------------------------------------------------------
// Done-callbacks
// ---------------------------------------------------------------------------------------------

#[test]
fn done_callbacks_are_scheduled_with_call_soon_never_called_inline() {
    let lp = EventLoop::new();
    let fut = lp.create_future::<u32>();
    let calls = counter();
    fut.add_done_callback(bump(&calls));
    let checked = counter();
    let (setter, seen, after) = (fut.clone(), calls.clone(), checked.clone());
    lp.call_soon(move |_| {
        setter.set_result(7).unwrap();
        assert_eq!(seen.get(), 0, "set_result called the callback inline");
        after.set(after.get() + 1);
    });
    lp.run_once().unwrap(); // tick 1: set_result schedules the callback
    assert_eq!(checked.get(), 1);
    assert_eq!(calls.get(), 0, "the callback waits for the next tick");
    lp.run_once().unwrap(); // tick 2: the callback runs
    assert_eq!(calls.get(), 1);
    // Nothing else was scheduled: an idle loop with no timers reports a stall.
    assert!(matches!(lp.run_once(), Err(Error::Stalled(_))));
    assert_eq!(calls.get(), 1);
}

#[test]
fn set_result_outside_the_loop_only_schedules_too() {
    let lp = EventLoop::new();
    let fut = lp.create_future::<u32>();
    let calls = counter();
    fut.add_done_callback(bump(&calls));
    fut.set_result(1).unwrap();
    assert_eq!(calls.get(), 0);
    lp.run_once().unwrap();
    assert_eq!(calls.get(), 1);
}

#[test]
fn callbacks_run_in_the_order_they_were_added_task_wakeups_included() {
    let lp = EventLoop::new();
    let fut = lp.create_future::<u32>();
    let log = journal();
    fut.add_done_callback(note(&log, "first"));
    let (awaited, task_log) = (fut.clone(), log.clone());
    lp.create_task(async move {
        let value = awaited.await?;
        task_log.borrow_mut().push(format!("task got {value}"));
        Ok(())
    });
    lp.run_once().unwrap(); // the task awaits: its wakeup is the second callback
    fut.add_done_callback(note(&log, "third"));
    fut.add_done_callback(note(&log, "fourth"));
    fut.set_result(5).unwrap();
    assert!(log.borrow().is_empty());
    lp.run_once().unwrap(); // one tick runs them all, in order
    assert_eq!(*log.borrow(), ["first", "task got 5", "third", "fourth"]);
}

#[test]
fn a_callback_added_to_a_done_future_is_scheduled_at_once_and_runs_next_tick() {
    let lp = EventLoop::new();
    lp.set_trace(true);
    let fut = lp.create_future::<u32>();
    fut.set_result(3).unwrap();
    let calls = counter();
    fut.add_done_callback(bump(&calls));
    assert_eq!(calls.get(), 0, "not called inline either");
    let scheduled = lp
        .take_trace()
        .events()
        .iter()
        .filter(|e| matches!(e, Event::CallSoon(_)))
        .count();
    assert_eq!(
        scheduled, 1,
        "add_done_callback on a done future calls call_soon"
    );
    lp.run_once().unwrap();
    assert_eq!(calls.get(), 1);
}

#[test]
fn a_panicking_callback_is_reported_and_the_next_one_still_runs() {
    let lp = EventLoop::new();
    let reports = collect_reports(&lp);
    let fut = lp.create_future::<u32>();
    let after = counter();
    fut.add_done_callback(|_| panic!("callback failed"));
    fut.add_done_callback(bump(&after));
    fut.set_result(1).unwrap();
    lp.run_once().unwrap();
    assert_eq!(after.get(), 1, "the second callback ran in the same tick");
    assert_eq!(reports.borrow().len(), 1);
    assert!(
        reports.borrow()[0].contains("panicked: callback failed"),
        "{:?}",
        reports.borrow()
    );
}

#[test]
fn the_callback_receives_the_future_it_was_added_to() {
    // The seed: "创建的task和这里的future对象，实际上是同一个对象".
    let lp = EventLoop::new();
    let task = lp.create_task(async { Ok(String::from("Done")) });
    let seen = journal();
    let log = seen.clone();
    task.add_done_callback(move |future| {
        log.borrow_mut()
            .push(format!("{} {:?}", future.label(), future.result()));
    });
    lp.run_until_complete(task.clone()).unwrap();
    assert_eq!(*seen.borrow(), [format!("{} Ok(\"Done\")", task.name())]);
}

#[test]
fn remove_done_callback_returns_true_once_and_the_removed_callback_never_runs() {
    let lp = EventLoop::new();
    let fut = lp.create_future::<u32>();
    let (removed, kept) = (counter(), counter());
    let id = fut.add_done_callback(bump(&removed));
    let kept_id = fut.add_done_callback(bump(&kept));
    assert!(fut.remove_done_callback(id));
    assert!(!fut.remove_done_callback(id), "already removed");
    fut.set_result(1).unwrap();
    assert!(
        !fut.remove_done_callback(kept_id),
        "once done, the callbacks are already scheduled"
    );
    lp.run_once().unwrap();
    assert_eq!(removed.get(), 0);
    assert_eq!(kept.get(), 1);
}

#[test]
fn remove_done_callback_ignores_an_id_from_another_future() {
    let lp = EventLoop::new();
    let a = lp.create_future::<u32>();
    let b = lp.create_future::<u32>();
    let calls = counter();
    let id_from_a = a.add_done_callback(|_| {});
    b.add_done_callback(bump(&calls));
    assert!(
        !b.remove_done_callback(id_from_a),
        "b never handed out this id"
    );
    b.set_result(1).unwrap();
    lp.run_once().unwrap();
    assert_eq!(calls.get(), 1, "b's own callback must still run");
}

// ---------------------------------------------------------------------------------------------
// Setting the outcome once; misuse
// ---------------------------------------------------------------------------------------------

#[test]
fn set_result_twice_is_invalid_state_and_keeps_the_first_value() {
    let lp = EventLoop::new();
    let fut = lp.create_future::<u32>();
    let calls = counter();
    fut.add_done_callback(bump(&calls));
    fut.set_result(1).unwrap();
    let message = invalid_state_message(fut.set_result(2));
    assert!(
        message.contains("set_result on Future-1 which is already done"),
        "{message}"
    );
    assert_eq!(fut.result().unwrap(), 1);
    lp.run_once().unwrap();
    assert_eq!(calls.get(), 1, "the callbacks were scheduled once");
}

#[test]
fn set_exception_after_cancel_is_invalid_state() {
    let lp = EventLoop::new();
    let fut = lp.create_future::<u32>();
    assert!(fut.cancel());
    let message = invalid_state_message(fut.set_exception(Error::msg("late")));
    assert!(
        message.starts_with("set_exception on Future-1 which is already done"),
        "{message}"
    );
    invalid_state_message(fut.set_result(1));
    assert!(fut.cancelled());
}

#[test]
fn cancel_returns_false_once_the_future_is_done() {
    let lp = EventLoop::new();
    let finished = lp.create_future::<u32>();
    finished.set_result(1).unwrap();
    assert!(!finished.cancel(), "a finished future cannot be cancelled");
    assert!(!finished.cancelled());
    assert_eq!(finished.result().unwrap(), 1);

    let cancelled = lp.create_future::<u32>();
    let calls = counter();
    cancelled.add_done_callback(bump(&calls));
    assert!(cancelled.cancel());
    assert!(!cancelled.cancel(), "a second cancel changes nothing");
    assert!(!cancelled.cancel_with("again"));
    assert!(cancelled.done() && cancelled.cancelled());
    lp.run_once().unwrap();
    assert_eq!(calls.get(), 1);
    assert!(matches!(cancelled.result(), Err(Error::Cancelled(None))));
}

#[test]
fn cancel_with_a_message_reaches_every_awaiter() {
    let lp = EventLoop::new();
    let fut = lp.create_future::<u32>();
    let tasks: Vec<_> = (0..2)
        .map(|_| {
            let fut = fut.clone();
            // The task returns what its await gave, so the task itself ends normally.
            lp.create_task(async move { Ok(fut.await) })
        })
        .collect();
    lp.run_once().unwrap(); // both tasks await
    assert!(fut.cancel_with("no answer today"));
    lp.run_once().unwrap(); // both wake up
    for task in &tasks {
        match task.result().unwrap() {
            Err(Error::Cancelled(Some(message))) => assert_eq!(&*message, "no answer today"),
            other => panic!("expected Cancelled with the message, got {other:?}"),
        }
    }
    assert!(matches!(fut.result(), Err(Error::Cancelled(Some(m))) if &*m == "no answer today"));
}

#[test]
fn result_and_exception_while_pending_are_invalid_state() {
    let lp = EventLoop::new();
    let fut = lp.create_future::<u32>();
    let message = invalid_state_message(fut.result());
    assert!(
        message.starts_with("result() on a pending future"),
        "{message}"
    );
    let message = invalid_state_message(fut.exception());
    assert!(
        message.starts_with("exception() on a pending future"),
        "{message}"
    );
}

#[test]
fn exception_of_a_cancelled_future_is_the_cancellation() {
    let lp = EventLoop::new();
    let fut = lp.create_future::<u32>();
    fut.cancel_with("stop");
    assert!(matches!(fut.exception(), Err(Error::Cancelled(Some(m))) if &*m == "stop"));
    let plain = lp.create_future::<u32>();
    plain.cancel();
    assert!(matches!(plain.exception(), Err(Error::Cancelled(None))));
}

#[test]
fn exception_gives_the_error_or_none() {
    let lp = EventLoop::new();
    let failed = lp.create_future::<u32>();
    failed.set_exception(Error::msg("boom")).unwrap();
    assert_eq!(failed.exception().unwrap().unwrap().to_string(), "boom");
    assert_eq!(failed.result().unwrap_err().to_string(), "boom");
    let fine = lp.create_future::<u32>();
    fine.set_result(1).unwrap();
    assert!(fine.exception().unwrap().is_none());
}

#[test]
fn misuse_messages() {
    // The chapter shows this text: each misuse, and what it returns.
    snapshot("ch05_misuse", &misuse::misuse());
}

// ---------------------------------------------------------------------------------------------
// Results are cloned for every reader
// ---------------------------------------------------------------------------------------------

#[test]
fn result_can_be_read_again_and_again() {
    let lp = EventLoop::new();
    let fut = lp.create_future::<String>();
    fut.set_result("twice".to_string()).unwrap();
    for _ in 0..3 {
        assert_eq!(fut.result().unwrap(), "twice");
    }
    assert!(fut.exception().unwrap().is_none());
}

#[test]
fn an_rc_result_is_shared_not_copied() {
    let lp = EventLoop::new();
    let fut = lp.create_future::<Rc<Vec<u8>>>();
    fut.set_result(Rc::new(vec![0; 1 << 20])).unwrap();
    let first = fut.result().unwrap();
    let second = fut.result().unwrap();
    assert!(Rc::ptr_eq(&first, &second), "one megabyte, held once");
    assert_eq!(Rc::strong_count(&first), 3, "the future's copy and ours");
}

#[test]
fn several_awaiters_each_get_the_value_and_wake_exactly_once() {
    let lp = EventLoop::new();
    lp.set_trace(true);
    let fut = lp.create_future::<String>();
    let tasks: Vec<_> = (0..3)
        .map(|_| {
            let fut = fut.clone();
            lp.create_task(async move { fut.await })
        })
        .collect();
    lp.run_once().unwrap(); // all three await
    fut.set_result("shared".to_string()).unwrap();
    lp.run_once().unwrap(); // all three wake and finish
    for task in &tasks {
        assert_eq!(task.result().unwrap(), "shared");
    }
    assert_eq!(
        fut.result().unwrap(),
        "shared",
        "the future keeps its own copy"
    );
    let trace = lp.take_trace();
    let events = trace.events();
    assert_eq!(awaits(events).len(), 3);
    for n in 1..=3 {
        assert_eq!(runs(events, &format!("Task-{n}.step")), 1);
        assert_eq!(runs(events, &format!("Task-{n}.wakeup")), 1);
    }
}

#[test]
fn awaiting_a_done_future_does_not_wait() {
    let lp = EventLoop::new();
    lp.set_trace(true);
    let fut = lp.create_future::<u32>();
    fut.set_result(9).unwrap();
    let awaited = fut.clone();
    let task = lp.create_task(async move { awaited.await });
    lp.run_once().unwrap();
    assert_eq!(task.result().unwrap(), 9, "finished in its first step");
    let trace = lp.take_trace();
    assert!(
        awaits(trace.events()).is_empty(),
        "no wakeup was registered"
    );
}

// ---------------------------------------------------------------------------------------------
// Cancelling a task that awaits a future
// ---------------------------------------------------------------------------------------------

#[test]
fn cancelling_a_task_that_awaits_a_future_cancels_the_future() {
    let lp = EventLoop::new();
    let fut = lp.create_future::<u32>();
    let calls = counter();
    fut.add_done_callback(bump(&calls));
    let awaited = fut.clone();
    let task = lp.create_task(async move { Ok(awaited.await? + 1) });
    let other_awaited = fut.clone();
    let other = lp.create_task(async move { Ok(other_awaited.await) });
    lp.run_once().unwrap(); // both tasks await the future
    assert!(task.cancel());
    assert!(fut.cancelled(), "the awaited future is cancelled at once");
    lp.run_once().unwrap();
    assert!(
        task.done() && task.cancelled(),
        "`?` propagated the cancellation"
    );
    assert!(matches!(task.result(), Err(Error::Cancelled(None))));
    // As in asyncio, a future shared by two tasks is cancelled for both.
    assert!(matches!(
        other.result().unwrap(),
        Err(Error::Cancelled(None))
    ));
    assert_eq!(calls.get(), 1);
    assert!(!task.cancel(), "a done task cannot be cancelled again");
}

#[test]
fn cancelling_a_tasks_future_cancels_the_task() {
    // In asyncio the task *is* the future, so `fut.cancel()` on it is `Task.cancel()`.
    let lp = EventLoop::new();
    let gate = lp.create_future::<u32>();
    let awaited = gate.clone();
    let task = lp.create_task(async move { awaited.await });
    lp.run_once().unwrap(); // the task awaits the gate
    assert!(task.future().cancel());
    assert!(
        gate.cancelled(),
        "the task's cancellation reaches what it awaits"
    );
    lp.run_once().unwrap();
    assert!(task.cancelled());
    assert!(
        lp.all_tasks().is_empty(),
        "a cancelled task leaves the loop"
    );
}

#[test]
fn only_the_task_sets_its_own_result() {
    let lp = EventLoop::new();
    let task = lp.create_task(async { Ok(2) });
    assert!(
        task.future().set_result(5).is_err(),
        "refused, as in asyncio"
    );
    assert!(task.future().set_exception(Error::msg("x")).is_err());
    lp.run_once().unwrap();
    assert_eq!(task.result().unwrap(), 2, "the coroutine ran and decided");
    assert!(lp.all_tasks().is_empty());
}

// ---------------------------------------------------------------------------------------------
// Exceptions nobody retrieved
// ---------------------------------------------------------------------------------------------

#[test]
fn an_exception_never_retrieved_is_reported_once_when_the_future_is_dropped() {
    let lp = EventLoop::new();
    let reports = collect_reports(&lp);
    let fut = lp.create_future::<u32>();
    let clone = fut.clone();
    fut.set_exception(Error::msg("boom")).unwrap();
    drop(fut);
    assert!(
        reports.borrow().is_empty(),
        "a clone still holds the future"
    );
    drop(clone);
    assert_eq!(reports.borrow().len(), 1);
    assert_eq!(
        reports.borrow()[0],
        "Future exception was never retrieved\nexception: boom\nfuture: Future-1"
    );
    // The chapter shows what `cargo run --example ch05_misuse` reports.
    snapshot("ch05_never_retrieved", &misuse::never_retrieved());
}

#[test]
fn a_task_exception_never_retrieved_says_task() {
    let lp = EventLoop::new();
    let reports = collect_reports(&lp);
    drop(lp.create_task(async { Err::<u32, _>(Error::msg("lost")) }));
    lp.run_once().unwrap(); // the task fails; the loop frees it
    assert_eq!(
        *reports.borrow(),
        ["Task exception was never retrieved\nexception: lost\nfuture: Task-1"]
    );
}

/// Runs `retrieve` on a future that failed, drops it, and returns what was reported.
fn reports_after(retrieve: impl FnOnce(&EventLoop, &Future<u32>)) -> Vec<String> {
    let lp = EventLoop::new();
    let reports = collect_reports(&lp);
    let fut = lp.create_future::<u32>();
    retrieve(&lp, &fut);
    drop(fut);
    let reports = reports.borrow().clone();
    reports
}

#[test]
fn a_retrieved_exception_is_not_reported() {
    let fail = |fut: &Future<u32>| fut.set_exception(Error::msg("boom")).unwrap();
    // Nobody looks: reported (the control case).
    assert_eq!(reports_after(|_, fut| fail(fut)).len(), 1);
    // result()
    let none = reports_after(|_, fut| {
        fail(fut);
        assert!(fut.result().is_err());
    });
    assert_eq!(none, Vec::<String>::new());
    // exception()
    let none = reports_after(|_, fut| {
        fail(fut);
        assert!(fut.exception().unwrap().is_some());
    });
    assert_eq!(none, Vec::<String>::new());
    // exception() in a done-callback
    let none = reports_after(|lp, fut| {
        fut.add_done_callback(|fut| assert!(fut.exception().unwrap().is_some()));
        fail(fut);
        lp.run_once().unwrap();
    });
    assert_eq!(none, Vec::<String>::new());
    // await
    let none = reports_after(|lp, fut| {
        let awaited = fut.clone();
        let task = lp.create_task(async move { Ok(awaited.await.is_err()) });
        lp.run_once().unwrap();
        fail(fut);
        lp.run_once().unwrap();
        assert!(task.result().unwrap(), "the task saw the error");
    });
    assert_eq!(none, Vec::<String>::new());
}

#[test]
fn a_task_cancelled_after_its_future_failed_still_retrieves_the_exception() {
    let lp = EventLoop::new();
    let reports = collect_reports(&lp);
    let fut = lp.create_future::<u32>();
    let awaited = fut.clone();
    let task = lp.create_task(async move { awaited.await });
    lp.run_once().unwrap(); // the task awaits
    fut.set_exception(Error::msg("boom")).unwrap(); // schedules Task-1.wakeup
    assert!(task.cancel(), "cancelled before the wakeup runs");
    lp.run_once().unwrap(); // the wakeup delivers the cancellation
    assert!(task.cancelled());
    drop(fut);
    assert_eq!(
        *reports.borrow(),
        Vec::<String>::new(),
        "the task's wakeup retrieved the exception"
    );
}

#[test]
fn results_and_cancellations_are_never_reported() {
    assert!(reports_after(|_, fut| fut.set_result(1).unwrap()).is_empty());
    assert!(reports_after(|_, fut| assert!(fut.cancel())).is_empty());
    assert!(reports_after(|_, _| {}).is_empty(), "still pending");
}

// ---------------------------------------------------------------------------------------------
// get_loop and state
// ---------------------------------------------------------------------------------------------

#[test]
fn get_loop_returns_the_loop_the_future_belongs_to() {
    let lp = EventLoop::new();
    let other = EventLoop::new();
    let fut = lp.create_future::<u32>();
    let calls = Rc::new(Cell::new(0));
    let ran = calls.clone();
    fut.get_loop().call_soon(move |_| ran.set(ran.get() + 1));
    assert!(
        matches!(other.run_once(), Err(Error::Stalled(_))),
        "not scheduled on another loop"
    );
    lp.run_once().unwrap();
    assert_eq!(calls.get(), 1, "scheduled through get_loop, run by lp");
}

#[test]
#[should_panic(expected = "the future's event loop was dropped")]
fn get_loop_after_the_loop_was_dropped_panics_with_advice() {
    let fut = EventLoop::new().create_future::<u32>();
    fut.get_loop();
}

#[test]
fn state_is_a_snapshot() {
    let lp = EventLoop::new();
    let fut = lp.create_future::<u32>();
    let before = fut.state();
    fut.set_result(7).unwrap();
    assert!(
        matches!(before, FutureState::Pending),
        "taken before set_result"
    );
    assert!(matches!(fut.state(), FutureState::Finished(Ok(7))));

    let failed = lp.create_future::<u32>();
    failed.set_exception(Error::msg("boom")).unwrap();
    assert!(matches!(
        failed.state(),
        FutureState::Finished(Err(Error::Other(_)))
    ));
    failed.exception().unwrap(); // retrieved: no report when dropped

    let cancelled = lp.create_future::<u32>();
    cancelled.cancel_with("bye");
    assert!(matches!(cancelled.state(), FutureState::Cancelled(Some(m)) if &*m == "bye"));
    assert!(cancelled.done() && cancelled.cancelled());
    assert!(fut.done() && !fut.cancelled());
}
