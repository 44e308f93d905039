//! Python's `_WorkItem`: a job in the pool's queue, together with the future its outcome goes to.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::ConcurrentFuture;
use crate::Error;

/// What the pool's queue holds: any `WorkItem`, whatever its closure and result types.
pub(crate) trait Job: Send {
    /// Runs the job on a worker, unless its future was cancelled in the meantime, then
    /// publishes its outcome. Raises `finishing` by one just before publishing (or skipping).
    fn run(self: Box<Self>, finishing: &AtomicUsize);
    /// Cancels the job's future without running it (`shutdown(cancel_futures = true)`).
    fn cancel(self: Box<Self>);
}

/// A job and its future; boxed once per `submit`, and that box is the only allocation besides
/// the future's own.
pub(crate) struct WorkItem<F, T> {
    future: ConcurrentFuture<T>,
    job: F,
}

impl<F, T> WorkItem<F, T> {
    pub(crate) fn new(future: ConcurrentFuture<T>, job: F) -> Self {
        WorkItem { future, job }
    }
}

// ANCHOR: run
impl<F, T> Job for WorkItem<F, T>
where
    F: FnOnce() -> Result<T, Error> + Send,
    T: Send,
{
    fn run(self: Box<Self>, finishing: &AtomicUsize) {
        let WorkItem { future, job } = *self;
        let outcome = match future.set_running_or_notify_cancel() {
            // A panic is this job's exception, like `except BaseException` in Python's
            // `_WorkItem.run`; the worker itself lives on.
            Ok(true) => Some(
                catch_unwind(AssertUnwindSafe(job)).unwrap_or_else(|p| Err(Error::from_panic(p))),
            ),
            Ok(false) => None, // cancelled while it waited in the queue
            Err(error) => {
                // Somebody completed a submitted future by hand before its job ran.
                log::warn!("skipping a job whose future was completed elsewhere: {error}");
                None
            }
        };
        // Publishing the outcome wakes whoever waits for it, and that thread often submits
        // its next job at once: count this worker as coming back for it first, so that
        // `submit` does not wake another.
        finishing.fetch_add(1, Ordering::Relaxed);
        let Some(outcome) = outcome else { return };
        let callbacks = match future.finish(outcome) {
            Ok(callbacks) => callbacks,
            Err(error) => {
                log::warn!("a job's outcome was dropped: {error}");
                return;
            }
        };
        if !callbacks.is_empty() {
            // User code again, which may take long or even wait for a job it submits: while
            // it runs, this worker is not coming back soon.
            finishing.fetch_sub(1, Ordering::Relaxed);
            future.run_done_callbacks(callbacks);
            finishing.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn cancel(self: Box<Self>) {
        self.future.cancel();
    }
}
// ANCHOR_END: run
