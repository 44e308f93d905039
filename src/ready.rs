//! The ready deque and the one place that runs what is on it (asyncio's `_ready`, and the second
//! half of `_run_once`).
//!
//! CPython's `_run_once` says of its last loop: "This is the only place where callbacks are
//! actually *called*. All other places just add them to ready." So it is here: every module
//! that has something to run — `call_soon`, a timer that came due, a future's done-callbacks,
//! a task's wakeup, another thread's message — pushes a [`Runnable`] onto the [`ReadyQueue`],
//! and [`EventLoop::run_ready`] alone pops and runs them, each panic contained in one place
//! ([`EventLoop::call_guarded`]) and, in debug mode, each entry timed there too.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::time::Instant;

use crate::bridge::BridgeKey;
use crate::exception_handler::ExceptionContext;
use crate::future::Notify;
use crate::handle::{Callback, Handle};
use crate::label::Label;
use crate::remote::RemoteCall;
use crate::task::TaskKey;
use crate::trace::Event;
use crate::{Error, EventLoop};

// ANCHOR: runnable
/// An entry of the ready deque: a callback's handle, a step of a task, or work that another
/// thread handed to the loop.
///
/// # Implementation notes
/// A task's step is its slab key, not a boxed closure: scheduling a step allocates nothing.
/// A due timer, likewise, is the key of its slot in the timer heap.
pub(crate) enum Runnable {
    Callback(Handle),
    /// A timer that came due: its key in the timer heap's slots, where its callback waits.
    Timer(u32),
    /// `wakeup` tells apart a first step or a yield (asyncio's `__step`) from a step because an
    /// awaited future is done (`__wakeup`); both poll the coroutine once.
    Step {
        task: TaskKey,
        wakeup: bool,
    },
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
    /// Appends an entry: it runs after every entry already ready.
    #[inline(always)]
    pub(crate) fn push(&self, runnable: Runnable) {
        self.deque.borrow_mut().push_back(runnable);
    }

    #[inline(always)]
    fn pop(&self) -> Option<Runnable> {
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
                Runnable::Timer(_) | Runnable::Step { .. } | Runnable::Notify(..) => {}
            }
        }
        (delivered, dropped_calls)
    }
}

impl EventLoop {
    // ANCHOR: run_ready
    /// Runs the first `ntodo` entries of the ready deque, those that were ready when the tick
    /// began: what they schedule waits for the next tick. In debug mode each entry is timed on
    /// the real clock, and one that held the loop for `slow_callback_duration` or longer is
    /// logged (asyncio's `_run_once` with `_debug` set).
    pub(crate) fn run_ready(&self, ntodo: usize) {
        let debug = self.inner.diagnostics.debug();
        for _ in 0..ntodo {
            let Some(runnable) = self.inner.ready.pop() else {
                break;
            };
            if !debug {
                self.run_runnable(runnable);
                continue;
            }
            // Named before it runs: a task that finishes in this step leaves the loop's slab.
            let label = self.runnable_label(&runnable);
            let started = Instant::now();
            self.run_runnable(runnable);
            crate::debug::log_if_slow(&label, started.elapsed(), self.slow_callback_duration());
        }
    }
    // ANCHOR_END: run_ready

    /// Runs one entry of the ready deque.
    #[inline(always)]
    fn run_runnable(&self, runnable: Runnable) {
        match runnable {
            Runnable::Callback(handle) => {
                if handle.cancelled() {
                    self.record(|| Event::SkipCancelled(handle.label().clone()));
                    return;
                }
                let call = || handle.run(self);
                self.call_guarded(handle.label(), call, || format!("{handle:?}"));
            }
            Runnable::Timer(key) => {
                // Taken out of its slot before it runs: it may schedule timers, or cancel its
                // own handle (which does nothing then, as for a timer that already ran).
                let timer = self.inner.scheduled.borrow_mut().take(key);
                let label = timer.label();
                if timer.cancelled {
                    self.record(|| Event::SkipCancelled(label));
                    return;
                }
                let call = || timer.run(self);
                self.call_guarded(&label, call, || format!("<Handle {label}>"));
            }
            Runnable::Notify(target, index) => {
                // The callback consumes `target`; a panic report needs the label afterwards.
                let label = target.label();
                let call = || target.notify(index as usize);
                self.call_guarded(&label, call, || format!("<Handle {label}>"));
            }
            Runnable::Remote(call) => {
                let label = call.label();
                let run = || call.call(self);
                let handle = || format!("<Handle {label} (call_soon_threadsafe)>");
                self.call_guarded(&label, run, handle);
            }
            // A step contains its coroutine's panic itself: it becomes the task's exception.
            Runnable::Step { task, wakeup } => self.run_step(task, wakeup),
            // Copies an outcome into a future: no code of the user's runs.
            Runnable::Bridge(key) => self.run_bridge(key),
        }
    }

    /// Calls one callback, containing a panic so that one bad callback cannot stop the loop:
    /// the panic goes to the trace and the exception handler, with `handle` describing what
    /// ran (asyncio's `Handle._run`).
    #[inline(always)]
    fn call_guarded(&self, label: &Label, call: impl FnOnce(), handle: impl FnOnce() -> String) {
        self.record(|| Event::Run(label.clone()));
        if let Err(payload) = catch_unwind(AssertUnwindSafe(call)) {
            self.report_panic(label, payload, handle());
        }
    }

    /// Reports a panic in a callback to the trace and the exception handler.
    #[cold]
    fn report_panic(&self, label: &Label, payload: Box<dyn std::any::Any + Send>, handle: String) {
        let error = Error::from_panic(payload);
        self.record(|| Event::Panicked {
            label: label.clone(),
            message: match &error {
                Error::Panicked(message) => message.to_string(),
                other => other.to_string(),
            },
        });
        let context = ExceptionContext::new(format!("Exception in callback {label}"))
            .with_exception(error)
            .with_handle(handle);
        self.call_exception_handler(&context);
    }

    /// What an entry of the ready deque is called in traces and reports.
    pub(crate) fn runnable_label(&self, runnable: &Runnable) -> Label {
        match runnable {
            Runnable::Callback(handle) => handle.label().clone(),
            Runnable::Timer(key) => self.inner.scheduled.borrow().label(*key),
            Runnable::Notify(target, _) => target.label(),
            Runnable::Step { task, wakeup } => Label::step(task.id, *wakeup),
            Runnable::Remote(call) => call.label(),
            Runnable::Bridge(key) => self.bridge_label(*key),
        }
    }

    pub(crate) fn call_soon_labelled(&self, label: Label, callback: impl Callback) -> Handle {
        self.check_open("call_soon");
        let handle = Handle::new(label, callback);
        self.record(|| Event::CallSoon(handle.label().clone()));
        self.inner.ready.push(Runnable::Callback(handle.clone()));
        handle
    }

    /// Puts a callback sent with `call_soon_threadsafe` from the loop's own thread straight on
    /// the ready deque, as asyncio's `call_soon_threadsafe` appends to `_ready`: it keeps its
    /// place among the `call_soon`s made before and after it.
    pub(crate) fn call_soon_from_handle(&self, call: Box<dyn RemoteCall>) -> Result<(), Error> {
        if self.is_closed() {
            return Err(Error::Closed);
        }
        self.record(|| Event::CallSoon(call.label()));
        self.inner.ready.push(Runnable::Remote(call));
        Ok(())
    }

    /// Schedules a shared done-callback for the future at `index` (what `call_soon` of a
    /// done-callback is for the others), without a handle of its own.
    pub(crate) fn schedule_notify(&self, target: Rc<dyn Notify>, index: u32) {
        self.check_open("call_soon");
        self.record(|| Event::CallSoon(target.label()));
        self.inner.ready.push(Runnable::Notify(target, index));
    }
}
