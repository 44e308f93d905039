//! Chapter 13: the MapReduce of `ch13_mapreduce` simulated on the virtual clock, for its
//! picture.
//!
//! The real map and reduce run on real chunks of a generated 1-gram file; only the pool is
//! simulated: each chunk keeps one of two workers busy for the same 0.1 s of loop time (the
//! chunks are all the same size), so that the picture shows the order in which the chunks were
//! mapped, and is the same on every run. Run it with `cargo run --example ch13_simulated`.

#[allow(dead_code)] // the real program's pool-based `map_reduce` is not used here
#[path = "mapreduce/mod.rs"]
mod mapreduce;
#[path = "simulated/mod.rs"]
mod simulated;

use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use mapreduce::ngrams::{self, Lines};
use mapreduce::word_count::{map_frequencies, reduce_frequencies, Frequencies};
use simulated::SimulatedPool;
use steploop::timeline::Timeline;
use steploop::trace::Trace;
use steploop::{gather, get_running_loop, Error, EventLoop};

/// A tenth of the real program's lines, in chunks a tenth as long: the same ten chunks.
const LINES: usize = 20_000;
const CHUNK_SIZE: usize = 2_000;
/// What mapping one chunk costs a worker, in simulated time.
const MAP: Duration = Duration::from_millis(100);

// ANCHOR: map_reduce
/// `map_reduce` of `ch13_mapreduce`, with the simulated pool in place of the real one.
async fn map_reduce(
    lines: &Lines,
    chunk_size: usize,
    pool: &SimulatedPool,
) -> Result<Frequencies, Error> {
    let lp = get_running_loop().expect("map_reduce runs on a loop");
    let mut mapped = Vec::new();
    for (i, chunk) in (1..).zip(lines.partition(chunk_size)) {
        let job = format!("chunk {i}");
        mapped.push(pool.run_in_executor(&lp, job, MAP, move || {
            map_frequencies(chunk.as_str()).map(Arc::new)
        }));
    }
    let middle_results = gather(mapped)?.await?;
    reduce_frequencies(middle_results)
}
// ANCHOR_END: map_reduce

/// Runs the simulation on a traced virtual-clock loop; returns the totals and the trace.
pub fn run() -> (Frequencies, Lines, Trace) {
    let lines = Rc::new(Lines::new(ngrams::generate(LINES, 1)));
    let lp = EventLoop::with_virtual_clock();
    lp.set_trace(true);
    let pool = SimulatedPool::new(2, "Thread");
    let shared = lines.clone();
    let totals = lp
        .run_until_complete(async move { map_reduce(&shared, CHUNK_SIZE, &pool).await })
        .expect("the generated lines are well formed");
    lp.close().expect("not running");
    let lines = Rc::try_unwrap(lines).unwrap_or_else(|_| unreachable!("the task is done"));
    (totals, lines, lp.take_trace())
}

/// The timeline of the simulated MapReduce.
pub fn picture() -> String {
    let (_, _, trace) = run();
    Timeline::new()
        .fit_width(Timeline::BOOK_COLUMN)
        .px_per_second(1000.0)
        .panel(
            "MapReduce: ten chunks on a pool of 2 threads (simulated)",
            &trace,
        )
        .to_svg()
}

pub fn main() {
    let (totals, lines, trace) = run();
    let serial = map_frequencies(lines.slice(0..lines.count()).as_str())
        .expect("the generated lines are well formed");
    println!(
        "{} lines in {} chunks of {CHUNK_SIZE}: {} different words, the same totals as one \
         serial count: {}",
        lines.count(),
        lines.count().div_ceil(CHUNK_SIZE),
        totals.len(),
        totals == serial
    );
    for line in trace.to_string().lines().filter(|l| l.contains(" ran on ")) {
        println!("{}", line.trim());
    }
}
