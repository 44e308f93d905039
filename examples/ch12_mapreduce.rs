//! Chapter 12: seed 001's MapReduce word count, with the map steps in a process pool and,
//! side by side, in a thread pool. Run it with `cargo run --release --example ch12_mapreduce`.
//!
//! The input is generated here, in the format of the Google Books 1-gram files the seed reads
//! (`word\tyear\tcount\tbooks`), from a fixed seed, so that every run counts the same words.

use std::collections::HashMap;
use std::fmt::Write;
use std::ops::Range;
use std::sync::Arc;
use std::time::Instant;

use steploop::process::{worker_entry, Decoder, Encoder, Job, ProcessPoolExecutor};
use steploop::{gather, get_running_loop, run, Error, Future, ThreadPoolExecutor};

/// Lines of input, and lines per chunk (the seed's `chunk_size`).
const LINES: usize = 400_000;
const CHUNK_SIZE: usize = 100_000;

// ANCHOR: map_frequencies
/// Counts each word's occurrences in a chunk of lines (the seed's `map_frequencies`).
fn map_frequencies(chunk: &str) -> Result<HashMap<&str, u64>, Error> {
    let mut frequencies = HashMap::new();
    for line in chunk.lines() {
        // Each line: word \t year \t count \t books
        let mut fields = line.split('\t');
        let (Some(word), Some(count)) = (fields.next(), fields.nth(1)) else {
            return Err(Error::msg(format!("not a 1-gram line: {line:?}")));
        };
        let count: u64 = count
            .parse()
            .map_err(|e| Error::msg(format!("bad count in {line:?}: {e}")))?;
        *frequencies.entry(word).or_insert(0) += count;
    }
    Ok(frequencies)
}

/// The same as a process-pool job: the chunk's text in, the (word, count) pairs out.
fn map_frequencies_job(args: &[u8]) -> Result<Vec<u8>, Error> {
    let mut args = Decoder::new(args);
    let frequencies = map_frequencies(args.str()?)?;
    args.finish()?;
    let mut reply = Encoder::new().u64(frequencies.len() as u64);
    for (word, count) in frequencies {
        reply = reply.str(word).u64(count);
    }
    Ok(reply.finish())
}

/// The jobs this program's workers can run.
pub const JOBS: &[Job] = &[Job::new("map_frequencies", map_frequencies_job)];
// ANCHOR_END: map_frequencies

/// Reads back what `map_frequencies_job` sent.
fn decode_frequencies(reply: &[u8]) -> Result<HashMap<String, u64>, Error> {
    let mut reply = Decoder::new(reply);
    let words = reply.u64()?;
    let mut frequencies = HashMap::new();
    for _ in 0..words {
        let word = reply.str()?.to_string();
        frequencies.insert(word, reply.u64()?);
    }
    reply.finish()?;
    Ok(frequencies)
}

/// Adds `second`'s counts into `first` (the seed's `merge_dict`).
fn merge(mut first: HashMap<String, u64>, second: HashMap<String, u64>) -> HashMap<String, u64> {
    for (word, count) in second {
        *first.entry(word).or_insert(0) += count;
    }
    first
}

// ANCHOR: partition
/// The byte ranges of `text` that hold `chunk_size` lines each (the seed's `partition`).
fn partition(text: &str, chunk_size: usize) -> Vec<Range<usize>> {
    let mut chunks = Vec::new();
    let (mut start, mut lines) = (0, 0);
    for (at, _) in text.match_indices('\n') {
        lines += 1;
        if lines == chunk_size {
            chunks.push(start..at + 1);
            (start, lines) = (at + 1, 0);
        }
    }
    if start < text.len() {
        chunks.push(start..text.len());
    }
    chunks
}
// ANCHOR_END: partition

// ANCHOR: with_processes
async fn with_processes(text: Arc<str>, pool: Arc<ProcessPoolExecutor>) -> Result<u64, Error> {
    let lp = get_running_loop().expect("runs on the loop");
    let tasks: Vec<Future<Vec<u8>>> = partition(&text, CHUNK_SIZE)
        .into_iter()
        .map(|chunk| {
            // The chunk is copied into the request: a worker shares no memory with us.
            let args = Encoder::new().str(&text[chunk]).finish();
            lp.run_in_process_pool(&pool, "map_frequencies", args)
        })
        .collect();
    let middle_results = gather(tasks)?.await?;
    let mut final_results = HashMap::new();
    for reply in &middle_results {
        final_results = merge(final_results, decode_frequencies(reply)?);
    }
    Ok(final_results.get("Aardvark").copied().unwrap_or(0))
}
// ANCHOR_END: with_processes

// ANCHOR: with_threads
async fn with_threads(text: Arc<str>, pool: Arc<ThreadPoolExecutor>) -> Result<u64, Error> {
    let lp = get_running_loop().expect("runs on the loop");
    let tasks: Vec<Future<Result<HashMap<String, u64>, Error>>> = partition(&text, CHUNK_SIZE)
        .into_iter()
        .map(|chunk| {
            // A thread reads the text in place: only the Arc is cloned.
            let text = text.clone();
            lp.run_in_executor(Some(&pool), move || {
                let frequencies = map_frequencies(&text[chunk])?;
                Ok(frequencies
                    .into_iter()
                    .map(|(w, c)| (w.to_string(), c))
                    .collect())
            })
        })
        .collect();
    let middle_results = gather(tasks)?.await?;
    let mut final_results = HashMap::new();
    for frequencies in middle_results {
        final_results = merge(final_results, frequencies?);
    }
    Ok(final_results.get("Aardvark").copied().unwrap_or(0))
}
// ANCHOR_END: with_threads

/// `LINES` lines of made-up 1-grams: words from a fixed list, "Aardvark" among them, with
/// years and counts from a small xorshift generator, so the text is the same on every run.
fn generate() -> String {
    const WORDS: [&str; 8] = [
        "Aardvark", "Abacus", "Abbey", "Abide", "Able", "Aboard", "Abound", "Absent",
    ];
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut text = String::with_capacity(LINES * 24);
    for _ in 0..LINES {
        let word = WORDS[(next() % 8) as usize];
        let (year, count, books) = (1800 + next() % 209, 1 + next() % 100, 1 + next() % 10);
        writeln!(text, "{word}\t{year}\t{count}\t{books}").expect("a String takes any text");
    }
    text
}

pub fn main() {
    worker_entry(JOBS); // a worker serves JOBS here and never returns

    let text: Arc<str> = generate().into();
    let chunks = partition(&text, CHUNK_SIZE).len();
    println!("{LINES} lines in {chunks} chunks of {CHUNK_SIZE}, on pools of two workers:");

    // ANCHOR: main
    let start = Instant::now();
    let processes = Arc::new(ProcessPoolExecutor::new(2));
    let aardvark = run(with_processes(text.clone(), processes)).expect("the input is valid");
    println!(
        "processes: Aardvark appears {aardvark} times ({:.4} s)",
        start.elapsed().as_secs_f64()
    );

    let start = Instant::now();
    let threads = Arc::new(ThreadPoolExecutor::new(2));
    let aardvark = run(with_threads(text, threads)).expect("the input is valid");
    println!(
        "threads:   Aardvark appears {aardvark} times ({:.4} s)",
        start.elapsed().as_secs_f64()
    );
    // ANCHOR_END: main
}
