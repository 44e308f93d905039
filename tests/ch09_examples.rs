//! Chapter 9, "A thread pool from scratch": what each example prints, pinned.
//!
//! The chapter shows these snapshots as the examples' output, so they must be the same on
//! every run. Two things make them so:
//!
//! - Each example module is compiled into this test with `#[path]`, after a `println!` macro
//!   that shadows std's: it appends the line to a buffer of the calling thread instead of
//!   writing to stdout. The examples print only from the thread that runs `main` (their
//!   done-callbacks run there too, since it is main that completes those futures), so each
//!   test reads back exactly its example's output, while the tests run in parallel.
//! - The examples print only what does not depend on timing: results, and states at moments
//!   the example pins down with channels and barriers (a job that told main it has started is
//!   running; a job held at a barrier until main has printed is not done yet, and keeps its
//!   worker busy). Sleeps make the jobs look like the seeds', and never decide what is printed,
//!   save in one place: `as_completed` yields five jobs in the order their threads finish, and
//!   on a busy machine a thread that starts or wakes late finishes late. Its snapshot holds the
//!   results in the order of their sleeps, which is what an idle machine prints;
//!   `tests/ch09_wait.rs` pins the order `as_completed` yields in, with futures completed one
//!   after another.
//!   Times go to stderr, which is not pinned.

#[macro_use]
mod capture;

use capture::output_of;

#[path = "../examples/ch09_as_completed.rs"]
mod ch09_as_completed;
#[path = "../examples/ch09_cancel.rs"]
mod ch09_cancel;
#[path = "../examples/ch09_count.rs"]
mod ch09_count;
#[path = "../examples/ch09_deadlock.rs"]
mod ch09_deadlock;
#[path = "../examples/ch09_exceptions.rs"]
mod ch09_exceptions;
#[path = "../examples/ch09_future_callback.rs"]
mod ch09_future_callback;
#[path = "../examples/ch09_hundred_jobs.rs"]
mod ch09_hundred_jobs;
#[path = "../examples/ch09_map.rs"]
mod ch09_map;
#[path = "../examples/ch09_several.rs"]
mod ch09_several;
#[path = "../examples/ch09_shutdown.rs"]
mod ch09_shutdown;
#[path = "../examples/ch09_submit.rs"]
mod ch09_submit;
#[path = "../examples/ch09_wait.rs"]
mod ch09_wait;

fn snapshot(name: &str, main: fn()) {
    pin(name, &output_of(main));
}

fn pin(name: &str, output: &str) {
    insta::with_settings!({omit_expression => true, prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!(name, output);
    });
}

#[test]
fn future_callback() {
    snapshot("ch09_future_callback", ch09_future_callback::main);
}

#[test]
fn submit() {
    snapshot("ch09_submit", ch09_submit::main);
}

#[test]
fn several() {
    snapshot("ch09_several", ch09_several::main);
}

#[test]
fn map() {
    snapshot("ch09_map", ch09_map::main);
}

/// The results, each once, in the order of the sleep each line names ("sleep 0.3s").
#[test]
fn as_completed() {
    let output = output_of(ch09_as_completed::main);
    let mut lines: Vec<&str> = output.lines().collect();
    lines.sort_by_key(|line| line.rsplit_once("sleep ").map(|(_, sleep)| sleep));
    pin("ch09_as_completed", &(lines.join("\n") + "\n"));
}

#[test]
fn cancel() {
    snapshot("ch09_cancel", ch09_cancel::main);
}

#[test]
fn exceptions() {
    snapshot("ch09_exceptions", ch09_exceptions::main);
}

#[test]
fn wait() {
    snapshot("ch09_wait", ch09_wait::main);
}

#[test]
fn shutdown() {
    snapshot("ch09_shutdown", ch09_shutdown::main);
}

#[test]
fn hundred_jobs() {
    snapshot("ch09_hundred_jobs", ch09_hundred_jobs::main);
}

#[test]
fn count() {
    snapshot("ch09_count", ch09_count::main);
}

#[test]
fn deadlock() {
    snapshot("ch09_deadlock", ch09_deadlock::main);
}
