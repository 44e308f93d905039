//! `concurrent.futures.wait` and `concurrent.futures.as_completed`: block on many futures at once.
//!
//! Both install one [`Waiter`] in every future they watch and sleep on it; the futures tell the
//! waiter as they complete. Neither polls.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::waiter::Waiter;
use super::ConcurrentFuture;
use crate::Error;

// The enum of `asyncio.wait` (chapter 7, before this pool): in Python too, the two `wait`s
// share their constants.
pub use crate::combinators::ReturnWhen;

/// What [`wait`] returns: Python's `DoneAndNotDoneFutures` named tuple.
///
/// # Notes
/// Python returns two sets; these are lists in the order the futures were given, so that what
/// a program prints from them does not depend on hashing.
#[derive(Debug)]
pub struct DoneAndNotDoneFutures<T> {
    /// The futures that were done (finished or cancelled) when `wait` returned.
    pub done: Vec<ConcurrentFuture<T>>,
    /// The others: still pending or running.
    pub not_done: Vec<ConcurrentFuture<T>>,
}

/// The given futures, each once (Python makes a set of them), in the order given.
fn distinct<'a, T: 'a>(
    futures: impl IntoIterator<Item = &'a ConcurrentFuture<T>>,
) -> Vec<ConcurrentFuture<T>> {
    let mut seen = HashSet::new();
    futures
        .into_iter()
        .filter(|future| seen.insert(future.id()))
        .cloned()
        .collect()
}

// ANCHOR: wait
/// `concurrent.futures.wait(fs, timeout, return_when)`: blocks until the futures are done as
/// `return_when` asks, or until `timeout` passes, and splits them into done and not done.
///
/// A timeout is not an error: `wait` just returns what is done by then.
///
/// # Notes
/// A future given twice counts once. With no futures, returns at once.
///
/// # Implementation notes
/// One waiter (an `Arc` with a mutex and a condition variable) is pushed on each future's
/// waiter list and removed on the way out; the calling thread sleeps until the waiter has
/// heard enough.
///
/// # Examples
/// ```
/// use steploop::executor::{wait, ReturnWhen, ThreadPoolExecutor};
///
/// let executor = ThreadPoolExecutor::new(2);
/// let futures = [executor.submit(|| 1).unwrap(), executor.submit(|| 2).unwrap()];
/// let outcome = wait(&futures, None, ReturnWhen::AllCompleted);
/// assert_eq!(outcome.done.len(), 2);
/// assert!(outcome.not_done.is_empty());
/// ```
pub fn wait<'a, T: 'a>(
    futures: impl IntoIterator<Item = &'a ConcurrentFuture<T>>,
    timeout: Option<Duration>,
    return_when: ReturnWhen,
) -> DoneAndNotDoneFutures<T> {
    let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
    let futures = distinct(futures);
    let (wake_after, wake_on_raise) = match return_when {
        ReturnWhen::FirstCompleted => (futures.len().min(1), false),
        ReturnWhen::FirstException => (futures.len(), true),
        ReturnWhen::AllCompleted => (futures.len(), false),
    };
    let waiter = Waiter::new(wake_after, wake_on_raise);
    for (index, future) in futures.iter().enumerate() {
        future.install_waiter(&waiter, index); // a done future reports itself at once
    }
    drop(waiter.wait(deadline));
    for future in &futures {
        future.remove_waiter(&waiter);
    }
    // Read after removing, so that a future completing meanwhile is counted as done.
    let mut is_done = vec![false; futures.len()];
    for &index in &waiter.events().done {
        is_done[index] = true;
    }
    let (done, not_done): (Vec<_>, Vec<_>) = futures
        .into_iter()
        .zip(is_done)
        .partition(|&(_, done)| done);
    DoneAndNotDoneFutures {
        done: done.into_iter().map(|(future, _)| future).collect(),
        not_done: not_done.into_iter().map(|(future, _)| future).collect(),
    }
}
// ANCHOR_END: wait

// ANCHOR: as_completed
/// `concurrent.futures.as_completed(fs, timeout)`: an iterator over the futures in the order
/// they complete.
///
/// Futures that are already done come first, in the order given; then each future as it
/// finishes or is cancelled. Every item is `Ok(future)`, except that if `timeout` (counted
/// from this call) passes first, one `Err(Error::Timeout)` ends the iteration, as Python's
/// iterator raises `TimeoutError`.
///
/// # Notes
/// A future given twice is yielded once. Dropping the iterator early is fine: it removes its
/// waiter from the futures.
///
/// # Examples
/// ```
/// use steploop::executor::{as_completed, ConcurrentFuture};
///
/// let futures: Vec<ConcurrentFuture<&str>> = (0..3).map(|_| ConcurrentFuture::new()).collect();
/// let mut completed = as_completed(&futures, None);
/// futures[2].set_result("third, finished first").unwrap();
/// futures[0].set_result("first, finished second").unwrap();
/// futures[1].cancel();
/// let order: Vec<_> = completed.by_ref().map(|f| f.unwrap()).collect();
/// assert_eq!(order, [futures[2].clone(), futures[0].clone(), futures[1].clone()]);
/// ```
pub fn as_completed<'a, T: 'a>(
    futures: impl IntoIterator<Item = &'a ConcurrentFuture<T>>,
    timeout: Option<Duration>,
) -> AsCompleted<T> {
    let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
    let futures = distinct(futures);
    let waiter = Waiter::new(1, false);
    for (index, future) in futures.iter().enumerate() {
        future.install_waiter(&waiter, index);
    }
    AsCompleted {
        left: futures.len(),
        futures,
        waiter,
        deadline,
    }
}

/// The iterator [`as_completed`] returns.
pub struct AsCompleted<T> {
    futures: Vec<ConcurrentFuture<T>>,
    waiter: Arc<Waiter>,
    deadline: Option<Instant>,
    /// Futures not yet yielded; 0 after a timeout, too.
    left: usize,
}

impl<T> Iterator for AsCompleted<T> {
    type Item = Result<ConcurrentFuture<T>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        let next = self.waiter.wait(self.deadline).done.pop_front();
        match next {
            Some(index) => {
                self.left -= 1;
                Some(Ok(self.futures[index].clone()))
            }
            None => {
                self.left = 0;
                Some(Err(Error::Timeout))
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left.min(1), Some(self.left))
    }
}
// ANCHOR_END: as_completed

impl<T> Drop for AsCompleted<T> {
    fn drop(&mut self) {
        for future in &self.futures {
            future.remove_waiter(&self.waiter);
        }
    }
}

impl<T> fmt::Debug for AsCompleted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompleted")
            .field("futures", &self.futures.len())
            .field("left", &self.left)
            .finish()
    }
}
