//! Chapter 1, "Why an event loop": count to 100,000,000 on one thread, then split the same
//! count over 2 threads and over as many threads as the machine has cores, and measure.
//!
//! The seed's CPython program counts to 100,000,000 on two threads and takes about as long as
//! counting twice on one, because of the GIL. Rust threads have no such lock: this program
//! measures what they do instead. Run it with `cargo run --release --example ch01_count` (a
//! debug build works too, it is only slower).

use std::hint::black_box;
use std::thread;
use std::time::{Duration, Instant};

// ANCHOR: count
/// Counts from 0 up to `to` one step at a time, like the seed's Python `count(to)`, and
/// returns how far it counted.
pub fn count(to: u64) -> u64 {
    let mut counter = 0;
    while counter < to {
        // `black_box` hides the value from the optimizer. Without it, the compiler sees that
        // the loop only ever ends with `counter == to` and replaces it with that assignment:
        // we would be timing nothing at all.
        counter = black_box(counter + 1);
    }
    counter
}
// ANCHOR_END: count

// ANCHOR: split
/// Splits `total` into `threads` shares that differ by at most one and add up to `total`.
pub fn split(total: u64, threads: usize) -> Vec<u64> {
    let n = threads as u64;
    // The first `total % n` shares take one extra step each, so nothing is lost to rounding.
    (0..n)
        .map(|i| total / n + u64::from(i < total % n))
        .collect()
}

/// Counts each share on a thread of its own, all at the same time, and returns how far the
/// threads counted altogether.
pub fn count_on_threads(shares: &[u64]) -> u64 {
    // A scope joins every thread before it returns, so the wall time measured around this
    // call covers all the work.
    thread::scope(|scope| {
        let workers: Vec<_> = shares
            .iter()
            .map(|&share| scope.spawn(move || count(share)))
            .collect();
        workers
            .into_iter()
            .map(|worker| worker.join().expect("counting cannot panic"))
            .sum()
    })
}
// ANCHOR_END: split

/// One line of the results: how the count was split, how far the threads got, how long it took.
pub struct Run {
    /// What each thread counted.
    pub shares: Vec<u64>,
    /// What the threads counted altogether: must equal the total asked for.
    pub counted: u64,
    /// The best wall time over the repetitions.
    pub wall: Duration,
}

// ANCHOR: measure
/// Counts to `total` split over `threads` threads, `repeats` times, keeping the fastest run.
pub fn measure(total: u64, threads: usize, repeats: u32) -> Run {
    let shares = split(total, threads);
    let mut counted = 0;
    let mut wall = Duration::MAX;
    for _ in 0..repeats.max(1) {
        let start = Instant::now();
        counted = count_on_threads(&shares);
        // Other programs can only make a run slower, never faster, so the fastest run is the
        // one closest to what the counting itself costs.
        wall = wall.min(start.elapsed());
    }
    Run {
        shares,
        counted,
        wall,
    }
}
// ANCHOR_END: measure

/// The results as a table. The first run is the baseline for the speedups. With
/// `show_times == false` the times and speedups are replaced by `?`, so that the table's shape
/// can be pinned by a test even though no two runs take the same time.
pub fn render(runs: &[Run], show_times: bool) -> String {
    let mut out = format!(
        "{:>7}  {:<31}  {:>13}  {:>9}  {:>7}\n",
        "threads", "each thread counts", "total counted", "wall time", "speedup"
    );
    let baseline = runs.first().map_or(Duration::ZERO, |run| run.wall);
    for run in runs {
        let (wall, speedup) = if show_times {
            (
                format!("{:.1} ms", run.wall.as_secs_f64() * 1000.0),
                format!("{:.2}x", baseline.as_secs_f64() / run.wall.as_secs_f64()),
            )
        } else {
            ("??.? ms".to_string(), "?.??x".to_string())
        };
        out.push_str(&format!(
            "{:>7}  {:<31}  {:>13}  {:>9}  {:>7}\n",
            run.shares.len(),
            shares_text(&run.shares),
            thousands(run.counted),
            wall,
            speedup
        ));
    }
    out
}

/// `[50, 50]` → `2 × 50`; `[34, 33, 33]` → `34 + 2 × 33`.
fn shares_text(shares: &[u64]) -> String {
    let mut groups: Vec<(u64, usize)> = Vec::new();
    for &share in shares {
        match groups.last_mut() {
            Some((value, n)) if *value == share => *n += 1,
            _ => groups.push((share, 1)),
        }
    }
    let parts: Vec<String> = groups
        .into_iter()
        .map(|(value, n)| match n {
            1 => thousands(value),
            n => format!("{n} × {}", thousands(value)),
        })
        .collect();
    parts.join(" + ")
}

/// `100000000` → `100,000,000`, as the seed writes its numbers.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// The table the book shows, the same on every run: a hundredth of the count, over 1, 2 and 3
/// threads (3 shows how a total that does not divide evenly is shared out), with the times
/// and speedups written as `?`. Returns the runs too, so that a test can check what they
/// counted.
pub fn pinned_table() -> (Vec<Run>, String) {
    let runs: Vec<Run> = [1, 2, 3]
        .into_iter()
        .map(|threads| measure(1_000_000, threads, 1))
        .collect();
    let table = render(&runs, false);
    (runs, table)
}

pub fn main() {
    if std::env::args().any(|arg| arg == "--pinned") {
        print!("{}", pinned_table().1);
        return;
    }
    // ANCHOR: main
    const TOTAL: u64 = 100_000_000;
    // available_parallelism is how many threads can truly run at once here: usually the
    // number of cores. Counting on more threads than that only adds switching.
    let cores = thread::available_parallelism().map_or(1, |n| n.get());
    let mut thread_counts = vec![1, 2, cores];
    thread_counts.sort_unstable();
    thread_counts.dedup();

    let build = if cfg!(debug_assertions) {
        "a debug build: try --release"
    } else {
        "a release build"
    };
    println!(
        "Counting to {} split over {:?} threads ({build}; available_parallelism = {cores}).",
        thousands(TOTAL),
        thread_counts
    );
    println!("Each line is the fastest of 5 runs; the speedup is against 1 thread.\n");
    let runs: Vec<Run> = thread_counts
        .iter()
        .map(|&threads| measure(TOTAL, threads, 5))
        .collect();
    print!("{}", render(&runs, true));
    // ANCHOR_END: main
}
