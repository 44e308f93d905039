//! Waiting on a `concurrent.futures.Future`: `result()` and `exception()`, which block until it
//! is done, and the waiters that `wait` and `as_completed` install on it.

use std::sync::atomic::Ordering;
use std::sync::{Arc, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::{ConcurrentFuture, ConcurrentFutureState, Shared};
use crate::executor::waiter::{Completion, Waiter, WaiterSlot};
use crate::spin::spin_until;
use crate::Error;

impl<T> ConcurrentFuture<T> {
    // ANCHOR: wait_done
    /// Blocks until the future is done, or until `timeout` has passed (`Error::Timeout`), and
    /// returns the locked fields.
    fn wait_done(&self, timeout: Option<Duration>) -> Result<MutexGuard<'_, Shared<T>>, Error> {
        let shared = self.shared();
        if shared.state.is_done() {
            return Ok(shared); // the common case after a job ran: no clock read, no sleep
        }
        drop(shared);
        // A short job is often done a moment later: spinning for that moment is cheaper than
        // sleeping and being woken (see `spin_until`).
        if spin_until(|| self.inner.is_done.load(Ordering::Acquire)) {
            return Ok(self.shared());
        }
        let mut shared = self.shared();
        // A timeout too large to add to the clock means "forever".
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        shared.sleepers += 1;
        while !shared.state.is_done() {
            shared = match deadline {
                None => self
                    .inner
                    .done
                    .wait(shared)
                    .unwrap_or_else(PoisonError::into_inner),
                Some(deadline) => {
                    let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                        shared.sleepers -= 1;
                        return Err(Error::Timeout);
                    };
                    self.inner
                        .done
                        .wait_timeout(shared, left)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
            };
        }
        shared.sleepers -= 1;
        Ok(shared)
    }
    // ANCHOR_END: wait_done

    /// `concurrent.futures.Future.result()`: blocks until the future is done, then returns a
    /// clone of the value, or the error.
    ///
    /// Returns `Error::Cancelled` if the future was cancelled, and the job's error if it
    /// failed: an `Err` from [`submit_fallible`], or `Error::Panicked` if it panicked.
    ///
    /// # Notes
    /// Any number of threads may call `result()`, each gets its own clone; see the type's
    /// notes, and [`take_result`](Self::take_result) for results that are not `Clone`.
    ///
    /// # Implementation notes
    /// If the future is done, one lock and a clone. Otherwise the thread sleeps on the future's
    /// condition variable until the completing thread signals it.
    ///
    /// # Examples
    /// ```
    /// use steploop::executor::ThreadPoolExecutor;
    ///
    /// let executor = ThreadPoolExecutor::new(1);
    /// let future = executor.submit(|| "hello".to_string()).unwrap();
    /// assert_eq!(future.result().unwrap(), "hello"); // blocks until the job ran
    /// assert_eq!(future.result().unwrap(), "hello"); // as often as you like
    /// ```
    ///
    /// [`submit_fallible`]: crate::executor::ThreadPoolExecutor::submit_fallible
    pub fn result(&self) -> Result<T, Error>
    where
        T: Clone,
    {
        outcome(&*self.wait_done(None)?, |value| value.clone())
    }

    /// `concurrent.futures.Future.result(timeout)`: as [`result`](Self::result), but gives up
    /// with `Error::Timeout` after `timeout`.
    ///
    /// # Notes
    /// The future is unchanged by a timeout: the job goes on, and a later call may succeed.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// use steploop::{executor::ConcurrentFuture, Error};
    ///
    /// let future = ConcurrentFuture::<i32>::new();
    /// let waited = future.result_timeout(Duration::from_millis(10));
    /// assert!(matches!(waited, Err(Error::Timeout)));
    /// ```
    pub fn result_timeout(&self, timeout: Duration) -> Result<T, Error>
    where
        T: Clone,
    {
        outcome(&*self.wait_done(Some(timeout))?, |value| value.clone())
    }

    /// Blocks like [`result`](Self::result), then moves the value out of the future instead of
    /// cloning it. Has no Python counterpart: Python shares objects, Rust moves them.
    ///
    /// # Notes
    /// After a successful `take_result` the future stays `Finished`, but its value is gone: a
    /// later `result()` or `take_result()` returns `Error::InvalidState` saying so. An error is
    /// not taken (errors are cheap to clone), so a failed future keeps reporting it.
    /// [`ThreadPoolExecutor::map`](crate::executor::ThreadPoolExecutor::map) uses this, which is why its
    /// results need not be `Clone`.
    ///
    /// # Examples
    /// ```
    /// use steploop::executor::ConcurrentFuture;
    ///
    /// struct NotClone(u8);
    /// let future = ConcurrentFuture::new();
    /// future.set_result(NotClone(7)).unwrap();
    /// assert_eq!(future.take_result().unwrap().0, 7);
    /// assert!(future.take_result().is_err()); // taken already
    /// ```
    pub fn take_result(&self) -> Result<T, Error> {
        let mut shared = self.wait_done(None)?;
        shared.result.take().ok_or_else(|| missing_value(&shared))
    }

    /// `concurrent.futures.Future.exception()`: blocks until the future is done, then returns
    /// the error it failed with, or `None` if it returned a value.
    ///
    /// # Notes
    /// A cancelled future gives `Err(Error::Cancelled)`, as Python raises `CancelledError`.
    ///
    /// # Examples
    /// ```
    /// use steploop::executor::ThreadPoolExecutor;
    ///
    /// fn divide(a: i32, b: i32) -> i32 { a / b }
    ///
    /// let executor = ThreadPoolExecutor::new(2);
    /// let failed = executor.submit(|| divide(1, 0)).unwrap();
    /// let fine = executor.submit(|| divide(4, 2)).unwrap();
    /// let error = failed.exception().unwrap().unwrap();
    /// assert_eq!(error.to_string(), "panicked: attempt to divide by zero");
    /// assert!(fine.exception().unwrap().is_none());
    /// ```
    pub fn exception(&self) -> Result<Option<Error>, Error> {
        exception_of(&*self.wait_done(None)?)
    }

    /// `concurrent.futures.Future.exception(timeout)`: as [`exception`](Self::exception), but
    /// gives up with `Error::Timeout` after `timeout`.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// use steploop::{executor::ConcurrentFuture, Error};
    ///
    /// let future = ConcurrentFuture::<()>::new();
    /// let waited = future.exception_timeout(Duration::from_millis(10));
    /// assert!(matches!(waited, Err(Error::Timeout)));
    /// ```
    pub fn exception_timeout(&self, timeout: Duration) -> Result<Option<Error>, Error> {
        exception_of(&*self.wait_done(Some(timeout))?)
    }

    /// Installs `waiter` as watching this future under `index`, or tells it at once if the
    /// future is already done. Python's `f._waiters.append(waiter)` in `_create_and_install_waiters`.
    pub(crate) fn install_waiter(&self, waiter: &Arc<Waiter>, index: usize) {
        let mut shared = self.shared();
        match shared.state {
            ConcurrentFutureState::Finished if shared.exception.is_some() => {
                waiter.add(index, Completion::Raised)
            }
            ConcurrentFutureState::Finished => waiter.add(index, Completion::Returned),
            ConcurrentFutureState::Cancelled => waiter.add(index, Completion::Cancelled),
            ConcurrentFutureState::Pending | ConcurrentFutureState::Running => {
                shared.waiters.push(WaiterSlot {
                    waiter: Arc::clone(waiter),
                    index,
                })
            }
        }
    }

    /// Forgets `waiter`: `f._waiters.remove(waiter)`. A done future has forgotten it already.
    pub(crate) fn remove_waiter(&self, waiter: &Arc<Waiter>) {
        self.shared()
            .waiters
            .retain(|slot| !Arc::ptr_eq(&slot.waiter, waiter));
    }
}

/// The outcome of a done future: the value (through `read`), or the error.
fn outcome<T, R>(shared: &Shared<T>, read: impl FnOnce(&T) -> R) -> Result<R, Error> {
    match &shared.result {
        Some(value) => Ok(read(value)),
        None => Err(missing_value(shared)),
    }
}

/// Why a done future holds no value: cancelled, failed, or its value was taken.
fn missing_value<T>(shared: &Shared<T>) -> Error {
    if shared.state == ConcurrentFutureState::Cancelled {
        return Error::Cancelled(None);
    }
    match &shared.exception {
        Some(error) => error.clone(),
        None => Error::InvalidState(
            "the result was moved out by take_result(): use result() (which clones) when \
             several readers need the value"
                .into(),
        ),
    }
}

fn exception_of<T>(shared: &Shared<T>) -> Result<Option<Error>, Error> {
    if shared.state == ConcurrentFutureState::Cancelled {
        return Err(Error::Cancelled(None));
    }
    Ok(shared.exception.clone())
}
