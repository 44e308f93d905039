//! Chapter 13, exercise 1: MapReduce that reduces as the chunks come in. `as_completed` hands
//! each chunk's counts to the loop as soon as a worker is done with it, and the loop merges
//! them while the workers map the rest; only the last merge is left at the end. Run it with
//! `cargo run --release --example ch13_as_completed`.

#[allow(dead_code)]
#[path = "../mapreduce/mod.rs"]
mod mapreduce;

use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use mapreduce::ngrams::{self, Lines};
use mapreduce::word_count::{map_frequencies, map_reduce, merge_frequencies, Frequencies};
use steploop::{as_completed, get_running_loop, run, Error, ThreadPoolExecutor};

// ANCHOR: solution
/// A chunk's counts, in a box they can be taken out of once. `as_completed`, like `gather`,
/// hands out a copy of each result and keeps its own; an `Arc` makes the copy cheap, and the
/// `Mutex<Option<_>>` lets the loop move the map out instead of copying it.
type Counts = Arc<Mutex<Option<Frequencies>>>;

/// `map_reduce` with `as_completed` in place of `gather`: each chunk's counts are merged into
/// the total as soon as they arrive, in whatever order the workers finish.
pub async fn map_reduce_as_completed(
    lines: &Lines,
    chunk_size: usize,
    pool: &ThreadPoolExecutor,
) -> Result<Frequencies, Error> {
    let lp = get_running_loop().expect("runs on a loop");
    let mut mapped = Vec::new();
    for chunk in lines.partition(chunk_size) {
        mapped.push(lp.run_in_executor(Some(pool), move || {
            map_frequencies(chunk.as_str()).map(|counts| Counts::new(Mutex::new(Some(counts))))
        }));
    }
    let mut total = Frequencies::new();
    let mut results = as_completed(mapped, None)?;
    while let Some(counts) = results.next().await {
        // Awaiting can fail, and so can the chunk's map.
        let counts = counts??
            .lock()
            .unwrap()
            .take()
            .expect("each result is taken once");
        total = merge_frequencies(total, counts);
    }
    Ok(total)
}
// ANCHOR_END: solution

/// Both versions on the same lines and pool: (as_completed's, gather's), each with its time.
fn both(lines: &Rc<Lines>, chunk_size: usize) -> [(Frequencies, f64); 2] {
    let pool = Rc::new(ThreadPoolExecutor::new(2));
    let timed = |gathered: bool| {
        let (lines, pool) = (lines.clone(), pool.clone());
        let start = Instant::now();
        let counts = run(async move {
            if gathered {
                map_reduce(&lines, chunk_size, &pool).await
            } else {
                map_reduce_as_completed(&lines, chunk_size, &pool).await
            }
        })
        .expect("the generated lines are well formed");
        (counts, start.elapsed().as_secs_f64())
    };
    [timed(false), timed(true)]
}

fn main() {
    let lines = Rc::new(Lines::new(ngrams::generate(1_000_000, 1)));
    let [(early, early_took), (gathered, gathered_took)] = both(&lines, 100_000);
    assert_eq!(early, gathered, "both ways count the same");
    println!(
        "1,000,000 lines, 10 chunks, 2 workers; Aardvark: {}",
        early["Aardvark"]
    );
    println!("reduce as they come (as_completed): {early_took:.4} s");
    println!("reduce at the end (gather):         {gathered_took:.4} s");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_totals_are_those_of_one_serial_count() {
        let lines = Rc::new(Lines::new(ngrams::generate(20_000, 7)));
        let serial = map_frequencies(lines.slice(0..lines.count()).as_str()).unwrap();
        for chunk_size in [1_000, 3_333, 20_000, 50_000] {
            let [(early, _), (gathered, _)] = both(&lines, chunk_size);
            assert_eq!(early, serial, "chunk size {chunk_size}");
            assert_eq!(gathered, serial, "chunk size {chunk_size}");
        }
    }

    #[test]
    fn a_bad_line_is_an_error_not_a_wrong_total() {
        let lines = Lines::new("aardvark\t1822\t2\t1\nnot a 1-gram line\n".to_owned());
        let pool = ThreadPoolExecutor::new(2);
        let error = run(async move { map_reduce_as_completed(&lines, 1, &pool).await })
            .unwrap_err()
            .to_string();
        assert!(error.contains("is not a 1-gram line"), "{error}");
    }
}
