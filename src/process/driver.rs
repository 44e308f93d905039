//! The loop's side of the pool: the reader and writer callbacks on each worker's pipes, and
//! what happens when a worker's reply pipe ends.
//!
//! Everything here runs on the thread of the loop that drives the pool (the manager thread),
//! as reactor callbacks ([`EventLoop::add_reader`], [`EventLoop::add_writer`]) or as
//! callbacks sent with `call_soon_threadsafe`. The protocol is handled in this one place,
//! whoever waits for the results: a thread blocked in `result()`, or a task awaiting
//! `run_in_process_pool`, which gets the outcome through the same concurrent future.
//!
//! Futures are completed only after the pool's lock is released: completing runs
//! done-callbacks, which may submit more work.

use std::io::{self, Read};
use std::sync::Arc;

use super::pool::{dispatch, lock, Shared, State, Worker};
use super::protocol::{self, Status};
use crate::executor::ConcurrentFuture;
use crate::{Error, EventLoop};

/// Outcomes to hand to futures once the lock is released.
type Completions = Vec<(ConcurrentFuture<Vec<u8>>, Result<Vec<u8>, Error>)>;

/// Registers a new worker's pipes with the loop (sent by `start_worker`).
pub(super) fn register(lp: &EventLoop, shared: &Arc<Shared>, number: usize) {
    let mut completions = Completions::new();
    let mut state = lock(&shared.state);
    let Some(worker) = state.worker_mut(number) else {
        return; // the pool broke before this message arrived; the worker is reaped already
    };
    let reader = shared.clone();
    let mut registered = lp.add_reader(&mut worker.stdout, move |lp| {
        on_readable(lp, &reader, number);
    });
    if let (Ok(()), Some(stdin)) = (&registered, &mut worker.stdin) {
        let writer = shared.clone();
        registered = lp.add_writer(stdin, move |_| on_writable(&writer, number));
    }
    worker.registered = true;
    if let Err(error) = registered {
        let why = format!("worker {number}'s pipes could not be registered: {error}");
        break_pool(lp, &mut state, why, &mut completions);
    }
    drop(state);
    complete(completions);
}

// ANCHOR: on_readable
/// The reader callback: reads every reply the pipe holds, completes their futures, gives
/// the worker its next job; at the end of the pipe, reaps the worker.
fn on_readable(lp: &EventLoop, shared: &Arc<Shared>, number: usize) {
    let mut completions = Completions::new();
    let mut state = lock(&shared.state);
    let shutdown = state.shutdown;
    let Some(worker) = state.worker_mut(number) else {
        return;
    };
    // Edge-triggered: read until the pipe is empty, or no event comes for what is left.
    let (ended, mut failure) = read_all(worker);
    while failure.is_none() {
        match worker.reader.next_body() {
            Ok(Some(body)) => failure = take_reply(worker, &body, &mut completions).err(),
            Ok(None) => break,
            Err(error) => failure = Some(error),
        }
    }
    if let Some(failure) = failure {
        let why = describe(worker, &failure);
        break_pool(lp, &mut state, why, &mut completions);
    } else if ended {
        let expected = shutdown && worker.job.is_none() && worker.stdin.is_none();
        if expected {
            let index = state.workers.iter().position(|w| w.number == number);
            retire(lp, state.workers.remove(index.expect("found above")), false);
        } else {
            let status = match worker.child.wait() {
                Ok(status) => status.to_string(),
                Err(error) => format!("its exit status is unknown: {error}"),
            };
            let midway = if worker.reader.has_partial() {
                " in the middle of a reply"
            } else {
                ""
            };
            // Python's words, then ours: which worker, and how it ended.
            let why = format!(
                "a process in the process pool was terminated abruptly while the future was \
                 running or pending: {}",
                describe(worker, &format!("it ended{midway} ({status})"))
            );
            break_pool(lp, &mut state, why, &mut completions);
        }
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

/// Reads what the reply pipe holds: (the pipe ended, a read error).
fn read_all(worker: &mut Worker) -> (bool, Option<String>) {
    let mut buffer = [0; 64 * 1024];
    loop {
        match (&worker.stdout).read(&mut buffer) {
            Ok(0) => return (true, None),
            Ok(n) => worker.reader.extend(&buffer[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return (false, None),
            Err(e) => return (true, Some(format!("reading its replies failed: {e}"))),
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

/// The first line of a broken pool's message: which worker, and what it did.
fn describe(worker: &Worker, what: &str) -> String {
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

/// The writer callback: the pipe has room again, so write what waits.
fn on_writable(shared: &Arc<Shared>, number: usize) {
    let mut state = lock(&shared.state);
    if let Some(worker) = state.worker_mut(number) {
        worker.flush();
    }
}

// ANCHOR: break_pool
/// A worker died or broke the protocol: the pool is broken (Python's `_terminate_broken`).
/// Every job in flight or queued fails with `BrokenProcessPool`, and every worker is stopped
/// and reaped.
fn break_pool(lp: &EventLoop, state: &mut State, why: String, completions: &mut Completions) {
    log::error!("the process pool is broken: {why}");
    let why: Arc<str> = why.into();
    state.broken.get_or_insert_with(|| why.clone());
    let failed = Error::BrokenProcessPool(why);
    for pending in state.queue.drain(..) {
        completions.push((pending.into_future(), Err(failed.clone())));
    }
    for mut worker in state.workers.drain(..) {
        if let Some((_, future)) = worker.job.take() {
            completions.push((future, Err(failed.clone())));
        }
        retire(lp, worker, true);
    }
}
// ANCHOR_END: break_pool

/// Once shut down: closes the stdin of every worker with nothing to do, which tells it to
/// exit; stops the loop once no worker is left.
fn close_idle(lp: &EventLoop, state: &mut State) {
    if state.queue.is_empty() {
        for worker in &mut state.workers {
            if worker.job.is_none() && worker.all_sent() {
                if let Some(mut stdin) = worker.stdin.take() {
                    if worker.registered {
                        // Deregister before closing: the loop finds sources by descriptor.
                        let _ = lp.remove_writer(&mut stdin);
                    }
                }
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

// ANCHOR: retire
/// Deregisters a worker's pipes, closes them, and reaps the process (after killing it, for a
/// broken pool), so that no zombie is left behind.
fn retire(lp: &EventLoop, mut worker: Worker, kill: bool) {
    if worker.registered {
        let _ = lp.remove_reader(&mut worker.stdout);
        if let Some(stdin) = &mut worker.stdin {
            let _ = lp.remove_writer(stdin);
        }
    }
    drop(worker.stdin.take()); // end of input: a live worker exits
    if kill {
        let _ = worker.child.kill(); // fails only if it has exited already
    }
    if let Err(error) = worker.child.wait() {
        log::error!(
            "could not reap worker process {}: {error}",
            worker.child.id()
        );
    }
}
// ANCHOR_END: retire

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
