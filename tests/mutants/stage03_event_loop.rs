// ANCHOR: struct
//! The event loop: the ready deque and the tick that runs it (asyncio's `BaseEventLoop`).

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::rc::Rc;

use crate::handle::{Callback, Handle};

/// An event loop (事件循环): callbacks wait in the ready deque, and each tick runs those that
/// were ready when it began.
///
/// Cloning an `EventLoop` gives another handle to the same loop (an `Rc` inside), so that
/// whatever needs the loop later can keep one.
#[derive(Clone, Default)]
pub struct EventLoop {
    inner: Rc<Inner>,
}

#[derive(Default)]
struct Inner {
    /// asyncio's `_ready`: the handles waiting for their turn, oldest first.
    ready: RefCell<VecDeque<Rc<Handle>>>,
    /// asyncio's `_stopping`: set by `stop()`, read by `run_forever` after each tick.
    stopping: Cell<bool>,
    /// How many ticks have begun. asyncio keeps no such count; our programs print it, to
    /// show which tick runs what.
    ticks: Cell<u64>,
}
// ANCHOR_END: struct

// ANCHOR: call_soon
impl EventLoop {
    /// A loop with nothing to do yet.
    pub fn new() -> EventLoop {
        EventLoop::default()
    }

    /// Schedules `callback` to run on a later tick, after every handle already waiting
    /// (`loop.call_soon(callback)`). Never now: the caller goes on first.
    pub fn call_soon(&self, callback: impl FnOnce(&EventLoop) + 'static) -> Rc<Handle> {
        let callback: Callback = Box::new(callback);
        let handle = Rc::new(Handle::new(callback));
        self.inner.ready.borrow_mut().push_back(handle.clone());
        handle
    }
    // ANCHOR_END: call_soon

    // ANCHOR: run_once
    /// Runs one tick (asyncio's `_run_once`): exactly the handles that are ready as it
    /// begins. Handles scheduled while it runs wait for the next tick.
    ///
    /// # Errors
    /// [`Stalled`] if nothing is ready and `stop()` was not called: nothing could ever
    /// become ready, and the loop would wait forever.
    pub fn run_once(&self) -> Result<(), Stalled> {
        let inner = &self.inner;
        if inner.ready.borrow().is_empty() && !inner.stopping.get() {
            return Err(Stalled);
        }
        inner.ticks.set(inner.ticks.get() + 1);
        // MUTANT: no count; the tick runs until the deque is empty, handles appended by its
        // own callbacks included.
        loop {
            let handle = inner.ready.borrow_mut().pop_front();
            let Some(handle) = handle else { break };
            handle.run(self);
        }
        Ok(())
    }
    // ANCHOR_END: run_once

    // ANCHOR: run_forever
    /// Runs ticks until `stop()` is called (`loop.run_forever()`).
    ///
    /// # Errors
    /// [`Stalled`], as [`run_once`](EventLoop::run_once).
    pub fn run_forever(&self) -> Result<(), Stalled> {
        let result = loop {
            if let Err(stalled) = self.run_once() {
                break Err(stalled);
            }
            if self.inner.stopping.get() {
                break Ok(());
            }
        };
        self.inner.stopping.set(false);
        result
    }

    /// Asks the loop to stop once the current tick is over (`loop.stop()`): the rest of the
    /// tick still runs.
    pub fn stop(&self) {
        self.inner.stopping.set(true);
    }

    /// The number of the tick running now, counted from 1.
    pub fn tick(&self) -> u64 {
        self.inner.ticks.get()
    }
}

/// What `run_once` and `run_forever` return when nothing is ready and nothing ever could
/// be: asyncio would wait in `select()` forever, this loop says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stalled;

impl fmt::Display for Stalled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("nothing is ready and nothing can become ready, yet stop() was not called")
    }
}

impl std::error::Error for Stalled {}
// ANCHOR_END: run_forever
