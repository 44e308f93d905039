//! `Handle`: one callback waiting in the ready deque (asyncio's `asyncio.Handle`).

use std::cell::{Cell, RefCell};

use crate::EventLoop;

/// A callback as the loop stores it: boxed, because every closure has a type of its own and
/// the deque holds one type. It runs once, and receives the loop that runs it.
pub type Callback = Box<dyn FnOnce(&EventLoop)>;

/// A callback scheduled on the loop (`asyncio.Handle`).
///
/// `call_soon` returns an `Rc<Handle>` and keeps a second `Rc` to the same handle in the ready
/// deque, so that `cancel()` on the caller's copy is seen by the loop.
pub struct Handle {
    /// The callback, until it runs or is cancelled; `None` after.
    callback: RefCell<Option<Callback>>,
    /// Set by `cancel()`: the tick skips the handle when its turn comes.
    cancelled: Cell<bool>,
}

impl Handle {
    pub(crate) fn new(callback: Callback) -> Handle {
        Handle {
            callback: RefCell::new(Some(callback)),
            cancelled: Cell::new(false),
        }
    }

    /// Cancels the callback: it will not run (`Handle.cancel()`). The deque is not searched;
    /// the handle stays where it is and is skipped when its turn comes. The closure is dropped
    /// at once, releasing whatever it captured, as asyncio sets `_callback = None`.
    pub fn cancel(&self) {
        self.cancelled.set(true);
        self.callback.take();
    }

    /// True once `cancel()` was called (`Handle.cancelled()`).
    pub fn cancelled(&self) -> bool {
        self.cancelled.get()
    }

    /// Runs the callback, unless it was cancelled (`Handle._run()`). Taking it out of its cell
    /// first means it runs at most once, and that nothing is borrowed while it runs.
    pub(crate) fn run(&self, event_loop: &EventLoop) {
        let callback = self.callback.take();
        if let Some(callback) = callback {
            callback(event_loop);
        }
    }
}
