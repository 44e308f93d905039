//! The benchmark workloads of `../shared/bench/WORKLOADS.md`, for tokio: a `current_thread`
//! runtime with a `LocalSet`, the tokio set-up closest to one asyncio event loop on one thread.
//!
//! `tokio-peer [--only NAME] [--repeat R] [--ngrams PATH] [--chunk-lines K]` prints one JSON
//! line per workload on standard output:
//! `{"workload": NAME, "impl": "tokio", "n": N, "repeats": R, "seconds": S, "per_op_ns": X, ...}`.
//!
//! As in steploop's bench, one measurement runs a workload R times in a row, each run with a
//! runtime of its own; R comes from `bench/repeats.txt` (shared by every implementation) or
//! `--repeat R`. Time is measured inside the process, around the workload only (`timed`), and
//! summed over the runs: `seconds` is the mean time of one run, `per_op_ns` the total over R × N.
//!
//! tokio has no callback queue: its unit of scheduled work is a task, so where asyncio
//! `call_soon`s a callback this program spawns a task whose body is that callback.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::poll_fn;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::{Builder, Runtime};
use tokio::sync::oneshot;
use tokio::task::{spawn_blocking, spawn_local, yield_now, LocalSet};
use tokio_util::time::DelayQueue;

/// What a workload reports: how many operations, how long they took, and extra JSON fields.
struct Measured {
    n: u64,
    elapsed: Duration,
    extra: String,
}

impl Measured {
    fn new(n: u64, elapsed: Duration) -> Measured {
        Measured {
            n,
            elapsed,
            extra: String::new(),
        }
    }
}

/// The command line: which workload to run and the mapreduce input.
struct Options {
    only: Option<String>,
    /// `--repeat R`, in place of `bench/repeats.txt`.
    repeat: Option<usize>,
    ngrams: Option<String>,
    chunk_lines: usize,
}

/// A workload: its name and the function that runs it.
type Workload = (&'static str, fn(&Options) -> Measured);

const WORKLOADS: &[Workload] = &[
    ("callbacks_chain", |_| callbacks_chain()),
    ("callbacks_batch", |_| callbacks_batch()),
    ("timers", |_| timers()),
    ("tasks_spawn", |_| tasks_spawn()),
    ("tasks_yield", |_| tasks_yield()),
    ("future_pingpong", |_| future_pingpong()),
    ("sleepers", |_| sleepers()),
    ("executor_roundtrip", |_| executor_roundtrip()),
    ("executor_fanout", |_| executor_fanout()),
    ("tcp_echo", |_| tcp_echo()),
    ("mapreduce", mapreduce),
];

fn main() {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("tokio-peer: {message}");
            eprintln!(
                "usage: tokio-peer [--only NAME] [--repeat R] [--ngrams PATH] [--chunk-lines K]"
            );
            std::process::exit(2);
        }
    };
    for (name, run) in WORKLOADS {
        if options.only.as_deref().is_some_and(|o| o != *name) {
            continue;
        }
        if *name == "mapreduce" && options.ngrams.is_none() {
            if options.only.is_some() {
                eprintln!("tokio-peer: mapreduce needs its input file: pass --ngrams PATH");
                std::process::exit(2);
            }
            eprintln!("tokio-peer: skipping mapreduce (no --ngrams PATH given)");
            continue;
        }
        let repeats = match options.repeat {
            Some(repeats) => repeats,
            None => repeats_of(name).unwrap_or_else(|message| {
                eprintln!("tokio-peer: {message}");
                std::process::exit(2)
            }),
        };
        let mut total = Duration::ZERO;
        let mut last = None;
        for _ in 0..repeats {
            let measured = run(&options);
            total += measured.elapsed;
            last = Some(measured);
        }
        let Measured { n, extra, .. } = last.expect("at least one run");
        println!(
            "{{\"workload\": \"{name}\", \"impl\": \"tokio\", \"n\": {n}, \"repeats\": {repeats}, \"seconds\": {:.6}, \"per_op_ns\": {:.1}{extra}}}",
            total.as_secs_f64() / repeats as f64,
            total.as_nanos() as f64 / (n * repeats as u64) as f64
        );
    }
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        only: None,
        repeat: None,
        ngrams: None,
        chunk_lines: 500_000,
    };
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--only" => options.only = Some(value()?),
            "--repeat" => {
                let text = value()?;
                options.repeat = match text.parse() {
                    Ok(r) if r > 0 => Some(r),
                    _ => return Err(format!("--repeat wants a positive number, not {text:?}")),
                };
            }
            "--ngrams" => options.ngrams = Some(value()?),
            "--chunk-lines" => {
                let text = value()?;
                options.chunk_lines = match text.parse() {
                    Ok(k) if k > 0 => k,
                    _ => {
                        return Err(format!(
                            "--chunk-lines wants a positive number, not {text:?}"
                        ))
                    }
                };
            }
            // `cargo bench`-style runners pass this; it means nothing here.
            "--bench" => {}
            _ => return Err(format!("unknown argument {arg:?}")),
        }
    }
    if let Some(name) = &options.only {
        if !WORKLOADS.iter().any(|(n, _)| n == name) {
            let names: Vec<_> = WORKLOADS.iter().map(|(n, _)| *n).collect();
            return Err(format!(
                "no workload named {name:?}; the workloads are: {}",
                names.join(", ")
            ));
        }
    }
    Ok(options)
}

/// How many times each workload runs for one measurement, shared with the other implementations.
const REPEATS: &str = include_str!("../../../repeats.txt");

/// The repeat count of `workload` in `bench/repeats.txt`.
fn repeats_of(workload: &str) -> Result<usize, String> {
    for line in REPEATS.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut fields = line.split_whitespace();
        if fields.next() == Some(workload) {
            return match fields.next().map(str::parse) {
                Some(Ok(repeats)) if repeats > 0 => Ok(repeats),
                _ => Err(format!(
                    "bench/repeats.txt: {line:?} should be a workload and a positive count"
                )),
            };
        }
    }
    Err(format!("bench/repeats.txt has no line for {workload}"))
}

/// Runs `work`, the part of a workload that is measured, and returns how long it took.
///
/// Never inlined, so that it is a function of its own in the binary: steploop's
/// `bench/profile` counts the instructions of exactly this part under callgrind and picks the
/// allocations made in it out of dhat's call stacks, as it does with steploop's `timed`.
#[inline(never)]
fn timed<T>(work: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let result = work();
    (result, start.elapsed())
}

/// One thread runs everything, as one asyncio loop does; blocking work goes to at most four
/// threads, the size of the executor pools of the other implementations.
fn runtime() -> Runtime {
    Builder::new_current_thread()
        .enable_all()
        .max_blocking_threads(4)
        .build()
        .expect("a tokio runtime")
}

/// One callback at a time: each spawns the next.
fn callbacks_chain() -> Measured {
    const N: u64 = 1_000_000;
    fn link(left: u64) {
        if left > 0 {
            spawn_local(async move { link(left - 1) });
        }
    }
    let rt = runtime();
    let local = LocalSet::new();
    let ((), elapsed) = timed(|| {
        local.spawn_local(async { link(N - 1) });
        // A LocalSet awaited as a future runs until every task spawned on it has finished.
        rt.block_on(local);
    });
    Measured::new(N, elapsed)
}

/// Spawn N one-shot tasks up front, then run until all have run.
fn callbacks_batch() -> Measured {
    const N: u64 = 1_000_000;
    let count = Rc::new(Cell::new(0u64));
    let rt = runtime();
    let local = LocalSet::new();
    let ((), elapsed) = timed(|| {
        for _ in 0..N {
            let count = count.clone();
            local.spawn_local(async move { count.set(count.get() + 1) });
        }
        rt.block_on(local);
    });
    assert_eq!(count.get(), N);
    Measured::new(N, elapsed)
}

/// Insert N timers into a `DelayQueue`, delays a seeded shuffle of [0, 10 ms); remove every
/// second one before running; run until the last live one expires.
fn timers() -> Measured {
    const N: u64 = 200_000;
    let mut delays: Vec<Duration> = (0..N)
        .map(|i| Duration::from_nanos(i * 10_000_000 / N))
        .collect();
    shuffle(&mut delays, 0x5eed);
    let rt = runtime();
    let local = LocalSet::new();
    let (fired, elapsed) = timed(|| {
        rt.block_on(local.run_until(async move {
            let mut queue = DelayQueue::with_capacity(N as usize);
            let keys: Vec<_> = delays.into_iter().map(|d| queue.insert((), d)).collect();
            for key in keys.iter().step_by(2) {
                queue.remove(key);
            }
            let mut fired = 0u64;
            // `poll_expired` answers `None` once the queue is empty: the last live timer has
            // fired.
            while poll_fn(|cx| queue.poll_expired(cx)).await.is_some() {
                fired += 1;
            }
            fired
        }))
    });
    assert_eq!(fired, N / 2);
    Measured::new(N, elapsed)
}

/// Spawn N tasks whose body returns its index at once; await them all; check the sum.
fn tasks_spawn() -> Measured {
    const N: u64 = 100_000;
    let rt = runtime();
    let local = LocalSet::new();
    let (sum, elapsed) = timed(|| {
        rt.block_on(local.run_until(async {
            let handles: Vec<_> = (0..N).map(|i| spawn_local(async move { i })).collect();
            let mut sum = 0;
            for handle in handles {
                sum += handle.await.expect("a task that cannot fail");
            }
            sum
        }))
    });
    assert_eq!(sum, N * (N - 1) / 2);
    Measured::new(N, elapsed)
}

/// 1,000 tasks, each yielding to the scheduler 1,000 times with `yield_now`.
fn tasks_yield() -> Measured {
    const TASKS: u64 = 1_000;
    const YIELDS: u64 = 1_000;
    let rt = runtime();
    let local = LocalSet::new();
    let ((), elapsed) = timed(|| {
        rt.block_on(local.run_until(async {
            let handles: Vec<_> = (0..TASKS)
                .map(|_| {
                    spawn_local(async {
                        for _ in 0..YIELDS {
                            yield_now().await;
                        }
                    })
                })
                .collect();
            for handle in handles {
                handle.await.expect("a task that cannot fail");
            }
        }));
    });
    Measured::new(TASKS * YIELDS, elapsed)
}

/// Two tasks pass a counter back and forth through fresh oneshot channels.
fn future_pingpong() -> Measured {
    const N: u64 = 200_000;
    type Inbox = Rc<RefCell<Option<oneshot::Sender<u64>>>>;
    let rt = runtime();
    let local = LocalSet::new();
    let a_inbox: Inbox = Rc::default();
    let b_inbox: Inbox = Rc::default();
    let (value, elapsed) = timed(|| {
        let (a_in, b_in) = (a_inbox.clone(), b_inbox.clone());
        // B is spawned first, and a LocalSet runs its tasks in order, so B's inbox exists
        // when A sends.
        let pong = local.spawn_local(async move {
            loop {
                let (sender, inbox) = oneshot::channel::<u64>();
                *b_in.borrow_mut() = Some(sender);
                let value = inbox.await.expect("A keeps playing");
                let reply = a_in.borrow_mut().take().expect("A waits for the reply");
                reply.send(value + 1).expect("A waits for the reply");
                // A stops once the reply brings it to 2N: this was the last round trip.
                if value + 2 >= 2 * N {
                    return;
                }
            }
        });
        let ping = local.spawn_local(async move {
            let mut value = 0;
            while value < 2 * N {
                let (sender, inbox) = oneshot::channel::<u64>();
                *a_inbox.borrow_mut() = Some(sender);
                let to_b = b_inbox.borrow_mut().take().expect("B waits for the ball");
                to_b.send(value).expect("B waits for the ball");
                value = inbox.await.expect("B answers") + 1;
            }
            value
        });
        rt.block_on(local.run_until(async move {
            let value = ping.await.expect("ping finishes");
            pong.await.expect("pong finishes");
            value
        }))
    });
    assert!(value >= 2 * N);
    Measured::new(N, elapsed)
}

/// One task awaits `spawn_blocking(noop)` N times, one after another: each call is a round trip
/// from the runtime's thread to a blocking-pool thread and back.
fn executor_roundtrip() -> Measured {
    const N: u64 = 20_000;
    let rt = runtime();
    let local = LocalSet::new();
    let (calls, elapsed) = timed(|| {
        rt.block_on(local.run_until(async {
            let mut calls = 0;
            for _ in 0..N {
                spawn_blocking(|| ()).await.expect("a noop");
                calls += 1;
            }
            calls
        }))
    });
    assert_eq!(calls, N);
    Measured::new(N, elapsed)
}

/// Start N `spawn_blocking(noop)` at once and await them all.
fn executor_fanout() -> Measured {
    const N: u64 = 100_000;
    let rt = runtime();
    let local = LocalSet::new();
    let (done, elapsed) = timed(|| {
        rt.block_on(local.run_until(async {
            let handles: Vec<_> = (0..N).map(|_| spawn_blocking(|| ())).collect();
            let mut done = 0u64;
            for handle in handles {
                handle.await.expect("a noop");
                done += 1;
            }
            done
        }))
    });
    assert_eq!(done, N);
    Measured::new(N, elapsed)
}

/// One server and 50 clients on the same thread over 127.0.0.1: each client sends a 64-byte
/// message and awaits its echo, 2,000 times. The server runs one task per connection.
fn tcp_echo() -> Measured {
    const CLIENTS: usize = 50;
    const ROUNDS: usize = 2_000;
    const SIZE: usize = 64;
    let rt = runtime();
    let local = LocalSet::new();
    let (echoed, elapsed) = timed(|| {
        rt.block_on(local.run_until(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let addr = listener.local_addr().expect("local address");
            let server = spawn_local(async move {
                let mut handlers = Vec::new();
                for _ in 0..CLIENTS {
                    let (mut stream, _) = listener.accept().await.expect("accept");
                    stream.set_nodelay(true).expect("nodelay");
                    handlers.push(spawn_local(async move {
                        // A server reads what has come, as much as a usual buffer holds.
                        let mut buf = [0; 4096];
                        loop {
                            let n = stream.read(&mut buf).await.expect("read");
                            if n == 0 {
                                return;
                            }
                            stream.write_all(&buf[..n]).await.expect("write");
                        }
                    }));
                }
                for handler in handlers {
                    handler.await.expect("a handler");
                }
            });
            let clients: Vec<_> = (0..CLIENTS)
                .map(|id| {
                    spawn_local(async move {
                        let mut stream = TcpStream::connect(addr).await.expect("connect");
                        stream.set_nodelay(true).expect("nodelay");
                        let message = [id as u8; SIZE];
                        let mut reply = [0; SIZE];
                        for _ in 0..ROUNDS {
                            stream.write_all(&message).await.expect("write");
                            stream.read_exact(&mut reply).await.expect("read");
                        }
                        assert_eq!(reply, message);
                        stream.shutdown().await.expect("shutdown");
                        ROUNDS as u64
                    })
                })
                .collect();
            let mut rounds = 0;
            for client in clients {
                rounds += client.await.expect("a client");
            }
            server.await.expect("the server");
            rounds
        }))
    });
    assert_eq!(echoed, (CLIENTS * ROUNDS) as u64);
    Measured::new(echoed, elapsed)
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

/// N tasks each `sleep(1 s)` at once; await them all; report peak RSS and the RSS growth per
/// sleeping task (measured as steploop's bench does: before the runtime exists, and half a
/// second in, while every task sleeps).
fn sleepers() -> Measured {
    const N: u64 = 1_000_000;
    let (before, _) = rss_kib();
    let rt = runtime();
    let local = LocalSet::new();
    let during = Rc::new(Cell::new(0));
    let seen = during.clone();
    let ((), elapsed) = timed(|| {
        rt.block_on(local.run_until(async move {
            let handles: Vec<_> = (0..N)
                .map(|_| spawn_local(tokio::time::sleep(Duration::from_secs(1))))
                .collect();
            spawn_local(async move {
                tokio::time::sleep(Duration::from_millis(500)).await;
                seen.set(rss_kib().0);
            });
            for handle in handles {
                handle.await.expect("a sleeper");
            }
        }));
    });
    let (_, peak) = rss_kib();
    let per_task = (during.get().saturating_sub(before)) * 1024 / N;
    let mut measured = Measured::new(N, elapsed);
    measured.extra = format!(", \"peak_rss_kb\": {peak}, \"rss_bytes_per_task\": {per_task}");
    measured
}

/// The word whose total count every implementation prints as a check.
const CHECK_WORD: &str = "Aardvark";

/// Word frequency over the 1-gram file: chunks of `--chunk-lines` lines are mapped on the
/// blocking pool (two threads at a time, as two workers), then the counts are merged.
///
/// Reading the file and finding where its lines start is loading the input and is not timed,
/// as `readlines()` is not in the seed's asyncio version.
fn mapreduce(options: &Options) -> Measured {
    const WORKERS: usize = 2;
    let path = options.ngrams.as_deref().expect("checked in main");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
        eprintln!("tokio-peer: cannot read the ngram file {path:?}: {e}");
        std::process::exit(2)
    });
    let mut line_starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    if line_starts.last() == Some(&text.len()) {
        line_starts.pop();
    }
    let lines = line_starts.len();
    line_starts.push(text.len());
    let text: Arc<str> = text.into();
    let rt = Builder::new_current_thread()
        .enable_all()
        .max_blocking_threads(WORKERS)
        .build()
        .expect("a tokio runtime");
    let local = LocalSet::new();
    let chunk_lines = options.chunk_lines;
    let (totals, elapsed) = timed(|| {
        rt.block_on(local.run_until(async move {
            let handles: Vec<_> = (0..lines)
                .step_by(chunk_lines)
                .map(|first| {
                    let range = line_starts[first]..line_starts[(first + chunk_lines).min(lines)];
                    let text = text.clone();
                    spawn_blocking(move || map_frequencies(&text[range]))
                })
                .collect();
            // Gather, then reduce, as the workload says (and as the seed's asyncio.gather does):
            // every chunk is mapped before the first merge.
            let mut middle_results = Vec::with_capacity(handles.len());
            for handle in handles {
                middle_results.push(handle.await.expect("a map job"));
            }
            let mut totals: HashMap<String, u64> = HashMap::new();
            for counts in middle_results {
                totals = merge(totals, counts);
            }
            totals
        }))
    });
    let check = totals.get(CHECK_WORD).copied().unwrap_or(0);
    let mut measured = Measured::new(lines as u64, elapsed);
    let chunks = lines.div_ceil(chunk_lines);
    measured.extra = format!(", \"check\": {check}, \"chunks\": {chunks}");
    measured
}

/// The map step, as steploop's `map_frequencies` does it: the total count of each word over
/// the lines of one chunk, each line being `word\tyear\tcount\tbooks`.
fn map_frequencies(chunk: &str) -> HashMap<String, u64> {
    let mut frequencies: HashMap<String, u64> = HashMap::new();
    for line in chunk.lines() {
        let mut fields = line.split('\t');
        let (Some(word), Some(_year), Some(count), Some(_books), None) = (
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
        ) else {
            panic!("{line:?} is not a 1-gram line: expected word, year, count and books separated by tabs");
        };
        let count: u64 = count
            .parse()
            .unwrap_or_else(|_| panic!("{line:?}: the count {count:?} is not a whole number"));
        // Look up by &str first: a String is allocated only for a word seen for the first time.
        match frequencies.get_mut(word) {
            Some(total) => *total += count,
            None => {
                frequencies.insert(word.to_owned(), count);
            }
        }
    }
    frequencies
}

/// The reduce step, as steploop's `merge_frequencies` does it: add the smaller map into the
/// larger, so that the work is proportional to the smaller one.
fn merge(first: HashMap<String, u64>, second: HashMap<String, u64>) -> HashMap<String, u64> {
    let (mut into, from) = if first.len() >= second.len() {
        (first, second)
    } else {
        (second, first)
    };
    for (word, count) in from {
        *into.entry(word).or_insert(0) += count;
    }
    into
}

/// Fisher–Yates with a xorshift generator: the same order on every run and every machine (the
/// same generator and seed as steploop's bench, so every implementation gets the same delays).
fn shuffle<T>(items: &mut [T], seed: u64) {
    let mut state = seed;
    for i in (1..items.len()).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        items.swap(i, (state % (i as u64 + 1)) as usize);
    }
}
