//! Chapter 15, exercise 1: `callbacks_chain` the way the tokio peer has to write it — every
//! link a task that creates the next — next to the chain of callbacks, on the same loop. Run it
//! with `cargo run --release --example ch15_task_chain`.

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use steploop::EventLoop;

/// The workload's chain: each callback `call_soon`s the next; the last stops the loop.
fn callback_link(lp: &EventLoop, left: u64) {
    if left == 0 {
        lp.stop();
    } else {
        lp.call_soon(move |lp| callback_link(lp, left - 1));
    }
}

// ANCHOR: solution
/// The same chain of tasks: each task creates the next one and returns. `ran` counts the
/// links that ran.
fn task_link(lp: &EventLoop, left: u64, ran: Rc<Cell<u64>>) {
    ran.set(ran.get() + 1);
    if left == 0 {
        lp.stop();
        return;
    }
    let next = lp.clone();
    // The task is not awaited: it is done by the time anybody could look, and dropping the
    // handle of a finished task reports nothing.
    lp.create_task(async move {
        task_link(&next, left - 1, ran);
        Ok(())
    });
}

/// Runs a chain of `n` tasks; returns how long it took and how many links ran.
pub fn tasks(n: u64) -> (Duration, u64) {
    let lp = EventLoop::new();
    let ran = Rc::new(Cell::new(0));
    let start = Instant::now();
    let counter = ran.clone();
    lp.call_soon(move |lp| task_link(lp, n - 1, counter));
    lp.run_forever().expect("the last link stops the loop");
    (start.elapsed(), ran.get())
}
// ANCHOR_END: solution

/// Runs a chain of `n` callbacks; returns how long it took.
pub fn callbacks(n: u64) -> Duration {
    let lp = EventLoop::new();
    let start = Instant::now();
    lp.call_soon(move |lp| callback_link(lp, n - 1));
    lp.run_forever().expect("the last link stops the loop");
    start.elapsed()
}

fn main() {
    const N: u64 = 1_000_000;
    let per_op = |took: Duration| took.as_secs_f64() * 1e9 / N as f64;
    // The fastest of five runs of each, as bench/compare takes a median of several.
    let best = |run: &dyn Fn() -> Duration| (0..5).map(|_| run()).min().unwrap();
    let callbacks = best(&|| callbacks(N));
    let tasks = best(&|| tasks(N).0);
    println!(
        "a chain of {N} callbacks: {:.1} ns per link",
        per_op(callbacks)
    );
    println!("a chain of {N} tasks:     {:.1} ns per link", per_op(tasks));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_link_runs_once() {
        assert_eq!(tasks(1000).1, 1000);
        assert_eq!(tasks(1).1, 1);
    }
}
