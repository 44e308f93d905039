//! Chapter 7: the combinators' example programs, traced tick by tick.
//!
//! Every example runs on a virtual clock and a single thread, so the order of events depends
//! only on the order of `call_soon`s and deadlines: each trace is exact, and pinned. The
//! chapter shows these very snapshots.

use std::time::Duration;

use steploop::{Error, EventLoop, ReturnWhen};

#[path = "../examples/ch07_gather.rs"]
mod gather;
#[path = "../examples/ch07_taskgroup.rs"]
mod taskgroup;
#[path = "../examples/ch07_timeout.rs"]
mod timeout;
#[path = "../examples/ch07_wait.rs"]
mod wait;
#[path = "../examples/ch07_wait_for.rs"]
mod wait_for;

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({omit_expression => true, prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!(name, text);
    });
}

/// Runs `example` on a fresh traced virtual-clock loop; returns the trace and the final time.
fn traced(example: impl FnOnce(&EventLoop) -> Result<(), Error>) -> (String, Duration) {
    let lp = EventLoop::with_virtual_clock();
    lp.set_trace(true);
    example(&lp).expect("the example finishes");
    (lp.take_trace().to_string(), lp.time())
}

/// The lines the program printed, in order.
fn printed(trace: &str) -> Vec<&str> {
    trace
        .lines()
        .filter_map(|line| line.trim_start().strip_prefix("print "))
        .collect()
}

#[test]
fn gather_keeps_argument_order() {
    let (trace, time) = traced(gather::run_gather);
    assert_eq!(time, Duration::from_secs(6));
    assert_eq!(
        printed(&trace),
        [
            r#""gather returned at t=6.000: ["sleep 5s", "sleep 2s", "sleep 4s", "sleep 3s", "sleep 6s"]""#
        ]
    );
    assert_eq!(trace.matches("  gather._done_callback\n").count(), 5);
    snapshot("ch07_gather", &trace);
}

#[test]
fn as_completed_gives_completion_order() {
    let (trace, time) = traced(gather::run_as_completed);
    assert_eq!(time, Duration::from_secs(6));
    assert_eq!(
        printed(&trace),
        [
            r#""sleep 2s at t=2.000""#,
            r#""sleep 3s at t=3.000""#,
            r#""sleep 4s at t=4.000""#,
            r#""sleep 5s at t=5.000""#,
            r#""sleep 6s at t=6.000""#,
        ]
    );
    snapshot("ch07_as_completed", &trace);
}

#[test]
fn wait_first_completed() {
    let (trace, time) = traced(|lp| wait::run(lp, ReturnWhen::FirstCompleted, None));
    assert_eq!(time, Duration::from_secs(3));
    assert_eq!(
        printed(&trace)[0],
        r#""FirstCompleted returned at t=1.000: done [Ok(1)], 2 pending""#
    );
    snapshot("ch07_wait_first_completed", &trace);
}

#[test]
fn wait_first_exception() {
    let (trace, _) = traced(|lp| wait::run(lp, ReturnWhen::FirstException, None));
    assert_eq!(
        printed(&trace)[0],
        r#""FirstException returned at t=2.000: done [Ok(1), Err(job(2) failed)], 1 pending""#
    );
    snapshot("ch07_wait_first_exception", &trace);
}

#[test]
fn wait_all_completed() {
    let (trace, time) = traced(|lp| wait::run(lp, ReturnWhen::AllCompleted, None));
    assert_eq!(time, Duration::from_secs(3));
    snapshot("ch07_wait_all_completed", &trace);
}

#[test]
fn wait_timeout_cancels_nothing() {
    let timeout = Some(Duration::from_millis(1500));
    let (trace, time) = traced(|lp| wait::run(lp, ReturnWhen::AllCompleted, timeout));
    assert_eq!(
        time,
        Duration::from_secs(3),
        "the pending jobs ran to the end"
    );
    assert!(!trace.contains("cancelled"), "nothing was cancelled");
    assert_eq!(
        printed(&trace),
        [
            r#""AllCompleted returned at t=1.500: done [Ok(1)], 2 pending""#,
            r#""the rest at t=3.000: [Err(job(2) failed), Ok(3)]""#,
        ]
    );
    snapshot("ch07_wait_timeout", &trace);
}

#[test]
fn wait_for_waits_for_the_cancellation_to_finish() {
    let (trace, time) = traced(wait_for::run_wait_for);
    assert_eq!(time, Duration::from_millis(1500), "the clean-up took 0.5 s");
    assert_eq!(
        printed(&trace).last(),
        Some(&r#""wait_for returned at t=1.500: Err(timed out)""#)
    );
    snapshot("ch07_wait_for", &trace);
}

#[test]
fn shield_keeps_the_task_running_through_a_timeout() {
    let (trace, time) = traced(wait_for::run_shield);
    assert_eq!(time, Duration::from_secs(2));
    assert!(!trace.contains("cancel Task-2"));
    snapshot("ch07_shield", &trace);
}

#[test]
fn timeout_cancels_the_block_at_the_deadline() {
    let (trace, time) = traced(timeout::run_timeout);
    assert_eq!(time, Duration::from_secs(1));
    assert_eq!(
        printed(&trace),
        [
            r#""the first sleep is over at t=0.400""#,
            r#""timeout returned at t=1.000: Err(timed out)""#,
        ]
    );
    // CPython 3.11, with a loop counting its iterations: 6 ticks, the result in the 5th.
    assert_eq!(trace.matches("\ntick ").count(), 6, "{trace}");
    snapshot("ch07_timeout", &trace);
}

#[test]
fn a_cancel_at_the_deadline_is_not_swallowed_by_the_timeout() {
    let (trace, time) = traced(timeout::run_cancel_at_the_deadline);
    assert_eq!(time, Duration::from_secs(1));
    assert_eq!(
        printed(&trace),
        [
            r#""cancel Task-2 -> true""#,
            r#""worker: Err(cancelled), cancelling() = 1""#,
            r#""the worker ended: Err(cancelled)""#,
        ]
    );
    snapshot("ch07_timeout_and_cancel", &trace);
}

#[test]
fn task_group_cancels_the_rest_at_the_first_failure() {
    let (trace, time) = traced(taskgroup::run);
    assert_eq!(
        time,
        Duration::from_secs(2),
        "c was cancelled, not waited for"
    );
    assert_eq!(
        printed(&trace),
        [
            r#""the group returned at t=2.000: Err(unhandled errors in a TaskGroup (1 sub-exception): b failed)""#,
            r#""a: Ok("a"), b: Some("b failed"), c cancelled: true""#,
        ]
    );
    // CPython 3.11: 12 ticks, the ExceptionGroup caught in the 11th.
    assert_eq!(trace.matches("\ntick ").count(), 12, "{trace}");
    snapshot("ch07_taskgroup", &trace);
}

#[test]
fn the_example_programs_run() {
    gather::main();
    wait::main();
    wait_for::main();
    timeout::main();
    taskgroup::main();
}
