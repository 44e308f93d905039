//! The task running now on this thread (asyncio's `current_task()`), and `TaskRef`, a task
//! of any result type. Which task runs, and how an await registers it, is below futures and
//! tasks both, in `running_task.rs`.

use std::fmt;
use std::panic::Location;
use std::rc::Rc;
use std::sync::Arc;

use super::{AnyTask, Task};
use crate::running_task::running_task;
use crate::Error;

/// The task running now on this thread (`asyncio.current_task()`).
pub fn current_task() -> Option<TaskRef> {
    running_task().map(TaskRef)
}

/// A task of any result type: what [`current_task`] and
/// [`EventLoop::all_tasks`](crate::EventLoop::all_tasks) return.
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
