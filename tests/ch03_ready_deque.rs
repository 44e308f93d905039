//! Chapter 3: the ready deque — the example's trace, and the rules of a tick.
//!
//! Everything here runs on one thread with no timers, so the order of events is fully
//! determined by the order of `call_soon` calls: the traces are exact.

use std::cell::RefCell;
use std::rc::Rc;

use steploop::{Error, EventLoop, ExceptionContext};

#[path = "../examples/ch03_ready_deque.rs"]
mod example;

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({omit_expression => true, prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!(name, text);
    });
}

#[test]
fn example_trace() {
    let lp = EventLoop::new();
    lp.set_trace(true);
    example::run(&lp);
    snapshot("ch03_ready_deque", &lp.take_trace().to_string());
}

/// A shared log the callbacks append to, so tests can check what ran and in which order.
fn journal() -> Rc<RefCell<Vec<String>>> {
    Rc::new(RefCell::new(Vec::new()))
}

fn note(journal: &Rc<RefCell<Vec<String>>>, entry: impl Into<String>) -> impl Fn(&EventLoop) {
    let journal = journal.clone();
    let entry = entry.into();
    move |_| journal.borrow_mut().push(entry.clone())
}

#[test]
fn handles_run_in_fifo_order() {
    let lp = EventLoop::new();
    let log = journal();
    for i in 0..5 {
        lp.call_soon(note(&log, format!("{i}")));
    }
    lp.run_once().unwrap();
    assert_eq!(*log.borrow(), ["0", "1", "2", "3", "4"]);
}

#[test]
fn handles_scheduled_during_a_tick_run_next_tick() {
    let lp = EventLoop::new();
    let log = journal();
    let inner = log.clone();
    lp.call_soon(move |lp| {
        inner.borrow_mut().push("a".into());
        lp.call_soon(note(&inner, "c"));
    });
    lp.call_soon(note(&log, "b"));
    lp.run_once().unwrap();
    assert_eq!(*log.borrow(), ["a", "b"], "c was scheduled during tick 1");
    lp.run_once().unwrap();
    assert_eq!(*log.borrow(), ["a", "b", "c"]);
}

#[test]
fn a_self_rescheduling_callback_runs_once_per_tick() {
    fn again(lp: &EventLoop, runs: Rc<RefCell<u32>>) {
        *runs.borrow_mut() += 1;
        lp.call_soon(move |lp| again(lp, runs));
    }
    let lp = EventLoop::new();
    let runs = Rc::new(RefCell::new(0));
    let counted = runs.clone();
    lp.call_soon(move |lp| again(lp, counted));
    for tick in 1..=10 {
        lp.run_once().unwrap();
        assert_eq!(*runs.borrow(), tick);
    }
}

#[test]
fn stop_lets_the_current_tick_finish() {
    let lp = EventLoop::new();
    let log = journal();
    let inner = log.clone();
    lp.call_soon(move |lp| {
        lp.stop();
        lp.call_soon(note(&inner, "next tick"));
    });
    lp.call_soon(note(&log, "same tick"));
    lp.run_forever().unwrap();
    assert_eq!(*log.borrow(), ["same tick"]);
    // The loop can run again; the handle scheduled after stop() is still there.
    lp.call_soon(|lp| lp.stop());
    lp.run_forever().unwrap();
    assert_eq!(*log.borrow(), ["same tick", "next tick"]);
}

#[test]
fn stop_before_run_forever_runs_one_tick() {
    let lp = EventLoop::new();
    let log = journal();
    lp.call_soon(note(&log, "ran"));
    lp.stop();
    lp.run_forever().unwrap();
    assert_eq!(*log.borrow(), ["ran"]);
}

#[test]
fn cancelled_handles_are_skipped_and_their_callback_dropped() {
    let lp = EventLoop::new();
    let log = journal();
    let captured = Rc::new(());
    let held = captured.clone();
    let handle = lp.call_soon(move |_| drop(held));
    lp.call_soon(note(&log, "kept"));
    assert_eq!(Rc::strong_count(&captured), 2);
    handle.cancel();
    assert!(handle.cancelled());
    assert_eq!(
        Rc::strong_count(&captured),
        1,
        "cancel drops the closure and what it captured at once"
    );
    lp.set_trace(true);
    lp.run_once().unwrap();
    assert_eq!(*log.borrow(), ["kept"]);
    let trace = lp.take_trace().to_string();
    assert!(trace.contains("(cancelled: skipped)"), "{trace}");
}

#[test]
fn cancelling_after_running_does_nothing() {
    let lp = EventLoop::new();
    let handle = lp.call_soon(|_| {});
    lp.run_once().unwrap();
    handle.cancel();
    assert!(handle.cancelled());
}

#[test]
fn a_panicking_callback_is_reported_and_the_loop_goes_on() {
    let lp = EventLoop::new();
    let reports: Rc<RefCell<Vec<String>>> = journal();
    let seen = reports.clone();
    lp.set_exception_handler(move |_, context: &ExceptionContext| {
        seen.borrow_mut().push(context.to_string());
    });
    let log = journal();
    lp.with_label("boom").call_soon(|_| panic!("kaboom"));
    lp.call_soon(note(&log, "after"));
    lp.set_trace(true);
    lp.run_once().unwrap();
    assert_eq!(*log.borrow(), ["after"]);
    assert_eq!(
        *reports.borrow(),
        ["Exception in callback boom\nexception: panicked: kaboom\nhandle: <Handle boom>"]
    );
    let trace = lp.take_trace().to_string();
    assert!(trace.contains("panicked in boom: \"kaboom\""), "{trace}");
}

#[test]
fn a_panicking_exception_handler_does_not_stop_the_loop() {
    let lp = EventLoop::new();
    lp.set_exception_handler(|_, _| panic!("the handler itself is broken"));
    let log = journal();
    lp.call_soon(|_| panic!("first"));
    lp.call_soon(note(&log, "still runs"));
    lp.run_once().unwrap();
    assert_eq!(*log.borrow(), ["still runs"]);
}

#[test]
fn closing_twice_is_fine() {
    let lp = EventLoop::new();
    lp.close().unwrap();
    assert!(lp.is_closed());
    lp.close().unwrap();
}

#[test]
#[should_panic(expected = "run_forever on a closed event loop")]
fn running_a_closed_loop_panics_as_scheduling_on_it_does() {
    let lp = EventLoop::new();
    lp.close().unwrap();
    let _ = lp.run_forever();
}

#[test]
#[should_panic(expected = "run_once on a closed event loop")]
fn running_one_tick_of_a_closed_loop_panics() {
    let lp = EventLoop::new();
    lp.close().unwrap();
    let _ = lp.run_once();
}

#[test]
#[should_panic(expected = "call_soon on a closed event loop")]
fn call_soon_on_a_closed_loop_panics_with_advice() {
    let lp = EventLoop::new();
    lp.close().unwrap();
    lp.call_soon(|_| {});
}

#[test]
fn close_drops_pending_handles_without_running_them() {
    let lp = EventLoop::new();
    let captured = Rc::new(());
    let held = captured.clone();
    let handle = lp.call_soon(move |_| drop(held));
    lp.close().unwrap();
    assert!(handle.cancelled());
    assert_eq!(Rc::strong_count(&captured), 1);
}

#[test]
fn nested_run_is_an_error() {
    let lp = EventLoop::new();
    let outcome: Rc<RefCell<Option<Result<(), Error>>>> = Rc::default();
    let seen = outcome.clone();
    lp.call_soon(move |lp| {
        *seen.borrow_mut() = Some(lp.run_forever());
        lp.stop();
    });
    lp.run_forever().unwrap();
    assert!(matches!(
        *outcome.borrow(),
        Some(Err(Error::AlreadyRunning))
    ));
}

#[test]
fn running_another_loop_inside_a_callback_is_an_error() {
    let lp = EventLoop::new();
    let outcome: Rc<RefCell<Option<Result<(), Error>>>> = Rc::default();
    let seen = outcome.clone();
    lp.call_soon(move |lp| {
        let other = EventLoop::new();
        other.call_soon(|lp| lp.stop());
        *seen.borrow_mut() = Some(other.run_forever());
        lp.stop();
    });
    lp.run_forever().unwrap();
    let outcome = outcome.borrow();
    let Some(Err(error)) = &*outcome else {
        panic!("expected an error, got {outcome:?}");
    };
    assert!(matches!(error, Error::AlreadyRunning));
    assert!(error.to_string().contains("already running on this thread"));
}

#[test]
fn closing_a_running_loop_is_an_error() {
    let lp = EventLoop::new();
    let outcome: Rc<RefCell<Option<Result<(), Error>>>> = Rc::default();
    let seen = outcome.clone();
    lp.call_soon(move |lp| {
        assert!(lp.is_running());
        *seen.borrow_mut() = Some(lp.close());
        lp.stop();
    });
    lp.run_forever().unwrap();
    assert!(!lp.is_running());
    assert!(!lp.is_closed());
    let outcome = outcome.borrow();
    let Some(Err(Error::Runtime(message))) = &*outcome else {
        panic!("expected Error::Runtime, got {outcome:?}");
    };
    assert!(message.contains("call stop()"), "{message}");
}

#[test]
fn run_forever_with_nothing_to_do_reports_a_stall_instead_of_hanging() {
    let lp = EventLoop::new();
    lp.call_soon(|_| {}); // runs, and then nothing is left and nobody called stop()
    let error = lp.run_forever().unwrap_err();
    assert!(matches!(error, Error::Stalled(_)), "{error:?}");
    assert!(error.to_string().contains("stop()"));
    assert!(!lp.is_running(), "the loop is left stopped and usable");
    lp.call_soon(|lp| lp.stop());
    lp.run_forever().unwrap();
}

#[test]
fn get_running_loop_is_the_loop_running_the_callback() {
    let lp = EventLoop::new();
    assert!(steploop::get_running_loop().is_none());
    let seen = Rc::new(RefCell::new(false));
    let flag = seen.clone();
    lp.call_soon(move |lp| {
        let running = steploop::get_running_loop().expect("inside a callback");
        running.stop(); // the same loop: this stops `lp`
        *flag.borrow_mut() = true;
        assert!(lp.is_running());
    });
    lp.run_forever().unwrap();
    assert!(*seen.borrow());
    assert!(steploop::get_running_loop().is_none());
}

#[test]
fn the_example_program_runs() {
    example::main();
}
