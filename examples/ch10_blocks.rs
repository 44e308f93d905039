//! Chapter 10: seed 003, PyMOTW's `asyncio_executor_thread.py`. Six calls of a blocking
//! `blocks(n)` go to a pool of 3 threads with `run_in_executor`; every log line says which
//! thread wrote it. Run it with `cargo run --example ch10_blocks` (the log level is `info`
//! unless `RUST_LOG` says otherwise, e.g. `RUST_LOG=info`).
//!
//! The log goes to standard error, its workers' lines in a different order on every run, as in
//! the seed. The program keeps every record too, and ends by printing on standard output what
//! every run has in common: the main thread's lines in order, and for the workers, which job ran
//! where only as "one thread each, three threads in all". That part is what its test pins.

use std::collections::BTreeSet;
use std::io::Write;
use std::rc::Rc;
use std::sync::Mutex;
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
    let logger =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
            .format(|buf, record| {
                let thread = thread::current();
                let name = thread.name().unwrap_or("unnamed");
                writeln!(buf, "{name:>10} {:>18}: {}", record.target(), record.args())
            })
            // Compiled into a test, the log goes to the test harness's capture.
            .is_test(cfg!(test))
            .build();
    let level = logger.filter();
    if log::set_boxed_logger(Box::new(KeepAndWrite(logger))).is_ok() {
        log::set_max_level(level);
    }

    // Create a limited thread pool.
    let executor = Rc::new(ThreadPoolExecutor::with_thread_name_prefix(3, "Thread"));

    let event_loop = EventLoop::new();
    let outcome = event_loop.run_until_complete(run_blocking_tasks(executor));
    event_loop.close().expect("not running");
    outcome.expect("no job fails");
    // ANCHOR_END: main
    println!("{}", what_every_run_has_in_common());
}

/// Every log record written so far: (thread name, logger name, message).
static RECORDS: Mutex<Vec<(String, String, String)>> = Mutex::new(Vec::new());

/// Writes each record as `env_logger` does, and keeps it for the summary.
struct KeepAndWrite(env_logger::Logger);

impl log::Log for KeepAndWrite {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        self.0.enabled(metadata)
    }

    fn log(&self, record: &log::Record) {
        if self.0.matches(record) {
            let thread = thread::current();
            let name = thread.name().unwrap_or("unnamed").to_string();
            let entry = (name, record.target().to_string(), record.args().to_string());
            RECORDS
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .push(entry);
        }
        self.0.log(record);
    }

    fn flush(&self) {
        self.0.flush();
    }
}

/// The main thread's lines in order; for each job, what it logged and whether on one thread;
/// the worker threads, and how many jobs ran at once at most.
fn what_every_run_has_in_common() -> String {
    let records = RECORDS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone();
    let mut text = String::from("What every run has in common:\nthe main thread, in order:\n");
    // Named "main" here; a test that runs this `main` calls its thread after itself.
    for (_, target, message) in records.iter().filter(|r| r.1 == "run_blocking_tasks") {
        text += &format!("{:>10} {target:>18}: {message}\n", "main");
    }
    let jobs: Vec<_> = records
        .iter()
        .filter(|r| r.1.starts_with("blocks("))
        .collect();
    let mut threads = BTreeSet::new();
    let (mut running, mut most) = (0, 0);
    for (thread, _, message) in &jobs {
        threads.insert(thread.clone());
        running += if message == "running" { 1 } else { -1 };
        most = most.max(running);
    }
    text += "the workers:\n";
    for n in 0..6 {
        let target = format!("blocks({n})");
        let lines: Vec<_> = jobs.iter().filter(|r| r.1 == target).collect();
        let one_thread = lines.iter().all(|r| r.0 == lines[0].0);
        let said: Vec<_> = lines.iter().map(|r| r.2.as_str()).collect();
        let threads = if one_thread {
            "one thread"
        } else {
            "several threads"
        };
        text += &format!("{target}: {}, on {threads}\n", said.join(" then "));
    }
    text += &format!(
        "{} worker threads ({}), at most {most} jobs running at once",
        threads.len(),
        threads.into_iter().collect::<Vec<_>>().join(", ")
    );
    text
}
