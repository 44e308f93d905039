//! Chapter 10: seed 000's `step1` — the Python documentation's `run_in_executor` example. A
//! blocking read goes to the loop's default executor, a CPU-bound sum to a pool of our own;
//! the coroutine awaits each as it would await any future. Run it with
//! `cargo run --example ch10_step1`.
//!
//! The loop runs on a virtual clock with tracing on. Only one job is in flight at a time, and
//! nothing else is ready meanwhile, so the trace is the same on every run.

use std::io::Read;

use steploop::{get_running_loop, run_with, Error, EventLoop, ThreadPoolExecutor};

// ANCHOR: jobs
/// File operations such as logging can block the event loop: run them in a thread pool.
fn blocking_io() -> usize {
    let mut buffer = [0; 100];
    match std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut buffer)) {
        Ok(()) => buffer.len(),
        Err(_) => 0,
    }
}

/// CPU-bound operations block the event loop too: run them in a pool of their own.
/// (Python sums up to 10**7; the sum of squares below 10**6 is what fits in a `u64`.)
fn cpu_bound() -> u64 {
    (0..1_000_000_u64).map(|i| i * i).sum()
}
// ANCHOR_END: jobs

// ANCHOR: main_coro
async fn main_coro() -> Result<(), Error> {
    let lp = get_running_loop().expect("runs on the loop");

    // 1. Run in the loop's default executor:
    let read = lp.run_in_executor(None, blocking_io).await?;
    lp.print(format!("default thread pool: read {read} bytes"));

    // 2. Run in a custom thread pool, dropped (shut down) at the end of the block:
    {
        let pool = ThreadPoolExecutor::new(1);
        let sum = lp.run_in_executor(Some(&pool), cpu_bound).await?;
        lp.print(format!("custom thread pool: {sum}"));
    }
    Ok(())
}
// ANCHOR_END: main_coro

/// Runs `main_coro` as `asyncio.run` would, on a traced virtual-clock loop, and returns it.
pub fn run() -> EventLoop {
    let lp = EventLoop::with_virtual_clock();
    lp.set_trace(true);
    run_with(&lp, main_coro()).expect("both jobs succeed");
    lp
}

pub fn main() {
    let lp = run();
    if std::env::args().any(|a| a == "--trace") {
        print!("{}", lp.take_trace());
    }
}
