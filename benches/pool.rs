//! The thread pool against a thread per job.
//!
//! `cargo bench --bench pool` runs every measurement; `cargo bench --bench pool -- --only NAME`
//! runs one workload (`pool_roundtrip` or `pool_fanout`), every implementation, and
//! `--impl steploop` (or `stage09`, `std_thread`) one implementation, which is handy under a
//! profiler. Each measurement prints one JSON line on standard output, as
//! `../shared/bench/WORKLOADS.md` asks: `{"workload": ..., "impl": "steploop" | "stage09" |
//! "std_thread", "n": N, "seconds": S, "per_op_ns": X}`.
//!
//! `stage09` is the pool chapter 9 builds: one queue behind one lock, idle workers asleep on
//! one condition variable. It was the first design of steploop's pool too; chapter 15 tells
//! what made steploop's faster.
//!
//! - `pool_roundtrip`: one no-op job at a time, `submit(noop).result()`, N times; against
//!   `std::thread::spawn(noop).join()`, N times.
//! - `pool_fanout`: submit N no-op jobs, then take every result; against spawning threads and
//!   joining them, in waves of 10,000 (see `THREAD_WAVE`).
//!
//! The pool has 4 workers, the executor workloads' pool size, and is warmed up (its workers
//! started) before the clock starts: starting threads is what the pool saves, once.

use std::hint::black_box;
use std::thread;
use std::time::{Duration, Instant};

use steploop::executor::ThreadPoolExecutor;

const WORKERS: usize = 4;
const N_ROUNDTRIP: usize = 100_000;
const N_FANOUT: usize = 100_000;
/// Threads alive at once in the `std_thread` fan-out. Spawning all 100,000 before joining any
/// fails: every unjoined thread keeps its stack mapped, and 100,000 of them exceed Linux's
/// default `vm.max_map_count` (65,530).
const THREAD_WAVE: usize = 10_000;

fn noop() {
    black_box(());
}

fn report(workload: &str, implementation: &str, n: usize, elapsed: Duration) {
    let seconds = elapsed.as_secs_f64();
    println!(
        "{{\"workload\": \"{workload}\", \"impl\": \"{implementation}\", \"n\": {n}, \
         \"seconds\": {seconds:.6}, \"per_op_ns\": {:.1}}}",
        seconds * 1e9 / n as f64
    );
}

fn warmed_up_pool() -> ThreadPoolExecutor {
    let executor = ThreadPoolExecutor::new(WORKERS);
    let warm_up: Vec<_> = (0..10_000)
        .map(|_| executor.submit(noop).expect("the pool is running"))
        .collect();
    for future in warm_up {
        future.result().expect("a no-op job cannot fail");
    }
    executor
}

fn roundtrip_pool(n: usize) -> Duration {
    let executor = warmed_up_pool();
    let start = Instant::now();
    for _ in 0..n {
        let future = executor.submit(noop).expect("the pool is running");
        future.result().expect("a no-op job cannot fail");
    }
    start.elapsed()
}

fn warmed_up_stage_pool() -> stage09::ThreadPoolExecutor {
    let executor = stage09::ThreadPoolExecutor::new(WORKERS);
    let warm_up: Vec<_> = (0..10_000)
        .map(|_| executor.submit(noop).expect("the pool is running"))
        .collect();
    for future in warm_up {
        future.result().expect("a no-op job cannot fail");
    }
    executor
}

fn roundtrip_stage_pool(n: usize) -> Duration {
    let executor = warmed_up_stage_pool();
    let start = Instant::now();
    for _ in 0..n {
        let future = executor.submit(noop).expect("the pool is running");
        future.result().expect("a no-op job cannot fail");
    }
    start.elapsed()
}

fn fanout_stage_pool(n: usize) -> Duration {
    let executor = warmed_up_stage_pool();
    let start = Instant::now();
    let futures: Vec<_> = (0..n)
        .map(|_| executor.submit(noop).expect("the pool is running"))
        .collect();
    for future in futures {
        future.result().expect("a no-op job cannot fail");
    }
    start.elapsed()
}

fn roundtrip_threads(n: usize) -> Duration {
    let start = Instant::now();
    for _ in 0..n {
        thread::spawn(noop)
            .join()
            .expect("a no-op thread cannot panic");
    }
    start.elapsed()
}

fn fanout_pool(n: usize) -> Duration {
    let executor = warmed_up_pool();
    let start = Instant::now();
    let futures: Vec<_> = (0..n)
        .map(|_| executor.submit(noop).expect("the pool is running"))
        .collect();
    for future in futures {
        future.result().expect("a no-op job cannot fail");
    }
    start.elapsed()
}

fn fanout_threads(n: usize) -> Duration {
    let start = Instant::now();
    let mut left = n;
    while left > 0 {
        let wave = left.min(THREAD_WAVE);
        let threads: Vec<_> = (0..wave).map(|_| thread::spawn(noop)).collect();
        for thread in threads {
            thread.join().expect("a no-op thread cannot panic");
        }
        left -= wave;
    }
    start.elapsed()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let option = |name: &str| {
        args.iter()
            .position(|arg| arg == name)
            .and_then(|i| args.get(i + 1))
            .map(String::as_str)
    };
    let (only, only_impl) = (option("--only"), option("--impl"));
    let runs = |workload: &str, implementation: &str| {
        only.is_none_or(|only| only == workload)
            && only_impl.is_none_or(|only| only == implementation)
    };

    if runs("pool_roundtrip", "steploop") {
        let n = N_ROUNDTRIP;
        report("pool_roundtrip", "steploop", n, roundtrip_pool(n));
    }
    if runs("pool_roundtrip", "stage09") {
        let n = N_ROUNDTRIP;
        report("pool_roundtrip", "stage09", n, roundtrip_stage_pool(n));
    }
    if runs("pool_roundtrip", "std_thread") {
        let n = N_ROUNDTRIP;
        report("pool_roundtrip", "std_thread", n, roundtrip_threads(n));
    }
    if runs("pool_fanout", "steploop") {
        report("pool_fanout", "steploop", N_FANOUT, fanout_pool(N_FANOUT));
    }
    if runs("pool_fanout", "stage09") {
        report(
            "pool_fanout",
            "stage09",
            N_FANOUT,
            fanout_stage_pool(N_FANOUT),
        );
    }
    if runs("pool_fanout", "std_thread") {
        report(
            "pool_fanout",
            "std_thread",
            N_FANOUT,
            fanout_threads(N_FANOUT),
        );
    }
    if let Some(name) = only.filter(|name| !["pool_roundtrip", "pool_fanout"].contains(name)) {
        eprintln!("unknown workload {name:?}: choose pool_roundtrip or pool_fanout");
    }
}
