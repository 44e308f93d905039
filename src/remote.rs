//! The loop's door for other threads: a lock-guarded queue and a way to wake the poll.
//!
//! Everything else in a loop belongs to the loop's thread (`Rc`, `RefCell`). A waker, though,
//! must be `Send + Sync` and may be woken from anywhere. A wake from another thread pushes the
//! task's key here and wakes the loop out of `mio::Poll::poll` with a `mio::Waker` (asyncio's
//! self-pipe); the loop drains the queue at the start of every tick.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};

use crate::task::TaskKey;

/// The thread-safe part of a loop.
#[derive(Debug)]
pub(crate) struct Remote {
    loop_id: u64,
    queue: Mutex<Vec<TaskKey>>,
    /// Set after pushing, cleared by the loop before draining: lets a tick check for work with
    /// one atomic load instead of taking the lock.
    pending: AtomicBool,
    /// Registered with the loop's poll when the loop first creates it.
    waker: OnceLock<mio::Waker>,
}

impl Remote {
    pub(crate) fn new(loop_id: u64) -> Remote {
        Remote {
            loop_id,
            queue: Mutex::new(Vec::new()),
            pending: AtomicBool::new(false),
            waker: OnceLock::new(),
        }
    }

    /// Which loop this is, to tell on which loop a waker may schedule directly.
    pub(crate) fn loop_id(&self) -> u64 {
        self.loop_id
    }

    /// Queues a task's wakeup from any thread and wakes the loop if it is blocked in its poll.
    pub(crate) fn wake_task(&self, key: TaskKey) {
        lock(&self.queue).push(key);
        // SeqCst pairs with the loop's check after it has registered its waker: either the
        // loop sees `pending`, or we see the waker and wake it. Never neither.
        self.pending.store(true, Ordering::SeqCst);
        if let Some(waker) = self.waker.get() {
            // A failed wake can only mean the poll is gone, i.e. the loop was closed.
            let _ = waker.wake();
        }
    }

    /// True if wakeups are queued.
    pub(crate) fn has_pending(&self) -> bool {
        self.pending.load(Ordering::SeqCst)
    }

    /// Takes every queued wakeup.
    pub(crate) fn take(&self) -> Vec<TaskKey> {
        if !self.pending.swap(false, Ordering::SeqCst) {
            return Vec::new();
        }
        std::mem::take(&mut *lock(&self.queue))
    }

    /// Gives the queue its way to interrupt the poll.
    pub(crate) fn set_waker(&self, waker: mio::Waker) {
        let _ = self.waker.set(waker);
    }
}

/// Locks the queue; a panic while holding it cannot leave a `Vec` half-pushed, so a poisoned
/// lock is safe to use.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
