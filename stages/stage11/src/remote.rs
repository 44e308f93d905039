// ANCHOR: remote
//! What other threads send the loop (asyncio's self-pipe): a queue behind a lock, and a
//! `mio::Waker` that interrupts the loop's poll.

use std::sync::atomic::{AtomicUsize, Ordering};
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
    /// How many `LoopHandle`s exist: while one does, some thread may still send something.
    handles: AtomicUsize,
}

impl Remote {
    pub(crate) fn new(waker: mio::Waker) -> Remote {
        Remote {
            queue: Mutex::new(Vec::new()),
            waker,
            handles: AtomicUsize::new(0),
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
    // ANCHOR_END: remote

    // ANCHOR: handles
    /// True if something was sent that the loop has not taken yet.
    pub(crate) fn has_pending(&self) -> bool {
        !self.queue.lock().expect("the lock is sound").is_empty()
    }

    /// How many `LoopHandle`s exist.
    pub(crate) fn handles(&self) -> usize {
        self.handles.load(Ordering::SeqCst)
    }

    /// A `LoopHandle` was made.
    pub(crate) fn handle_made(&self) {
        self.handles.fetch_add(1, Ordering::SeqCst);
    }

    /// A `LoopHandle` was dropped: the loop may be waiting for it, and must look again.
    pub(crate) fn handle_dropped(&self) {
        self.handles.fetch_sub(1, Ordering::SeqCst);
        self.waker.wake().expect("the loop's waker can be woken");
    }
}
// ANCHOR_END: handles
