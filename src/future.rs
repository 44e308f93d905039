//! `Future`: a result that is not there yet (asyncio's `asyncio.Future`).
//!
//! A future starts *pending*. Somebody later sets its result or its exception, or cancels it;
//! from then on it is *done* and never changes again. Whoever is interested registers a
//! done-callback, and when the future becomes done the loop schedules every callback with
//! `call_soon` — never calls it inline, so that a `set_result` never runs foreign code in the
//! middle of the caller's work.
//!
//! Awaiting a future from a task (`fut.await`) is the same mechanism: the future's `poll`
//! registers "wake this task" as a done-callback (asyncio's `_asyncio_future_blocking` protocol,
//! where `Task.__step` sees the yielded future and calls `add_done_callback(self.__wakeup)`).
//!
//! Every awaiter gets its own copy of the outcome, as in asyncio where any number of tasks may
//! `await` one future: so awaiting and `result()` need `T: Clone`. For a large or unclonable
//! result, make the future's type an `Rc<T>`.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::panic::Location;
use std::rc::{Rc, Weak};
use std::sync::Arc;

use crate::error::Error;
use crate::exception_handler::ExceptionContext;
use crate::label::Label;
use crate::ready::Notify;
use crate::scheduler::task_table::Awaited;
use crate::scheduler::Scheduler;
use crate::trace::Event;

mod callbacks;
mod waiting;

pub use callbacks::CallbackId;
use callbacks::{Callbacks, DoneCallback, DoneFunction, ScheduledDone, NEXT_CALLBACK_ID};
pub use waiting::Waiting;

// ANCHOR: state
/// Where a future is in its life. A future moves from `Pending` to one of the other two states
/// exactly once, and never back.
#[derive(Clone, Debug)]
pub enum FutureState<T> {
    /// No outcome yet. Entered at creation; left by `set_result`, `set_exception` or `cancel`.
    Pending,
    /// `set_result(value)` gives `Finished(Ok(value))`, `set_exception(error)` gives
    /// `Finished(Err(error))` (asyncio's `FINISHED` state, with `_result` or `_exception`).
    Finished(Result<T, Error>),
    /// `cancel(msg)` was called while pending (asyncio's `CANCELLED`, with `_cancel_message`).
    Cancelled(Option<Arc<str>>),
}
// ANCHOR_END: state

/// The state of a future: what `Future<T>` points to.
pub(crate) struct FutureCell<T> {
    /// The loop's scheduling part, not the loop: what a future schedules its callbacks on.
    /// Weak, because the loop owns tasks and tasks own futures: a strong reference back would
    /// keep a dropped loop alive.
    scheduler: Weak<Scheduler>,
    state: RefCell<FutureState<T>>,
    callbacks: RefCell<Callbacks<T>>,
    label: RefCell<Label>,
    /// Set when the future finishes with an exception; cleared when someone reads it. A future
    /// dropped with this still set reports "exception was never retrieved".
    unretrieved: Cell<bool>,
    /// True for the future inside a task, so reports say "Task" like asyncio's.
    is_task: bool,
}

// ANCHOR: future
/// A result that will be available later (asyncio's `asyncio.Future`).
///
/// `Future<T>` is a cheap, clonable reference: clones are the same future. Await it from a task
/// with `fut.await`, which gives `Result<T, Error>`.
///
/// # Notes
/// Done-callbacks are always scheduled on the loop with `call_soon`, in the order they were
/// added, never called from inside `set_result`.
///
/// # Examples
/// ```
/// use steploop::EventLoop;
/// let lp = EventLoop::new();
/// let fut = lp.create_future::<u32>();
/// fut.add_done_callback(|f| println!("done: {:?}", f.result()));
/// fut.set_result(42).unwrap();
/// assert!(fut.done());
/// assert_eq!(fut.result().unwrap(), 42);
/// ```
pub struct Future<T> {
    /// A plain future's cell, or the block that holds it inline: a task *is* a future, as
    /// `asyncio.Task` subclasses `asyncio.Future`; so are a sleep, a bridge and a gather.
    host: Rc<dyn FutureHost<T>>,
}
// ANCHOR_END: future

/// Whatever holds a future's state: a `FutureCell` on its own, or a block that holds one
/// inline (a task, a sleep, a bridge, a gather).
pub(crate) trait FutureHost<T>: Awaited {
    /// The future's state.
    fn cell(&self) -> &FutureCell<T>;
}

impl<T: 'static> FutureHost<T> for FutureCell<T> {
    fn cell(&self) -> &FutureCell<T> {
        self
    }
}

impl<T> Clone for Future<T> {
    fn clone(&self) -> Self {
        Future {
            host: self.host.clone(),
        }
    }
}

impl<T: 'static> Future<T> {
    pub(crate) fn new(scheduler: &Rc<Scheduler>, label: Label) -> Future<T> {
        Future {
            host: Rc::new(FutureCell::new(scheduler, label, false)),
        }
    }

    /// The future whose state lives inline in a bigger block, its *host*: a task, a sleep, a
    /// bridge, a gather. A host may override `cancel` through its `Awaited` impl, as asyncio's
    /// `Task` and `_GatheringFuture` subclass `Future` to override `cancel`.
    pub(crate) fn from_host(host: Rc<dyn FutureHost<T>>) -> Future<T> {
        Future { host }
    }

    pub(crate) fn cell(&self) -> &FutureCell<T> {
        self.host.cell()
    }

    /// True once the future has a result, an exception, or was cancelled (`Future.done()`).
    pub fn done(&self) -> bool {
        self.cell().done()
    }

    /// True if the future was cancelled (`Future.cancelled()`).
    pub fn cancelled(&self) -> bool {
        self.cell().cancelled()
    }

    /// The scheduling part of the future's loop.
    ///
    /// # Panics
    /// If the loop has been dropped.
    pub(crate) fn scheduler(&self) -> Rc<Scheduler> {
        self.cell().scheduler.upgrade().expect(
            "the future's event loop was dropped: keep the EventLoop alive while its futures are in use",
        )
    }

    /// True if the future belongs to the loop numbered `loop_id`.
    pub(crate) fn belongs_to(&self, loop_id: u64) -> bool {
        self.cell()
            .scheduler
            .upgrade()
            .is_some_and(|own| own.id == loop_id)
    }

    /// The future's name in traces and reports.
    pub fn label(&self) -> Label {
        self.cell().label()
    }

    /// Where `create_future` (or `create_task`) was called, if the loop was in debug mode
    /// then (asyncio's `Future._source_traceback`).
    pub fn created_at(&self) -> Option<&'static Location<'static>> {
        self.cell().created_at()
    }

    pub(crate) fn set_created_at(&self, location: Option<&'static Location<'static>>) {
        self.cell().set_created_at(location);
    }

    /// A snapshot of the state, cloning the result (`Future._state` with its payload).
    ///
    /// Reading an exception this way counts as retrieving it.
    pub fn state(&self) -> FutureState<T>
    where
        T: Clone,
    {
        let state = self.cell().state.borrow().clone();
        if matches!(state, FutureState::Finished(Err(_))) {
            self.cell().unretrieved.set(false);
        }
        state
    }

    /// Marks the future done with `value` and schedules its callbacks (`Future.set_result`).
    ///
    /// # Errors
    /// [`Error::InvalidState`] if the future is already done: a future's outcome is set once.
    pub fn set_result(&self, value: T) -> Result<(), Error> {
        self.check_not_task("set_result")?;
        self.finish(FutureState::Finished(Ok(value)), "set_result")
    }

    /// Marks the future done with an error and schedules its callbacks
    /// (`Future.set_exception`).
    ///
    /// # Errors
    /// [`Error::InvalidState`] if the future is already done.
    pub fn set_exception(&self, error: Error) -> Result<(), Error> {
        self.check_not_task("set_exception")?;
        self.finish(FutureState::Finished(Err(error)), "set_exception")
    }

    /// A task's outcome is what its coroutine returns (asyncio's Task raises RuntimeError for
    /// `set_result` and `set_exception`).
    fn check_not_task(&self, operation: &str) -> Result<(), Error> {
        if self.cell().is_task {
            return Err(Error::Runtime(
                format!(
                    "{operation} on the future of {}: a task's outcome is what its coroutine \
                     returns; cancel the task instead, or use a plain future",
                    self.label()
                )
                .into(),
            ));
        }
        Ok(())
    }

    /// Sets the outcome on behalf of the future's host: a task whose coroutine returned, a
    /// bridge whose job came back or was cancelled. Unlike `set_result`, it is not refused for
    /// a task's future, and the host sets it only while it is pending.
    pub(crate) fn set_outcome(&self, state: FutureState<T>) {
        let set = self.finish(state, "finish");
        debug_assert!(set.is_ok(), "a host sets its future's outcome once");
    }

    /// Cancels the future and schedules its callbacks (`Future.cancel()`).
    ///
    /// Returns false, changing nothing, if the future was already done.
    pub fn cancel(&self) -> bool {
        self.cancel_with_message(None)
    }

    /// Cancels with a message that awaiters receive in `Error::Cancelled` (`Future.cancel(msg)`).
    ///
    /// Returns false, changing nothing, if the future was already done.
    pub fn cancel_with(&self, message: impl Into<Arc<str>>) -> bool {
        self.cancel_with_message(Some(message.into()))
    }

    pub(crate) fn cancel_with_message(&self, message: Option<Arc<str>>) -> bool {
        // A task's future cancels the task; a plain future cancels itself.
        self.cancel_target().cancel_with_message(message)
    }

    /// Moves the future to `Cancelled` (a plain future's `cancel`).
    pub(crate) fn cancel_future(&self, message: Option<Arc<str>>) -> bool {
        self.finish(FutureState::Cancelled(message), "cancel")
            .is_ok()
    }

    /// The outcome (`Future.result()`): the value, or the exception the future finished with,
    /// or `Error::Cancelled` if it was cancelled.
    ///
    /// # Errors
    /// Besides the future's own exception: [`Error::InvalidState`] if it is still pending.
    pub fn result(&self) -> Result<T, Error>
    where
        T: Clone,
    {
        self.outcome().unwrap_or_else(|| {
            Err(invalid_state(
                "result() on a pending future: await it, or check done() first",
            ))
        })
    }

    /// The exception the future finished with, if any (`Future.exception()`).
    ///
    /// # Errors
    /// [`Error::Cancelled`] if the future was cancelled, [`Error::InvalidState`] if it is still
    /// pending.
    pub fn exception(&self) -> Result<Option<Error>, Error> {
        self.cell().exception()
    }

    /// The outcome if the future is done, marking an exception as retrieved.
    pub(crate) fn outcome(&self) -> Option<Result<T, Error>>
    where
        T: Clone,
    {
        let state = self.cell().state.borrow();
        match &*state {
            FutureState::Pending => None,
            FutureState::Cancelled(message) => Some(Err(Error::Cancelled(message.clone()))),
            FutureState::Finished(outcome) => {
                self.cell().unretrieved.set(false);
                Some(outcome.clone())
            }
        }
    }

    /// Adds a callback to run, with the future, once it is done (`Future.add_done_callback`).
    ///
    /// If the future is already done, the callback is scheduled at once (it still runs on the
    /// next tick, not inline). Extra arguments, which asyncio passes with `functools.partial`,
    /// are simply captured by the closure.
    pub fn add_done_callback<F>(&self, callback: F) -> CallbackId
    where
        F: FnOnce(&Future<T>) + 'static,
    {
        self.add_done_callback_labelled(Label::of_type::<F>(), callback)
    }

    pub(crate) fn add_done_callback_labelled(
        &self,
        label: Label,
        callback: impl FnOnce(&Future<T>) + 'static,
    ) -> CallbackId {
        // Unique across all futures, so that an id given to the wrong future matches nothing.
        let id = CallbackId(NEXT_CALLBACK_ID.with(|next| next.replace(next.get() + 1)));
        let entry = DoneCallback::Function(Box::new(DoneFunction {
            id,
            label,
            function: callback,
        }));
        if self.done() {
            self.schedule(&self.scheduler(), entry);
        } else {
            self.cell().callbacks.borrow_mut().push(entry);
        }
        id
    }

    /// Adds a callback that other futures share (see [`Notify`]), to be told `index` when this
    /// future is done. It cannot be removed.
    pub(crate) fn add_shared_done_callback(&self, callback: Rc<dyn Notify>, index: u32) {
        let entry = DoneCallback::Notify(callback, index);
        if self.done() {
            self.schedule(&self.scheduler(), entry);
        } else {
            self.cell().callbacks.borrow_mut().push(entry);
        }
    }

    /// Removes a done-callback that has not been scheduled yet (`Future.remove_done_callback`).
    /// Returns whether it was found.
    ///
    /// Once the future is done its callbacks have already been scheduled, so this returns
    /// false. asyncio removes callbacks by comparing functions; Rust closures cannot be
    /// compared, hence the [`CallbackId`] that `add_done_callback` returns.
    pub fn remove_done_callback(&self, id: CallbackId) -> bool {
        let mut callbacks = self.cell().callbacks.borrow_mut();
        callbacks.remove_first(|c| matches!(c, DoneCallback::Function(f) if f.id() == id))
    }

    // ANCHOR: finish
    /// Moves a pending future to its final state, then schedules every done-callback
    /// (asyncio's `__schedule_callbacks`).
    fn finish(&self, state: FutureState<T>, operation: &str) -> Result<(), Error> {
        {
            let mut current = self.cell().state.borrow_mut();
            if !matches!(*current, FutureState::Pending) {
                return Err(invalid_state(format!(
                    "{operation} on {} which is already done: a future's outcome is set \
                     once; check done() first",
                    self.label()
                )));
            }
            if matches!(state, FutureState::Finished(Err(_))) {
                self.cell().unretrieved.set(true);
            }
            *current = state;
        }
        let Some(scheduler) = self.cell().scheduler.upgrade() else {
            // No loop, nobody to run the callbacks: drop them.
            drop(self.cell().callbacks.take());
            return Ok(());
        };
        scheduler.record(|| Event::FutureDone {
            future: self.label(),
            outcome: self.outcome_word(),
        });
        let callbacks = self.cell().callbacks.take();
        callbacks.for_each(|callback| self.schedule(&scheduler, callback));
        Ok(())
    }
    // ANCHOR_END: finish

    fn outcome_word(&self) -> &'static str {
        match &*self.cell().state.borrow() {
            FutureState::Pending => "pending",
            FutureState::Finished(Ok(_)) => "result",
            FutureState::Finished(Err(_)) => "exception",
            FutureState::Cancelled(_) => "cancelled",
        }
    }

    /// Schedules one done-callback on the loop: each kind is its own entry of the ready
    /// deque, and a task's wakeup is the task's key.
    fn schedule(&self, scheduler: &Scheduler, callback: DoneCallback<T>) {
        match callback {
            DoneCallback::Function(done) => {
                let future = self.clone();
                scheduler.schedule_done(Box::new(ScheduledDone { done, future }));
            }
            DoneCallback::Notify(target, index) => scheduler.schedule_notify(target, index),
            DoneCallback::Wakeup(task) => scheduler.schedule_step(task, true),
            DoneCallback::Waker(waker) => waker.wake(),
        }
    }

    /// What a task awaiting this future cancels when the task is cancelled: the future.
    pub(crate) fn cancel_target(&self) -> Rc<dyn Awaited> {
        self.host.clone()
    }
}

impl<T> FutureCell<T> {
    pub(crate) fn label(&self) -> Label {
        self.label.borrow().clone()
    }

    pub(crate) fn set_label(&self, label: Label) {
        let mut current = self.label.borrow_mut();
        // A new name keeps the note of where the future was created.
        *current = match current.created_at() {
            Some(at) => label.located(at),
            None => label,
        };
    }

    pub(crate) fn new(scheduler: &Rc<Scheduler>, label: Label, is_task: bool) -> FutureCell<T> {
        FutureCell {
            scheduler: Rc::downgrade(scheduler),
            state: RefCell::new(FutureState::Pending),
            callbacks: RefCell::new(Callbacks::default()),
            label: RefCell::new(label),
            unretrieved: Cell::new(false),
            is_task,
        }
    }

    pub(crate) fn done(&self) -> bool {
        !matches!(*self.state.borrow(), FutureState::Pending)
    }

    /// Drops every done-callback without running it: the future will never be done.
    pub(crate) fn drop_callbacks(&self) {
        let callbacks = self.callbacks.take();
        drop(callbacks); // outside the borrow: a callback's captures may run any destructor
    }

    pub(crate) fn cancelled(&self) -> bool {
        matches!(*self.state.borrow(), FutureState::Cancelled(_))
    }

    /// Where `create_future` or `create_task` was called, kept in debug mode only (asyncio's
    /// `_source_traceback`), inside the label: reports about the future name the line.
    pub(crate) fn created_at(&self) -> Option<&'static Location<'static>> {
        self.label.borrow().created_at()
    }

    pub(crate) fn set_created_at(&self, location: Option<&'static Location<'static>>) {
        if let Some(at) = location {
            let mut label = self.label.borrow_mut();
            *label = label.clone().located(at);
        }
    }

    /// The scheduling part of the future's loop, while the loop is alive.
    pub(crate) fn scheduler(&self) -> Option<Rc<Scheduler>> {
        self.scheduler.upgrade()
    }

    /// `Future.exception()`: see [`Future::exception`].
    pub(crate) fn exception(&self) -> Result<Option<Error>, Error> {
        match &*self.state.borrow() {
            FutureState::Pending => Err(invalid_state(
                "exception() on a pending future: await it, or check done() first",
            )),
            FutureState::Cancelled(message) => Err(Error::Cancelled(message.clone())),
            FutureState::Finished(Ok(_)) => Ok(None),
            FutureState::Finished(Err(error)) => {
                self.unretrieved.set(false);
                Ok(Some(error.clone()))
            }
        }
    }
}

impl<T> Drop for FutureCell<T> {
    fn drop(&mut self) {
        if !self.unretrieved.get() {
            return;
        }
        let FutureState::Finished(Err(error)) = &*self.state.borrow() else {
            return;
        };
        let what = if self.is_task { "Task" } else { "Future" };
        let mut context = ExceptionContext::new(format!("{what} exception was never retrieved"))
            .with_exception(error.clone())
            .with_future(self.label.borrow().to_string());
        if let Some(location) = self.created_at() {
            context = context.with_source_traceback(location);
        }
        match self.scheduler.upgrade() {
            Some(scheduler) => scheduler.call_exception_handler(&context),
            None => crate::exception_handler::default_exception_handler(&context),
        }
    }
}

impl<T: 'static> fmt::Debug for Future<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &*self.cell().state.borrow() {
            FutureState::Pending => "pending",
            FutureState::Finished(Ok(_)) => "finished",
            FutureState::Finished(Err(_)) => "finished with an exception",
            FutureState::Cancelled(_) => "cancelled",
        };
        write!(f, "<Future {} {state}>", self.cell().label.borrow())?;
        if let Some(location) = self.created_at() {
            write!(f, " created at {location}")?;
        }
        Ok(())
    }
}

impl<T> PartialEq for Future<T> {
    /// Identity, as asyncio compares futures: two handles are equal if they are the same
    /// future. A task's future is its task (`Task` compares equal to it).
    fn eq(&self, other: &Self) -> bool {
        std::ptr::addr_eq(Rc::as_ptr(&self.host), Rc::as_ptr(&other.host))
    }
}

impl<T> Eq for Future<T> {}

impl<T> std::hash::Hash for Future<T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        std::ptr::hash(Rc::as_ptr(&self.host).cast::<()>(), state);
    }
}

impl<T> Future<T> {
    /// The address that identifies the future: its cell, or its task.
    pub(crate) fn identity(&self) -> *const () {
        Rc::as_ptr(&self.host).cast::<()>()
    }
}

fn invalid_state(message: impl Into<Arc<str>>) -> Error {
    Error::InvalidState(message.into())
}
