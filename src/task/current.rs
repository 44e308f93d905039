//! The task running now on this thread (asyncio's `current_task()` and `_current_tasks`),
//! how an await registers it, and `TaskRef`, a task of any result type.

use std::cell::Cell;
use std::fmt;
use std::panic::Location;
use std::rc::Rc;
use std::sync::Arc;

use super::{AnyTask, Task};
use crate::label::Label;
use crate::task_state::{Awaited, SleepWait, TaskKey};
use crate::trace::Event;
use crate::{Error, EventLoop};

/// The task whose step is running on this thread (asyncio's `_current_tasks[loop]`), as plain
/// numbers: its key and its loop's.
///
/// # Implementation notes
/// Every await reads it, several times per step. A thread-local of a `Copy` type without a
/// destructor is read in a few instructions, where one holding an `Rc` costs a call and a
/// check of its destructor's registration each time; and setting it around a step clones
/// nothing. The task itself, when needed, is found by key in its loop's slab.
#[derive(Clone, Copy)]
pub(super) struct Running {
    pub(super) key: TaskKey,
    pub(super) loop_id: u64,
    /// False when the step is known to throw nothing into the coroutine (`TaskHeader::exc`
    /// is empty), so that an await need not look at the task at all; true when it might.
    pub(super) may_throw: bool,
}

thread_local! {
    pub(super) static RUNNING: Cell<Option<Running>> = const { Cell::new(None) };
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

/// Records that task `key`, whose step is running, sleeps on `sleep` (see
/// [`Waiter::Sleep`](crate::task_state::Waiter::Sleep)); traced as asyncio's await of the
/// sleep's future, once per step.
pub(crate) fn await_sleep(event_loop: &EventLoop, key: TaskKey, sleep: SleepWait) {
    let registered = event_loop
        .inner
        .tasks
        .with(key, |task| task.header().wait_on_sleep(sleep));
    if registered == Some(true) {
        event_loop.record(|| Event::Await {
            task: Label::task(key.id),
            future: Label::sleep_nanos(sleep.delay),
        });
    }
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
pub struct TaskRef(pub(super) Rc<dyn AnyTask>);

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
