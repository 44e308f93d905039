//! The tour: every chapter's example, in the book's order, each under a heading.
//!
//! `cargo run --example tour` runs them all. Each example is also an ordinary program of its
//! own (`cargo run --example ch03_ready_deque`); the tour pulls their source in with `#[path]`
//! so that there is exactly one copy of each.

#[path = "ch01_count.rs"]
mod ch01_count;
#[path = "ch01_downloads.rs"]
mod ch01_downloads;
#[path = "ch02_coroutines.rs"]
mod ch02_coroutines;
#[path = "ch03_ready_deque.rs"]
mod ch03_ready_deque;
#[path = "ch04_time.rs"]
mod ch04_time;
#[path = "ch05_await_future.rs"]
mod ch05_await_future;
#[path = "ch05_callbacks.rs"]
mod ch05_callbacks;
#[path = "ch06_cancel.rs"]
mod ch06_cancel;
#[path = "ch06_nested.rs"]
mod ch06_nested;
#[path = "ch06_say_after.rs"]
mod ch06_say_after;

/// (chapter heading, example name, the example's `main`)
const STOPS: &[(&str, &str, fn())] = &[
    (
        "Chapter 1: Why an event loop",
        "ch01_count",
        ch01_count::main,
    ),
    (
        "Chapter 1: Why an event loop",
        "ch01_downloads",
        ch01_downloads::main,
    ),
    (
        "Chapter 2: Coroutines by hand",
        "ch02_coroutines",
        ch02_coroutines::main,
    ),
    (
        "Chapter 3: The ready deque",
        "ch03_ready_deque",
        ch03_ready_deque::main,
    ),
    ("Chapter 4: Time", "ch04_time", ch04_time::main),
    ("Chapter 5: Futures", "ch05_callbacks", ch05_callbacks::main),
    (
        "Chapter 5: Futures",
        "ch05_await_future",
        ch05_await_future::main,
    ),
    ("Chapter 6: Tasks", "ch06_nested", ch06_nested::main),
    ("Chapter 6: Tasks", "ch06_say_after", ch06_say_after::main),
    ("Chapter 6: Tasks", "ch06_cancel", ch06_cancel::main),
];

fn main() {
    for (heading, name, run) in STOPS {
        let rule = "=".repeat(heading.len().max(name.len() + 24));
        println!("{rule}\n{heading}\n(cargo run --example {name})\n{rule}\n");
        run();
        println!();
    }
}
