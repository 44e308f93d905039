//! Chapter 12: seed 003's process variant, PyMOTW's `asyncio_executor_process.py`. The six
//! `blocks(n)` calls of chapter 10 go to a pool of 3 *processes*; every log line says which
//! process wrote it. Run it with `cargo run --example ch12_blocks` (the log goes to stderr,
//! at level `info` unless `RUST_LOG` says otherwise).

use std::collections::BTreeSet;
use std::io::Write;
use std::rc::Rc;
use std::thread;
use std::time::Duration;

use steploop::process::{worker_entry, Decoder, Encoder, Job, ProcessPoolExecutor};
use steploop::{gather, get_running_loop, Error, EventLoop};

// ANCHOR: blocks
/// The job: `blocks(n)` in a worker process. Its arguments and result are bytes: `n` in,
/// `n * n` and the worker's process id out.
fn blocks(args: &[u8]) -> Result<Vec<u8>, Error> {
    init_logging(); // in a worker: its own logger, writing to the stderr it shares with us
    let n = Decoder::new(args).u64()?;
    let log = format!("blocks({n})");
    log::info!(target: &log, "running");
    thread::sleep(Duration::from_millis(100));
    log::info!(target: &log, "done");
    Ok(Encoder::new()
        .u64(n * n)
        .u64(std::process::id().into())
        .finish())
}

/// The jobs this program's workers can run.
pub const JOBS: &[Job] = &[Job::new("blocks", blocks)];
// ANCHOR_END: blocks

// ANCHOR: run_blocking_tasks
async fn run_blocking_tasks(executor: Rc<ProcessPoolExecutor>) -> Result<Vec<(u64, u64)>, Error> {
    const LOG: &str = "run_blocking_tasks";
    log::info!(target: LOG, "starting");

    log::info!(target: LOG, "creating executor tasks");
    let lp = get_running_loop().expect("runs on the loop");
    let blocking_tasks: Vec<_> = (0..6)
        .map(|i| lp.run_in_process_pool(&executor, "blocks", Encoder::new().u64(i).finish()))
        .collect();
    log::info!(target: LOG, "waiting for executor tasks");
    let replies = gather(blocking_tasks)?.await?;
    let mut results = Vec::new();
    for reply in &replies {
        let mut reply = Decoder::new(reply);
        results.push((reply.u64()?, reply.u64()?));
    }
    let squares: Vec<u64> = results.iter().map(|&(square, _)| square).collect();
    log::info!(target: LOG, "results: {squares:?}");

    log::info!(target: LOG, "exiting");
    Ok(results)
}
// ANCHOR_END: run_blocking_tasks

/// Logs `PID <process id> <logger name>: <message>` to stderr, as the seed's format does.
fn init_logging() {
    let _ = env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .format(|buf, record| {
            let pid = std::process::id();
            writeln!(
                buf,
                "PID {pid:>5} {:>18}: {}",
                record.target(),
                record.args()
            )
        })
        .try_init();
}

pub fn main() {
    // ANCHOR: main
    // A worker is this program started again: here it serves JOBS and never returns.
    worker_entry(JOBS);

    // Configure logging to show the id of the process where the log message originates.
    init_logging();

    // Create a limited process pool.
    let executor = Rc::new(ProcessPoolExecutor::new(3));

    let event_loop = EventLoop::new();
    let outcome = event_loop.run_until_complete(run_blocking_tasks(executor));
    event_loop.close().expect("not running");
    let results = outcome.expect("no job fails");
    // ANCHOR_END: main

    // ANCHOR: summary
    // What does not depend on timing: the results, in the order of the calls, and where the
    // jobs ran. A worker starts for each of the first three calls (none is idle yet), so
    // blocks(0), blocks(1) and blocks(2) run in three different processes.
    let squares: Vec<u64> = results.iter().map(|&(square, _)| square).collect();
    println!("results: {squares:?}");
    let pids: BTreeSet<u64> = results.iter().map(|&(_, pid)| pid).collect();
    let first_three: BTreeSet<u64> = results[..3].iter().map(|&(_, pid)| pid).collect();
    let here = u64::from(std::process::id());
    println!(
        "the jobs ran in {} worker processes, {} in this one; the first three in {} different \
         ones",
        pids.len(),
        if pids.contains(&here) { "one" } else { "none" },
        first_three.len()
    );
    // ANCHOR_END: summary
}
