//! The worker's side: `worker_entry`, the guard a program calls first thing in `main`.
//!
//! A worker is the program itself, started again with [`WORKER_ENV`] set. Python's `spawn`
//! start method does the same (a fresh interpreter imports the main module), which is why its
//! documentation asks for `if __name__ == '__main__':` around the code that starts the pool:
//! without it, every worker would start a pool of its own. In Rust the program's `main` runs
//! in the worker too, so its first line hands control to [`worker_entry`], which in a worker
//! serves jobs until the pool closes its channel and then exits, and in the parent returns at
//! once.

use std::cell::Cell;
use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};

use super::protocol::{self, Status, HEADER_LEN};
use crate::Error;

/// The environment variable that tells a started program it is a worker.
pub const WORKER_ENV: &str = "STEPLOOP_PROCESS_WORKER";

/// Set once `worker_entry` has run in this process: a program started as a worker that
/// reaches code creating a pool has not called it.
static ENTERED: AtomicBool = AtomicBool::new(false);

/// A job a worker can run: a name and a function from argument bytes to result bytes.
///
/// The function's `Err` becomes the job's exception in the parent (its message crosses the
/// channel); a panic is caught and becomes `Error::Panicked`, and the worker lives on.
///
/// # Examples
/// ```
/// use steploop::process::{decode_u64, encode_u64, Job};
/// use steploop::Error;
///
/// fn square(args: &[u8]) -> Result<Vec<u8>, Error> {
///     let n = decode_u64(args)?;
///     Ok(encode_u64(n * n))
/// }
/// pub const JOBS: &[Job] = &[Job::new("square", square)];
/// assert_eq!(JOBS[0].name(), "square");
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Job {
    name: &'static str,
    run: JobFn,
}

/// The function of a [`Job`].
pub type JobFn = fn(&[u8]) -> Result<Vec<u8>, Error>;

impl Job {
    /// A job called `name` that runs `run`.
    pub const fn new(name: &'static str, run: JobFn) -> Job {
        Job { name, run }
    }

    /// The name the parent submits it by.
    pub fn name(&self) -> &'static str {
        self.name
    }
}

// ANCHOR: worker_entry
/// The guard at the top of `main`: in a worker process, serves `jobs` and exits; in any other
/// process, returns at once (Python's `if __name__ == '__main__':`, turned around).
///
/// ```no_run
/// use steploop::process::{worker_entry, Job, ProcessPoolExecutor};
/// # fn count(_: &[u8]) -> Result<Vec<u8>, steploop::Error> { Ok(vec![]) }
///
/// const JOBS: &[Job] = &[Job::new("count", count)];
///
/// fn main() {
///     worker_entry(JOBS); // a worker never gets past this line
///     let pool = ProcessPoolExecutor::new(4);
///     // ...
/// }
/// ```
///
/// In a worker it takes the channel the pool handed it as stdin, reads requests from it,
/// runs each job, and writes the reply back; when the channel ends (the pool shut down, or
/// the parent died) it exits with status 0.
///
/// # Notes
/// Jobs may print: the worker's stdout and stderr are the parent's, and its stdin is
/// `/dev/null` once the channel is taken, as in Python's workers. Call this before anything
/// else that reads stdin or starts threads: everything `main` does before it, the worker
/// does too.
pub fn worker_entry(jobs: &[Job]) {
    ENTERED.store(true, Ordering::Relaxed);
    if std::env::var_os(WORKER_ENV).is_none() {
        return;
    }
    // A program that a job starts must not take itself for a worker too. (Changing the
    // environment is safe only while no other thread reads it: this runs first in `main`.)
    std::env::remove_var(WORKER_ENV);
    // A panicking job is reported to the parent as its exception, so the hook stays quiet
    // for it; any other panic in the worker is printed as usual.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !IN_JOB.get() {
            default_hook(info);
        }
    }));
    let code = match take_channel().and_then(|channel| serve(jobs, &channel)) {
        Ok(()) => 0,
        Err(error) => {
            eprintln!("steploop process worker {}: {error}", std::process::id());
            1
        }
    };
    std::process::exit(code);
}
// ANCHOR_END: worker_entry

/// True if this process was started as a worker but has not called [`worker_entry`].
pub(crate) fn is_worker_without_entry() -> bool {
    std::env::var_os(WORKER_ENV).is_some() && !ENTERED.load(Ordering::Relaxed)
}

// ANCHOR: take_channel
/// The worker's end of its channel, a Unix socket the pool handed over as stdin. It moves to
/// a descriptor of its own, closed on exec, so that no program a job starts inherits it; and
/// stdin becomes `/dev/null`, as in Python's workers, so that a job that reads stdin reads
/// nothing instead of the pool's requests.
fn take_channel() -> io::Result<UnixStream> {
    let channel = UnixStream::from(io::stdin().as_fd().try_clone_to_owned()?);
    if let Err(error) = channel.local_addr() {
        return Err(io::Error::new(
            error.kind(),
            format!(
                "its stdin is not a process pool's channel ({error}): workers are started by \
                 ProcessPoolExecutor, which sets {WORKER_ENV}"
            ),
        ));
    }
    rustix::stdio::dup2_stdin(File::open("/dev/null")?)?;
    Ok(channel)
}
// ANCHOR_END: take_channel

// ANCHOR: serve
/// The worker's loop: greet, then read a request, run it, reply, until the channel ends.
fn serve(jobs: &[Job], channel: &UnixStream) -> io::Result<()> {
    let mut requests = BufReader::new(channel);
    let mut replies = channel;
    replies.write_all(&protocol::reply(0, Status::Hello, b""))?;
    while let Some(body) = read_frame(&mut requests)? {
        let (id, name, args) = protocol::parse_request(&body).map_err(io::Error::other)?;
        let (status, payload) = match jobs.iter().find(|job| job.name == name) {
            None => (Status::Failed, unknown_job(name, jobs).into_bytes()),
            Some(job) => run_job(job, args),
        };
        replies.write_all(&protocol::reply(id, status, &payload))?;
    }
    Ok(())
}
// ANCHOR_END: serve

thread_local! {
    /// True while a job runs on this thread: its panic is the job's outcome, not news.
    static IN_JOB: Cell<bool> = const { Cell::new(false) };
}

/// Runs one job, catching its panic: the reply's status and payload.
fn run_job(job: &Job, args: &[u8]) -> (Status, Vec<u8>) {
    IN_JOB.set(true);
    let outcome = catch_unwind(AssertUnwindSafe(|| (job.run)(args)));
    IN_JOB.set(false);
    match outcome {
        Ok(Ok(result)) if !protocol::fits(result.len()) => (
            Status::Failed,
            format!(
                "the job's result of {} bytes exceeds the protocol's 1 GiB frame: return \
                 it in pieces, or write it to a file and return the file name",
                result.len()
            )
            .into_bytes(),
        ),
        Ok(Ok(result)) => (Status::Ok, result),
        Ok(Err(error)) => (Status::Failed, error.to_string().into_bytes()),
        Err(panic) => (
            Status::Panicked,
            crate::error::panic_message(&*panic).into_bytes(),
        ),
    }
}

/// Reads one frame's body, or `None` at a clean end of input.
fn read_frame(input: &mut impl Read) -> io::Result<Option<Vec<u8>>> {
    let mut header = [0; HEADER_LEN];
    let mut filled = 0;
    while filled < HEADER_LEN {
        match input.read(&mut header[filled..])? {
            0 if filled == 0 => return Ok(None),
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => filled += n,
        }
    }
    let len = protocol::parse_header(&header).map_err(io::Error::other)?;
    let mut body = vec![0; len];
    input.read_exact(&mut body)?;
    Ok(Some(body))
}

fn unknown_job(name: &str, jobs: &[Job]) -> String {
    let known: Vec<&str> = jobs.iter().map(|job| job.name).collect();
    format!(
        "no job named {name:?} in this program (it knows {known:?}): add \
         Job::new({name:?}, function) to the list the program passes to worker_entry"
    )
}
