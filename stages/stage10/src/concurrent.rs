// ANCHOR: state
//! `ConcurrentFuture` (Python's `concurrent.futures.Future`): a result that another thread
//! sets, and the threads that wait for it.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use crate::Error;

/// Where a concurrent future is in its life: `Pending` in the pool's queue, `Running` on a
/// worker, then done, for good: `Finished` or `Cancelled` (Python's `PENDING`, `RUNNING`,
/// `FINISHED`, `CANCELLED`).
enum State<T> {
    Pending,
    Running,
    Finished(Result<T, Error>),
    Cancelled,
}

/// A done-callback. It runs in whichever thread completes the future, so it must be `Send`.
type DoneCallback<T> = Box<dyn FnOnce(&ConcurrentFuture<T>) + Send>;

/// The future of a job in a thread pool (`concurrent.futures.Future`). Cloning gives another
/// handle to the same future (an `Arc` inside): the worker that sets it and the threads that
/// wait for it each hold one.
pub struct ConcurrentFuture<T> {
    inner: Arc<Inner<T>>,
}

/// Python's `_state`, `_result` and `_done_callbacks`, behind a lock, and a condition
/// variable to sleep on until the future is done (Python's `_condition`).
struct Inner<T> {
    guarded: Mutex<Guarded<T>>,
    done: Condvar,
}

struct Guarded<T> {
    state: State<T>,
    callbacks: Vec<DoneCallback<T>>,
}

impl<T> Clone for ConcurrentFuture<T> {
    fn clone(&self) -> ConcurrentFuture<T> {
        ConcurrentFuture {
            inner: self.inner.clone(),
        }
    }
}
// ANCHOR_END: state

// ANCHOR: result
impl<T: Clone + Send + 'static> ConcurrentFuture<T> {
    /// A new, pending future (`Future()`).
    #[allow(clippy::new_without_default)]
    pub fn new() -> ConcurrentFuture<T> {
        let guarded = Guarded {
            state: State::Pending,
            callbacks: Vec::new(),
        };
        let inner = Inner {
            guarded: Mutex::new(guarded),
            done: Condvar::new(),
        };
        ConcurrentFuture {
            inner: Arc::new(inner),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Guarded<T>> {
        self.inner
            .guarded
            .lock()
            .expect("no thread panics holding the lock")
    }

    /// True once the future has its outcome, or was cancelled (`done()`).
    pub fn done(&self) -> bool {
        matches!(self.lock().state, State::Finished(_) | State::Cancelled)
    }

    /// True while a worker runs the job (`running()`).
    pub fn running(&self) -> bool {
        matches!(self.lock().state, State::Running)
    }

    /// Waits until the future is done, and gives its outcome (`result()`): a clone, since
    /// any number of threads may ask. `Err(Error::Cancelled)` if it was cancelled.
    pub fn result(&self) -> Result<T, Error> {
        let mut guarded = self.lock();
        loop {
            match &guarded.state {
                State::Finished(outcome) => return outcome.clone(),
                State::Cancelled => return Err(Error::Cancelled),
                // Sleep until `finish` or `cancel` signals; then look again.
                State::Pending | State::Running => {
                    guarded = self.inner.done.wait(guarded).expect("the lock is sound");
                }
            }
        }
    }
    // ANCHOR_END: result

    // ANCHOR: finish
    /// Sets the result, wakes the threads waiting for it, and runs the done-callbacks
    /// (`set_result`).
    pub fn set_result(&self, value: T) -> Result<(), Error> {
        self.finish(State::Finished(Ok(value)))
    }

    /// Sets an exception instead (`set_exception`).
    pub fn set_exception(&self, error: Error) -> Result<(), Error> {
        self.finish(State::Finished(Err(error)))
    }

    /// Cancels the future if its job has not started (`cancel()`): true if it is cancelled
    /// now, false if the job runs or ran.
    pub fn cancel(&self) -> bool {
        self.finish(State::Cancelled).is_ok() || self.cancelled()
    }

    /// True if the future was cancelled (`cancelled()`).
    pub fn cancelled(&self) -> bool {
        matches!(self.lock().state, State::Cancelled)
    }

    /// Called by the worker that takes the job: true if it is to run it, now that nothing can
    /// cancel it any more; false if it was cancelled while it waited in the queue.
    pub(crate) fn set_running_or_notify_cancel(&self) -> bool {
        let mut guarded = self.lock();
        if let State::Pending = guarded.state {
            guarded.state = State::Running;
            return true;
        }
        false
    }

    /// The future is done: record how, wake every thread in `result()`, then run the
    /// callbacks with the lock released, since a callback may well ask for the result. The
    /// check and the change are made under one lock: a `cancel()` and the worker that takes
    /// the job race, and exactly one of them wins.
    fn finish(&self, state: State<T>) -> Result<(), Error> {
        let callbacks = {
            let mut guarded = self.lock();
            match (&guarded.state, &state) {
                (State::Pending, _) | (State::Running, State::Finished(_)) => {}
                _ => return Err(Error::InvalidState("a concurrent future is done once")),
            }
            guarded.state = state;
            self.inner.done.notify_all();
            std::mem::take(&mut guarded.callbacks)
        };
        for callback in callbacks {
            callback(self);
        }
        Ok(())
    }

    /// Adds a function to call with the future once it is done (`add_done_callback`). On a
    /// future already done, it runs at once, in this thread.
    pub fn add_done_callback(&self, callback: impl FnOnce(&ConcurrentFuture<T>) + Send + 'static) {
        {
            let mut guarded = self.lock();
            if let State::Pending | State::Running = guarded.state {
                guarded.callbacks.push(Box::new(callback));
                return;
            }
        }
        callback(self);
    }
}
// ANCHOR_END: finish
