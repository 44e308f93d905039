//! The benchmark workloads of the book's "Performance" chapter, for steploop.
//!
//! `cargo bench --bench workloads` runs them all; `cargo bench --bench workloads -- --only NAME`
//! runs one. Each prints one JSON line on standard output:
//! `{"workload": NAME, "impl": "steploop", "n": N, "repeats": R, "seconds": S, "per_op_ns": X}`.
//!
//! One measurement runs a workload R times in a row, each run with a loop of its own, so that
//! it lasts long enough to be measured well; R comes from `bench/repeats.txt`, which every
//! implementation compared reads, or from `--repeat R`. Time is measured inside the process,
//! around the workload only (`timed`), and summed over the runs: `seconds` is the mean time of
//! one run of N operations, and `per_op_ns` the total time over R × N.
//!
//! The `mapreduce` workloads read their input with `--ngrams PATH` (a file written by
//! `--write-ngrams PATH [--lines N]`, so that every implementation compared reads the same one)
//! or, without it, generate 5,000,000 lines in memory first. `--chunk-lines K` sets the chunk
//! size (500,000 by default).

#[path = "../examples/mapreduce/mod.rs"]
mod mapreduce;

use std::cell::{Cell, OnceCell, RefCell};
use std::rc::Rc;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use mapreduce::ngrams::{self, Lines};
use mapreduce::word_count::{map_frequencies, map_reduce};

use steploop::net::{TcpListener, TcpStream};
use steploop::{gather, get_running_loop, sleep, EventLoop, Future, ThreadPoolExecutor};

/// What a workload reports: how many operations, how long they took, and extra JSON fields.
struct Measured {
    n: u64,
    elapsed: Duration,
    extra: String,
    /// What was measured: `steploop`, or a baseline without the loop.
    implementation: &'static str,
}

impl Measured {
    fn new(n: u64, elapsed: Duration) -> Measured {
        Measured {
            n,
            elapsed,
            extra: String::new(),
            implementation: "steploop",
        }
    }
}

/// A workload: its name and the function that runs it.
type Workload = (&'static str, fn() -> Measured);

const WORKLOADS: &[Workload] = &[
    ("callbacks_chain", callbacks_chain),
    ("callbacks_batch", callbacks_batch),
    ("timers", timers),
    ("tasks_spawn", tasks_spawn),
    ("tasks_yield", tasks_yield),
    ("future_pingpong", future_pingpong),
    ("sleepers", sleepers),
    ("executor_roundtrip", executor_roundtrip),
    ("executor_fanout", executor_fanout),
    ("tcp_echo", tcp_echo),
    ("mapreduce", mapreduce),
    ("mapreduce_serial", mapreduce_serial),
];

/// How many times each workload runs for one measurement, shared with the other implementations.
const REPEATS: &str = include_str!("../bench/repeats.txt");

/// The repeat count of `workload` in `bench/repeats.txt`.
fn repeats_of(workload: &str) -> usize {
    for line in REPEATS.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut fields = line.split_whitespace();
        if fields.next() == Some(workload) {
            return match fields.next().map(str::parse) {
                Some(Ok(repeats)) if repeats > 0 => repeats,
                _ => fail(&format!(
                    "bench/repeats.txt: {line:?} should be a workload and a positive count"
                )),
            };
        }
    }
    fail(&format!("bench/repeats.txt has no line for {workload}"))
}

/// Runs `work`, the part of a workload that is measured, and returns how long it took.
///
/// # Notes
///
/// Never inlined, so that it is a function of its own in the binary: `bench/profile` counts
/// the instructions of exactly this part under callgrind (`--toggle-collect`) and picks the
/// allocations made in it out of dhat's call stacks, as it does with the tokio peer's `timed`.
#[inline(never)]
fn timed<T>(work: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let result = work();
    (result, start.elapsed())
}

/// What the MapReduce workloads read, and how they cut it.
struct MapReduceInput {
    /// `--ngrams PATH`; generated in memory when absent.
    path: Option<String>,
    /// `--chunk-lines K`.
    chunk_lines: usize,
}

static MAPREDUCE_INPUT: OnceLock<MapReduceInput> = OnceLock::new();

/// The value after `--flag`, if the flag was given.
fn flag<'a>(args: &'a [String], name: &str) -> Option<&'a String> {
    let i = args.iter().position(|a| a == name)?;
    match args.get(i + 1) {
        Some(value) => Some(value),
        None => fail(&format!("{name} needs a value")),
    }
}

/// A number given with `--flag`, or `default`.
fn number_flag(args: &[String], name: &str, default: usize) -> usize {
    flag(args, name).map_or(default, |value| match value.replace('_', "").parse() {
        Ok(n) if n > 0 => n,
        _ => fail(&format!(
            "{name} takes a positive whole number, not {value:?}"
        )),
    })
}

fn fail(message: &str) -> ! {
    eprintln!("{message}");
    std::process::exit(2)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(path) = flag(&args, "--write-ngrams") {
        let lines = number_flag(&args, "--lines", MAPREDUCE_LINES);
        if let Err(error) = std::fs::write(path, ngrams::generate(lines, MAPREDUCE_SEED)) {
            fail(&format!("cannot write {path}: {error}"));
        }
        eprintln!("wrote {lines} lines of 1-gram data to {path}");
        return;
    }
    let _ = MAPREDUCE_INPUT.set(MapReduceInput {
        path: flag(&args, "--ngrams").cloned(),
        chunk_lines: number_flag(&args, "--chunk-lines", 500_000),
    });
    // `--repeat R` stands in for bench/repeats.txt, for every workload this run runs.
    let repeat = flag(&args, "--repeat").map(|_| number_flag(&args, "--repeat", 1));
    let only = flag(&args, "--only");
    if let Some(name) = only {
        if !WORKLOADS.iter().any(|(n, _)| n == name) {
            let names: Vec<_> = WORKLOADS.iter().map(|(n, _)| *n).collect();
            eprintln!(
                "no workload named {name:?}; the workloads are: {}",
                names.join(", ")
            );
            std::process::exit(2);
        }
    }
    for (name, run) in WORKLOADS {
        if only.is_some_and(|o| o != name) {
            continue;
        }
        let repeats = repeat.unwrap_or_else(|| repeats_of(name));
        let mut total = Duration::ZERO;
        let mut last = None;
        for _ in 0..repeats {
            let measured = run();
            total += measured.elapsed;
            last = Some(measured);
        }
        let Measured {
            n,
            extra,
            implementation,
            ..
        } = last.expect("at least one run");
        println!(
            "{{\"workload\": \"{name}\", \"impl\": \"{implementation}\", \"n\": {n}, \"repeats\": {repeats}, \"seconds\": {:.6}, \"per_op_ns\": {:.1}{extra}}}",
            total.as_secs_f64() / repeats as f64,
            total.as_nanos() as f64 / (n * repeats as u64) as f64
        );
    }
}

/// One callback at a time: each `call_soon`s the next.
fn callbacks_chain() -> Measured {
    const N: u64 = 1_000_000;
    fn link(lp: &EventLoop, left: u64) {
        if left == 0 {
            lp.stop();
        } else {
            lp.call_soon(move |lp| link(lp, left - 1));
        }
    }
    let lp = EventLoop::new();
    let ((), elapsed) = timed(|| {
        lp.call_soon(|lp| link(lp, N - 1));
        lp.run_forever().unwrap();
    });
    Measured::new(N, elapsed)
}

thread_local! {
    static COUNT: Cell<u64> = const { Cell::new(0) };
}

/// `call_soon` N callbacks up front, then run the loop until all have run.
fn callbacks_batch() -> Measured {
    const N: u64 = 1_000_000;
    COUNT.with(|c| c.set(0));
    let lp = EventLoop::new();
    let ((), elapsed) = timed(|| {
        for _ in 0..N {
            lp.call_soon(|lp| {
                let count = COUNT.with(|c| c.get() + 1);
                COUNT.with(|c| c.set(count));
                if count == N {
                    lp.stop();
                }
            });
        }
        lp.run_forever().unwrap();
    });
    assert_eq!(COUNT.with(|c| c.get()), N);
    Measured::new(N, elapsed)
}

/// `call_later` N timers with delays a seeded shuffle of [0, 10 ms); cancel every second one;
/// run until the last live timer fires.
fn timers() -> Measured {
    const N: u64 = 200_000;
    let mut delays: Vec<Duration> = (0..N)
        .map(|i| Duration::from_nanos(i * 10_000_000 / N))
        .collect();
    shuffle(&mut delays, 0x5eed);
    COUNT.with(|c| c.set(0));
    let lp = EventLoop::new();
    let ((), elapsed) = timed(|| {
        let mut handles = Vec::with_capacity(N as usize);
        for delay in delays {
            handles.push(lp.call_later(delay, |lp| {
                let count = COUNT.with(|c| c.get() + 1);
                COUNT.with(|c| c.set(count));
                if count == N / 2 {
                    lp.stop();
                }
            }));
        }
        for handle in handles.iter().step_by(2) {
            handle.cancel();
        }
        lp.run_forever().unwrap();
    });
    assert_eq!(COUNT.with(|c| c.get()), N / 2);
    Measured::new(N, elapsed)
}

/// Create N tasks whose coroutine returns its index at once; wait for them all; check the sum.
fn tasks_spawn() -> Measured {
    const N: u64 = 100_000;
    let lp = EventLoop::new();
    let (sum, elapsed) = timed(|| {
        lp.run_until_complete(async {
            let lp = get_running_loop().unwrap();
            let tasks: Vec<_> = (0..N)
                .map(|i| lp.create_task(async move { Ok(i) }))
                .collect();
            Ok(gather(tasks)?.await?.iter().sum::<u64>())
        })
        .unwrap()
    });
    assert_eq!(sum, N * (N - 1) / 2);
    Measured::new(N, elapsed)
}

/// 1,000 tasks, each yielding to the loop 1,000 times with `sleep(0)`.
fn tasks_yield() -> Measured {
    const TASKS: u64 = 1_000;
    const YIELDS: u64 = 1_000;
    let lp = EventLoop::new();
    let ((), elapsed) = timed(|| {
        lp.run_until_complete(async {
            let lp = get_running_loop().unwrap();
            let tasks: Vec<_> = (0..TASKS)
                .map(|_| {
                    lp.create_task(async {
                        for _ in 0..YIELDS {
                            sleep(Duration::ZERO).await?;
                        }
                        Ok(())
                    })
                })
                .collect();
            gather(tasks)?.await?;
            Ok(())
        })
        .unwrap()
    });
    Measured::new(TASKS * YIELDS, elapsed)
}

/// Two tasks pass a counter back and forth through fresh loop futures.
fn future_pingpong() -> Measured {
    const N: u64 = 200_000;
    type Inbox = Rc<RefCell<Option<Future<u64>>>>;
    let lp = EventLoop::new();
    let a_inbox: Inbox = Rc::default();
    let b_inbox: Inbox = Rc::default();
    let (value, elapsed) = timed(|| {
        let (a_in, b_in) = (a_inbox.clone(), b_inbox.clone());
        // B starts first, so that its inbox exists when A sends.
        let pong = lp.create_task(async move {
            let lp = get_running_loop().unwrap();
            loop {
                let inbox = lp.create_future::<u64>();
                *b_in.borrow_mut() = Some(inbox.clone());
                let value = inbox.await?;
                let reply = a_in.borrow_mut().take().expect("A waits for the reply");
                reply.set_result(value + 1)?;
                // A stops once the reply brings it to 2N: this was the last round trip.
                if value + 2 >= 2 * N {
                    return Ok(());
                }
            }
        });
        let ping = lp.create_task(async move {
            let lp = get_running_loop().unwrap();
            let mut value = 0;
            while value < 2 * N {
                let inbox = lp.create_future::<u64>();
                *a_inbox.borrow_mut() = Some(inbox.clone());
                let to_b = b_inbox.borrow_mut().take().expect("B waits for the ball");
                to_b.set_result(value)?;
                value = inbox.await? + 1;
            }
            Ok(value)
        });
        let value = lp.run_until_complete(ping).unwrap();
        lp.run_until_complete(pong).unwrap();
        value
    });
    assert!(value >= 2 * N);
    Measured::new(N, elapsed)
}

/// One task awaits `run_in_executor(pool of 4 threads, noop)` N times, one after another: each
/// call is a round trip from the loop to a worker and back.
fn executor_roundtrip() -> Measured {
    const N: u64 = 20_000;
    let executor = ThreadPoolExecutor::new(4);
    let lp = EventLoop::new();
    let (calls, elapsed) = timed(|| {
        lp.run_until_complete(async move {
            let lp = get_running_loop().unwrap();
            let mut calls = 0;
            for _ in 0..N {
                lp.run_in_executor(Some(&executor), || ()).await?;
                calls += 1;
            }
            Ok(calls)
        })
        .unwrap()
    });
    assert_eq!(calls, N);
    Measured::new(N, elapsed)
}

/// One server and 50 clients on the same loop over 127.0.0.1: each client sends a 64-byte
/// message and awaits its echo, 2,000 times. The server runs one task per connection.
fn tcp_echo() -> Measured {
    const CLIENTS: usize = 50;
    const ROUNDS: usize = 2_000;
    const SIZE: usize = 64;
    let lp = EventLoop::new();
    let (echoed, elapsed) = timed(|| {
        lp.run_until_complete(async {
            let lp = get_running_loop().unwrap();
            let listener = TcpListener::bind("127.0.0.1:0")?;
            let addr = listener.local_addr()?;
            let server = lp.create_task(async move {
                let lp = get_running_loop().unwrap();
                let mut handlers = Vec::new();
                for _ in 0..CLIENTS {
                    let (stream, _) = listener.accept().await?;
                    stream.set_nodelay(true)?;
                    handlers.push(lp.create_task(async move {
                        // A server reads what has come, as much as a usual buffer holds.
                        let mut buf = [0; 4096];
                        loop {
                            let n = stream.read(&mut buf).await?;
                            if n == 0 {
                                return Ok(());
                            }
                            stream.write_all(&buf[..n]).await?;
                        }
                    }));
                }
                gather(handlers)?.await?;
                Ok(())
            });
            let clients: Vec<_> = (0..CLIENTS)
                .map(|id| {
                    lp.create_task(async move {
                        let stream = TcpStream::connect(addr).await?;
                        stream.set_nodelay(true)?;
                        let message = [id as u8; SIZE];
                        let mut reply = [0; SIZE];
                        for _ in 0..ROUNDS {
                            stream.write_all(&message).await?;
                            stream.read_exact(&mut reply).await?;
                        }
                        assert_eq!(reply, message);
                        stream.shutdown(std::net::Shutdown::Write)?;
                        Ok(ROUNDS as u64)
                    })
                })
                .collect();
            let rounds: u64 = gather(clients)?.await?.into_iter().sum();
            server.await?;
            Ok(rounds)
        })
        .unwrap()
    });
    assert_eq!(echoed, (CLIENTS * ROUNDS) as u64);
    Measured::new(echoed, elapsed)
}

/// Start N `run_in_executor(pool of 4 threads, noop)` at once and gather them.
fn executor_fanout() -> Measured {
    const N: u64 = 100_000;
    let executor = ThreadPoolExecutor::new(4);
    let lp = EventLoop::new();
    let (results, elapsed) = timed(|| {
        lp.run_until_complete(async move {
            let lp = get_running_loop().unwrap();
            let futures: Vec<_> = (0..N)
                .map(|_| lp.run_in_executor(Some(&executor), || ()))
                .collect();
            gather(futures)?.await
        })
        .unwrap()
    });
    assert_eq!(results.len() as u64, N);
    Measured::new(N, elapsed)
}

/// The resident set size now and at its peak, in KiB, from /proc/self/status.
fn rss_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|line| line.starts_with(name))
            .and_then(|line| line.split_whitespace().nth(1))
            .and_then(|kib| kib.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// N tasks each `await sleep(1.0)` at once; wait for them all; report peak RSS and the RSS
/// growth per sleeping task.
fn sleepers() -> Measured {
    const N: u64 = 1_000_000;
    let (before, _) = rss_kib();
    let lp = EventLoop::new();
    let during = Rc::new(Cell::new(0));
    let seen = during.clone();
    let ((), elapsed) = timed(|| {
        lp.run_until_complete(async move {
            let lp = get_running_loop().unwrap();
            let tasks: Vec<_> = (0..N)
                .map(|_| lp.create_task(async { sleep(Duration::from_secs(1)).await }))
                .collect();
            // Measured while every task sleeps: after the tick that started them all.
            lp.call_later(Duration::from_millis(500), move |_| seen.set(rss_kib().0));
            gather(tasks)?.await?;
            Ok(())
        })
        .unwrap()
    });
    let (_, peak) = rss_kib();
    let per_task = (during.get().saturating_sub(before)) * 1024 / N;
    let mut measured = Measured::new(N, elapsed);
    measured.extra = format!(", \"peak_rss_kb\": {peak}, \"rss_bytes_per_task\": {per_task}");
    measured
}

/// Fisher–Yates with a xorshift generator: the same order on every run and every machine.
fn shuffle<T>(items: &mut [T], seed: u64) {
    let mut state = seed;
    for i in (1..items.len()).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        items.swap(i, (state % (i as u64 + 1)) as usize);
    }
}

/// The size of the generated MapReduce input, and the seed that makes it the same everywhere.
const MAPREDUCE_LINES: usize = 5_000_000;
const MAPREDUCE_SEED: u64 = 1;

/// The MapReduce input as lines in memory, read (or generated) before the clock starts, as
/// the seed reads its file with `readlines()` before starting its timer. Read once, and kept
/// for the repeated runs.
fn mapreduce_lines() -> (Rc<Lines>, usize) {
    thread_local! {
        static LINES: OnceCell<Rc<Lines>> = const { OnceCell::new() };
    }
    let input = MAPREDUCE_INPUT.get().expect("main sets the input first");
    let lines = LINES.with(|lines| {
        lines
            .get_or_init(|| {
                let text = match &input.path {
                    Some(path) => std::fs::read_to_string(path)
                        .unwrap_or_else(|error| fail(&format!("cannot read {path}: {error}"))),
                    None => ngrams::generate(MAPREDUCE_LINES, MAPREDUCE_SEED),
                };
                Rc::new(Lines::new(text))
            })
            .clone()
    });
    (lines, input.chunk_lines)
}

/// The `"check"` field: how often "Aardvark" appeared, which every implementation must agree on.
fn check(aardvark: Option<&u64>, chunks: usize) -> String {
    format!(
        ", \"check\": {}, \"chunks\": {chunks}",
        aardvark.copied().unwrap_or(0)
    )
}

/// Word frequency over the 1-gram lines: chunks mapped by a pool of two threads with
/// `run_in_executor`, gathered, reduced by merging the counts.
fn mapreduce() -> Measured {
    let (lines, chunk_lines) = mapreduce_lines();
    let lp = EventLoop::new();
    // The pool is made inside the timed part, as the seed makes its own, and shut down after
    // it, when `_pool` goes out of scope.
    let ((totals, _pool), elapsed) = timed(|| {
        let pool = Rc::new(ThreadPoolExecutor::new(2));
        let (lines, workers) = (lines.clone(), pool.clone());
        let totals = lp
            .run_until_complete(async move { map_reduce(&lines, chunk_lines, &workers).await })
            .unwrap_or_else(|error| fail(&format!("mapreduce failed: {error}")));
        (totals, pool)
    });
    let mut measured = Measured::new(lines.count() as u64, elapsed);
    measured.extra = check(totals.get("Aardvark"), lines.count().div_ceil(chunk_lines));
    measured
}

/// The baseline: the same map over all the lines at once, on one thread, with no loop.
fn mapreduce_serial() -> Measured {
    let (lines, _) = mapreduce_lines();
    let (totals, elapsed) = timed(|| {
        map_frequencies(lines.slice(0..lines.count()).as_str())
            .unwrap_or_else(|error| fail(&format!("mapreduce_serial failed: {error}")))
    });
    let mut measured = Measured::new(lines.count() as u64, elapsed);
    measured.extra = check(totals.get("Aardvark"), 1);
    measured.implementation = "rust-serial"; // plain Rust, not the loop
    measured
}
