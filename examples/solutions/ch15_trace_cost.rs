//! Chapter 15, exercise 2: what recording costs. The chain of callbacks of `callbacks_chain`,
//! with the trace off and on. Run it with `cargo run --release --example ch15_trace_cost`.

use std::time::{Duration, Instant};

use steploop::EventLoop;

fn link(lp: &EventLoop, left: u64) {
    if left == 0 {
        lp.stop();
    } else {
        lp.call_soon(move |lp| link(lp, left - 1));
    }
}

// ANCHOR: solution
/// A chain of `n` callbacks, with the trace on or off; returns the time and the loop, whose
/// trace holds what was recorded.
pub fn chain(n: u64, trace: bool) -> (Duration, EventLoop) {
    let lp = EventLoop::new();
    lp.set_trace(trace);
    let start = Instant::now();
    lp.call_soon(move |lp| link(lp, n - 1));
    lp.run_forever().expect("the last link stops the loop");
    (start.elapsed(), lp)
}
// ANCHOR_END: solution

fn main() {
    const N: u64 = 100_000;
    let per_op = |took: Duration| took.as_secs_f64() * 1e9 / N as f64;
    let best = |trace: bool| (0..5).map(|_| chain(N, trace).0).min().unwrap();
    let off = best(false);
    let on = best(true);
    println!("{N} callbacks, trace off: {:.1} ns each", per_op(off));
    println!("{N} callbacks, trace on:  {:.1} ns each", per_op(on));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trace_records_every_tick_only_when_on() {
        let (_, lp) = chain(50, true);
        let text = lp.take_trace().to_string();
        assert_eq!(text.lines().filter(|l| l.starts_with("tick ")).count(), 50);
        let (_, lp) = chain(50, false);
        assert_eq!(
            lp.take_trace()
                .to_string()
                .lines()
                .filter(|l| l.starts_with("tick "))
                .count(),
            0
        );
    }
}
