//! Chapter 12, "Processes": the process pool's behaviour, and what its examples print.
//!
//! A worker is the test program itself, started again: so this test has its own `main`
//! (`harness = false` in Cargo.toml) whose first line is `worker_entry`, as every program that
//! starts a process pool must. The tests run one after another; each names what it checks,
//! and after each the runner checks that it left no child process (zombie or not) and no
//! descriptor open.
//!
//! What makes the snapshots deterministic: worker PIDs and times are never printed, only
//! what follows from the pool's rules (a worker per submit while none is idle, results in
//! the order of the items for `map` and `gather`).

// The solution to the chapter's first exercise is a program of its own that pulls in
// `ch12_count`, which this test pulls in too.
#![allow(clippy::duplicate_mod)]

use std::collections::BTreeSet;
use std::fs::File;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::process::{Command, Stdio};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

// Declared before `capture`, whose `println!` would keep the job's lines in the worker: this
// example prints with std's, and its test reads the stdout of a run of it.
#[path = "../examples/ch12_print.rs"]
mod ch12_print;

#[macro_use]
mod capture;

use capture::output_of;

#[path = "../examples/ch12_blocks.rs"]
mod ch12_blocks;
#[path = "../examples/ch12_count.rs"]
mod ch12_count;
#[path = "../examples/ch12_ps.rs"]
mod ch12_ps;
#[path = "../examples/ch12_step1.rs"]
mod ch12_step1;
#[path = "../examples/ch13_processes.rs"]
mod ch13_processes;
// The solution to the chapter's first exercise starts a process pool: checked here.
#[allow(dead_code)]
#[path = "../examples/solutions/ch12_chunksize.rs"]
mod ch12_chunksize;

use steploop::process::{decode_u64, encode_u64, worker_entry, Job, ProcessPoolExecutor};
use steploop::{gather, get_running_loop, run, Error};

// ANCHOR: test_jobs
fn square(args: &[u8]) -> Result<Vec<u8>, Error> {
    let n = decode_u64(args)?;
    Ok(encode_u64(n * n))
}

fn fail(_: &[u8]) -> Result<Vec<u8>, Error> {
    Err(Error::msg("Something wrong!"))
}

fn panics(_: &[u8]) -> Result<Vec<u8>, Error> {
    panic!("a job that panics")
}

fn abort(_: &[u8]) -> Result<Vec<u8>, Error> {
    std::process::abort()
}

fn exit(args: &[u8]) -> Result<Vec<u8>, Error> {
    std::process::exit(decode_u64(args)? as i32)
}

fn sleep_ms(args: &[u8]) -> Result<Vec<u8>, Error> {
    std::thread::sleep(Duration::from_millis(decode_u64(args)?));
    Ok(encode_u64(u64::from(std::process::id())))
}

fn worker_env_is_set(_: &[u8]) -> Result<Vec<u8>, Error> {
    let set = std::env::var_os(steploop::process::WORKER_ENV).is_some();
    Ok(encode_u64(u64::from(set)))
}

fn echo(args: &[u8]) -> Result<Vec<u8>, Error> {
    Ok(args.to_vec())
}

/// Sleeps 0.2 s, then creates the file named by `args`: a job that leaves a mark once it has
/// run to the end.
fn sleep_then_mark(args: &[u8]) -> Result<Vec<u8>, Error> {
    let path = steploop::process::decode_str(args)?;
    std::thread::sleep(Duration::from_millis(200));
    std::fs::write(path, b"")?;
    Ok(Vec::new())
}

fn prints(_: &[u8]) -> Result<Vec<u8>, Error> {
    std::println!("hello from a job, on stdout");
    std::eprintln!("hello from a job, on stderr");
    Ok(encode_u64(7))
}

/// Reads stdin to its end: a worker's stdin is `/dev/null`, as in Python's workers.
fn read_stdin(_: &[u8]) -> Result<Vec<u8>, Error> {
    let mut input = Vec::new();
    std::io::stdin().read_to_end(&mut input)?;
    Ok(encode_u64(input.len() as u64))
}

/// A rustix result as the jobs' result.
fn os<T>(result: rustix::io::Result<T>) -> Result<T, Error> {
    result.map_err(|errno| std::io::Error::from(errno).into())
}

/// Points the worker's stdout at `/dev/null`, as a job or a library it calls may do.
fn redirect_stdout(_: &[u8]) -> Result<Vec<u8>, Error> {
    os(rustix::stdio::dup2_stdout(File::open("/dev/null")?))?;
    Ok(encode_u64(1))
}

/// What a program the job starts inherits: `ls -l` of its descriptors.
fn child_descriptors(_: &[u8]) -> Result<Vec<u8>, Error> {
    let listing = Command::new("sh")
        .args(["-c", "ls -l /proc/$$/fd"])
        .stdin(Stdio::inherit()) // `output` would make it null
        .stderr(Stdio::null())
        .output()?;
    Ok(listing.stdout)
}

/// Starts `sleep 3600`, which inherits the worker's stdin and stdout (where the pool once
/// read its replies), writes its pid to the file named by `args`, and aborts.
fn start_a_child_and_abort(args: &[u8]) -> Result<Vec<u8>, Error> {
    let path = steploop::process::decode_str(args)?;
    let child = Command::new("sleep")
        .arg("3600")
        .stderr(Stdio::null())
        .spawn()?;
    std::fs::write(path, child.id().to_string())?;
    std::process::abort()
}

/// Shuts down every socket of the worker (its channel is the only one) and sleeps: the
/// channel breaks while the worker lives, as if a job had closed a descriptor not its own.
/// `pidfd_getfd` on itself gives the job a descriptor it can shut down without `unsafe`.
fn shut_the_channel(_: &[u8]) -> Result<Vec<u8>, Error> {
    use rustix::process::{getpid, pidfd_getfd, pidfd_open, PidfdFlags, PidfdGetfdFlags};
    let me = os(pidfd_open(getpid(), PidfdFlags::empty()))?;
    let mut shut = 0;
    for entry in std::fs::read_dir("/proc/self/fd")? {
        let entry = entry?;
        let target = std::fs::read_link(entry.path()).unwrap_or_default();
        let Ok(fd) = entry.file_name().to_string_lossy().parse() else {
            continue;
        };
        if target.to_string_lossy().starts_with("socket:") {
            let socket = os(pidfd_getfd(&me, fd, PidfdGetfdFlags::empty()))?;
            os(rustix::net::shutdown(&socket, rustix::net::Shutdown::Both))?;
            shut += 1;
        }
    }
    if shut == 0 {
        return Err(Error::msg("no socket to shut down"));
    }
    std::thread::sleep(Duration::from_secs(3600));
    Ok(Vec::new())
}
// ANCHOR_END: test_jobs

const TEST_JOBS: &[Job] = &[
    Job::new("square", square),
    Job::new("fail", fail),
    Job::new("panics", panics),
    Job::new("abort", abort),
    Job::new("exit", exit),
    Job::new("sleep_ms", sleep_ms),
    Job::new("prints", prints),
    Job::new("read_stdin", read_stdin),
    Job::new("redirect_stdout", redirect_stdout),
    Job::new("child_descriptors", child_descriptors),
    Job::new("start_a_child_and_abort", start_a_child_and_abort),
    Job::new("shut_the_channel", shut_the_channel),
    Job::new("echo", echo),
    Job::new("sleep_then_mark", sleep_then_mark),
    Job::new("worker_env_is_set", worker_env_is_set),
];

/// Set by `a_worker_without_worker_entry_refuses_to_start_a_pool` for the copy of this program
/// it starts: that copy behaves like a program that forgot `worker_entry`.
const FORGET_ENTRY: &str = "CH12_FORGET_WORKER_ENTRY";
/// Set by `print` for the copy of this program it starts, which runs `ch12_print::main`.
const PRINT_EXAMPLE: &str = "CH12_PRINT_EXAMPLE";
/// Set by `a_job_may_print_to_stdout_and_stderr` for the copy of this program it starts,
/// whose stdout it reads: that copy runs a job that prints, and prints its result.
const PRINTING_PROGRAM: &str = "CH12_PRINTING_PROGRAM";

/// `(name, function)` for each test function named.
macro_rules! tests {
    ($($name:ident),* $(,)?) => {
        &[$((stringify!($name), $name as fn())),*]
    };
}

fn main() {
    if std::env::var_os(FORGET_ENTRY).is_some() {
        let _pool = ProcessPoolExecutor::new(1); // panics: this process is a worker
        return;
    }
    let jobs = [
        TEST_JOBS,
        ch12_blocks::JOBS,
        ch12_count::JOBS,
        ch12_ps::JOBS,
        ch13_processes::JOBS,
        ch12_chunksize::JOBS,
        ch12_step1::JOBS,
        ch12_print::JOBS,
    ]
    .concat();
    worker_entry(&jobs);
    // Quiet the workers' loggers (they inherit the environment): the test reads results,
    // not their stderr.
    std::env::set_var("RUST_LOG", "off");
    if std::env::var_os(PRINT_EXAMPLE).is_some() {
        ch12_print::main();
        return;
    }
    if std::env::var_os(PRINTING_PROGRAM).is_some() {
        let executor = pool(1);
        let printed = executor.submit("prints", b"").unwrap().result();
        std::println!("the job returned {}", value(printed));
        let read = executor.submit("read_stdin", b"").unwrap().result();
        std::println!("the job read {} bytes from stdin", value(read));
        return;
    }

    let tests: &[(&str, fn())] = tests![
        submit_result_and_map_without_a_loop,
        run_in_process_pool_on_the_loop,
        big_requests_and_replies_cross_in_pieces,
        job_errors_and_panics_stay_with_their_job,
        unknown_job_says_which_jobs_exist,
        abort_breaks_the_pool,
        exit_breaks_the_pool,
        sigkill_breaks_the_pool_on_the_loop,
        a_job_may_print_to_stdout_and_stderr,
        a_job_that_redirects_stdout_leaves_the_pool_working,
        a_jobs_children_inherit_no_channel,
        a_dead_worker_breaks_the_pool_whatever_its_children_do,
        a_worker_whose_channel_breaks_is_killed_then_reaped,
        a_program_without_worker_entry_is_reported,
        a_missing_program_is_an_error,
        a_worker_without_worker_entry_refuses_to_start_a_pool,
        a_worker_that_never_greets_breaks_the_pool_in_time,
        map_that_cannot_submit_every_item_leaves_no_job_running,
        shutdown_without_waiting_lets_jobs_finish,
        shutdown_refuses_work_and_cancels_the_queue,
        shutdown_reaps_every_worker,
        step1,
        blocks,
        print,
        ps,
        count,
        mapreduce_on_processes,
        chunksize_solution,
        no_descriptor_is_left_behind,
    ];
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let mut failed = Vec::new();
    for (name, test) in tests {
        if !filters.is_empty() && !filters.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        let started = Instant::now();
        let descriptors = open_descriptors();
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            test();
            // Every pool of the test is gone, broken or not: it must have left nothing behind.
            no_child_is_left(name);
            no_descriptor_is_left(name, &descriptors);
        }));
        let verdict = if outcome.is_ok() { "ok" } else { "FAILED" };
        eprintln!("test {name} ... {verdict} ({:.2?})", started.elapsed());
        if outcome.is_err() {
            failed.push(*name);
        }
    }
    if !failed.is_empty() {
        eprintln!("failed: {failed:?}");
        std::process::exit(1);
    }
}

/// A pool whose workers are this test program.
fn pool(max_workers: usize) -> ProcessPoolExecutor {
    ProcessPoolExecutor::new(max_workers)
}

fn value(result: Result<Vec<u8>, Error>) -> u64 {
    decode_u64(&result.expect("the job succeeds")).expect("one integer")
}

fn submit_result_and_map_without_a_loop() {
    let executor = pool(2);
    let future = executor.submit("square", encode_u64(7)).unwrap();
    assert_eq!(value(future.result()), 49);
    assert_eq!(executor.worker_pids().len(), 1); // started lazily, one at a time
    let squares: Vec<u64> = executor
        .map("square", (1..=6).map(encode_u64))
        .unwrap()
        .map(value)
        .collect();
    assert_eq!(squares, [1, 4, 9, 16, 25, 36]);
    assert!(executor.worker_pids().len() <= 2);
    assert!(!executor.worker_pids().contains(&std::process::id()));
    // worker_entry takes the flag out of the worker's environment, so that a program a job
    // starts is not mistaken for a worker.
    let flag = executor.submit("worker_env_is_set", b"").unwrap();
    assert_eq!(value(flag.result()), 0);
}

fn run_in_process_pool_on_the_loop() {
    let executor = Arc::new(pool(2));
    let pool = executor.clone();
    let results = run(async move {
        let executor = pool;
        let lp = get_running_loop().unwrap();
        let futures: Vec<_> = [3, 1, 2]
            .iter()
            .map(|&n| lp.run_in_process_pool(&executor, "square", encode_u64(n)))
            .collect();
        gather(futures)?.await
    })
    .unwrap();
    let results: Vec<u64> = results.iter().map(|r| decode_u64(r).unwrap()).collect();
    assert_eq!(results, [9, 1, 4]);
    // The blocking API and the loop share the pool and its workers.
    assert_eq!(
        value(executor.submit("square", encode_u64(5)).unwrap().result()),
        25
    );
}

/// Far more than a pipe holds (64 KiB on Linux): the request is written in pieces as the
/// worker reads (the writer callback), and the reply read in pieces as it comes.
fn big_requests_and_replies_cross_in_pieces() {
    let executor = pool(2);
    let big: Vec<u8> = (0..4 << 20).map(|i: u32| (i % 251) as u8).collect();
    let futures: Vec<_> = (0..3)
        .map(|_| executor.submit("echo", &big).unwrap())
        .collect();
    for future in futures {
        assert!(future.result().unwrap() == big);
    }
}

fn job_errors_and_panics_stay_with_their_job() {
    let executor = pool(1);
    let failed = executor.submit("fail", b"").unwrap().result().unwrap_err();
    assert_eq!(failed.to_string(), "Something wrong!");
    let panicked = executor
        .submit("panics", b"")
        .unwrap()
        .result()
        .unwrap_err();
    assert!(
        matches!(&panicked, Error::Panicked(m) if &**m == "a job that panics"),
        "{panicked:?}"
    );
    let bad_args = executor
        .submit("square", b"12")
        .unwrap()
        .result()
        .unwrap_err();
    assert!(
        bad_args.to_string().contains("8 bytes needed, 2 left"),
        "{bad_args}"
    );
    // The same worker lives on and runs the next job.
    let pids = executor.worker_pids();
    assert_eq!(
        value(executor.submit("square", encode_u64(4)).unwrap().result()),
        16
    );
    assert_eq!(executor.worker_pids(), pids);
}

fn unknown_job_says_which_jobs_exist() {
    let executor = pool(1);
    let error = executor
        .submit("sqaure", b"")
        .unwrap()
        .result()
        .unwrap_err()
        .to_string();
    assert!(error.contains("no job named \"sqaure\""), "{error}");
    assert!(error.contains("\"square\""), "{error}");
    assert!(error.contains("worker_entry"), "{error}");
}

/// Waits (at most a minute, to catch a hang) until `pids` are all reaped.
fn assert_reaped(pids: &[u32]) {
    let deadline = Instant::now() + Duration::from_secs(60);
    for &pid in pids {
        while let Some(state) = child_state(pid) {
            assert!(
                Instant::now() < deadline,
                "worker {pid} is still a child, state {state}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// The state letter (`R`, `S`, `Z`, ...) of `pid` if it is a child of this process.
fn child_state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "pid (comm) state ppid ...": the name may hold spaces, so split after its ')'.
    let fields: Vec<&str> = stat[stat.rfind(')')? + 1..].split_whitespace().collect();
    let ppid: u32 = fields.get(1)?.parse().ok()?;
    (ppid == std::process::id()).then(|| fields[0].chars().next().unwrap_or('?'))
}

/// Run after each test, whose pools have all been dropped: none may have left a child behind
/// unreaped, in state `Z` or any other.
fn no_child_is_left(test: &str) {
    let children: Vec<(u32, char)> = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
        .filter_map(|pid| Some((pid, child_state(pid)?)))
        .collect();
    assert_eq!(
        children,
        [],
        "children left by {test} (pid, state), still in the process table"
    );
}

/// Run after each test: every pipe, socket and poll descriptor its pools opened is closed.
fn no_descriptor_is_left(test: &str, before: &BTreeSet<u32>) {
    let after = open_descriptors();
    let left: Vec<String> = after
        .difference(before)
        .map(|fd| {
            let target = std::fs::read_link(format!("/proc/self/fd/{fd}")).unwrap_or_default();
            format!("{fd} -> {}", target.display())
        })
        .collect();
    assert!(left.is_empty(), "descriptors left open by {test}: {left:?}");
}

fn broken_message(error: &Error) -> String {
    match error {
        Error::BrokenProcessPool(why) => why.to_string(),
        other => panic!("expected BrokenProcessPool, got {other:?}"),
    }
}

/// A worker that dies breaks the pool: its job, the other jobs, and later submits all fail.
fn assert_breaks(executor: &ProcessPoolExecutor, job: &str, args: Vec<u8>, how: &str) {
    let sleeper = executor.submit("sleep_ms", encode_u64(60_000)).unwrap();
    let dying = executor.submit(job, args).unwrap();
    let queued = executor.submit("square", encode_u64(2)).unwrap();
    let pids = executor.worker_pids();
    assert_eq!(pids.len(), 2);
    for future in [&dying, &sleeper, &queued] {
        let why = broken_message(&future.exception().unwrap().unwrap());
        assert!(why.contains(how), "{why}");
    }
    assert_reaped(&pids);
    let refused = executor.submit("square", encode_u64(2)).unwrap_err();
    assert!(broken_message(&refused).contains(how));
    assert!(refused
        .to_string()
        .contains("create a new ProcessPoolExecutor"));
    assert!(refused.to_string().contains("terminated abruptly"));
}

fn abort_breaks_the_pool() {
    assert_breaks(&pool(2), "abort", Vec::new(), "signal: 6 (SIGABRT)");
}

fn exit_breaks_the_pool() {
    assert_breaks(&pool(2), "exit", encode_u64(3), "exit status: 3");
}

fn sigkill_breaks_the_pool_on_the_loop() {
    let executor = Arc::new(pool(1));
    let pool = executor.clone();
    let outcome = run(async move {
        let executor = pool;
        let lp = get_running_loop().unwrap();
        let job = lp.run_in_process_pool(&executor, "sleep_ms", encode_u64(60_000));
        let pid = executor.worker_pids()[0];
        let killed = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
        assert!(killed.unwrap().success());
        Ok::<_, Error>((job.await, pid))
    })
    .unwrap();
    let why = broken_message(&outcome.0.unwrap_err());
    assert!(why.contains("signal: 9 (SIGKILL)"), "{why}");
    assert!(executor.worker_pids().is_empty());
    assert_reaped(&[outcome.1]);
}

/// Runs `body` in a thread and fails, instead of hanging, if it takes more than a minute.
fn must_finish<T: Send + 'static>(body: impl FnOnce() -> T + Send + 'static) -> T {
    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(catch_unwind(AssertUnwindSafe(body)));
    });
    match finished.recv_timeout(Duration::from_secs(60)) {
        Ok(Ok(value)) => value,
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => panic!("the test hung"),
    }
}

/// A job's stdout and stderr are the parent's, as in Python; its stdin is `/dev/null`.
fn a_job_may_print_to_stdout_and_stderr() {
    let output = must_finish(|| {
        Command::new(std::env::current_exe().unwrap())
            .env(PRINTING_PROGRAM, "1")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    });
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert_eq!(
        stdout,
        "hello from a job, on stdout\nthe job returned 7\nthe job read 0 bytes from stdin\n"
    );
    assert!(stderr.contains("hello from a job, on stderr"), "{stderr}");
}

/// A job that points the worker's stdout elsewhere takes nothing from the pool: the replies
/// have a channel of their own. Meanwhile, other threads are never kept waiting.
fn a_job_that_redirects_stdout_leaves_the_pool_working() {
    must_finish(|| {
        let executor = Arc::new(pool(1));
        let pids = executor.worker_pids();
        assert_eq!(
            value(executor.submit("redirect_stdout", b"").unwrap().result()),
            1
        );
        let pool = executor.clone();
        let other_thread = std::thread::spawn(move || pool.worker_pids());
        assert_eq!(
            value(executor.submit("square", encode_u64(2)).unwrap().result()),
            4
        );
        assert_eq!(other_thread.join().unwrap().len(), 1);
        drop(executor);
        assert_reaped(&pids);
    });
}

/// Neither the channel nor the worker's role reaches a program a job starts: its stdin is
/// `/dev/null`, and it has no socket.
fn a_jobs_children_inherit_no_channel() {
    let executor = pool(1);
    let listing = executor
        .submit("child_descriptors", b"")
        .unwrap()
        .result()
        .unwrap();
    let listing = String::from_utf8_lossy(&listing);
    let stdin = listing.lines().find(|line| line.contains(" 0 -> "));
    assert!(
        stdin.is_some_and(|line| line.ends_with("/dev/null")),
        "{listing}"
    );
    assert!(!listing.contains("socket:"), "{listing}");
}

/// Kills, by the pid in `file`, the process a job started, when the test is over.
struct KillOnDrop(std::path::PathBuf);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Ok(pid) = std::fs::read_to_string(&self.0) {
            let _ = Command::new("kill").args(["-KILL", pid.trim()]).status();
        }
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A worker that dies breaks the pool at once, even though the process its job started lives
/// on with every descriptor it inherited.
fn a_dead_worker_breaks_the_pool_whatever_its_children_do() {
    let file = std::env::temp_dir().join(format!("ch12-child-{}", std::process::id()));
    let _child = KillOnDrop(file.clone());
    must_finish(move || {
        let executor = pool(1);
        let args = steploop::process::encode_str(file.to_str().unwrap());
        let pids = {
            let dying = executor.submit("start_a_child_and_abort", args).unwrap();
            let pids = executor.worker_pids();
            let why = broken_message(&dying.exception().unwrap().unwrap());
            assert!(why.contains("signal: 6 (SIGABRT)"), "{why}");
            pids
        };
        assert_reaped(&pids);
    });
}

/// A channel that breaks while its worker runs (a job shut it down, then slept) gets the
/// worker killed, then reaped; the pool breaks, and says so.
fn a_worker_whose_channel_breaks_is_killed_then_reaped() {
    must_finish(|| {
        let executor = Arc::new(pool(2));
        let sleeper = executor.submit("sleep_ms", encode_u64(60_000)).unwrap();
        let closing = executor.submit("shut_the_channel", b"").unwrap();
        let pids = executor.worker_pids();
        let why = broken_message(&closing.exception().unwrap().unwrap());
        assert!(
            why.contains("its channel to the pool ended while it was still running"),
            "{why}"
        );
        assert!(
            why.contains("so the pool killed it (signal: 9 (SIGKILL))"),
            "{why}"
        );
        assert!(broken_message(&sleeper.exception().unwrap().unwrap()).contains(&why));
        assert_reaped(&pids);
        assert!(executor.worker_pids().is_empty());
    });
}

/// The open descriptors of this process, by number.
fn open_descriptors() -> BTreeSet<u32> {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
        .collect()
}

/// A pool that ran jobs and one that broke leave no socket, pipe or poll descriptor behind
/// once dropped.
fn no_descriptor_is_left_behind() {
    let before = open_descriptors();
    let executor = pool(2);
    let squares: Vec<u64> = executor
        .map("square", (1..=4).map(encode_u64))
        .unwrap()
        .map(value)
        .collect();
    assert_eq!(squares, [1, 4, 9, 16]);
    drop(executor);
    let broken = pool(2);
    let _sleeper = broken.submit("sleep_ms", encode_u64(60_000)).unwrap();
    let failed = broken.submit("abort", b"").unwrap();
    assert!(failed.exception().unwrap().is_some());
    drop(broken);
    // This test's own listing of /proc/self/fd is closed by then.
    assert_eq!(open_descriptors(), before);
}

fn a_program_without_worker_entry_is_reported() {
    let executor = ProcessPoolExecutor::with_program(1, "true");
    let error = executor
        .submit("square", encode_u64(1))
        .unwrap()
        .result()
        .unwrap_err();
    let why = broken_message(&error);
    assert!(why.contains("exit status: 0"), "{why}");
    assert!(why.contains("never greeted the pool"), "{why}");
    assert!(why.contains("worker_entry"), "{why}");
}

fn a_missing_program_is_an_error() {
    let executor = ProcessPoolExecutor::with_program(1, "/nonexistent/worker");
    let error = executor
        .submit("square", encode_u64(1))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("cannot start the worker program /nonexistent/worker"),
        "{error}"
    );
}

/// The fork bomb Python's `__main__` rule prevents: a worker whose `main` starts a pool.
fn a_worker_without_worker_entry_refuses_to_start_a_pool() {
    let output = Command::new(std::env::current_exe().unwrap())
        .env(steploop::process::WORKER_ENV, "1")
        .env(FORGET_ENTRY, "1")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("started as a process-pool worker"),
        "{stderr}"
    );
    assert!(stderr.contains("worker_entry(JOBS) first"), "{stderr}");
}

/// A worker program that hangs before it could greet (a script that sleeps, standing for a
/// `main` stuck before `worker_entry`): the pool waits for the greeting only so long, then
/// kills the worker, and every job fails with an error that says what to do.
fn a_worker_that_never_greets_breaks_the_pool_in_time() {
    let script = std::env::temp_dir().join(format!("ch12-hangs-{}", std::process::id()));
    std::fs::write(&script, "#!/bin/sh\nexec sleep 3600\n").unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o700)).unwrap();
    let program = script.clone();
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        must_finish(move || {
            let executor = ProcessPoolExecutor::with_program(1, program)
                .with_greeting_timeout(Duration::from_millis(200));
            let sent = executor.submit("square", encode_u64(2)).unwrap();
            let queued = executor.submit("square", encode_u64(3)).unwrap();
            let pids = executor.worker_pids();
            for future in [&sent, &queued] {
                let why = broken_message(&future.exception().unwrap().unwrap());
                assert!(why.contains("sent no greeting within 200ms"), "{why}");
                assert!(why.contains("with_greeting_timeout"), "{why}");
                assert!(why.contains("so the pool killed it (signal: 9"), "{why}");
                assert!(
                    why.contains("call steploop::process::worker_entry"),
                    "{why}"
                );
            }
            assert_reaped(&pids);
            let refused = executor.submit("square", encode_u64(4)).unwrap_err();
            assert!(broken_message(&refused).contains("sent no greeting"));
        })
    }));
    let _ = std::fs::remove_file(&script);
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// `map` submits every item before it returns; when one cannot be submitted (the pool was
/// shut down while `map` read the items), `map` returns the error only once none of the jobs
/// it submitted can run on unobserved: the one running has ended, and nothing runs after
/// `map` has returned. (The two queued behind it are cancelled, unless the first one ended
/// before `map` got to them; either way they leave no job running.)
fn map_that_cannot_submit_every_item_leaves_no_job_running() {
    let dir = std::env::temp_dir().join(format!("ch12-map-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let marks: Vec<_> = (0..3).map(|i| dir.join(format!("job-{i}"))).collect();
    let marked = || marks.iter().map(|m| m.exists()).collect::<Vec<_>>();
    let executor = pool(1);
    let items = marks
        .iter()
        .map(|mark| steploop::process::encode_str(mark.to_str().unwrap()))
        .chain(std::iter::once_with(|| {
            executor.shutdown(false, false); // another thread might do this
            steploop::process::encode_str("never submitted")
        }));
    let error = executor.map("sleep_then_mark", items).unwrap_err();
    assert!(matches!(error, Error::ExecutorShutdown), "{error:?}");
    let when_map_returned = marked();
    assert!(
        when_map_returned[0],
        "map returned while the job it had started still ran"
    );
    drop(executor); // waits for every job the pool still runs
    assert_eq!(
        marked(),
        when_map_returned,
        "a job ran on after map returned"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

fn shutdown_without_waiting_lets_jobs_finish() {
    let executor = pool(1);
    let running = executor.submit("sleep_ms", encode_u64(100)).unwrap();
    let queued = executor.submit("square", encode_u64(9)).unwrap();
    let pids = executor.worker_pids();
    executor.shutdown(false, false); // returns at once: the jobs finish in the background
    assert!(running.result().is_ok());
    assert_eq!(value(queued.result()), 81);
    assert_reaped(&pids); // the worker exits once the queue is empty, and is reaped
    drop(executor);
}

fn shutdown_refuses_work_and_cancels_the_queue() {
    let executor = pool(1);
    let running = executor.submit("sleep_ms", encode_u64(200)).unwrap();
    let queued = executor.submit("square", encode_u64(3)).unwrap();
    executor.shutdown(true, true);
    assert!(queued.cancelled());
    assert!(running.result().is_ok()); // in flight: it ran to the end
    assert!(matches!(
        executor.submit("square", encode_u64(3)),
        Err(Error::ExecutorShutdown)
    ));
    executor.shutdown(true, false); // again: harmless
}

fn shutdown_reaps_every_worker() {
    let executor = pool(3);
    let futures: Vec<_> = (0..6)
        .map(|_| executor.submit("sleep_ms", encode_u64(50)).unwrap())
        .collect();
    let pids = executor.worker_pids();
    assert_eq!(pids.len(), 3);
    drop(executor); // shutdown(wait = true)
    for &pid in &pids {
        assert_eq!(child_state(pid), None, "worker {pid} was not reaped");
    }
    let ran_in: BTreeSet<u64> = futures.into_iter().map(|f| value(f.result())).collect();
    assert_eq!(ran_in, pids.iter().map(|&p| u64::from(p)).collect());
}

fn step1() {
    ch12_step1::main();
    snapshot("ch12_step1", &ch12_step1::run().take_trace().to_string());
}

/// Seed 000's `ps`: the processes of a process pool, the threads of a thread pool.
fn ps() {
    snapshot("ch12_ps", &output_of(ch12_ps::main));
}

fn blocks() {
    snapshot("ch12_blocks", &output_of(ch12_blocks::main));
}

/// `cargo run --example ch12_print`, whose workers print: the test program started again as
/// that example, and its stdout read whole.
fn print() {
    let output = must_finish(|| {
        Command::new(std::env::current_exe().unwrap())
            .env(PRINT_EXAMPLE, "1")
            .output()
            .unwrap()
    });
    assert!(output.status.success(), "{output:?}");
    snapshot("ch12_print", &String::from_utf8_lossy(&output.stdout));
}

/// The chapter's first exercise: `map` with a `chunksize`, solved on the public API.
fn chunksize_solution() {
    ch12_chunksize::check();
}

/// Chapter 13's MapReduce on processes: it needs this program's `worker_entry` like the rest.
fn mapreduce_on_processes() {
    snapshot(
        "ch13_processes",
        &mask_times(&output_of(ch13_processes::main)),
    );
}

fn count() {
    snapshot("ch12_count", &mask_times(&output_of(ch12_count::main)));
}

/// The output with every decimal number (a time) replaced by `#.####`.
fn mask_times(text: &str) -> String {
    let mut masked = String::new();
    let mut rest = text;
    while let Some(start) = rest.find(|c: char| c.is_ascii_digit()) {
        masked.push_str(&rest[..start]);
        let len = rest[start..]
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(rest.len() - start);
        let number = &rest[start..start + len];
        masked.push_str(if number.contains('.') {
            "#.####"
        } else {
            number
        });
        rest = &rest[start + len..];
    }
    masked + rest
}

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({omit_expression => true, prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!(name, text);
    });
}
