//! Chapter 13: seed 001's MapReduce word count as the seed runs it, with the map steps in a
//! process pool (chapter 12) and, side by side, in a thread pool. Run it with
//! `cargo run --release --example ch13_processes`.
//!
//! The input, the map and the reduce are the chapter's (`examples/mapreduce/`): a generated
//! Google Books 1-gram file (`word\tyear\tcount\tbooks`) from a fixed random seed, so that every run
//! counts the same words.

#[path = "mapreduce/mod.rs"]
pub mod mapreduce;

use std::rc::Rc;
use std::time::Instant;

use mapreduce::ngrams::{self, Lines};
use mapreduce::word_count::{map_frequencies, map_reduce, merge_frequencies, Frequencies};
use steploop::process::{worker_entry, Decoder, Encoder, Job, ProcessPoolExecutor};
use steploop::{gather, get_running_loop, run, Error, ThreadPoolExecutor};

/// Lines of input, and lines per chunk (the seed's `chunk_size`).
const LINES: usize = 200_000;
const CHUNK_SIZE: usize = 50_000;

// ANCHOR: map_frequencies_job
/// `map_frequencies` as a process-pool job: a chunk's text in, (word, count) pairs out.
fn map_frequencies_job(args: &[u8]) -> Result<Vec<u8>, Error> {
    let mut args = Decoder::new(args);
    let frequencies = map_frequencies(args.str()?)?;
    args.finish()?;
    let mut reply = Encoder::new().u64(frequencies.len() as u64);
    for (word, count) in &frequencies {
        reply = reply.str(word).u64(*count);
    }
    Ok(reply.finish())
}

/// The jobs this program's workers can run.
pub const JOBS: &[Job] = &[Job::new("map_frequencies", map_frequencies_job)];

/// Reads back what `map_frequencies_job` sent.
fn decode_frequencies(reply: &[u8]) -> Result<Frequencies, Error> {
    let mut reply = Decoder::new(reply);
    let words = reply.u64()?;
    let mut frequencies = Frequencies::new();
    for _ in 0..words {
        let word = reply.str()?.to_string();
        frequencies.insert(word, reply.u64()?);
    }
    reply.finish()?;
    Ok(frequencies)
}
// ANCHOR_END: map_frequencies_job

// ANCHOR: with_processes
/// Chapter 13's `map_reduce`, with the map steps in worker processes.
async fn map_reduce_in_processes(
    lines: &Lines,
    chunk_size: usize,
    pool: &ProcessPoolExecutor,
) -> Result<Frequencies, Error> {
    let lp = get_running_loop().expect("runs on the loop");
    let mut mapped = Vec::new();
    for chunk in lines.partition(chunk_size) {
        // The chunk is copied into the request: a worker shares no memory with us.
        let args = Encoder::new().str(chunk.as_str()).finish();
        mapped.push(lp.run_in_process_pool(pool, "map_frequencies", args));
    }
    let middle_results = gather(mapped)?.await?;
    let mut final_results = Frequencies::new();
    for reply in &middle_results {
        final_results = merge_frequencies(final_results, decode_frequencies(reply)?);
    }
    Ok(final_results)
}
// ANCHOR_END: with_processes

pub fn main() {
    worker_entry(JOBS); // a worker serves JOBS here and never returns

    let lines = Rc::new(Lines::new(ngrams::generate(LINES, 1)));
    let chunks = lines.count().div_ceil(CHUNK_SIZE);
    println!("{LINES} lines in {chunks} chunks of {CHUNK_SIZE}, on pools of two workers:");

    // ANCHOR: main
    let start = Instant::now();
    let processes = Rc::new(ProcessPoolExecutor::new(2));
    let on_processes = {
        let (lines, pool) = (lines.clone(), processes.clone());
        run(async move { map_reduce_in_processes(&lines, CHUNK_SIZE, &pool).await })
    }
    .expect("the generated lines are well formed");
    drop(processes);
    let processes_took = start.elapsed();

    let start = Instant::now();
    let threads = Rc::new(ThreadPoolExecutor::new(2));
    let on_threads = {
        let (lines, pool) = (lines.clone(), threads.clone());
        run(async move { map_reduce(&lines, CHUNK_SIZE, &pool).await })
    }
    .expect("the generated lines are well formed");
    drop(threads);
    let threads_took = start.elapsed();

    println!(
        "processes: Aardvark appeared {} times ({:.4} s)",
        on_processes["Aardvark"],
        processes_took.as_secs_f64()
    );
    println!(
        "threads:   Aardvark appeared {} times ({:.4} s)",
        on_threads["Aardvark"],
        threads_took.as_secs_f64()
    );
    assert_eq!(on_processes, on_threads, "both pools count the same");
    println!(
        "both pools give the same totals for all {} words",
        on_threads.len()
    );
    // ANCHOR_END: main
}
