//! `concurrent.futures.ProcessPoolExecutor`: worker processes that run jobs by name.
//!
//! Invariants:
//! - A worker runs at most one job at a time: `Worker::job` is the one in flight, and a job
//!   leaves the queue only to become some worker's job. So a worker that dies takes exactly
//!   its own job down with it, and the pool knows which.
//! - Every job that `submit` accepted ends in exactly one of four ways: its reply arrives, it
//!   is cancelled while queued, it fails with `BrokenProcessPool` when a worker dies, or (the
//!   pool cannot start a single worker) it fails with the reason.
//! - Workers are removed from `State::workers` only by the driver (the loop on the manager
//!   thread), and only once their watcher has said the process ended and the driver has
//!   reaped it: no worker is forgotten while it could still become a zombie, and since only
//!   that thread reaps, a worker's pid is never reused while the pool may still kill it.
//! - Nothing under the lock waits for a child: a worker to be stopped is sent SIGKILL (or, at
//!   shutdown, its channel is closed), and is reaped when its watcher reports its end.

use std::collections::VecDeque;
use std::fmt;
use std::io::{self, Write};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::{self, JoinHandle, ThreadId};
use std::time::Duration;

use mio::net::UnixStream;

use super::driver;
use super::protocol::{self, FrameReader};
use super::watcher::Watcher;
use super::worker::{is_worker_without_entry, WORKER_ENV};
use crate::executor::{wait, ConcurrentFuture, MapResults, ReturnWhen};
use crate::{Error, EventLoop, LoopHandle};

/// `concurrent.futures.ProcessPoolExecutor`: runs registered jobs in up to `max_workers`
/// child processes and hands back a [`ConcurrentFuture`] for each.
///
/// A worker is this program started again (`std::env::current_exe()`) with
/// [`WORKER_ENV`](super::WORKER_ENV) set, so the program must call
/// [`worker_entry`](super::worker_entry) first thing in `main`. A job is a function the
/// program registered there by name; it takes and returns bytes (see [`Encoder`] and
/// [`Decoder`]).
///
/// Workers start lazily, one per `submit` while none is idle, up to `max_workers`. Each runs
/// one job at a time. Dropping the executor calls [`shutdown(true, false)`](Self::shutdown):
/// it waits for every job and reaps every worker.
///
/// # Notes
/// A job that panics does not hurt its worker: the panic is caught in the worker and becomes
/// the job's `Error::Panicked`. A worker that *dies* (it aborts, exits or is killed) breaks
/// the pool, as in Python: its job, every queued job and every later `submit` fail with
/// [`Error::BrokenProcessPool`], and the other workers are stopped and reaped. So does a
/// worker that never greets the pool (its program hangs before it reaches `worker_entry`, or
/// never calls it), where Python's pool would wait for ever: once
/// [`greeting_timeout`](Self::greeting_timeout) has passed, it is killed, and the error says
/// what to do.
///
/// A job may print: a worker's stdout and stderr are the parent's, as in Python, and its
/// stdin is `/dev/null`. It may also start processes of its own; they inherit neither the
/// worker's channel nor its role, and a worker that dies breaks the pool at once, whatever
/// its children go on doing.
///
/// Done-callbacks of the futures run on the pool's manager thread, which reads every
/// worker's replies: keep them short, and never wait there for another job of the pool.
///
/// # Implementation notes
/// The parent talks to each worker over a *channel* of its own: one end of a Unix socket
/// pair, handed to the child as its stdin, which `worker_entry` moves to a descriptor that
/// is closed on exec before it points stdin at `/dev/null`. The socket has no name, so no
/// other process can connect to it, and a worker reads requests from nowhere else. The
/// parent's end is non-blocking and registered with an [`EventLoop`] that the pool runs on a
/// manager thread of its own (Python's `_ExecutorManagerThread`). That loop's reactor reads
/// replies and completes futures; `submit`, on any thread, writes its request straight into
/// the socket and leaves what does not fit to the loop's writer callback. A thread per worker
/// waits for the process to end (the watcher), and the loop reaps it. A job costs a request
/// frame and a reply frame, two `write`s and a `read` or two, and a process switch each way,
/// where a thread pool's job costs a queue push and a wake-up; the example `ch12_count`
/// measures both.
///
/// [`Encoder`]: super::Encoder
/// [`Decoder`]: super::Decoder
///
/// # Examples
/// ```
/// use steploop::process::{decode_u64, encode_u64, worker_entry, Job, ProcessPoolExecutor};
///
/// fn square(args: &[u8]) -> Result<Vec<u8>, steploop::Error> {
///     let n = decode_u64(args)?;
///     Ok(encode_u64(n * n))
/// }
///
/// fn main() {
///     worker_entry(&[Job::new("square", square)]);
///     let pool = ProcessPoolExecutor::new(2);
///     let future = pool.submit("square", encode_u64(12)).unwrap();
///     assert_eq!(decode_u64(&future.result().unwrap()).unwrap(), 144);
/// }
/// ```
pub struct ProcessPoolExecutor {
    shared: Arc<Shared>,
}

/// What the executor, its callers' threads and the manager thread share.
pub(super) struct Shared {
    /// The queue and the workers, under one lock.
    pub(super) state: Mutex<State>,
    /// `_max_workers`.
    max_workers: usize,
    /// The program started for each worker.
    program: PathBuf,
    /// The last job id given out (ids start at 1; 0 is the worker's greeting).
    last_id: AtomicU64,
    /// The manager thread's loop, which owns the channels' registrations.
    driver: LoopHandle,
    /// The manager thread, joined by `shutdown(wait = true)`.
    manager: Mutex<Option<JoinHandle<()>>>,
    /// Its id: a done-callback runs there, and must not wait for the manager to end.
    manager_id: ThreadId,
}

/// The fields that change, behind the one lock.
pub(super) struct State {
    /// `_pending_work_items` not yet sent: jobs waiting for an idle worker, oldest first.
    pub(super) queue: VecDeque<Pending>,
    /// The live workers, in the order they were started.
    pub(super) workers: Vec<Worker>,
    /// Workers started so far; numbers them from 1.
    started: usize,
    /// `_shutdown_thread`: no new work is accepted.
    pub(super) shutdown: bool,
    /// `_broken`: why the pool broke, once a worker died.
    pub(super) broken: Option<Arc<str>>,
    /// How long a worker started from now on may take to greet the pool.
    pub(super) greeting_timeout: Duration,
}

/// How long a worker may take by default between its start and its greeting: a program that
/// calls `worker_entry` first thing greets within milliseconds, and even a machine so busy
/// that a process takes seconds to start stays well within it.
const DEFAULT_GREETING_TIMEOUT: Duration = Duration::from_secs(30);

/// A job waiting for a worker: its request frame, ready to write, and its future.
pub(super) struct Pending {
    frame: Vec<u8>,
    id: u64,
    future: ConcurrentFuture<Vec<u8>>,
}

// ANCHOR: worker
/// One worker process and the parent's end of its channel.
pub(super) struct Worker {
    /// 1 for the first worker started, and so on.
    pub(super) number: usize,
    /// The process, reaped only by the driver once its watcher has seen it end.
    pub(super) child: Child,
    /// The watcher's thread, joined once it has reported the end.
    pub(super) watcher: Option<JoinHandle<()>>,
    /// The parent's end of the channel: requests out, replies in. `None` once closed, which
    /// tells a live worker to exit.
    pub(super) channel: Option<UnixStream>,
    /// Request bytes the socket had no room for yet.
    unsent: Vec<u8>,
    /// Reply bytes read and not yet cut into frames.
    pub(super) reader: FrameReader,
    /// The worker has sent its greeting: it runs `worker_entry`.
    pub(super) greeted: bool,
    /// The job in flight: its id and future.
    pub(super) job: Option<(u64, ConcurrentFuture<Vec<u8>>)>,
    /// Its channel is registered with the driver's loop.
    pub(super) registered: bool,
    /// Set once the pool has let go of the worker: it takes no more work, and is removed
    /// when its watcher reports that it ended.
    pub(super) ending: Option<Ending>,
}
// ANCHOR_END: worker

/// Why the pool let go of a worker that has not ended yet.
#[derive(Debug)]
pub(super) enum Ending {
    /// The pool shut down: its channel was closed with nothing left to do, and it exits by
    /// itself.
    Retired,
    /// The pool broke because of another worker: it was killed.
    Killed,
    /// Its channel broke while the pool still needed it, or it ended by itself: why, and
    /// whether the pool killed it (it did not end by itself soon enough). Its end breaks the
    /// pool.
    ChannelBroke { why: Broken, killed: bool },
}

/// Why a worker's channel is of no more use.
#[derive(Debug)]
pub(super) enum Broken {
    /// It ended between two replies.
    Ended,
    /// It ended in the middle of a reply.
    EndedMidReply,
    /// Reading failed, or the worker broke the protocol: what happened.
    Failed(String),
}

impl ProcessPoolExecutor {
    /// `ProcessPoolExecutor(max_workers)`: a pool of at most `max_workers` processes, each
    /// this program started again in worker mode.
    ///
    /// No process starts until work arrives; the manager thread starts at once.
    ///
    /// # Panics
    /// If `max_workers` is 0; if the path of the running program cannot be found; if this
    /// process is itself a worker whose `main` did not call
    /// [`worker_entry`](super::worker_entry) first (each worker would otherwise start a pool
    /// of its own, and so on without end); if the manager thread cannot be started.
    pub fn new(max_workers: usize) -> Self {
        let program = std::env::current_exe().unwrap_or_else(|error| {
            panic!(
                "ProcessPoolExecutor cannot find the running program to start it as a worker \
                 ({error}): give the path with ProcessPoolExecutor::with_program"
            )
        });
        Self::with_program(max_workers, program)
    }

    /// As [`new`](Self::new), with workers started from `program`, which must call
    /// [`worker_entry`](super::worker_entry) with the jobs this pool will be sent. Tests use
    /// it to run workers from an example binary.
    ///
    /// # Panics
    /// As [`new`](Self::new).
    pub fn with_program(max_workers: usize, program: impl Into<PathBuf>) -> Self {
        assert!(
            max_workers > 0,
            "ProcessPoolExecutor needs max_workers > 0: a pool without workers would never run \
             its jobs (use ProcessPoolExecutor::default() for Python's default)"
        );
        assert!(
            !is_worker_without_entry(),
            "this process was started as a process-pool worker ({WORKER_ENV} is set) but its \
             main did not call steploop::process::worker_entry(JOBS) first: add that call as \
             the first line of main, the counterpart of Python's `if __name__ == '__main__':`"
        );
        let (send_handle, handle) = mpsc::channel();
        let manager = thread::Builder::new()
            .name("steploop-process-manager".into())
            .spawn(move || {
                let lp = EventLoop::new();
                // The receiver waits for this; if it is gone, so is the executor.
                let _ = send_handle.send(lp.handle());
                if let Err(error) = lp.run_forever() {
                    log::error!("the process pool's manager loop failed: {error}");
                }
                let _ = lp.close();
            })
            .expect("cannot start the process pool's manager thread");
        let driver = handle
            .recv()
            .expect("the process pool's manager thread ended before it started its loop");
        ProcessPoolExecutor {
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    queue: VecDeque::new(),
                    workers: Vec::new(),
                    started: 0,
                    shutdown: false,
                    broken: None,
                    greeting_timeout: DEFAULT_GREETING_TIMEOUT,
                }),
                max_workers,
                program: program.into(),
                last_id: AtomicU64::new(0),
                driver,
                manager_id: manager.thread().id(),
                manager: Mutex::new(Some(manager)),
            }),
        }
    }

    /// Python's default `max_workers`: the number of CPUs.
    pub fn default_max_workers() -> usize {
        thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    }

    /// The most processes this pool will start.
    pub fn max_workers(&self) -> usize {
        self.shared.max_workers
    }

    /// Gives each worker started from now on `timeout` to greet the pool (30 s by default).
    ///
    /// A worker greets as soon as its program calls [`worker_entry`](super::worker_entry),
    /// which should be the first thing in `main`. One that has not greeted when `timeout` has
    /// passed is killed, and the pool breaks: its jobs, the queued ones and every later
    /// `submit` fail with [`Error::BrokenProcessPool`], which says so. Raise it for a worker
    /// program that must do something slow before `worker_entry`.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// use steploop::process::ProcessPoolExecutor;
    ///
    /// let pool = ProcessPoolExecutor::new(2).with_greeting_timeout(Duration::from_secs(60));
    /// assert_eq!(pool.greeting_timeout(), Duration::from_secs(60));
    /// ```
    pub fn with_greeting_timeout(self, timeout: Duration) -> Self {
        lock(&self.shared.state).greeting_timeout = timeout;
        self
    }

    /// How long a worker started from now on may take to greet the pool.
    pub fn greeting_timeout(&self) -> Duration {
        lock(&self.shared.state).greeting_timeout
    }

    /// The program each worker runs.
    pub fn program(&self) -> &Path {
        &self.shared.program
    }

    /// The process ids of the workers started and not yet reaped, in the order they were
    /// started (Python: `executor._processes.keys()`). A worker on its way out (killed, or
    /// exiting after `shutdown`) is listed until the pool has reaped it.
    pub fn worker_pids(&self) -> Vec<u32> {
        let state = lock(&self.shared.state);
        state.workers.iter().map(|w| w.child.id()).collect()
    }

    /// `loop.run_in_executor(pool, ...)`: submits the job and returns a future of its outcome
    /// on `event_loop`, chained as a thread pool's is (see `bridge.rs`); what
    /// [`EventLoop::run_in_process_pool`] does.
    ///
    /// # Panics
    /// If the loop is closed.
    pub(crate) fn submit_for(
        &self,
        event_loop: &EventLoop,
        job: &str,
        args: &[u8],
    ) -> crate::Future<Vec<u8>> {
        event_loop.check_open("run_in_process_pool");
        match self.submit(job, args) {
            Ok(source) => event_loop.chain(source, ConcurrentFuture::take_result),
            Err(error) => event_loop.failed_future(error),
        }
    }

    // ANCHOR: submit
    /// `ProcessPoolExecutor.submit(fn, *args)`: queues the job registered as `job` with
    /// `args` and returns the future its result bytes will arrive in.
    ///
    /// The future fails with the job's error (`Error::msg` of its message), `Error::Panicked`
    /// if it panicked in the worker, or `Error::BrokenProcessPool` if its worker died.
    ///
    /// # Errors
    /// `Error::ExecutorShutdown` after [`shutdown`](Self::shutdown); `Error::BrokenProcessPool`
    /// once a worker has died; `Error::Io` if no worker could be started (the program path is
    /// wrong, say).
    pub fn submit(
        &self,
        job: &str,
        args: impl AsRef<[u8]>,
    ) -> Result<ConcurrentFuture<Vec<u8>>, Error> {
        // The request is framed outside the lock: copying big arguments takes a while.
        let id = self.shared.last_id.fetch_add(1, Ordering::Relaxed) + 1;
        let frame = protocol::request(id, job, args.as_ref());
        let future = ConcurrentFuture::new();
        let mut state = lock(&self.shared.state);
        if let Some(why) = &state.broken {
            return Err(Error::BrokenProcessPool(why.clone()));
        }
        if state.shutdown {
            return Err(Error::ExecutorShutdown);
        }
        state.queue.push_back(Pending {
            frame,
            id,
            future: future.clone(),
        });
        if let Err(error) = dispatch(&self.shared, &mut state) {
            if state.workers.is_empty() {
                state.queue.pop_back(); // this job, which no worker could ever run
                return Err(error);
            }
            log::warn!("could not start another worker process, carrying on with fewer: {error}");
        }
        Ok(future)
    }
    // ANCHOR_END: submit

    /// `ProcessPoolExecutor.map(fn, iterable)`: submits `job` once per item of `args` and
    /// returns the results in the order of the items.
    ///
    /// Every item is submitted before the first result is asked for, as in Python.
    ///
    /// # Errors
    /// As [`submit`](Self::submit), for the first item that could not be submitted (another
    /// thread shut the pool down, or a worker died). Before it returns the error, `map` makes
    /// sure that no job it submitted goes on unobserved, since its caller gets no future to
    /// observe them by: the ones not started yet are cancelled, and the ones already running
    /// are waited for. A warning says how many of each there were.
    ///
    /// # Notes
    /// Python's `Executor.map` builds its list of futures in one expression, so a failing
    /// submit drops the futures already made and leaves their jobs to run, unobserved, after
    /// the exception; steploop cancels or waits for them instead, as the iterator of results
    /// does once a job fails.
    pub fn map<A: AsRef<[u8]>>(
        &self,
        job: &str,
        args: impl IntoIterator<Item = A>,
    ) -> Result<MapResults<Vec<u8>>, Error> {
        let mut futures = VecDeque::new();
        for item in args {
            match self.submit(job, item) {
                Ok(future) => futures.push_back(future),
                Err(error) => {
                    self.abandon(futures, &error);
                    return Err(error);
                }
            }
        }
        Ok(MapResults::new(futures))
    }

    /// `map` could not submit every item: cancels the jobs it did submit that have not
    /// started, and waits for the ones that have, so that none is left running when `map`
    /// returns `error`.
    fn abandon(&self, futures: VecDeque<ConcurrentFuture<Vec<u8>>>, error: &Error) {
        let submitted = futures.len();
        let started: Vec<_> = futures.into_iter().filter(|f| !f.cancel()).collect();
        if started.is_empty() {
            return;
        }
        if thread::current().id() == self.shared.manager_id {
            // Their replies are read on this very thread: waiting here would wait for ever.
            log::warn!(
                "ProcessPoolExecutor::map, called from a done-callback, failed after submitting \
                 {submitted} jobs ({error}): the {} that had started go on unobserved",
                started.len()
            );
            return;
        }
        wait(&started, None, ReturnWhen::AllCompleted);
        log::warn!(
            "ProcessPoolExecutor::map failed after submitting {submitted} jobs ({error}): {} \
             were cancelled; the {} that had started are done now, their outcomes unused",
            submitted - started.len(),
            started.len()
        );
    }

    // ANCHOR: shutdown
    /// `ProcessPoolExecutor.shutdown(wait, cancel_futures)`: accepts no more work; workers
    /// exit once the queue is empty (their channel is closed, and `worker_entry` exits at the
    /// end of its input); with `wait`, returns only when every worker has been reaped.
    ///
    /// With `cancel_futures`, jobs still queued are cancelled; jobs in flight run to the end.
    /// Calling it again is harmless.
    ///
    /// # Notes
    /// Called from a done-callback (which runs on the manager thread), it does not wait,
    /// since the manager would wait for itself.
    pub fn shutdown(&self, wait: bool, cancel_futures: bool) {
        let cancelled = {
            let mut state = lock(&self.shared.state);
            state.shutdown = true;
            if cancel_futures {
                std::mem::take(&mut state.queue)
            } else {
                VecDeque::new()
            }
        };
        for pending in cancelled {
            pending.future.cancel();
        }
        let shared = self.shared.clone();
        // Refused only when the manager loop has closed: then everything is reaped already.
        let _ = self
            .shared
            .driver
            .call_soon_threadsafe(move |lp| driver::wind_down(lp, &shared));
        if !wait {
            return;
        }
        if thread::current().id() == self.shared.manager_id {
            log::warn!("shutdown(wait=true) from a process pool's done-callback: not waiting");
            return;
        }
        let manager = lock(&self.shared.manager).take();
        if let Some(manager) = manager {
            // The manager loop stops once the last worker is reaped.
            if manager.join().is_err() {
                log::error!("the process pool's manager thread panicked");
            }
        }
    }
    // ANCHOR_END: shutdown
}

impl Default for ProcessPoolExecutor {
    /// `ProcessPoolExecutor()`: [`default_max_workers`](Self::default_max_workers) processes.
    fn default() -> Self {
        Self::new(Self::default_max_workers())
    }
}

impl Drop for ProcessPoolExecutor {
    /// The end of Python's `with ProcessPoolExecutor() as executor:` block.
    fn drop(&mut self) {
        self.shutdown(true, false);
    }
}

impl fmt::Debug for ProcessPoolExecutor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock(&self.shared.state);
        f.debug_struct("ProcessPoolExecutor")
            .field("max_workers", &self.shared.max_workers)
            .field("workers", &state.workers.len())
            .field("queued", &state.queue.len())
            .field("shutdown", &state.shutdown)
            .field("broken", &state.broken)
            .finish()
    }
}

// ANCHOR: dispatch
/// Hands queued jobs to idle workers, starting a worker while none is idle and fewer than
/// `max_workers` run. Runs on the submitting thread and on the manager thread, under the lock.
pub(super) fn dispatch(shared: &Arc<Shared>, state: &mut State) -> Result<(), Error> {
    while !state.queue.is_empty() {
        let idle = state.workers.iter().position(Worker::is_idle);
        let index = match idle {
            Some(index) => index,
            None if state.workers.len() < shared.max_workers && !state.shutdown => {
                start_worker(shared, state)?
            }
            None => return Ok(()), // a busy worker takes the next job when it is done
        };
        let Pending { frame, id, future } = state.queue.pop_front().expect("not empty");
        match future.set_running_or_notify_cancel() {
            Ok(true) => {}
            Ok(false) => continue, // cancelled while it waited
            Err(error) => {
                log::warn!("skipping a job whose future was completed elsewhere: {error}");
                continue;
            }
        }
        let worker = &mut state.workers[index];
        worker.job = Some((id, future));
        worker.unsent.extend_from_slice(&frame);
        worker.flush();
    }
    Ok(())
}
// ANCHOR_END: dispatch

// ANCHOR: start_worker
/// Starts one worker process with its channel and its watcher, and asks the driver to
/// register the channel; returns the worker's index.
fn start_worker(shared: &Arc<Shared>, state: &mut State) -> Result<usize, Error> {
    let number = state.started + 1;
    let (ours, theirs) = std::os::unix::net::UnixStream::pair()?;
    ours.set_nonblocking(true)?;
    let on_end = shared.clone();
    let end_reported = shared.driver.clone();
    let watcher = Watcher::start(number, move || {
        // Refused only once the manager loop has closed, after every worker was reaped.
        let _ = end_reported.call_soon_threadsafe(move |lp| driver::on_end(lp, &on_end, number));
    })?;
    // The child's end becomes its stdin; ours is closed on exec, so no other child has it.
    let spawned = Command::new(&shared.program)
        .env(WORKER_ENV, "1")
        .stdin(Stdio::from(OwnedFd::from(theirs)))
        .spawn();
    let child = match spawned {
        Ok(child) => child,
        Err(error) => {
            watcher.abandon();
            return Err(Error::Io(Arc::new(io::Error::new(
                error.kind(),
                format!(
                    "cannot start the worker program {}: {error}",
                    shared.program.display()
                ),
            ))));
        }
    };
    // From here on nothing can fail: the child is watched, and listed until it is reaped.
    let watcher = watcher.watch(&child);
    state.started = number;
    state.workers.push(Worker {
        number,
        child,
        watcher: Some(watcher),
        channel: Some(UnixStream::from_std(ours)),
        unsent: Vec::new(),
        reader: FrameReader::default(),
        greeted: false,
        job: None,
        registered: false,
        ending: None,
    });
    let shared_ = shared.clone();
    let sent = shared
        .driver
        .call_soon_threadsafe(move |lp| driver::register(lp, &shared_, number));
    if sent.is_err() {
        // The manager loop is gone (it cannot be while the executor lives): say so loudly.
        log::error!("the process pool's manager loop is closed: worker {number} is not served");
    }
    Ok(state.workers.len() - 1)
}
// ANCHOR_END: start_worker

impl Worker {
    /// True if it can take a job now.
    fn is_idle(&self) -> bool {
        self.job.is_none() && self.channel.is_some() && self.ending.is_none()
    }

    /// Writes as much of `unsent` as the socket takes now; the driver's writer callback
    /// writes the rest when it has room again. A write error means the channel broke, which
    /// the reader sees too (end of file, or the same error), so it is only logged here.
    pub(super) fn flush(&mut self) {
        let Some(channel) = &self.channel else { return };
        let mut written = 0;
        while written < self.unsent.len() {
            match (&*channel).write(&self.unsent[written..]) {
                Ok(n) => written += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => {
                    log::debug!("writing to worker {} failed: {e}", self.number);
                    break;
                }
            }
        }
        self.unsent.drain(..written);
    }

    /// True if nothing is left to write to it.
    pub(super) fn all_sent(&self) -> bool {
        self.unsent.is_empty()
    }
}

impl State {
    pub(super) fn worker_mut(&mut self, number: usize) -> Option<&mut Worker> {
        self.workers.iter_mut().find(|w| w.number == number)
    }
}

impl Pending {
    pub(super) fn into_future(self) -> ConcurrentFuture<Vec<u8>> {
        self.future
    }
}

/// Locks `mutex`, ignoring poisoning: no user code runs under the pool's lock.
pub(super) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
