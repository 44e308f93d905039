//! Chapter 12: seed 000's `step1` whole — the Python documentation's `run_in_executor` example
//! with its third part, the process pool, that chapter 10 left out. Run it with
//! `cargo run --example ch12_step1` (add `-- --trace` for the loop's trace).
//!
//! The loop runs on a virtual clock with tracing on. Only one job is in flight at a time, and
//! nothing else is ready meanwhile, so the trace is the same on every run.

use std::io::Read;

use steploop::process::{decode_u64, encode_u64, worker_entry, Job, ProcessPoolExecutor};
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

/// CPU-bound operations block the event loop: in general it is preferable to run them in a
/// process pool. (Python sums up to 10**7; the sum of squares below 10**6 fits in a `u64`.)
fn cpu_bound() -> u64 {
    (0..1_000_000_u64).map(|i| i * i).sum()
}

/// `cpu_bound` as a process-pool job: no arguments, the sum as bytes.
fn cpu_bound_job(_: &[u8]) -> Result<Vec<u8>, Error> {
    Ok(encode_u64(cpu_bound()))
}

/// The jobs this program's workers can run.
pub const JOBS: &[Job] = &[Job::new("cpu_bound", cpu_bound_job)];
// ANCHOR_END: jobs

// ANCHOR: main_coro
async fn main_coro() -> Result<(), Error> {
    let lp = get_running_loop().expect("runs on the loop");

    // 1. Run in the loop's default executor:
    let read = lp.run_in_executor(None, blocking_io).await?;
    lp.print(format!("default thread pool: read {read} bytes"));

    // 2. Run in a custom thread pool:
    {
        let pool = ThreadPoolExecutor::new(1);
        let sum = lp.run_in_executor(Some(&pool), cpu_bound).await?;
        lp.print(format!("custom thread pool: {sum}"));
    }

    // 3. Run in a custom process pool:
    {
        let pool = ProcessPoolExecutor::new(1);
        let sum = lp.run_in_process_pool(&pool, "cpu_bound", b"").await?;
        lp.print(format!("custom process pool: {}", decode_u64(&sum)?));
    }
    Ok(())
}
// ANCHOR_END: main_coro

/// Runs `main_coro` as `asyncio.run` would, on a traced virtual-clock loop, and returns it.
pub fn run() -> EventLoop {
    let lp = EventLoop::with_virtual_clock();
    lp.set_trace(true);
    run_with(&lp, main_coro()).expect("the three jobs succeed");
    lp
}

pub fn main() {
    worker_entry(JOBS); // a worker serves JOBS here and never returns

    let lp = run();
    if std::env::args().any(|a| a == "--trace") {
        print!("{}", lp.take_trace());
    }
}
