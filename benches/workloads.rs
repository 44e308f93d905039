//! The benchmark workloads of the book's "Performance" chapter, for steploop.
//!
//! `cargo bench --bench workloads` runs them all; `cargo bench --bench workloads -- --only NAME`
//! runs one. Each prints one JSON line on standard output:
//! `{"workload": NAME, "impl": "steploop", "n": N, "seconds": S, "per_op_ns": X}`.
//! Time is measured inside the process, around the workload only.

use std::cell::Cell;
use std::time::{Duration, Instant};

use steploop::EventLoop;

/// A workload: its name and the function that runs it, returning (n, elapsed).
type Workload = (&'static str, fn() -> (u64, Duration));

const WORKLOADS: &[Workload] = &[
    ("callbacks_chain", callbacks_chain),
    ("callbacks_batch", callbacks_batch),
    ("timers", timers),
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1));
    if let Some(name) = only {
        if !WORKLOADS.iter().any(|(n, _)| n == name) {
            let names: Vec<_> = WORKLOADS.iter().map(|(n, _)| *n).collect();
            eprintln!(
                "no workload named {name:?}; the workloads are: {}",
                names.join(", ")
            );
            std::process::exit(2);
        }
    }
    for (name, run) in WORKLOADS {
        if only.is_some_and(|o| o != name) {
            continue;
        }
        let (n, elapsed) = run();
        println!(
            "{{\"workload\": \"{name}\", \"impl\": \"steploop\", \"n\": {n}, \"seconds\": {:.6}, \"per_op_ns\": {:.1}}}",
            elapsed.as_secs_f64(),
            elapsed.as_nanos() as f64 / n as f64
        );
    }
}

/// One callback at a time: each `call_soon`s the next.
fn callbacks_chain() -> (u64, Duration) {
    const N: u64 = 1_000_000;
    fn link(lp: &EventLoop, left: u64) {
        if left == 0 {
            lp.stop();
        } else {
            lp.call_soon(move |lp| link(lp, left - 1));
        }
    }
    let lp = EventLoop::new();
    let start = Instant::now();
    lp.call_soon(|lp| link(lp, N - 1));
    lp.run_forever().unwrap();
    (N, start.elapsed())
}

thread_local! {
    static COUNT: Cell<u64> = const { Cell::new(0) };
}

/// `call_soon` N callbacks up front, then run the loop until all have run.
fn callbacks_batch() -> (u64, Duration) {
    const N: u64 = 1_000_000;
    COUNT.with(|c| c.set(0));
    let lp = EventLoop::new();
    let start = Instant::now();
    for _ in 0..N {
        lp.call_soon(|lp| {
            let count = COUNT.with(|c| c.get() + 1);
            COUNT.with(|c| c.set(count));
            if count == N {
                lp.stop();
            }
        });
    }
    lp.run_forever().unwrap();
    let elapsed = start.elapsed();
    assert_eq!(COUNT.with(|c| c.get()), N);
    (N, elapsed)
}

/// `call_later` N timers with delays a seeded shuffle of [0, 10 ms); cancel every second one;
/// run until the last live timer fires.
fn timers() -> (u64, Duration) {
    const N: u64 = 200_000;
    let mut delays: Vec<Duration> = (0..N)
        .map(|i| Duration::from_nanos(i * 10_000_000 / N))
        .collect();
    shuffle(&mut delays, 0x5eed);
    COUNT.with(|c| c.set(0));
    let lp = EventLoop::new();
    let start = Instant::now();
    let mut handles = Vec::with_capacity(N as usize);
    for delay in delays {
        handles.push(lp.call_later(delay, |lp| {
            let count = COUNT.with(|c| c.get() + 1);
            COUNT.with(|c| c.set(count));
            if count == N / 2 {
                lp.stop();
            }
        }));
    }
    for handle in handles.iter().step_by(2) {
        handle.cancel();
    }
    lp.run_forever().unwrap();
    let elapsed = start.elapsed();
    assert_eq!(COUNT.with(|c| c.get()), N / 2);
    (N, elapsed)
}

/// Fisher–Yates with a xorshift generator: the same order on every run and every machine.
fn shuffle<T>(items: &mut [T], seed: u64) {
    let mut state = seed;
    for i in (1..items.len()).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        items.swap(i, (state % (i as u64 + 1)) as usize);
    }
}
