//! Chapter 12: seed 001's `count` in a process pool — `map`, then `run_in_process_pool` with
//! `gather` and with `as_completed` — and the same work on threads and on processes, timed
//! side by side. Run it with `cargo run --release --example ch12_count`.
//!
//! The pool has two workers: the big count takes one, and the small ones run one after
//! another on the other, so their order is the same on every run.

use std::hint::black_box;
use std::rc::Rc;
use std::time::{Duration, Instant};

use steploop::process::{decode_u64, encode_u64, worker_entry, Job, ProcessPoolExecutor};
use steploop::{as_completed, gather, get_running_loop, run, Error, ThreadPoolExecutor};

// ANCHOR: count
pub fn count(to: u64) -> u64 {
    let mut counter = 0;
    while counter < to {
        counter = black_box(counter + 1);
    }
    counter
}

/// `count` as a process-pool job: the number in, the count out, both as bytes.
fn count_job(args: &[u8]) -> Result<Vec<u8>, Error> {
    Ok(encode_u64(count(decode_u64(args)?)))
}

/// The jobs this program's workers can run.
pub const JOBS: &[Job] = &[Job::new("count", count_job)];
// ANCHOR_END: count

// ANCHOR: map
fn with_map(executor: &ProcessPoolExecutor) -> Result<(), Error> {
    let numbers = [1, 3, 5, 22, 100_000_000];
    for result in executor.map("count", numbers.map(encode_u64))? {
        println!("{}", decode_u64(&result?)?);
    }
    Ok(())
}
// ANCHOR_END: map

// ANCHOR: gather
async fn with_gather(executor: Rc<ProcessPoolExecutor>) -> Result<(), Error> {
    let lp = get_running_loop().expect("runs on the loop");
    let numbers = [1, 3, 5, 22, 100_000_000];
    let tasks: Vec<_> = numbers
        .iter()
        .map(|&n| lp.run_in_process_pool(&executor, "count", encode_u64(n)))
        .collect();
    let results = gather(tasks)?.await?;
    let results: Vec<u64> = results
        .iter()
        .map(|r| decode_u64(r))
        .collect::<Result<_, _>>()?;
    println!("{results:?}");
    Ok(())
}
// ANCHOR_END: gather

// ANCHOR: as_completed
async fn with_as_completed(executor: Rc<ProcessPoolExecutor>) -> Result<(), Error> {
    let lp = get_running_loop().expect("runs on the loop");
    let numbers = [100_000_000, 1, 3, 5, 22];
    let tasks: Vec<_> = numbers
        .iter()
        .map(|&n| lp.run_in_process_pool(&executor, "count", encode_u64(n)))
        .collect();
    let mut results = as_completed(tasks, None)?;
    while let Some(result) = results.next().await {
        println!("{}", decode_u64(&result?)?);
    }
    Ok(())
}
// ANCHOR_END: as_completed

// ANCHOR: side_by_side
/// Times `jobs` count jobs of `to` on a fresh pool of two threads and on a fresh pool of two
/// processes (whose time includes starting the workers).
fn side_by_side(jobs: u64, to: u64) -> Result<(Duration, Duration), Error> {
    let start = Instant::now();
    let threads = ThreadPoolExecutor::new(2);
    let futures: Vec<_> = (0..jobs)
        .map(|_| threads.submit(move || count(to)))
        .collect::<Result<_, _>>()?;
    for future in futures {
        assert_eq!(future.result()?, to);
    }
    drop(threads);
    let on_threads = start.elapsed();

    let start = Instant::now();
    let processes = ProcessPoolExecutor::new(2);
    let futures: Vec<_> = (0..jobs)
        .map(|_| processes.submit("count", encode_u64(to)))
        .collect::<Result<_, _>>()?;
    for future in futures {
        assert_eq!(decode_u64(&future.result()?)?, to);
    }
    drop(processes);
    Ok((on_threads, start.elapsed()))
}
// ANCHOR_END: side_by_side

pub fn main() {
    worker_entry(JOBS); // a worker serves JOBS here and never returns

    let executor = Rc::new(ProcessPoolExecutor::new(2));
    println!("map:");
    with_map(&executor).expect("counting cannot fail");
    println!("gather:");
    run(with_gather(executor.clone())).expect("counting cannot fail");
    println!("as_completed:");
    run(with_as_completed(executor)).expect("counting cannot fail");

    // ANCHOR: measure
    println!("threads vs processes, two workers each:");
    for (jobs, to) in [(2, 100_000_000), (1000, 1)] {
        let (threads, processes) = side_by_side(jobs, to).expect("counting cannot fail");
        println!(
            "{jobs:>5} × count({to}): threads {:.4} s, processes {:.4} s",
            threads.as_secs_f64(),
            processes.as_secs_f64()
        );
    }
    // ANCHOR_END: measure
}
