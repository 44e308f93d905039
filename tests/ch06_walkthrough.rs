//! Chapter 6: the seed's task programs, traced tick by tick.
//!
//! Every example runs on a virtual clock and a single thread, so the order of events depends
//! only on the order of `call_soon`s and deadlines: each trace is exact, and pinned.

use std::time::Duration;

use steploop::EventLoop;

#[path = "../examples/ch06_cancel.rs"]
mod cancel;
#[path = "../examples/ch06_nested.rs"]
mod nested;
#[path = "../examples/ch06_say_after.rs"]
mod say_after;

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({omit_expression => true, prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!(name, text);
    });
}

/// Runs `example` on a fresh traced virtual-clock loop; returns the trace and the final time.
fn traced(example: fn(&EventLoop) -> Result<(), steploop::Error>) -> (String, Duration) {
    let lp = EventLoop::with_virtual_clock();
    lp.set_trace(true);
    example(&lp).expect("the example finishes");
    (lp.take_trace().to_string(), lp.time())
}

#[test]
fn hello_world() {
    let (trace, _) = traced(nested::run_hello);
    snapshot("ch06_hello_world", &trace);
}

#[test]
fn nested_coroutines_run_inside_one_task() {
    let (trace, time) = traced(nested::run_nested);
    assert_eq!(time, Duration::from_secs(1));
    assert_eq!(
        trace.matches("create Task-").count(),
        1,
        "compute is not a task"
    );
    snapshot("ch06_nested", &trace);
}

#[test]
fn say_after_with_tasks_finishes_at_two_seconds() {
    let (trace, time) = traced(say_after::run);
    assert_eq!(time, Duration::from_secs(2));
    snapshot("ch06_say_after", &trace);
}

#[test]
fn say_after_awaited_directly_finishes_at_three_seconds() {
    let (trace, time) = traced(say_after::run_sequential);
    assert_eq!(time, Duration::from_secs(3));
    assert_eq!(
        trace.matches("create Task-").count(),
        1,
        "only main is a task"
    );
    snapshot("ch06_say_after_sequential", &trace);
}

#[test]
fn cancelling_every_task() {
    let (trace, time) = traced(cancel::run);
    assert_eq!(
        time,
        Duration::from_millis(1500),
        "nobody waits for the cancelled sleeps"
    );
    snapshot("ch06_cancel", &trace);
}

#[test]
fn the_say_after_timeline_is_drawn_from_the_trace() {
    let svg = say_after::picture();
    assert_eq!(
        svg,
        say_after::picture(),
        "the same trace, the same picture"
    );
    for lane in ["Task-1 main_coro", "Task-2 say_after", "Task-3 say_after"] {
        assert!(
            svg.contains(&format!(">{lane}</text>")),
            "a lane for {lane}"
        );
    }
}

#[test]
fn the_pictures_tick_marks_are_where_its_ticks_are_drawn() {
    // The book's step-through viewer marks a tick on the picture where these say it is.
    let svg = say_after::picture();
    let marks = say_after::picture_marks();
    assert_eq!(marks.len(), 1, "one panel");
    assert_eq!(marks[0].ticks.len(), 9, "nine ticks");
    for (tick, x) in &marks[0].ticks {
        let line = format!("<line x1=\"{x}\" y1=\"{}\" x2=\"{x}\"", marks[0].top);
        let drawn = svg.lines().any(|l| {
            l.starts_with(&line) && l.ends_with(&format!("<title>tick {tick}</title></line>"))
        });
        assert!(drawn, "tick {tick} is drawn at x={x}");
    }
    assert!(svg.contains(&format!(" height=\"{}\"", marks[0].height)));
}

#[test]
fn the_example_programs_run() {
    nested::main();
    say_after::main();
    cancel::main();
}
