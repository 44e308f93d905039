//! The loop's door for other threads: a lock-guarded queue and a way to wake the poll
//! (asyncio's `call_soon_threadsafe` and its self-pipe).
//!
//! Everything else in a loop belongs to the loop's thread (`Rc`, `RefCell`). What other threads
//! send goes through here instead: task wakeups from wakers, callbacks from
//! `call_soon_threadsafe`, and the completions of work sent to other threads (`wrap_future`,
//! `run_in_executor`). A sender pushes a [`Message`] under the lock and, if the loop is asleep in
//! `mio::Poll::poll`, wakes it with a `mio::Waker` (one per poll, as asyncio has one self-pipe
//! per loop). The loop drains the queue at the start of every tick.
//!
//! Invariants:
//! - Messages are handed to the loop in the order they were pushed, whichever thread pushed
//!   them.
//! - Once the queue is closed (the loop was closed or dropped), every push is refused and
//!   reported to the sender, so nothing is silently left in a queue nobody drains.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use crate::ready::{BridgeKey, RemoteCall};
use crate::scheduler::task_table::TaskKey;

/// What other threads send to the loop.
pub(crate) enum Message {
    /// A waker was woken: schedule the task's wakeup.
    Wake(TaskKey),
    /// Work sent to another thread is done: copy its outcome into the loop future.
    Bridge(BridgeKey),
    /// `call_soon_threadsafe(callback)`.
    Call(Box<dyn RemoteCall>),
}

/// The queue and whether it still accepts messages, under one lock.
struct Queue {
    messages: Vec<Message>,
    closed: bool,
}

/// The thread-safe part of a loop.
pub(crate) struct Remote {
    loop_id: u64,
    queue: Mutex<Queue>,
    /// Set after pushing, cleared by the loop before draining: lets a tick check for work with
    /// one atomic load instead of taking the lock.
    pending: AtomicBool,
    /// True while the loop is in (or about to enter) its poll. A sender writes to the waker
    /// only if it is the one to clear this flag: a busy loop costs senders no system call, and
    /// a sleeping loop is woken once, however many messages arrive.
    sleeping: AtomicBool,
    /// Registered with the loop's poll when the loop first creates it.
    waker: OnceLock<mio::Waker>,
    /// `LoopHandle`s alive: another thread holding one may send work at any time.
    handles: AtomicUsize,
}

impl Remote {
    pub(crate) fn new(loop_id: u64) -> Remote {
        Remote {
            loop_id,
            queue: Mutex::new(Queue {
                messages: Vec::new(),
                closed: false,
            }),
            pending: AtomicBool::new(false),
            sleeping: AtomicBool::new(false),
            waker: OnceLock::new(),
            handles: AtomicUsize::new(0),
        }
    }

    /// Which loop this is, to tell on which loop a waker may schedule directly.
    pub(crate) fn loop_id(&self) -> u64 {
        self.loop_id
    }

    /// Queues a task's wakeup from any thread and wakes the loop if it is blocked in its poll.
    /// A wakeup for a closed loop is dropped: its task is gone.
    pub(crate) fn wake_task(&self, key: TaskKey) {
        let _ = self.push(Message::Wake(key));
    }

    // ANCHOR: push
    /// Queues a message from any thread and wakes the loop if it sleeps in its poll.
    /// Gives the message back if the loop is closed.
    pub(crate) fn push(&self, message: Message) -> Result<(), Message> {
        {
            let mut queue = lock(&self.queue);
            if queue.closed {
                return Err(message);
            }
            queue.messages.push(message);
        }
        // SeqCst pairs with the loop's `sleeping` store and `pending` load in `poll`: either
        // the loop sees `pending` before it blocks, or we see `sleeping` and wake it.
        self.pending.store(true, Ordering::SeqCst);
        self.wake_if_sleeping();
        Ok(())
    }
    // ANCHOR_END: push

    /// Wakes the loop out of its poll, if it is in it and nobody has woken it yet.
    fn wake_if_sleeping(&self) {
        if self.sleeping.swap(false, Ordering::SeqCst) {
            if let Some(waker) = self.waker.get() {
                // A failed wake can only mean the poll is gone, i.e. the loop was closed.
                let _ = waker.wake();
            }
        }
    }

    /// True if messages are queued.
    pub(crate) fn has_pending(&self) -> bool {
        self.pending.load(Ordering::SeqCst)
    }

    /// Moves every queued message, oldest first, to the end of `inbox`.
    ///
    /// # Implementation notes
    /// `append` copies the messages and leaves the queue's buffer in place, empty: once both
    /// buffers have grown to the usual burst, a drain allocates nothing, on either side.
    pub(crate) fn take_into(&self, inbox: &mut Vec<Message>) {
        if self.pending.swap(false, Ordering::SeqCst) {
            inbox.append(&mut lock(&self.queue).messages);
        }
    }

    /// Refuses every later message and returns those still queued.
    pub(crate) fn close(&self) -> Vec<Message> {
        let mut queue = lock(&self.queue);
        queue.closed = true;
        self.pending.store(false, Ordering::SeqCst);
        std::mem::take(&mut queue.messages)
    }

    /// True once the loop was closed or dropped.
    pub(crate) fn is_closed(&self) -> bool {
        lock(&self.queue).closed
    }

    /// The loop is about to block in its poll: from now on senders wake it. Returns false,
    /// and does not mark it, if a message is already waiting.
    pub(crate) fn enter_sleep(&self) -> bool {
        self.sleeping.store(true, Ordering::SeqCst);
        if self.pending.load(Ordering::SeqCst) {
            self.sleeping.store(false, Ordering::SeqCst);
            return false;
        }
        true
    }

    /// The loop is back from its poll.
    pub(crate) fn leave_sleep(&self) {
        self.sleeping.store(false, Ordering::SeqCst);
    }

    /// Gives the queue its way to interrupt the poll.
    pub(crate) fn set_waker(&self, waker: mio::Waker) {
        let _ = self.waker.set(waker);
    }

    /// A `LoopHandle` was made.
    pub(crate) fn handle_created(&self) {
        self.handles.fetch_add(1, Ordering::SeqCst);
    }

    /// A `LoopHandle` was dropped. When it was the last, the loop is woken to look again at
    /// whether anything can still wake it (`take` then finds an empty queue).
    pub(crate) fn handle_dropped(&self) {
        if self.handles.fetch_sub(1, Ordering::SeqCst) == 1 {
            // As if a message came: a loop about to sleep sees `pending` and looks again.
            self.pending.store(true, Ordering::SeqCst);
            self.wake_if_sleeping();
        }
    }

    /// How many `LoopHandle`s are alive.
    pub(crate) fn handles(&self) -> usize {
        self.handles.load(Ordering::SeqCst)
    }
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote")
            .field("loop_id", &self.loop_id)
            .field("handles", &self.handles())
            .finish_non_exhaustive()
    }
}

/// Locks the queue; a panic while holding it cannot leave a `Vec` half-pushed, so a poisoned
/// lock is safe to use.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
