// ANCHOR: remote
//! What other threads send the loop (asyncio's self-pipe): a queue behind a lock, and a
//! `mio::Waker` that interrupts the loop's poll.

use std::sync::Mutex;

use crate::EventLoop;

/// A callback sent by another thread. It runs on the loop's thread, with the loop, but it is
/// made in the other thread and crosses over: it must be `Send`.
pub(crate) type RemoteCallback = Box<dyn FnOnce(&EventLoop) + Send>;

/// The part of the loop that other threads may touch: an `Arc<Remote>` is `Send` and `Sync`,
/// where the loop itself, all `Rc` and `RefCell`, is neither.
pub(crate) struct Remote {
    queue: Mutex<Vec<RemoteCallback>>,
    waker: mio::Waker,
}

impl Remote {
    pub(crate) fn new(waker: mio::Waker) -> Remote {
        Remote {
            queue: Mutex::new(Vec::new()),
            waker,
        }
    }

    /// Queues `callback` for the loop's thread, and wakes the loop's poll, which returns at
    /// once if it was waiting, or the next time it looks (asyncio's `call_soon_threadsafe`,
    /// which appends to `_ready` and writes a byte to the self-pipe).
    pub(crate) fn push(&self, callback: RemoteCallback) {
        self.queue.lock().expect("the lock is sound").push(callback);
        self.waker.wake().expect("the loop's waker can be woken");
    }

    /// Everything sent since the last call, in the order it was sent.
    pub(crate) fn take(&self) -> Vec<RemoteCallback> {
        std::mem::take(&mut *self.queue.lock().expect("the lock is sound"))
    }
}
// ANCHOR_END: remote
