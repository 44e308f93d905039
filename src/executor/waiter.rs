//! Python's `_Waiter`: how [`wait`](super::wait()) and [`as_completed`](super::as_completed())
//! hear about futures completing without polling them.
//!
//! A waiter is installed in every future it watches (Python's `Future._waiters`). The thread that
//! completes a future tells each installed waiter which future it was, and the one thread blocked
//! in `wait` or in `as_completed`'s `next` sleeps on the waiter's condition variable until enough
//! of its futures have completed.
//!
//! Lock order: a future's lock, then a waiter's lock. A future calls [`Waiter::add`] while
//! holding its own lock (so that a completion cannot slip between "is it done?" and "install the
//! waiter"), and nothing ever takes a future's lock while holding a waiter's.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use super::lock;

/// How a watched future completed; only `Raised` matters to `FIRST_EXCEPTION`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Completion {
    /// Finished with a result.
    Returned,
    /// Finished with an exception (an `Err` or a panic).
    Raised,
    /// Cancelled: done, but not an exception, as in Python.
    Cancelled,
}

/// A waiter installed in one future: the waiter and the future's index in the caller's list.
#[derive(Debug)]
pub(crate) struct WaiterSlot {
    /// The waiter to tell.
    pub(crate) waiter: Arc<Waiter>,
    /// Which of the waiter's futures this is.
    pub(crate) index: usize,
}

/// What a waiter has heard so far.
#[derive(Debug)]
pub(crate) struct Events {
    /// Indices of the futures that completed, in completion order. `as_completed` pops from the
    /// front; `wait` only reads.
    pub(crate) done: VecDeque<usize>,
    /// True once any watched future finished with an exception.
    pub(crate) raised: bool,
    /// Is the owner asleep on the condition variable? Saves a futex syscall per completion when
    /// it is not.
    sleeping: bool,
}

/// The shared half of `wait` and `as_completed`; see the module docs.
#[derive(Debug)]
pub(crate) struct Waiter {
    events: Mutex<Events>,
    changed: Condvar,
    /// Wake the owner once `done` holds this many indices (Python's `_AllCompletedWaiter`
    /// counts down the same way; `_FirstCompletedWaiter` is a count of 1).
    wake_after: usize,
    /// Also wake the owner on the first exception (`FIRST_EXCEPTION`).
    wake_on_raise: bool,
}

impl Waiter {
    /// A waiter whose owner wants to wake after `wake_after` completions, or at the first
    /// exception if `wake_on_raise`.
    pub(crate) fn new(wake_after: usize, wake_on_raise: bool) -> Arc<Waiter> {
        Arc::new(Waiter {
            events: Mutex::new(Events {
                done: VecDeque::new(),
                raised: false,
                sleeping: false,
            }),
            changed: Condvar::new(),
            wake_after,
            wake_on_raise,
        })
    }

    fn ready(&self, events: &Events) -> bool {
        events.done.len() >= self.wake_after || (self.wake_on_raise && events.raised)
    }

    /// Records that the future at `index` completed. Called with that future's lock held.
    pub(crate) fn add(&self, index: usize, completion: Completion) {
        let mut events = lock(&self.events);
        events.done.push_back(index);
        events.raised |= completion == Completion::Raised;
        let wake = events.sleeping && self.ready(&events);
        drop(events);
        if wake {
            self.changed.notify_one();
        }
    }

    /// Blocks until enough futures completed or `deadline` passed, and returns what was heard.
    pub(crate) fn wait(&self, deadline: Option<Instant>) -> MutexGuard<'_, Events> {
        let mut events = lock(&self.events);
        while !self.ready(&events) {
            events.sleeping = true;
            events = match deadline {
                None => self
                    .changed
                    .wait(events)
                    .unwrap_or_else(PoisonError::into_inner),
                Some(deadline) => {
                    let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                        events.sleeping = false;
                        break;
                    };
                    self.changed
                        .wait_timeout(events, left)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
            };
            events.sleeping = false;
        }
        events
    }

    /// Just the events, without waiting.
    pub(crate) fn events(&self) -> MutexGuard<'_, Events> {
        lock(&self.events)
    }
}
