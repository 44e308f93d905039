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
//! done-callback and without an extra tick.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;

use slab::Slab;

use crate::event_loop::running_loop;
use crate::executor::{ConcurrentFuture, ThreadPoolExecutor};
use crate::future::{FutureCell, FutureHost};
use crate::label::Label;
use crate::remote::Message;
use crate::task::{Awaited, TaskKey};
use crate::{Error, EventLoop, Future, FutureState};

/// A bridge's place in the loop's slab, with its number to tell it from a later occupant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BridgeKey {
    index: usize,
    id: u64,
}

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
    fn chain<T: Send + 'static>(
        &self,
        source: ConcurrentFuture<T>,
        read: fn(&ConcurrentFuture<T>) -> Result<T, Error>,
    ) -> Future<T> {
        self.check_open("wrap_future");
        let inner = &*self.inner;
        let number = inner.futures_created.get() + 1;
        inner.futures_created.set(number);
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
                future: FutureCell::new(self, Label::future(number), false),
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

    /// Wraps a [`ConcurrentFuture`] in a loop future that a task can await
    /// (`asyncio.wrap_future(future, loop=loop)`).
    ///
    /// When `future` completes, in whatever thread, its outcome is copied into the loop future
    /// on the loop's thread: the value (a clone, so that `future.result()` still works), the
    /// error, or the cancellation.
    ///
    /// # Notes
    /// Cancelling the loop future cancels `future` too, which stops its job if the job has not
    /// started (a running job cannot be stopped). Until `future` completes, an idle loop waits
    /// for it rather than report a stall, and a virtual clock does not move: a future that no
    /// thread ever completes keeps the loop waiting forever, as in asyncio.
    ///
    /// # Panics
    /// If the loop is closed.
    ///
    /// # Implementation notes
    /// One `Rc` (the loop future and its link to `future` in one), a slab entry, and the boxed
    /// done-callback on `future`. The completion message is two numbers; see the module notes.
    ///
    /// # Examples
    /// ```
    /// use steploop::{executor::ThreadPoolExecutor, EventLoop};
    ///
    /// let executor = ThreadPoolExecutor::new(1);
    /// let lp = EventLoop::new();
    /// let future = executor.submit(|| 6 * 7).unwrap();
    /// let wrapped = lp.wrap_future(future.clone());
    /// assert_eq!(lp.run_until_complete(wrapped).unwrap(), 42);
    /// assert_eq!(future.result().unwrap(), 42); // still readable
    /// ```
    pub fn wrap_future<T: Clone + Send + 'static>(&self, future: ConcurrentFuture<T>) -> Future<T> {
        self.chain(future, ConcurrentFuture::result)
    }

    // ANCHOR: run_in_executor
    /// Runs `job` in `executor`, or in the loop's default executor for `None`, and returns a
    /// loop future for its result (`loop.run_in_executor(executor, func)`).
    ///
    /// The loop goes on running other handles while the job runs; `.await` on the future
    /// gives the job's value, or `Error::Panicked` if it panicked, or `Error::Cancelled`.
    ///
    /// # Notes
    /// - The default executor is a [`ThreadPoolExecutor`] with Python's default number of
    ///   workers, named `steploop-default-1`, ..., created on first use; replace it with
    ///   [`set_default_executor`](EventLoop::set_default_executor).
    /// - Where asyncio raises at once, the future is already failed and nothing is
    ///   submitted: `Error::Closed` on a closed loop (checked first: the job never runs, and
    ///   no default executor is created); `Error::ExecutorShutdown` for an executor that was
    ///   shut down, or for `None` after
    ///   [`shutdown_default_executor`](EventLoop::shutdown_default_executor).
    /// - Extra arguments, which asyncio passes after `func`, are captured by the closure. A
    ///   job that returns a `Result` is [`run_in_executor_fallible`](Self::run_in_executor_fallible).
    ///
    /// # Implementation notes
    /// `submit` plus [`wrap_future`](EventLoop::wrap_future), except that the value is moved
    /// out of the private concurrent future instead of cloned.
    ///
    /// # Examples
    /// ```
    /// use steploop::{get_running_loop, run};
    ///
    /// let squared = run(async {
    ///     let lp = get_running_loop().unwrap();
    ///     lp.run_in_executor(None, || 12 * 12).await
    /// });
    /// assert_eq!(squared.unwrap(), 144);
    /// ```
    pub fn run_in_executor<T, F>(&self, executor: Option<&ThreadPoolExecutor>, job: F) -> Future<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.submit_and_chain(executor, |executor| executor.submit(job))
    }
    // ANCHOR_END: run_in_executor

    /// [`run_in_executor`](Self::run_in_executor) for a job that can fail: its `Err` becomes
    /// the future's error, so that awaiting gives one `Result`, not a `Result` of a `Result`
    /// (as [`ThreadPoolExecutor::submit_fallible`] does for the pool).
    ///
    /// # Examples
    /// ```
    /// use steploop::{get_running_loop, run, Error};
    ///
    /// fn parse(text: &str) -> Result<u32, Error> {
    ///     text.parse().map_err(Error::new)
    /// }
    /// let sum = run(async {
    ///     let lp = get_running_loop().unwrap();
    ///     let a = lp.run_in_executor_fallible(None, || parse("40")).await?;
    ///     let b = lp.run_in_executor_fallible(None, || parse("2")).await?;
    ///     Ok(a + b)
    /// });
    /// assert_eq!(sum.unwrap(), 42);
    /// ```
    pub fn run_in_executor_fallible<T, E, F>(
        &self,
        executor: Option<&ThreadPoolExecutor>,
        job: F,
    ) -> Future<T>
    where
        F: FnOnce() -> Result<T, E> + Send + 'static,
        E: Into<Error>,
        T: Send + 'static,
    {
        self.submit_and_chain(executor, |executor| executor.submit_fallible(job))
    }

    /// The common part of `run_in_executor`: the checks asyncio makes before it submits,
    /// then `submit`, then the loop future.
    fn submit_and_chain<T: Send + 'static>(
        &self,
        executor: Option<&ThreadPoolExecutor>,
        submit: impl FnOnce(&ThreadPoolExecutor) -> Result<ConcurrentFuture<T>, Error>,
    ) -> Future<T> {
        let submitted = if self.is_closed() {
            Err(Error::Closed)
        } else {
            match executor {
                Some(executor) => submit(executor),
                None if self.inner.default_executor_shut_down.get() => Err(Error::ExecutorShutdown),
                None => submit(&self.default_executor()),
            }
        };
        match submitted {
            Ok(source) => self.chain(source, ConcurrentFuture::take_result),
            Err(error) => self.failed_future(error),
        }
    }

    /// A loop future that already holds `error`: what asyncio raises at the call.
    fn failed_future<T: 'static>(&self, error: Error) -> Future<T> {
        let future = self.create_future();
        let _ = future.set_exception(error);
        future
    }

    // ANCHOR: run_in_process_pool
    /// Runs the job registered as `job` in a worker process of `pool`, with `args`, and
    /// returns a loop future for its result bytes: `loop.run_in_executor(pool, func, *args)`
    /// with a `ProcessPoolExecutor`.
    ///
    /// It behaves as [`run_in_executor`](EventLoop::run_in_executor) does: the loop goes on
    /// while the job runs; the future gives the result, or the job's error,
    /// `Error::Panicked`, `Error::BrokenProcessPool` if its worker died, or
    /// `Error::ExecutorShutdown`; cancelling it cancels the job if no worker has taken it yet.
    ///
    /// # Notes
    /// A separate method rather than `run_in_executor` over an executor trait, because the
    /// two take different jobs: a thread pool runs any closure, a process pool only a job
    /// registered by name with bytes for arguments (see [`crate::process`]).
    ///
    /// # Implementation notes
    /// [`ProcessPoolExecutor::submit`](crate::process::ProcessPoolExecutor::submit) plus the
    /// same chaining as `run_in_executor`; the workers' channels are watched by the reactor of the
    /// pool's own loop, on its manager thread, which completes the concurrent future.
    pub fn run_in_process_pool(
        &self,
        pool: &crate::process::ProcessPoolExecutor,
        job: &str,
        args: impl AsRef<[u8]>,
    ) -> Future<Vec<u8>> {
        if self.is_closed() {
            return self.failed_future(Error::Closed);
        }
        match pool.submit(job, args) {
            Ok(source) => self.chain(source, ConcurrentFuture::take_result),
            Err(error) => self.failed_future(error),
        }
    }
    // ANCHOR_END: run_in_process_pool

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

    /// Makes `executor` the one `run_in_executor(None, ..)` uses
    /// (`loop.set_default_executor(executor)`).
    ///
    /// # Notes
    /// A default executor it replaces is shut down without waiting: its jobs finish, in the
    /// background.
    ///
    /// # Examples
    /// ```
    /// use steploop::{executor::ThreadPoolExecutor, EventLoop};
    ///
    /// let lp = EventLoop::new();
    /// lp.set_default_executor(ThreadPoolExecutor::with_thread_name_prefix(1, "mine"));
    /// let name = lp.run_in_executor(None, || std::thread::current().name().map(String::from));
    /// assert_eq!(lp.run_until_complete(name).unwrap().as_deref(), Some("mine-1"));
    /// ```
    pub fn set_default_executor(&self, executor: ThreadPoolExecutor) {
        let old = self
            .inner
            .default_executor
            .borrow_mut()
            .replace(Arc::new(executor));
        if let Some(old) = old {
            dispose_executor(old);
        }
    }

    // ANCHOR: shutdown_default_executor
    /// Shuts the default executor down and returns a future that is done once every job it
    /// had has finished (`loop.shutdown_default_executor()`).
    ///
    /// As in asyncio, the waiting happens in a separate thread, so that the loop keeps
    /// running meanwhile: a job may still need it, for instance to `call_soon_threadsafe`.
    /// [`run`](crate::run) calls this before it closes the loop. Without a default executor
    /// the future is done at once.
    ///
    /// # Examples
    /// ```
    /// use steploop::EventLoop;
    ///
    /// let lp = EventLoop::new();
    /// let job = lp.run_in_executor(None, || "done");
    /// lp.run_until_complete(lp.shutdown_default_executor()).unwrap();
    /// assert_eq!(job.result().unwrap(), "done");
    /// ```
    pub fn shutdown_default_executor(&self) -> Future<()> {
        self.inner.default_executor_shut_down.set(true);
        let Some(executor) = self.inner.default_executor.borrow_mut().take() else {
            let done = self.create_future();
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
        self.wrap_future(finished)
    }
    // ANCHOR_END: shutdown_default_executor

    /// Closes the loop's side of other threads: later messages are refused, completions
    /// already delivered reach their futures, and work still in flight is cancelled and
    /// reported (part of `close`).
    pub(crate) fn close_remote(&self) {
        let mut dropped_calls = 0;
        for message in self.inner.remote.close() {
            match message {
                Message::Bridge(key) => self.run_bridge(key),
                Message::Call(_) => dropped_calls += 1,
                Message::Wake(_) => {}
            }
        }
        // Queued on the ready deque but not yet run: those were delivered too.
        let queued: Vec<BridgeKey> = self
            .inner
            .ready
            .borrow()
            .iter()
            .filter_map(|runnable| match runnable {
                crate::event_loop::Runnable::Bridge(key) => Some(*key),
                crate::event_loop::Runnable::Remote(_) => {
                    dropped_calls += 1;
                    None
                }
                _ => None,
            })
            .collect();
        for key in queued {
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

/// Wraps a [`ConcurrentFuture`] in a future of the running loop (`asyncio.wrap_future(future)`);
/// see [`EventLoop::wrap_future`].
///
/// # Errors
/// [`Error::Runtime`] if no loop is running on this thread; `future` is left as it was. Call
/// [`EventLoop::wrap_future`] on a loop that is not running.
///
/// # Examples
/// ```
/// use steploop::{executor::ThreadPoolExecutor, run, wrap_future};
///
/// let executor = ThreadPoolExecutor::new(2);
/// let future = executor.submit(|| 100_000_000_u64 / 10).unwrap();
/// let counted = run(async move { wrap_future(future)?.await });
/// assert_eq!(counted.unwrap(), 10_000_000);
/// ```
pub fn wrap_future<T: Clone + Send + 'static>(
    future: ConcurrentFuture<T>,
) -> Result<Future<T>, Error> {
    Ok(running_loop("wrap_future")?.wrap_future(future))
}
