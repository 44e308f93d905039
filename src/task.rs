//! `Task`: a coroutine driven by the loop, one step at a time (asyncio's `asyncio.Task`).
//!
//! A task owns a coroutine — a Rust `async` block whose output is `Result<T, Error>` — and a
//! [`Future`] that receives what the coroutine returns. `create_task` schedules the task's first
//! *step* with `call_soon`. A step polls the coroutine once (asyncio's `Task.__step`, which calls
//! `coro.send(None)`); the coroutine runs until it finishes or until it awaits something that is
//! not ready. A steploop future that is not ready registers the task's *wakeup* as one of its
//! done-callbacks (asyncio's `Task.__wakeup`), and the task sleeps until the future is done.
//!
//! The invariant, as asyncio states it for `Task`: at any moment a task's step is scheduled, or
//! it waits on exactly one future (`fut_waiter`), or it is done. Here it is a type, the
//! task's state ([`TaskState`](crate::task_state::TaskState)), whose transitions are drawn in
//! `task_state.rs`. (A coroutine that awaits a future of another library waits on that
//! library's waker instead; steploop counts such tasks so that it does not mistake them for a
//! stalled loop.)
//!
//! # Implementation notes
//! Tasks live in a `slab` owned by the loop. The ready deque refers to a task by its slab key
//! and number, so scheduling a step allocates nothing, and a stale key (a task that finished
//! while a wakeup for it was queued) is recognised and ignored.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::{Future as StdFuture, IntoFuture};
use std::panic::Location;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use crate::future::{CallbackId, Future, FutureCell, FutureHost, FutureState, Waiting};
use crate::label::Label;
use crate::ready::Runnable;
pub(crate) use crate::task_state::{Awaited, TaskKey};
use crate::task_state::{StepStart, Suspended, TaskHeader, Woken};
use crate::trace::Event;
use crate::{Error, EventLoop};

/// What the loop needs of any task, whatever its result type.
pub(crate) trait AnyTask {
    fn header(&self) -> &TaskHeader;
    /// `Task-N`, or the name given with `set_name`: the label of the task's future.
    fn name(&self) -> Label;
    /// Polls the coroutine once (asyncio's `__step` / `__wakeup`).
    fn step(self: Rc<Self>, event_loop: &EventLoop);
    fn cancel(&self, message: Option<Arc<str>>) -> bool;
    fn cancelling(&self) -> u32;
    fn uncancel(&self) -> u32;
    fn done(&self) -> bool;
    fn cancelled(&self) -> bool;
    /// Drops the coroutine of a task that will never run again; true if it was still pending.
    fn destroy(&self) -> bool;
    /// `Future.exception()` of the task's future.
    fn exception(&self) -> Result<Option<Error>, Error>;
    /// Where the task was created, in debug mode.
    fn created_at(&self) -> Option<&'static Location<'static>>;
}

type Coroutine<T> = Pin<Box<dyn StdFuture<Output = Result<T, Error>>>>;

struct TaskCell<T> {
    header: TaskHeader,
    /// The task's own future state, inline: one allocation holds the task and its future.
    future: FutureCell<T>,
    coroutine: RefCell<Option<Coroutine<T>>>,
    /// The waker handed to the coroutine on every poll; made once, borrowed by each step.
    waker: Waker,
}

// ANCHOR: task
/// A coroutine scheduled on the loop (asyncio's `asyncio.Task`), and the future of its result.
///
/// Created by [`EventLoop::create_task`]. Await it (`task.await`) to get `Result<T, Error>`.
///
/// # Examples
/// ```
/// use steploop::EventLoop;
/// let lp = EventLoop::with_virtual_clock();
/// let task = lp.create_task(async { Ok(6 * 7) });
/// assert_eq!(lp.run_until_complete(task.clone()).unwrap(), 42);
/// assert_eq!(task.name(), "Task-1");
/// ```
pub struct Task<T> {
    cell: Rc<TaskCell<T>>,
}
// ANCHOR_END: task

impl<T> Clone for Task<T> {
    fn clone(&self) -> Self {
        Task {
            cell: self.cell.clone(),
        }
    }
}

impl<T: 'static> Task<T> {
    /// The task's name: `Task-N` unless renamed (`Task.get_name()`).
    pub fn name(&self) -> String {
        self.cell.future.label().to_string()
    }

    /// Renames the task, in traces and reports from now on (`Task.set_name()`).
    pub fn set_name(&self, name: impl Into<std::borrow::Cow<'static, str>>) {
        let number = self.cell.header.key.id;
        let name = name.into();
        // A loop that is gone records nothing.
        if let Some(event_loop) = self.cell.future.event_loop() {
            event_loop.record(|| Event::Rename {
                task: Label::task(number),
                name: name.clone(),
            });
        }
        self.cell.future.set_label(Label::renamed(number, name));
    }

    /// Requests cancellation (`Task.cancel()`): the future the task awaits is cancelled, so its
    /// `.await` returns `Err(Error::Cancelled)`. Returns false if the task is already done.
    ///
    /// # Notes
    /// - A coroutine may catch the error and go on; `?` propagates it and the task ends
    ///   cancelled. A task cancelled before its first step never runs its body.
    /// - A task that is not waiting on a future (it is running: it cancels itself, or
    ///   something it called cancels it; or its step is scheduled) is only marked, as
    ///   asyncio's `_must_cancel`: its next step throws the cancellation in at the await where
    ///   it is suspended, and if it suspends on a future first, in the very step that
    ///   requested it, that future is cancelled (bpo-34872). An await of a future that is
    ///   already done does not suspend, and gives its result.
    /// - Each call on a task not yet done adds one to [`cancelling`](Task::cancelling).
    pub fn cancel(&self) -> bool {
        self.cell.cancel(None)
    }

    /// Like [`cancel`](Task::cancel), with a message the awaiters see (`Task.cancel(msg)`).
    pub fn cancel_with(&self, message: impl Into<Arc<str>>) -> bool {
        self.cell.cancel(Some(message.into()))
    }

    /// How many cancellations of this task were requested and not withdrawn with
    /// [`uncancel`](Task::uncancel) (`Task.cancelling()`, Python 3.11).
    ///
    /// # Notes
    /// Every `cancel()` of a task not yet done counts, whether or not it reached the awaited
    /// future. [`timeout`](crate::timeout) and [`task_group`](crate::task_group) read it to
    /// tell their own cancellation from one that came from outside: see
    /// [`uncancel`](Task::uncancel).
    pub fn cancelling(&self) -> u32 {
        self.cell.cancelling()
    }

    /// Withdraws one cancellation request and returns how many are left (`Task.uncancel()`,
    /// Python 3.11); never goes below zero.
    ///
    /// # Notes
    /// Call it only to take back a `cancel()` you made yourself, once its `Error::Cancelled`
    /// has been caught: a timeout that cancelled its own task calls it before turning the
    /// error into `Error::Timeout`, and if the count is not back to what it was, someone else
    /// also cancelled the task, and the cancellation goes on. As in 3.11, it does not
    /// withdraw a cancellation that is still waiting to be delivered.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// use steploop::{current_task, sleep, EventLoop};
    ///
    /// let lp = EventLoop::with_virtual_clock();
    /// let task = lp.create_task(async {
    ///     if let Err(e) = sleep(Duration::from_secs(10)).await {
    ///         assert!(e.is_cancelled());
    ///         assert_eq!(current_task().unwrap().uncancel(), 0); // handled: not cancelling
    ///     }
    ///     Ok("went on")
    /// });
    /// lp.run_once().unwrap();
    /// task.cancel();
    /// assert_eq!(task.cancelling(), 1);
    /// assert_eq!(lp.run_until_complete(task.clone()).unwrap(), "went on");
    /// assert_eq!(task.cancelling(), 0);
    /// ```
    pub fn uncancel(&self) -> u32 {
        self.cell.uncancel()
    }

    /// True once the coroutine has finished, failed, or been cancelled.
    pub fn done(&self) -> bool {
        self.cell.future.done()
    }

    /// True if the task ended cancelled.
    pub fn cancelled(&self) -> bool {
        self.cell.future.cancelled()
    }

    /// The coroutine's result ([`Future::result`]).
    pub fn result(&self) -> Result<T, Error>
    where
        T: Clone,
    {
        self.future().result()
    }

    /// The coroutine's error, if it failed ([`Future::exception`]).
    pub fn exception(&self) -> Result<Option<Error>, Error> {
        self.future().exception()
    }

    /// Adds a callback to run once the task is done ([`Future::add_done_callback`]).
    pub fn add_done_callback<F>(&self, callback: F) -> CallbackId
    where
        F: FnOnce(&Future<T>) + 'static,
    {
        self.future().add_done_callback(callback)
    }

    /// Removes a done-callback ([`Future::remove_done_callback`]).
    pub fn remove_done_callback(&self, id: CallbackId) -> bool {
        self.future().remove_done_callback(id)
    }

    /// The future that receives the task's result.
    pub fn future(&self) -> Future<T> {
        Future::from_host(self.cell.clone())
    }

    /// The loop the task runs on.
    pub fn get_loop(&self) -> EventLoop {
        self.future().get_loop()
    }

    /// Where `create_task` was called, if the loop was in debug mode then (asyncio's
    /// `Task._source_traceback`).
    pub fn created_at(&self) -> Option<&'static Location<'static>> {
        self.cell.future.created_at()
    }

    /// A reference to the task that does not carry its result type.
    pub fn as_task_ref(&self) -> TaskRef {
        TaskRef(self.cell.clone())
    }
}

impl<T: Clone + 'static> IntoFuture for Task<T> {
    type Output = Result<T, Error>;
    type IntoFuture = Waiting<T>;

    /// Awaiting a task waits on its future, and a cancellation of the awaiting task cancels
    /// the awaited *task*, as asyncio's `_fut_waiter` is the task itself.
    fn into_future(self) -> Waiting<T> {
        let future = self.future();
        Waiting::new(future, self.cell)
    }
}

impl<T: 'static> FutureHost<T> for TaskCell<T> {
    fn cell(&self) -> &FutureCell<T> {
        &self.future
    }
}

impl<T: 'static> Awaited for TaskCell<T> {
    fn cancel_with_message(self: Rc<Self>, message: Option<Arc<str>>) -> bool {
        AnyTask::cancel(&*self, message)
    }

    fn forget_wakeup(&self, key: TaskKey) {
        Awaited::forget_wakeup(&self.future, key);
    }
}

// ANCHOR: step
impl<T: 'static> AnyTask for TaskCell<T> {
    fn header(&self) -> &TaskHeader {
        &self.header
    }

    fn name(&self) -> Label {
        self.future.label()
    }

    fn step(self: Rc<Self>, event_loop: &EventLoop) {
        let header = &self.header;
        let first = match header.start_step() {
            StepStart::First => true,
            StepStart::Again(waiter) => {
                // Whatever woke us, we no longer wait on the old future: drop our wakeup
                // there (a no-op when that future is done, as it usually is).
                if let Some(waiter) = waiter {
                    waiter.forget_wakeup(header.key);
                }
                false
            }
            StepStart::Done => return,
        };
        // asyncio's `if self._must_cancel: exc = self._make_cancelled_error()`.
        if let Some(message) = header.must_cancel.take() {
            if first {
                // Thrown into a coroutine that never ran: it ends at once, its body unrun.
                return self.complete(event_loop, Err(Error::Cancelled(message)));
            }
            header.exc.set(Some(Box::new(Error::Cancelled(message))));
        }

        // A cell taken and put back: a step pays no allocation to know whether it throws.
        let thrown = header.exc.take();
        let running = Running {
            key: header.key,
            loop_id: header.loop_id,
            may_throw: thrown.is_some(),
        };
        header.exc.set(thrown);
        let previous = RUNNING.replace(Some(running));
        let polled = catch_unwind(AssertUnwindSafe(|| {
            let mut coroutine = self.coroutine.borrow_mut();
            let coroutine = coroutine
                .as_mut()
                .expect("a pending task has its coroutine");
            coroutine
                .as_mut()
                .poll(&mut Context::from_waker(&self.waker))
        }));
        RUNNING.set(previous);
        self.keep_undelivered_cancellation();

        match polled {
            Ok(Poll::Pending) => {
                self.cancel_waiter_if_requested();
                if header.suspend() == Suspended::Foreign {
                    event_loop.foreign_wait_started();
                }
            }
            Ok(Poll::Ready(outcome)) => self.complete(event_loop, outcome),
            Err(panic) => self.complete(event_loop, Err(Error::from_panic(panic))),
        }
    }
    // ANCHOR_END: step

    fn cancel(&self, message: Option<Arc<str>>) -> bool {
        // A cancel that comes back to this task through what it waits on (it awaits a
        // gather of itself, say) stops here, adding nothing: asyncio recurses until
        // RecursionError.
        if self.future.done() || self.header.cancelling_now.get() {
            return false;
        }
        let Some(event_loop) = self.future.event_loop() else {
            return false;
        };
        event_loop.record(|| Event::Cancel(self.future.label()));
        let requests = &self.header.cancel_requests;
        requests.set(requests.get().saturating_add(1));
        if let Some(waiter) = self.header.waiter() {
            self.header.cancelling_now.set(true);
            let cancelled = waiter.cancel_with_message(message.clone());
            self.header.cancelling_now.set(false);
            if cancelled {
                return true;
            }
        }
        // Not waiting on a future (the task is running, or its step is scheduled, or it
        // waits on a foreign waker), or the future could not be cancelled: asyncio's
        // `_must_cancel`, delivered by the next step (see `step`).
        self.header.must_cancel.set(Some(message));
        true
    }

    fn cancelling(&self) -> u32 {
        self.header.cancel_requests.get()
    }

    fn uncancel(&self) -> u32 {
        let requests = &self.header.cancel_requests;
        requests.set(requests.get().saturating_sub(1));
        requests.get()
    }

    fn done(&self) -> bool {
        self.future.done()
    }

    fn cancelled(&self) -> bool {
        self.future.cancelled()
    }

    fn exception(&self) -> Result<Option<Error>, Error> {
        self.future.exception()
    }

    fn created_at(&self) -> Option<&'static Location<'static>> {
        self.future.created_at()
    }

    fn destroy(&self) -> bool {
        let coroutine = self.coroutine.borrow_mut().take();
        let pending = coroutine.is_some() && !self.future.done();
        drop(coroutine);
        // Its done-callbacks will never run either: dropping them breaks the cycles they
        // may close (a task group's callback holds the group, which holds the task).
        self.future.drop_callbacks();
        pending
    }
}

impl<T: 'static> TaskCell<T> {
    /// A cancellation thrown into this step that no steploop await took (the coroutine
    /// went on inside a future of another library) is requested again: the next await, or
    /// the end of the coroutine, delivers it.
    fn keep_undelivered_cancellation(&self) {
        let header = &self.header;
        let Some(thrown) = header.exc.take() else {
            return;
        };
        match *thrown {
            Error::Cancelled(message) => {
                let requested = header.must_cancel.take();
                header.must_cancel.set(Some(requested.unwrap_or(message)));
            }
            // An error for the next step (a refused await): it stays.
            other => header.exc.set(Some(Box::new(other))),
        }
    }

    // ANCHOR: cancel_waiter
    /// asyncio's `__step` at a suspension: `if self._must_cancel: if
    /// self._fut_waiter.cancel(msg): self._must_cancel = False`. A cancellation requested
    /// while the step ran (the task cancelled itself, or was cancelled by something it
    /// called) reaches the future the coroutine now waits on, which wakes the task on the
    /// next tick with `Error::Cancelled` (bpo-34872). After a `sleep(0)`, which waits on no
    /// future, the request stays, and the step it scheduled throws it.
    fn cancel_waiter_if_requested(&self) {
        let header = &self.header;
        // Cells, taken and put back: a step pays no borrow flag for what is almost always
        // empty.
        let Some(message) = header.must_cancel.take() else {
            return;
        };
        header.must_cancel.set(Some(message.clone()));
        if let Some(waiter) = header.waiter() {
            if waiter.cancel_with_message(message) {
                header.must_cancel.set(None);
            }
        }
    }
    // ANCHOR_END: cancel_waiter

    /// The coroutine returned (or failed, or panicked): record the outcome in the task's
    /// future, which schedules its done-callbacks, and free the task's slot.
    fn complete(self: &Rc<Self>, event_loop: &EventLoop, outcome: Result<T, Error>) {
        let header = &self.header;
        let result = match (outcome, header.must_cancel.take()) {
            // Cancelled right before the coroutine finished: the task ends cancelled.
            (Ok(_), Some(message)) => Err(Error::Cancelled(message)),
            (outcome, _) => outcome,
        };
        let state = match result {
            Err(Error::Cancelled(message)) => FutureState::Cancelled(message),
            outcome => FutureState::Finished(outcome),
        };
        header.finish();
        Future::from_host(self.clone()).set_outcome(state);
        let coroutine = self.coroutine.borrow_mut().take();
        drop(coroutine);
        event_loop.remove_task(header.key);
    }
}

/// The loop's side of tasks: the slab that holds them and the steps on the ready deque.
impl EventLoop {
    /// The task with this key, if it is still pending.
    pub(crate) fn task(&self, key: TaskKey) -> Option<Rc<dyn AnyTask>> {
        self.inner.tasks.get(key)
    }

    /// Runs one step of a task; a key whose task has finished meanwhile is ignored.
    pub(crate) fn run_step(&self, key: TaskKey, wakeup: bool) {
        let Some(task) = self.task(key) else {
            return;
        };
        self.record(|| Event::Run(Label::step(key.id, wakeup)));
        task.step(self);
    }

    // ANCHOR: schedule_step
    /// Puts a step of task `key` on the ready deque, unless one is already there: a task is
    /// either scheduled once, or waiting, never both.
    pub(crate) fn schedule_step(&self, key: TaskKey, wakeup: bool) {
        // None: finished, its slot empty or holding a newer task.
        let Some(wake) = self.inner.tasks.with(key, |task| task.header().wake()) else {
            return;
        };
        match wake {
            Woken::Schedule => {}
            Woken::ScheduleLeavingForeignWait => self.foreign_wait_ended(),
            Woken::Nothing => return, // already scheduled, or done
        }
        self.push_step(key, wakeup);
    }

    /// Appends a step of task `key` to the ready deque.
    fn push_step(&self, key: TaskKey, wakeup: bool) {
        self.record(|| Event::CallSoon(Label::step(key.id, wakeup)));
        let step = Runnable::Step { task: key, wakeup };
        self.inner.ready.push(step);
    }
    // ANCHOR_END: schedule_step

    /// Adds a task to the slab; `make` builds it knowing its key.
    pub(crate) fn insert_task<R: AnyTask + 'static>(
        &self,
        make: impl FnOnce(TaskKey) -> Rc<R>,
    ) -> (TaskKey, Rc<R>) {
        self.inner.tasks.insert(make)
    }

    /// Frees the slot of a finished task.
    pub(crate) fn remove_task(&self, key: TaskKey) {
        self.inner.tasks.remove(key);
    }

    pub(crate) fn foreign_wait_started(&self) {
        self.inner.tasks.foreign_wait_started();
    }

    pub(crate) fn foreign_wait_ended(&self) {
        self.inner.tasks.foreign_wait_ended();
    }
}

/// The task whose step is running on this thread (asyncio's `_current_tasks[loop]`), as plain
/// numbers: its key and its loop's.
///
/// # Implementation notes
/// Every await reads it, several times per step. A thread-local of a `Copy` type without a
/// destructor is read in a few instructions, where one holding an `Rc` costs a call and a
/// check of its destructor's registration each time; and setting it around a step clones
/// nothing. The task itself, when needed, is found by key in its loop's slab.
#[derive(Clone, Copy)]
struct Running {
    key: TaskKey,
    loop_id: u64,
    /// False when the step is known to throw nothing into the coroutine (`TaskHeader::exc`
    /// is empty), so that an await need not look at the task at all; true when it might.
    may_throw: bool,
}

thread_local! {
    static RUNNING: Cell<Option<Running>> = const { Cell::new(None) };
}

/// The task whose step is running on this thread, if any.
fn running_task() -> Option<Rc<dyn AnyTask>> {
    let running = RUNNING.get()?;
    crate::running::running_loop_with_id(running.loop_id)?.task(running.key)
}

/// How a steploop future should register the task that awaits it.
pub(crate) enum Awaiter {
    /// The current task, which now waits on this future.
    Task(TaskKey),
    /// The current task already waits on this very future (a repeated poll).
    AlreadyWaiting,
    /// Not polled by a steploop task: use the context's waker.
    Foreign,
    /// Polled by a task of another steploop loop (named here): refused, as asyncio's
    /// "Task got Future attached to a different loop".
    OtherLoop(Label),
    /// Polled by the very task whose future it is (named here): refused, as asyncio's
    /// "Task cannot await on itself".
    Itself(Label),
}

/// Records that the current task awaits `target`, and says how to register its wakeup.
pub(crate) fn await_target(event_loop: &EventLoop, target: &Rc<dyn Awaited>) -> Awaiter {
    let Some(running) = RUNNING.get() else {
        return Awaiter::Foreign;
    };
    if running.loop_id != event_loop.id() {
        return match running_task() {
            Some(task) => Awaiter::OtherLoop(task.name()),
            None => Awaiter::Foreign,
        };
    }
    let Some(task) = event_loop.task(running.key) else {
        return Awaiter::Foreign;
    };
    if std::ptr::addr_eq(Rc::as_ptr(&task), Rc::as_ptr(target)) {
        return Awaiter::Itself(task.name());
    }
    if !task.header().wait_on(target) {
        return Awaiter::AlreadyWaiting;
    }
    Awaiter::Task(running.key)
}

/// Refuses an await of the current task: its next step, scheduled now, throws `error` into
/// the coroutine (asyncio's `call_soon(self.__step, new_exc)`), so that the refused `.await`
/// returns it one tick later.
pub(crate) fn throw_at_next_step(error: Error) {
    let Some(running) = RUNNING.get() else {
        return;
    };
    let Some(own_loop) = crate::running::running_loop_with_id(running.loop_id) else {
        return;
    };
    let Some(task) = own_loop.task(running.key) else {
        return;
    };
    task.header().exc.set(Some(Box::new(error)));
    RUNNING.set(Some(Running {
        may_throw: true,
        ..running
    }));
    own_loop.schedule_step(running.key, false);
}

/// Takes what the running step throws into the coroutine (see `TaskHeader::exc`), if
/// anything: every steploop await calls this before it looks at its own outcome.
#[inline]
pub(crate) fn take_thrown() -> Option<Error> {
    let running = RUNNING.get()?;
    if !running.may_throw {
        return None;
    }
    RUNNING.set(Some(Running {
        may_throw: false,
        ..running
    }));
    let thrown = running_task()?.header().exc.take()?;
    Some(*thrown)
}

/// The key of the task whose step is running, if it belongs to `event_loop`.
#[inline]
pub(crate) fn current_key(event_loop: &EventLoop) -> Option<TaskKey> {
    let running = RUNNING.get()?;
    (running.loop_id == event_loop.id()).then_some(running.key)
}

/// The task running now on this thread (`asyncio.current_task()`).
pub fn current_task() -> Option<TaskRef> {
    running_task().map(TaskRef)
}

/// A task of any result type: what [`current_task`] and [`EventLoop::all_tasks`] return.
#[derive(Clone)]
pub struct TaskRef(Rc<dyn AnyTask>);

impl TaskRef {
    pub(crate) fn new(task: Rc<dyn AnyTask>) -> TaskRef {
        TaskRef(task)
    }

    /// The task's name (`Task.get_name()`).
    pub fn name(&self) -> String {
        self.0.name().to_string()
    }

    /// Requests cancellation ([`Task::cancel`]).
    pub fn cancel(&self) -> bool {
        self.0.cancel(None)
    }

    /// Like [`cancel`](TaskRef::cancel), with a message ([`Task::cancel_with`]).
    pub fn cancel_with(&self, message: impl Into<Arc<str>>) -> bool {
        self.0.cancel(Some(message.into()))
    }

    /// Cancellations requested and not withdrawn ([`Task::cancelling`]).
    pub fn cancelling(&self) -> u32 {
        self.0.cancelling()
    }

    /// Withdraws one cancellation request; returns how many are left ([`Task::uncancel`]).
    pub fn uncancel(&self) -> u32 {
        self.0.uncancel()
    }

    /// True once the task is done.
    pub fn done(&self) -> bool {
        self.0.done()
    }

    /// True if the task ended cancelled.
    pub fn cancelled(&self) -> bool {
        self.0.cancelled()
    }

    /// The error the task ended with, if it failed ([`Task::exception`], the same shape):
    /// `Ok(None)` for a result, `Ok(Some(error))` for an error, which counts as retrieving
    /// it.
    ///
    /// # Errors
    /// [`Error::Cancelled`] if the task was cancelled, [`Error::InvalidState`] if it is still
    /// pending, as asyncio's `Task.exception()` raises.
    pub fn exception(&self) -> Result<Option<Error>, Error> {
        self.0.exception()
    }

    /// Where the task was created, if its loop was in debug mode then ([`Task::created_at`]).
    pub fn created_at(&self) -> Option<&'static Location<'static>> {
        self.0.created_at()
    }
}

impl<T> Task<T> {
    /// The address that identifies the task, and its future.
    fn identity(&self) -> *const () {
        Rc::as_ptr(&self.cell).cast::<()>()
    }
}

impl<T> PartialEq for Task<T> {
    /// Identity, as asyncio compares tasks: equal if they are the same task.
    fn eq(&self, other: &Self) -> bool {
        self.identity() == other.identity()
    }
}

impl<T> Eq for Task<T> {}

impl<T> std::hash::Hash for Task<T> {
    /// Hashes as the task's [`Future`] does, since they are the same object.
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        std::ptr::hash(self.identity(), state);
    }
}

impl<T> PartialEq<Future<T>> for Task<T> {
    /// True for the task's own future: `done.contains(&task.future())` and
    /// `done[0] == task` find a task among what `wait` returned.
    fn eq(&self, other: &Future<T>) -> bool {
        self.identity() == other.identity()
    }
}

impl<T> PartialEq<Task<T>> for Future<T> {
    fn eq(&self, other: &Task<T>) -> bool {
        other == self
    }
}

impl TaskRef {
    /// The address that identifies the task, and its future.
    pub(crate) fn identity(&self) -> *const () {
        Rc::as_ptr(&self.0).cast::<()>()
    }
}

impl PartialEq for TaskRef {
    /// Identity: equal if they refer to the same task (`current_task() == task`).
    fn eq(&self, other: &Self) -> bool {
        self.identity() == other.identity()
    }
}

impl Eq for TaskRef {}

impl std::hash::Hash for TaskRef {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        std::ptr::hash(self.identity(), state);
    }
}

impl<T> PartialEq<Task<T>> for TaskRef {
    fn eq(&self, other: &Task<T>) -> bool {
        self.identity() == other.identity()
    }
}

impl<T> PartialEq<TaskRef> for Task<T> {
    fn eq(&self, other: &TaskRef) -> bool {
        self.identity() == other.identity()
    }
}

impl fmt::Debug for TaskRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<Task {}>", self.name())
    }
}

impl<T: 'static> fmt::Debug for Task<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if !self.done() {
            if self.cancelling() > 0 {
                "pending cancelling"
            } else {
                "pending"
            }
        } else if self.cancelled() {
            "cancelled"
        } else {
            "finished"
        };
        write!(
            f,
            "<Task {} {} {state}>",
            self.name(),
            Label::coroutine(self.cell.header.coroutine)
        )?;
        if let Some(location) = self.created_at() {
            write!(f, " created at {location}")?;
        }
        Ok(())
    }
}

// ANCHOR: waker
/// The waker of a task: waking it schedules the task's wakeup on its loop.
///
/// # Implementation notes
/// `std::task::Waker` must be `Send + Sync`, so a waker holds no `Rc`: only the task's key and
/// the loop's thread-safe wake-up queue. On the loop's own thread, while the loop runs, a wake
/// schedules the step directly, without a lock; from any other thread it goes through the
/// queue, and the loop picks it up on its next tick.
struct TaskWaker {
    key: TaskKey,
    remote: Arc<crate::remote::Remote>,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        match crate::running::running_loop_with_id(self.remote.loop_id()) {
            Some(event_loop) => event_loop.schedule_step(self.key, true),
            None => self.remote.wake_task(self.key),
        }
    }
}
// ANCHOR_END: waker

/// Wraps `coroutine` in a task and schedules its first step ([`EventLoop::create_task`]).
#[track_caller]
pub(crate) fn create_task<T, F>(event_loop: &EventLoop, coroutine: F) -> Task<T>
where
    T: 'static,
    F: StdFuture<Output = Result<T, Error>> + 'static,
{
    event_loop.check_open("create_task");
    let created_at = event_loop.caller_if_debug();
    let coroutine_label = std::any::type_name::<F>();
    let (key, task) = event_loop.insert_task(|key| {
        let name = Label::task(key.id);
        Rc::new(TaskCell {
            future: FutureCell::new(event_loop, name.clone(), true),
            header: TaskHeader::new(key, event_loop.id(), coroutine_label),
            coroutine: RefCell::new(Some(Box::pin(coroutine))),
            waker: Waker::from(Arc::new(TaskWaker {
                key,
                remote: event_loop.remote(),
            })),
        })
    });
    task.future.set_created_at(created_at);
    event_loop.record(|| Event::CreateTask {
        task: Label::task(key.id),
        coroutine: Label::coroutine(task.header.coroutine),
    });
    // Its first step, which its state (`New`) says is on the ready deque.
    event_loop.push_step(key, false);
    Task { cell: task }
}
