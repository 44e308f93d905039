//! Chapter 1, exercise 1: the three downloads on the real clock. The same program, with the
//! loop made by `EventLoop::new()` and a stopwatch around the run: it now really waits, about
//! 6 s one after another and about 3 s all at once. Run it with
//! `cargo run --example ch01_real_clock`.

#[allow(dead_code)]
#[path = "../ch01_downloads.rs"]
mod ch01_downloads;

use std::time::{Duration, Instant};

use ch01_downloads::{start_all_at_once, start_one_after_another};
use steploop::{Callback, EventLoop};

// ANCHOR: solution
/// `run` on the real clock: the loop made with `EventLoop::new()`, and the run timed.
pub fn run_real(start: impl Callback) -> (EventLoop, Duration) {
    let lp = EventLoop::new();
    lp.set_trace(true);
    lp.call_soon(start);
    let began = Instant::now();
    lp.run_forever().expect("the last download stops the loop");
    (lp, began.elapsed())
}
// ANCHOR_END: solution

fn main() {
    let (lp, took) = run_real(start_one_after_another);
    println!(
        "One after another: {:.3} s by the stopwatch",
        took.as_secs_f64()
    );
    print!("What the loop did:\n{}\n", lp.take_trace());
    let (lp, took) = run_real(start_all_at_once);
    println!("All at once: {:.3} s by the stopwatch", took.as_secs_f64());
    print!("What the loop did:\n{}", lp.take_trace());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The number of ticks in a trace's text.
    fn ticks(trace: &str) -> usize {
        trace.lines().filter(|l| l.starts_with("tick ")).count()
    }

    fn check(start: fn(&EventLoop), at_least: Duration) {
        let (lp, took) = run_real(start);
        // Real waits never end early: the loop sleeps at least until each deadline.
        assert!(took >= at_least, "took {took:?}");
        assert!(
            lp.time() >= at_least,
            "the loop's clock says {:?}",
            lp.time()
        );
        // The same ticks as on the virtual clock; only the times in them differ.
        let virtual_run = ch01_downloads::run(start);
        assert_eq!(
            ticks(&lp.take_trace().to_string()),
            ticks(&virtual_run.take_trace().to_string())
        );
    }

    #[test]
    fn one_after_another_really_waits_six_seconds() {
        check(start_one_after_another, Duration::from_secs(6));
    }

    #[test]
    fn all_at_once_really_waits_three_seconds() {
        check(start_all_at_once, Duration::from_secs(3));
    }
}
