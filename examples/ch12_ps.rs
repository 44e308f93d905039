//! Chapter 12: seed 000's `ps`. While four jobs run in a `ProcessPoolExecutor`, `ps` lists four
//! processes besides this one, each with a PID of its own; while four jobs run in a
//! `ThreadPoolExecutor`, `ps H` lists four threads, all under this program's PID. Run it with
//! `cargo run --example ch12_ps` (Linux: it runs the `ps` of procps).
//!
//! The ids change on every run, so the tables write them as letters, in order of appearance;
//! `cargo run --example ch12_ps -- --numbers` prints what `ps` printed, numbers and all.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use steploop::process::{
    decode_u64, encode_u64, worker_entry, Decoder, Encoder, Job, ProcessPoolExecutor,
};
use steploop::{Error, ThreadPoolExecutor};

/// How many workers each pool gets: the seed's `max_workers=4`.
const WORKERS: usize = 4;

// ANCHOR: gate
/// A process-pool job that runs until its gate opens: it waits for the file named in its
/// arguments to exist, and returns its PID. While the gate is shut, no worker is idle, so each
/// submit starts a worker of its own.
fn wait_for_gate(args: &[u8]) -> Result<Vec<u8>, Error> {
    let mut args = Decoder::new(args);
    let gate = PathBuf::from(args.str()?);
    args.finish()?;
    let deadline = Instant::now() + Duration::from_secs(60);
    while !gate.exists() {
        if Instant::now() > deadline {
            return Err(Error::msg("the gate never opened"));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    Ok(encode_u64(std::process::id().into()))
}

/// The jobs this program's workers can run.
pub const JOBS: &[Job] = &[Job::new("wait_for_gate", wait_for_gate)];
// ANCHOR_END: gate

pub fn main() {
    worker_entry(JOBS); // a worker serves JOBS here and never returns
    let numbers = std::env::args().any(|a| a == "--numbers");
    for line in processes(numbers).lines() {
        println!("{line}");
    }
    println!();
    for line in threads(numbers).lines() {
        println!("{line}");
    }
}

/// Four jobs in a process pool, and what `ps` says meanwhile.
pub fn processes(numbers: bool) -> String {
    let gate = std::env::temp_dir().join(format!("steploop-ch12-ps-{}", std::process::id()));
    let _ = std::fs::remove_file(&gate);
    // ANCHOR: processes
    let pool = ProcessPoolExecutor::new(WORKERS);
    let args = Encoder::new().str(&gate.to_string_lossy()).finish();
    let jobs: Vec<_> = (0..WORKERS)
        .map(|_| pool.submit("wait_for_gate", &args))
        .collect::<Result<_, _>>()
        .expect("the pool accepts the jobs");
    let workers = pool.worker_pids();
    let me = std::process::id().to_string();
    let selected = format!("{me},{}", join(&workers));
    let listing = ps(&["-o", "pid,ppid,comm", "--pid", &selected]);
    std::fs::write(&gate, b"open").expect("the gate can be written");
    // ANCHOR_END: processes
    let ran_in: Vec<u32> = jobs
        .into_iter()
        .map(|job| decode_u64(&job.result().expect("the job runs")).expect("a PID") as u32)
        .collect();
    let _ = std::fs::remove_file(&gate);
    assert_eq!(ran_in, workers, "each job ran in a worker of its own");

    let mut out = format!(
        "ps -o pid,ppid,comm --pid <this program and its workers>, \
         while a ProcessPoolExecutor({WORKERS}) runs {WORKERS} jobs:\n"
    );
    if numbers {
        return out + &listing;
    }
    let mut letters = Letters::default();
    // This program first, then its workers in the order they were started.
    let mut rows: Vec<Vec<&str>> = listing.lines().skip(1).map(|l| columns(l, 3)).collect();
    rows.sort_by_key(|row| {
        (
            row[0] != me,
            workers.iter().position(|w| row[0] == w.to_string()),
        )
    });
    out += "  PID  PPID  COMMAND\n";
    let my_comm = rows
        .first()
        .map(|row| row[2].to_owned())
        .unwrap_or_default();
    for row in &rows {
        let ppid = if row[0] == me {
            "-"
        } else {
            letters.of(row[1])
        };
        let command = if row[2] == my_comm {
            "this program"
        } else {
            row[2]
        };
        out += &format!("  {:<4} {:<5} {command}\n", letters.of(row[0]), ppid);
    }
    let children = rows.iter().filter(|row| row[1] == me).count();
    out += &format!(
        "{} processes: this program ({}) and {children} workers, each with a PID of its own \
         and {} as its parent\n",
        rows.len(),
        letters.of(&me),
        letters.of(&me)
    );
    out
}

/// Four jobs in a thread pool, and what `ps H` says meanwhile.
pub fn threads(numbers: bool) -> String {
    let prefix = "step3";
    // ANCHOR: threads
    let pool = ThreadPoolExecutor::with_thread_name_prefix(WORKERS, prefix);
    // Each job waits twice: once until every job has started, once until `ps` has looked.
    let started = Arc::new(Barrier::new(WORKERS + 1));
    let looked = Arc::new(Barrier::new(WORKERS + 1));
    let jobs: Vec<_> = (0..WORKERS)
        .map(|_| {
            let (started, looked) = (started.clone(), looked.clone());
            pool.submit(move || {
                started.wait();
                looked.wait();
            })
        })
        .collect::<Result<_, _>>()
        .expect("the pool accepts the jobs");
    started.wait();
    let me = std::process::id().to_string();
    let listing = ps(&["H", "-o", "pid,tid,comm", "-p", &me]);
    looked.wait();
    // ANCHOR_END: threads
    for job in jobs {
        job.result().expect("the job runs");
    }

    let mut out = format!(
        "ps H -o pid,tid,comm -p <this program>, \
         while a ThreadPoolExecutor({WORKERS}) runs {WORKERS} jobs:\n"
    );
    if numbers {
        return out + &listing;
    }
    // The main thread (its TID is the PID) and the pool's threads; a test harness has others.
    let rows: Vec<Vec<&str>> = listing
        .lines()
        .skip(1) // the header
        .map(|l| columns(l, 3))
        .filter(|row| row[1] == me || row[2].starts_with(prefix))
        .collect();
    let mut letters = Letters::default();
    out += "  PID  TID  THREAD\n";
    for row in &rows {
        let name = if row[1] == me { "(main)" } else { row[2] };
        out += &format!(
            "  {:<4} {:<4} {name}\n",
            letters.of(row[0]),
            letters.of(row[1])
        );
    }
    let pids: BTreeMap<&str, usize> = rows.iter().map(|row| (row[0], 0)).collect();
    out += &format!(
        "{} threads: the main thread and {} workers, all in {} process\n",
        rows.len(),
        rows.len() - 1,
        pids.len()
    );
    out
}

/// Runs `ps` with `args` and returns what it printed.
fn ps(args: &[&str]) -> String {
    let output = Command::new("ps")
        .args(args)
        .output()
        .expect("`ps` runs (on Debian and Ubuntu it is in the package procps)");
    assert!(output.status.success(), "ps {args:?} failed: {output:?}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The first `n` whitespace-separated columns of a line of `ps` output.
fn columns(line: &str, n: usize) -> Vec<&str> {
    let columns: Vec<&str> = line.split_whitespace().take(n).collect();
    assert_eq!(columns.len(), n, "a line of ps: {line:?}");
    columns
}

fn join(pids: &[u32]) -> String {
    let pids: Vec<String> = pids.iter().map(u32::to_string).collect();
    pids.join(",")
}

/// Gives each id a letter, in order of first appearance.
#[derive(Default)]
struct Letters(BTreeMap<String, &'static str>);

impl Letters {
    fn of(&mut self, id: &str) -> &'static str {
        const NAMES: [&str; 12] = ["A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L"];
        let next = NAMES[self.0.len() % NAMES.len()];
        self.0.entry(id.to_owned()).or_insert(next)
    }
}
