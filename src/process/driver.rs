//! The loop's side of the pool: the reader and writer callbacks on each worker's channel,
//! what happens when a channel breaks, and what happens when a worker process ends.
//!
//! Everything here runs on the thread of the loop that drives the pool (the manager thread),
//! as reactor callbacks ([`EventLoop::add_reader`], [`EventLoop::add_writer`]) or as
//! callbacks sent with `call_soon_threadsafe` (by `start_worker`, `shutdown` and the
//! watchers). The protocol is handled in this one place, whoever waits for the results: a
//! thread blocked in `result()`, or a task awaiting `run_in_process_pool`, which gets the
//! outcome through the same concurrent future.
//!
//! Futures are completed only after the pool's lock is released: completing runs
//! done-callbacks, which may submit more work. Nothing here waits for a child: a worker is
//! reaped in [`on_end`], once its watcher has seen it end, with a `try_wait` that returns at
//! once.

use std::io::{self, Read};
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;
use std::sync::Arc;
use std::time::Duration;

use super::pool::{dispatch, lock, Broken, Ending, Shared, State, Worker};
use super::protocol::{self, Status};
use super::watcher;
use crate::executor::ConcurrentFuture;
use crate::{Error, EventLoop};

/// Outcomes to hand to futures once the lock is released.
type Completions = Vec<(ConcurrentFuture<Vec<u8>>, Result<Vec<u8>, Error>)>;

/// How long a worker whose channel broke may take to end by itself before it is killed: a
/// worker that died closes its channel a moment before the system reports its end.
const GRACE: Duration = Duration::from_millis(100);

/// Python's words for a broken pool; ours follow, naming the worker and how it ended.
const TERMINATED: &str = "a process in the process pool was terminated abruptly while the \
                          future was running or pending";

/// Registers a new worker's channel with the loop (sent by `start_worker`).
pub(super) fn register(lp: &EventLoop, shared: &Arc<Shared>, number: usize) {
    let mut state = lock(&shared.state);
    let Some(worker) = state.worker_mut(number) else {
        return; // it ended, and was reaped, before this message arrived
    };
    let Some(channel) = &mut worker.channel else {
        return; // the pool let go of it already
    };
    let reader = shared.clone();
    let mut registered = lp.add_reader(channel, move |lp| on_readable(lp, &reader, number));
    if registered.is_ok() {
        let writer = shared.clone();
        registered = lp.add_writer(channel, move |_| on_writable(&writer, number));
    }
    worker.registered = true;
    if let Err(error) = registered {
        let why = format!("its channel could not be registered with the pool's loop: {error}");
        break_channel(lp, shared, worker, Broken::Failed(why));
        return;
    }
    let timeout = state.greeting_timeout;
    let shared = shared.clone();
    lp.call_later(timeout, move |lp| {
        greeting_overdue(lp, &shared, number, timeout)
    });
}

/// The worker has had `timeout` to greet: if it has not, its program is stuck before
/// `worker_entry` (or never calls it), and would hold its jobs for ever. Its channel is
/// closed and it is killed; its end breaks the pool, whose message says what to do.
fn greeting_overdue(lp: &EventLoop, shared: &Arc<Shared>, number: usize, timeout: Duration) {
    // A greeting that arrived a moment ago may still wait in the socket: take it in first.
    on_readable(lp, shared, number);
    let mut state = lock(&shared.state);
    let Some(worker) = state.worker_mut(number) else {
        return; // it ended, and was reaped
    };
    if !worker.greeted && worker.ending.is_none() {
        let why = format!(
            "it sent no greeting within {timeout:?} of starting (a worker program that must \
             do something slow first can be given longer with \
             ProcessPoolExecutor::with_greeting_timeout)"
        );
        break_channel(lp, shared, worker, Broken::Failed(why));
    }
}

// ANCHOR: on_readable
/// The reader callback: reads every reply the channel holds, completes their futures, gives
/// the worker its next job. A channel that ends or breaks while the pool still needs the
/// worker gets the worker killed; its end (see [`on_end`]) then breaks the pool.
fn on_readable(lp: &EventLoop, shared: &Arc<Shared>, number: usize) {
    let mut completions = Completions::new();
    let mut state = lock(&shared.state);
    let Some(worker) = state.worker_mut(number) else {
        return;
    };
    if let Err(why) = take_replies(worker, &mut completions) {
        break_channel(lp, shared, worker, why);
    } else if let Err(error) = dispatch(shared, &mut state) {
        log::warn!("could not start another worker process: {error}");
    }
    if state.shutdown {
        close_idle(lp, &mut state);
    }
    drop(state);
    complete(completions);
}
// ANCHOR_END: on_readable

/// Reads what the channel holds and handles every whole reply in it. `Err` says why the
/// channel is of no more use: it ended, it failed, or the worker broke the protocol.
fn take_replies(worker: &mut Worker, completions: &mut Completions) -> Result<(), Broken> {
    let ended = read_all(worker);
    while let Some(body) = worker.reader.next_body().map_err(Broken::Failed)? {
        take_reply(worker, &body, completions).map_err(Broken::Failed)?;
    }
    match ended.map_err(Broken::Failed)? {
        false => Ok(()),
        true if worker.reader.has_partial() => Err(Broken::EndedMidReply),
        true => Err(Broken::Ended),
    }
}

/// Reads what the channel holds now: whether it ended, or why reading failed.
fn read_all(worker: &mut Worker) -> Result<bool, String> {
    let Some(channel) = &worker.channel else {
        return Ok(true);
    };
    let mut buffer = [0; 64 * 1024];
    loop {
        // Edge-triggered: read until the socket is empty, or no event comes for what is left.
        match (&*channel).read(&mut buffer) {
            Ok(0) => return Ok(true),
            Ok(n) => worker.reader.extend(&buffer[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
            Err(e) => return Err(format!("reading its channel failed: {e}")),
        }
    }
}

/// Handles one reply frame: the greeting, or the outcome of the job in flight.
fn take_reply(
    worker: &mut Worker,
    body: &[u8],
    completions: &mut Completions,
) -> Result<(), String> {
    let (id, status, payload) = protocol::parse_reply(body)?;
    if !worker.greeted {
        if status != Status::Hello {
            return Err("its first message was not the worker's greeting".into());
        }
        worker.greeted = true;
        return Ok(());
    }
    match worker.job.take() {
        Some((expected, future)) if expected == id => {
            completions.push((future, protocol::outcome(status, payload)));
            Ok(())
        }
        job => {
            worker.job = job;
            Err(format!("it replied to job {id}, which it was not running"))
        }
    }
}

// ANCHOR: break_channel
/// The worker's channel is of no more use while the pool still needs the worker (a job
/// closed it, the worker broke the protocol, or the worker died): close it, and kill the
/// worker unless it ends by itself within [`GRACE`]. Killing does not wait; the watcher
/// reports the end, and [`on_end`] reaps the worker and breaks the pool.
fn break_channel(lp: &EventLoop, shared: &Arc<Shared>, worker: &mut Worker, why: Broken) {
    if worker.ending.is_some() {
        return;
    }
    close_channel(lp, worker);
    worker.ending = Some(Ending::ChannelBroke { why, killed: false });
    let shared = shared.clone();
    let number = worker.number;
    lp.call_later(GRACE, move |_| {
        let mut state = lock(&shared.state);
        // Still in the list: not reaped, so the pid is still this worker's.
        if let Some(worker) = state.worker_mut(number) {
            if !watcher::has_ended(&worker.child) {
                kill(worker);
                if let Some(Ending::ChannelBroke { killed, .. }) = &mut worker.ending {
                    *killed = true;
                }
            }
        }
    });
}
// ANCHOR_END: break_channel

/// The writer callback: the socket has room again, so write what waits.
fn on_writable(shared: &Arc<Shared>, number: usize) {
    let mut state = lock(&shared.state);
    if let Some(worker) = state.worker_mut(number) {
        worker.flush();
    }
}

// ANCHOR: on_end
/// A watcher saw its worker end: take in the replies it sent before it ended, reap it, and,
/// unless the pool had let it go, break the pool.
pub(super) fn on_end(lp: &EventLoop, shared: &Arc<Shared>, number: usize) {
    let mut completions = Completions::new();
    let mut state = lock(&shared.state);
    let Some(index) = state.workers.iter().position(|w| w.number == number) else {
        return;
    };
    let worker = &mut state.workers[index];
    let status = match worker.child.try_wait() {
        Ok(Some(status)) => Ok(status),
        Ok(None) => {
            // The watcher said it ended: it cannot still run. Should it, keep it, and say so.
            log::error!("worker process {number} was reported ended but runs on");
            return;
        }
        Err(error) => Err(format!("its exit status is unknown: {error}")),
    };
    let ending = match worker.ending.take() {
        Some(ending) => ending,
        None => {
            // It ended by itself: the replies it sent before are still good.
            let why = take_replies(worker, &mut completions).err();
            Ending::ChannelBroke {
                why: why.unwrap_or(Broken::Ended),
                killed: false,
            }
        }
    };
    let mut worker = state.workers.remove(index);
    close_channel(lp, &mut worker);
    let watcher = worker.watcher.take();
    match (&ending, &status) {
        (Ending::Killed, _) => {}
        (Ending::Retired, Ok(status)) if status.success() => {}
        (Ending::Retired, status) => log::warn!(
            "worker process {} exited badly after the pool shut down: {status:?}",
            worker.child.id()
        ),
        (Ending::ChannelBroke { why, killed }, status) => {
            let why = format!("{TERMINATED}: {}", describe(&worker, why, *killed, status));
            if let Some((_, future)) = worker.job.take() {
                completions.push((future, Err(Error::BrokenProcessPool(why.as_str().into()))));
            }
            break_pool(lp, &mut state, why, &mut completions);
        }
    }
    if let Err(error) = dispatch(shared, &mut state) {
        log::warn!("could not start another worker process: {error}");
    }
    if state.shutdown {
        close_idle(lp, &mut state);
    }
    drop(state);
    complete(completions);
    // It has reported, and returns: a moment's wait, outside the lock.
    if watcher.is_some_and(|watcher| watcher.join().is_err()) {
        log::error!("the watcher of worker process {number} panicked");
    }
}
// ANCHOR_END: on_end

/// How a worker ended, for a broken pool's message: which worker, and what happened.
fn describe(
    worker: &Worker,
    why: &Broken,
    killed: bool,
    status: &Result<ExitStatus, String>,
) -> String {
    // The pool's SIGKILL may have met a worker that was ending by itself: its status says.
    let killed = killed && matches!(status, Ok(status) if status.signal() == Some(9));
    let status = match status {
        Ok(status) => status.to_string(),
        Err(unknown) => unknown.clone(),
    };
    let what = match (why, killed) {
        (Broken::Ended, false) => format!("it ended ({status})"),
        (Broken::EndedMidReply, false) => format!("it ended in the middle of a reply ({status})"),
        (Broken::Failed(why), false) => format!("{why}; it ended ({status})"),
        (Broken::Ended | Broken::EndedMidReply, true) => format!(
            "its channel to the pool ended while it was still running (did a job close it?), \
             so the pool killed it ({status})"
        ),
        (Broken::Failed(why), true) => format!("{why}, so the pool killed it ({status})"),
    };
    let mut why = format!(
        "worker process {} (pid {}): {what}",
        worker.number,
        worker.child.id()
    );
    if !worker.greeted {
        why.push_str(
            "; it never greeted the pool: does the worker program call \
             steploop::process::worker_entry(JOBS) first thing in main?",
        );
    }
    why
}

// ANCHOR: break_pool
/// A worker died or broke the protocol: the pool is broken (Python's `_terminate_broken`).
/// Every job in flight or queued fails with `BrokenProcessPool`, and every other worker is
/// killed; each is reaped when its watcher reports its end.
fn break_pool(lp: &EventLoop, state: &mut State, why: String, completions: &mut Completions) {
    log::error!("the process pool is broken: {why}");
    let why: Arc<str> = why.into();
    state.broken.get_or_insert_with(|| why.clone());
    let failed = Error::BrokenProcessPool(why);
    for pending in state.queue.drain(..) {
        completions.push((pending.into_future(), Err(failed.clone())));
    }
    for worker in &mut state.workers {
        if let Some((_, future)) = worker.job.take() {
            completions.push((future, Err(failed.clone())));
        }
        if worker.ending.is_none() {
            close_channel(lp, worker);
            kill(worker);
            worker.ending = Some(Ending::Killed);
        }
    }
}
// ANCHOR_END: break_pool

/// Once shut down: closes the channel of every worker with nothing to do, which tells it to
/// exit; stops the loop once every worker has been reaped.
fn close_idle(lp: &EventLoop, state: &mut State) {
    if state.queue.is_empty() {
        for worker in &mut state.workers {
            if worker.ending.is_none() && worker.job.is_none() && worker.all_sent() {
                close_channel(lp, worker);
                worker.ending = Some(Ending::Retired);
            }
        }
    }
    if state.workers.is_empty() {
        lp.stop(); // the manager thread ends, and `shutdown(wait = true)` returns
    }
}

/// `shutdown` was called: let idle workers go now, busy ones when their job is done.
pub(super) fn wind_down(lp: &EventLoop, shared: &Arc<Shared>) {
    close_idle(lp, &mut lock(&shared.state));
}

/// Deregisters and closes the parent's end of a worker's channel: a live worker reads the
/// end of its input, and exits.
fn close_channel(lp: &EventLoop, worker: &mut Worker) {
    if let Some(mut channel) = worker.channel.take() {
        if worker.registered {
            // Deregister before closing: the loop finds sources by descriptor, and a
            // descriptor number is reused at once.
            let _ = lp.remove_reader(&mut channel);
            let _ = lp.remove_writer(&mut channel);
        }
    }
}

/// Sends SIGKILL, without waiting: the watcher reports the end.
fn kill(worker: &mut Worker) {
    // Fails only if the process was reaped, which only `on_end` does, after which the worker
    // is no longer the pool's.
    if let Err(error) = worker.child.kill() {
        log::error!(
            "could not kill worker process {}: {error}",
            worker.child.id()
        );
    }
}

fn complete(completions: Completions) {
    for (future, outcome) in completions {
        let done = match outcome {
            Ok(value) => future.set_result(value),
            Err(error) => future.set_exception(error),
        };
        if let Err(error) = done {
            log::warn!("a process pool job's outcome was dropped: {error}");
        }
    }
}
