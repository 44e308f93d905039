//! From a thread's future to the loop's: `wrap_future`, `run_in_executor` and the default
//! executor (asyncio's `wrap_future`, `_chain_future`, `loop.run_in_executor`).
//!
//! A [`ConcurrentFuture`] is completed by some thread; a task can only await a loop
//! [`Future`]. The bridge between them is asyncio's `_chain_future`: a done-callback on the
//! concurrent future, run by whichever thread completes it, sends the loop a message with
//! `call_soon_threadsafe`; the loop, on its own thread, copies the outcome into the loop future
//! (`_set_state`), which wakes whoever awaits it.
//!
//! Invariants:
//! - Every bridge is in the loop's `Bridges` from `wrap_future` until its completion arrives
//!   (or the loop closes): that count is the work "in flight" that keeps an idle loop waiting
//!   instead of reporting a stall, and keeps a virtual clock from jumping.
//! - The concurrent future's done-callback sends exactly one message, since done-callbacks
//!   run once; the loop removes the bridge when that message is handled.
//!
//! # Implementation notes
//! The loop future is not `Send`, so the message cannot carry it: it carries the bridge's key
//! in a slab the loop owns, a pair of numbers, and allocates nothing. A bridge is one `Rc`
//! that is at the same time the loop future's state (it implements the crate's `FutureHost`),
//! so that cancelling the loop future reaches the concurrent one at once, without a
//! done-callback and without an extra tick. `wrap_future` costs that `Rc`, a slab entry and
//! the boxed done-callback on the concurrent future.
//!
//! `run_in_executor` is `submit` plus the same chain, except that it moves the value out of
//! its private concurrent future instead of cloning it (`BridgeCell::read`).
//! `run_in_process_pool` chains the same way; the process pool's workers are watched by the
//! reactor of the pool's own loop, on its manager thread, which completes the concurrent
//! future (see `process/driver.rs`).

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;

use slab::Slab;

use crate::executor::{ConcurrentFuture, ThreadPoolExecutor};
use crate::future::{FutureCell, FutureHost};
use crate::label::Label;
use crate::ready::BridgeKey;
use crate::remote::Message;
use crate::scheduler::task_table::{Awaited, TaskKey};
use crate::{Error, EventLoop, Future, FutureState};

/// The loop's bridges: loop futures waiting for work in other threads.
#[derive(Default)]
pub(crate) struct Bridges {
    slab: RefCell<Slab<Rc<dyn AnyBridge>>>,
    created: Cell<u64>,
}

impl Bridges {
    /// True when no work sent to another thread is waiting to come back.
    pub(crate) fn is_empty(&self) -> bool {
        self.slab.borrow().is_empty()
    }

    fn get(&self, key: BridgeKey) -> Option<Rc<dyn AnyBridge>> {
        let slab = self.slab.borrow();
        let bridge = slab.get(key.index)?;
        (bridge.key() == key).then(|| bridge.clone())
    }

    fn remove(&self, key: BridgeKey) -> Option<Rc<dyn AnyBridge>> {
        let mut slab = self.slab.borrow_mut();
        let owned = slab.get(key.index).is_some_and(|b| b.key() == key);
        owned.then(|| slab.remove(key.index))
    }

    fn take_all(&self) -> Vec<Rc<dyn AnyBridge>> {
        let slab = std::mem::take(&mut *self.slab.borrow_mut());
        slab.into_iter().map(|(_, bridge)| bridge).collect()
    }
}

/// What the loop needs of a bridge, whatever its result type.
trait AnyBridge {
    fn key(&self) -> BridgeKey;
    /// The loop future's name.
    fn label(&self) -> Label;
    /// Copies the concurrent future's outcome into the loop future (asyncio's `_set_state`).
    fn complete(self: Rc<Self>);
    /// The loop closes with this work in flight: cancel the loop future, and the job if it has
    /// not started.
    fn abandon(self: Rc<Self>, message: Arc<str>);
}

// ANCHOR: bridge_cell
/// A loop future chained to a concurrent one.
struct BridgeCell<T> {
    key: BridgeKey,
    /// The loop future's state, inline.
    future: FutureCell<T>,
    /// The concurrent future whose outcome will be copied.
    source: ConcurrentFuture<T>,
    /// How to read the outcome: `result` (a clone) for a future others may read too,
    /// `take_result` (a move) for the private future of `run_in_executor`.
    read: fn(&ConcurrentFuture<T>) -> Result<T, Error>,
}
// ANCHOR_END: bridge_cell

impl<T: 'static> FutureHost<T> for BridgeCell<T> {
    fn cell(&self) -> &FutureCell<T> {
        &self.future
    }
}

impl<T: 'static> Awaited for BridgeCell<T> {
    /// Cancelling the loop future cancels the concurrent one too, which succeeds if its job
    /// has not started (asyncio's `_call_check_cancel`).
    fn cancel_with_message(self: Rc<Self>, message: Option<Arc<str>>) -> bool {
        if self.future.done() {
            return false;
        }
        let source = self.source.clone();
        Future::from_host(self).set_outcome(FutureState::Cancelled(message));
        source.cancel();
        true
    }

    fn forget_wakeup(&self, key: TaskKey) {
        Awaited::forget_wakeup(&self.future, key);
    }
}

impl<T: 'static> AnyBridge for BridgeCell<T> {
    fn key(&self) -> BridgeKey {
        self.key
    }

    fn label(&self) -> Label {
        self.future.label()
    }

    // ANCHOR: set_state
    fn complete(self: Rc<Self>) {
        if self.future.done() {
            return; // cancelled on the loop's side meanwhile: nothing to copy
        }
        let state = if self.source.cancelled() {
            FutureState::Cancelled(None)
        } else {
            FutureState::Finished((self.read)(&self.source))
        };
        Future::from_host(self).set_outcome(state);
    }
    // ANCHOR_END: set_state

    fn abandon(self: Rc<Self>, message: Arc<str>) {
        Awaited::cancel_with_message(self, Some(message));
    }
}

impl EventLoop {
    // ANCHOR: chain
    /// Makes a loop future that receives `source`'s outcome (asyncio's `_chain_future`).
    pub(crate) fn chain<T: Send + 'static>(
        &self,
        source: ConcurrentFuture<T>,
        read: fn(&ConcurrentFuture<T>) -> Result<T, Error>,
    ) -> Future<T> {
        self.check_open("wrap_future");
        let inner = &*self.inner;
        let number = inner.sched.tasks.next_future_number();
        let id = inner.bridges.created.get() + 1;
        inner.bridges.created.set(id);
        let bridge = {
            let mut slab = inner.bridges.slab.borrow_mut();
            let entry = slab.vacant_entry();
            let key = BridgeKey {
                index: entry.key(),
                id,
            };
            let bridge = Rc::new(BridgeCell {
                key,
                future: FutureCell::new(self.scheduler(), Label::future(number), false),
                source: source.clone(),
                read,
            });
            entry.insert(bridge.clone());
            bridge
        };
        let key = bridge.key;
        let remote = self.remote();
        // Runs in the thread that completes `source` (at once if it is done already): tell the
        // loop, whose own thread copies the outcome. A closed loop refuses the message; it has
        // cancelled the loop future already.
        source.add_done_callback(move |_| drop(remote.push(Message::Bridge(key))));
        Future::from_host(bridge)
    }
    // ANCHOR_END: chain

    /// Copies a finished job's outcome into its loop future: the handle `Runnable::Bridge`.
    pub(crate) fn run_bridge(&self, key: BridgeKey) {
        let Some(bridge) = self.inner.bridges.remove(key) else {
            return; // the loop was closed in between
        };
        self.record(|| crate::trace::Event::Run(set_state_label(&bridge.label())));
        bridge.complete();
    }

    /// The name of a bridge's handle in traces: `_set_state(Future-2)`.
    pub(crate) fn bridge_label(&self, key: BridgeKey) -> Label {
        match self.inner.bridges.get(key) {
            Some(bridge) => set_state_label(&bridge.label()),
            None => Label::new("_set_state"),
        }
    }

    /// The common part of `run_in_executor`: the checks asyncio makes before it submits,
    /// then `submit`, then the loop future.
    pub(crate) fn submit_and_chain<T: Send + 'static>(
        &self,
        executor: Option<&ThreadPoolExecutor>,
        submit: impl FnOnce(&ThreadPoolExecutor) -> Result<ConcurrentFuture<T>, Error>,
    ) -> Future<T> {
        // Checked first: on a closed loop the job never runs, and no default executor is made.
        self.check_open("run_in_executor");
        let submitted = match executor {
            Some(executor) => submit(executor),
            None if self.inner.default_executor_shut_down.get() => Err(Error::ExecutorShutdown),
            None => submit(&self.default_executor()),
        };
        match submitted {
            Ok(source) => self.chain(source, ConcurrentFuture::take_result),
            Err(error) => self.failed_future(error),
        }
    }

    /// A loop future that already holds `error`: what asyncio raises at the call.
    pub(crate) fn failed_future<T: 'static>(&self, error: Error) -> Future<T> {
        let future = self.create_future();
        let _ = future.set_exception(error);
        future
    }

    /// The default executor, created on first use.
    fn default_executor(&self) -> Arc<ThreadPoolExecutor> {
        let mut default = self.inner.default_executor.borrow_mut();
        default
            .get_or_insert_with(|| {
                Arc::new(ThreadPoolExecutor::with_thread_name_prefix(
                    ThreadPoolExecutor::default_max_workers(),
                    "steploop-default",
                ))
            })
            .clone()
    }

    /// Closes the loop's side of other threads: later messages are refused, completions
    /// already delivered reach their futures, and work still in flight is cancelled and
    /// reported (part of `close`, which hands over what it took off the ready deque: the
    /// completions delivered there and the count of `call_soon_threadsafe` callbacks).
    pub(crate) fn close_remote(&self, delivered: Vec<BridgeKey>, mut dropped_calls: usize) {
        for message in self.inner.remote.close() {
            match message {
                Message::Bridge(key) => self.run_bridge(key),
                Message::Call(_) => dropped_calls += 1,
                Message::Wake(_) => {}
            }
        }
        // Taken off the ready deque, not yet run: those were delivered too.
        for key in delivered {
            self.run_bridge(key);
        }
        let in_flight = self.inner.bridges.take_all();
        if !in_flight.is_empty() {
            let names: Vec<String> = in_flight.iter().map(|b| b.label().to_string()).collect();
            let message: Arc<str> = "the event loop was closed while the job was in flight".into();
            for bridge in in_flight {
                bridge.abandon(message.clone());
            }
            self.call_exception_handler(&crate::ExceptionContext::new(format!(
                "the event loop was closed while {} job(s) sent to other threads had not \
                 come back ({}): those futures are cancelled, jobs not yet started will not \
                 run, and results still to come are dropped; await them (or call \
                 shutdown_default_executor) before closing",
                names.len(),
                names.join(", ")
            )));
        }
        if dropped_calls > 0 {
            self.call_exception_handler(&crate::ExceptionContext::new(format!(
                "the event loop was closed with {dropped_calls} call_soon_threadsafe \
                 callback(s) not yet run: they are dropped; stop the loop only after the \
                 threads that send it work are done"
            )));
        }
        if let Some(executor) = self.inner.default_executor.borrow_mut().take() {
            dispose_executor(executor);
        }
    }
}

/// `_set_state(Future-2)`.
fn set_state_label(future: &Label) -> Label {
    Label::new(format!("_set_state({future})"))
}

/// Shuts an executor down without waiting, and lets a thread of its own wait for its jobs:
/// dropping a `ThreadPoolExecutor` joins its workers, which the loop must not wait for.
pub(crate) fn dispose_executor(executor: Arc<ThreadPoolExecutor>) {
    executor.shutdown(false, false);
    let spawned = std::thread::Builder::new()
        .name("steploop-executor-drop".into())
        .spawn(move || drop(executor));
    if let Err(error) = spawned {
        log::warn!("could not start a thread to let an executor finish: {error}");
    }
}

/// Makes `executor` the default one ([`EventLoop::set_default_executor`]); the one it
/// replaces is shut down without waiting.
pub(crate) fn set_default_executor(event_loop: &EventLoop, executor: ThreadPoolExecutor) {
    let mut default = event_loop.inner.default_executor.borrow_mut();
    if let Some(old) = default.replace(Arc::new(executor)) {
        dispose_executor(old);
    }
}

/// Shuts the default executor down, waiting for it in a thread of its own
/// ([`EventLoop::shutdown_default_executor`]).
pub(crate) fn shutdown_default_executor(event_loop: &EventLoop) -> Future<()> {
    event_loop.inner.default_executor_shut_down.set(true);
    let Some(executor) = event_loop.inner.default_executor.borrow_mut().take() else {
        let done = event_loop.create_future();
        let _ = done.set_result(());
        return done;
    };
    let finished = ConcurrentFuture::new();
    let signal = finished.clone();
    let joiner = std::thread::Builder::new()
        .name("steploop-shutdown-default-executor".into())
        .spawn(move || {
            executor.shutdown(true, false);
            let _ = signal.set_result(());
        });
    if let Err(error) = joiner {
        let _ = finished.set_exception(error.into());
    }
    event_loop.wrap_future(finished)
}
