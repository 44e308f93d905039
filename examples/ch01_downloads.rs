//! Chapter 1, "Why an event loop": three "downloads" of 1, 2 and 3 seconds, first one after
//! another (the shape blocking code has), then all at once on the event loop.
//!
//! A download here is only a wait: a timer that fires when it is "done". That is the part of
//! real I/O that matters for this chapter, since while a download is in flight the program has
//! nothing to compute, only something to wait for. On the virtual clock the waits take no real
//! time and the times printed are exact. Run it with `cargo run --example ch01_downloads`.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use steploop::{Callback, EventLoop};

/// How long each download takes, in seconds.
pub const DOWNLOADS: [u64; 3] = [1, 2, 3];

// ANCHOR: one_after_another
/// Reports a finished download, with the loop's time.
fn done(lp: &EventLoop, secs: u64) {
    lp.print(format!(
        "t={:.3}  the {secs} s download is done",
        lp.time().as_secs_f64()
    ));
}

/// The blocking shape: `download(1); download(2); download(3)`. Each call returns only when
/// its wait is over, so the next download cannot start before the previous one has finished.
pub fn start_one_after_another(lp: &EventLoop) {
    download_then_next(lp, 0);
}

fn download_then_next(lp: &EventLoop, i: usize) {
    let secs = DOWNLOADS[i];
    lp.with_label(format!("download({secs} s)"))
        .call_later(Duration::from_secs(secs), move |lp| {
            done(lp, secs);
            // Only now, with this download finished, does the next one begin.
            if i + 1 < DOWNLOADS.len() {
                download_then_next(lp, i + 1);
            } else {
                lp.stop();
            }
        });
}
// ANCHOR_END: one_after_another

// ANCHOR: all_at_once
/// The event loop's shape: start every download now, and let the loop call back each one
/// when its wait is over. Nobody waits for anybody, so the waits overlap.
pub fn start_all_at_once(lp: &EventLoop) {
    // Shared by the three callbacks: the one that brings it to zero stops the loop.
    let left = Rc::new(Cell::new(DOWNLOADS.len()));
    for secs in DOWNLOADS {
        let left = Rc::clone(&left);
        lp.with_label(format!("download({secs} s)")).call_later(
            Duration::from_secs(secs),
            move |lp| {
                done(lp, secs);
                left.set(left.get() - 1);
                if left.get() == 0 {
                    lp.stop();
                }
            },
        );
    }
}
// ANCHOR_END: all_at_once

// ANCHOR: run
/// Runs `start` on a fresh loop with a virtual clock and tracing on, until it stops; returns
/// the loop, whose clock and trace tell what happened.
pub fn run(start: impl Callback) -> EventLoop {
    let lp = EventLoop::with_virtual_clock();
    lp.set_trace(true);
    lp.call_soon(start);
    lp.run_forever().expect("the last download stops the loop");
    lp
}
// ANCHOR_END: run

pub fn main() {
    // ANCHOR: main
    println!("One after another, as blocking calls must:");
    let lp = run(start_one_after_another);
    println!("finished at t={:.3}\n", lp.time().as_secs_f64());
    print!("What the loop did:\n{}", lp.take_trace());

    println!("\nAll at once, on the event loop:");
    let lp = run(start_all_at_once);
    println!("finished at t={:.3}\n", lp.time().as_secs_f64());
    print!("What the loop did:\n{}", lp.take_trace());
    // ANCHOR_END: main
}
