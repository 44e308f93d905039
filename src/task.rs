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

use std::cell::RefCell;
use std::fmt;
use std::future::{Future as StdFuture, IntoFuture};
use std::panic::Location;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::Waker;

use crate::future::{CallbackId, Future, FutureCell, Waiting};
use crate::label::Label;
pub(crate) use crate::scheduler::task_table::{AnyTask, Awaited, TaskKey};
use crate::task_state::TaskHeader;
use crate::trace::Event;
use crate::Error;

mod current;
mod step;

pub use current::{current_task, TaskRef};
pub(crate) use step::create_task;

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
/// Created by [`EventLoop::create_task`](crate::EventLoop::create_task). Await it (`task.await`) to get `Result<T, Error>`.
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
        if let Some(scheduler) = self.cell.future.scheduler() {
            scheduler.record(|| Event::Rename {
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
