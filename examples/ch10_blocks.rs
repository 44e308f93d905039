//! Chapter 10: seed 003, PyMOTW's `asyncio_executor_thread.py`. Six calls of a blocking
//! `blocks(n)` go to a pool of 3 threads with `run_in_executor`; every log line says which
//! thread wrote it. Run it with `cargo run --example ch10_blocks` (the log level is `info`
//! unless `RUST_LOG` says otherwise, e.g. `RUST_LOG=info`).

use std::io::Write;
use std::rc::Rc;
use std::thread;
use std::time::Duration;

use steploop::{gather, get_running_loop, Error, EventLoop, ThreadPoolExecutor};

// ANCHOR: blocks
fn blocks(n: u64) -> u64 {
    let log = format!("blocks({n})"); // the logger's name, as logging.getLogger('blocks(n)')
    log::info!(target: &log, "running");
    thread::sleep(Duration::from_millis(100));
    log::info!(target: &log, "done");
    n * n
}
// ANCHOR_END: blocks

// ANCHOR: run_blocking_tasks
async fn run_blocking_tasks(executor: Rc<ThreadPoolExecutor>) -> Result<(), Error> {
    const LOG: &str = "run_blocking_tasks";
    log::info!(target: LOG, "starting");

    log::info!(target: LOG, "creating executor tasks");
    let lp = get_running_loop().expect("runs on the loop");
    let blocking_tasks: Vec<_> = (0..6)
        .map(|i| lp.run_in_executor(Some(&executor), move || blocks(i)))
        .collect();
    log::info!(target: LOG, "waiting for executor tasks");
    let results = gather(blocking_tasks)?.await?;
    log::info!(target: LOG, "results: {results:?}");

    log::info!(target: LOG, "exiting");
    Ok(())
}
// ANCHOR_END: run_blocking_tasks

pub fn main() {
    // ANCHOR: main
    // Configure logging to show the name of the thread where the log message originates.
    let _ = env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .format(|buf, record| {
            let thread = thread::current();
            let name = thread.name().unwrap_or("unnamed");
            writeln!(buf, "{name:>10} {:>18}: {}", record.target(), record.args())
        })
        .try_init();

    // Create a limited thread pool.
    let executor = Rc::new(ThreadPoolExecutor::with_thread_name_prefix(3, "Thread"));

    let event_loop = EventLoop::new();
    let outcome = event_loop.run_until_complete(run_blocking_tasks(executor));
    event_loop.close().expect("not running");
    outcome.expect("no job fails");
    // ANCHOR_END: main
}
