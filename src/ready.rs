//! The ready deque (asyncio's `_ready`): what runs on the next tick, and the kinds of entry it
//! holds.
//!
//! CPython's `_run_once` says of its last loop: "This is the only place where callbacks are
//! actually *called*. All other places just add them to ready." So it is here: every module
//! that has something to run — `call_soon`, a timer that came due, a future's done-callbacks,
//! a task's wakeup, another thread's message — pushes a [`Runnable`] onto the [`ReadyQueue`],
//! and the tick's runner (`EventLoop::run_ready`, in `tick.rs`) alone pops and runs them.
//!
//! # Implementation notes
//! This module sits below the loop's facade, as asyncio's `events.py` (where `Handle` lives)
//! sits below `base_events.py`: futures and tasks push onto the deque without knowing the
//! loop. The entries that call user code with the loop ([`Entry`], [`RemoteCall`]) receive it
//! as [`Facade`], a `&dyn Any` that their own code, which knows the facade, turns back into
//! `&EventLoop`.

use std::any::Any;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use crate::label::Label;
use crate::scheduler::task_table::TaskKey;

/// The loop, as the entries of the ready deque receive it: `&EventLoop`, seen from below the
/// facade (see the module's notes).
pub(crate) type Facade = dyn Any;

/// A callback's handle as the ready deque holds it: what `call_soon` made (see `handle.rs`).
pub(crate) trait Entry {
    fn label(&self) -> &Label;
    fn is_cancelled(&self) -> bool;
    /// Marks the handle cancelled and drops its callback (releasing whatever the closure
    /// captured, as asyncio sets `_callback = None`).
    fn cancel(&self);
    /// Runs the callback with the loop, unless it was cancelled or has already run.
    fn run(&self, event_loop: &Facade);
}

/// A done-callback of one future, scheduled with the future it is told about
/// (`future.add_done_callback(fn)`, once the future is done: asyncio's `call_soon(fn, self)`).
pub(crate) trait DoneCall {
    /// The callback's name in traces.
    fn label(&self) -> &Label;
    /// Calls it with its future.
    fn call(self: Box<Self>);
}

/// One done-callback that many futures share, such as `gather`'s, which every child calls when
/// it is done. Each future holds the same `Rc` and the index it was given; when it is done, the
/// loop runs `notify(index)` straight from the ready deque, as it runs a task's wakeup: no
/// closure per future, and no handle per call.
pub(crate) trait Notify {
    /// The callback's name in traces.
    fn label(&self) -> Label;
    /// The future added with `index` is done.
    fn notify(self: Rc<Self>, index: usize);
}

/// A callback sent from another thread, with its label: one allocation holds both.
pub(crate) trait RemoteCall: Send {
    /// Runs the callback on the loop's thread.
    fn call(self: Box<Self>, event_loop: &Facade);
    /// The callback's name in traces and reports.
    fn label(&self) -> Label;
}

/// A bridge's place in the loop's slab, with its number to tell it from a later occupant
/// (see `bridge.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BridgeKey {
    pub(crate) index: usize,
    pub(crate) id: u64,
}

// ANCHOR: runnable
/// An entry of the ready deque: a callback's handle, a future's done-callback, a step of a
/// task, or work that another thread handed to the loop.
///
/// # Implementation notes
/// A task's step is its slab key, not a boxed closure: scheduling a step allocates nothing.
/// A due timer, likewise, is the key of its slot in the timer heap.
pub(crate) enum Runnable {
    /// A callback's handle (`call_soon`).
    Callback(Rc<dyn Entry>),
    /// A timer that came due: its key in the timer heap's slots, where its callback waits.
    Timer(u32),
    /// `wakeup` tells apart a first step or a yield (asyncio's `__step`) from a step because an
    /// awaited future is done (`__wakeup`); both poll the coroutine once.
    Step { task: TaskKey, wakeup: bool },
    /// A done-callback of a future that is done, with the future.
    Done(Box<dyn DoneCall>),
    /// A done-callback shared by many futures (gather's), told which of them is done.
    Notify(Rc<dyn Notify>, u32),
    /// A callback another thread sent with `call_soon_threadsafe`.
    Remote(Box<dyn RemoteCall>),
    /// Work sent to another thread is done: copy its outcome into the loop future waiting for
    /// it (asyncio's `_set_state`, which `_chain_future` schedules with `call_soon_threadsafe`).
    Bridge(BridgeKey),
}
// ANCHOR_END: runnable

// The ready deque is the hottest structure of the loop: the two variants for other threads
// (a fat pointer, a key) must not make its entries any bigger than a task's step.
const _: () = assert!(std::mem::size_of::<Runnable>() == 24);

/// Appends an entry to a full deque, which grows (see [`ReadyQueue::push`]).
#[cold]
#[inline(never)]
fn push_growing(deque: &mut VecDeque<Runnable>, runnable: Runnable) {
    deque.push_back(runnable);
}

/// The ready deque (asyncio's `_ready`): what runs on the next tick, in the order it was
/// scheduled.
///
/// # Implementation notes
/// The deque sits in a `RefCell` that is borrowed only inside these methods, never while an
/// entry runs: a callback may push onto it while the tick is popping from it.
#[derive(Default)]
pub(crate) struct ReadyQueue {
    deque: RefCell<VecDeque<Runnable>>,
}

impl ReadyQueue {
    /// Appends the entry that `make` builds: it runs after every entry already ready.
    ///
    /// # Implementation notes
    /// The entry is built once the deque is borrowed, and a full deque grows out of line, so
    /// nothing stands between building the entry and writing it: the compiler writes its
    /// fields straight into the deque. An entry built before (to be dropped if the borrow
    /// panics) or kept across the call that grows the deque is built on the stack and copied,
    /// and its narrow stores (a tag, a flag) then meet a wide load that the processor cannot
    /// forward them to: every `call_soon` and every step waited for them.
    #[inline(always)]
    pub(crate) fn push(&self, make: impl FnOnce() -> Runnable) {
        let mut deque = self.deque.borrow_mut();
        if deque.len() == deque.capacity() {
            return push_growing(&mut deque, make());
        }
        deque.push_back(make());
    }

    #[inline(always)]
    pub(crate) fn pop(&self) -> Option<Runnable> {
        self.deque.borrow_mut().pop_front()
    }

    pub(crate) fn len(&self) -> usize {
        self.deque.borrow().len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.deque.borrow().is_empty()
    }

    /// What each entry is called in traces, in order.
    pub(crate) fn labels(&self, label: impl Fn(&Runnable) -> Label) -> Vec<Label> {
        self.deque.borrow().iter().map(label).collect()
    }

    /// Empties the deque for `close`: handles are cancelled and dropped, with nothing
    /// borrowed; what other threads delivered is handed back, as the keys of completed work
    /// and the number of `call_soon_threadsafe` callbacks that will never run.
    pub(crate) fn close(&self) -> (Vec<BridgeKey>, usize) {
        let entries = std::mem::take(&mut *self.deque.borrow_mut());
        let mut delivered = Vec::new();
        let mut dropped_calls = 0;
        for runnable in entries {
            match runnable {
                Runnable::Callback(handle) => handle.cancel(),
                Runnable::Bridge(key) => delivered.push(key),
                Runnable::Remote(_) => dropped_calls += 1,
                Runnable::Done(_)
                | Runnable::Timer(_)
                | Runnable::Step { .. }
                | Runnable::Notify(..) => {}
            }
        }
        (delivered, dropped_calls)
    }
}
