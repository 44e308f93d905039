//! Chapter 1, exercise 2: the seed's experiment in Rust. Two threads that each count to the
//! full total, against one thread counting it once; then more threads than the machine has
//! cores. Run it with `cargo run --release --example ch01_two_counts`.

#[allow(dead_code)]
#[path = "../ch01_count.rs"]
mod ch01_count;

use std::thread::available_parallelism;
use std::time::{Duration, Instant};

use ch01_count::count_on_threads;

// ANCHOR: solution
/// Counts `to` on each of `threads` threads at once, `repeats` times; returns the fastest run
/// and how far the threads counted altogether.
pub fn each_counts_all(to: u64, threads: usize, repeats: u32) -> (Duration, u64) {
    let shares = vec![to; threads];
    let mut fastest = Duration::MAX;
    let mut counted = 0;
    for _ in 0..repeats.max(1) {
        let start = Instant::now();
        counted = count_on_threads(&shares);
        fastest = fastest.min(start.elapsed());
    }
    (fastest, counted)
}
// ANCHOR_END: solution

fn main() {
    let to = 100_000_000;
    let cores = available_parallelism().map_or(1, |n| n.get());
    let (one, _) = each_counts_all(to, 1, 5);
    println!("1 thread counting to {to}: {:.3} s", one.as_secs_f64());
    let mut counts = vec![2, cores, 2 * cores];
    counts.dedup();
    for threads in counts {
        let (took, counted) = each_counts_all(to, threads, 5);
        println!(
            "{threads} threads, each counting to {to}: {:.3} s, {:.2}× the one thread \
             (counted {counted} altogether)",
            took.as_secs_f64(),
            took.as_secs_f64() / one.as_secs_f64()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_thread_counts_the_full_total() {
        for threads in [1, 2, 5] {
            assert_eq!(
                each_counts_all(10_000, threads, 1).1,
                10_000 * threads as u64
            );
        }
    }
}
