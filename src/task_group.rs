//! `task_group`: tasks that live and die together (asyncio's `asyncio.TaskGroup`, Python
//! 3.11).
//!
//! `gather` starts children and collects their results, but when one fails the others run on,
//! and nobody is left to wait for them. A task group is structured: every task created in it
//! is awaited before the group's block is over, the first failure cancels the other tasks and
//! the block itself, and every failure is reported, together, in one [`Error::Group`] (Python's
//! `ExceptionGroup`).
//!
//! The group needs nothing new from the loop: done-callbacks on its tasks, one future to wait
//! on while tasks are left, and the parent task's [`cancel`](crate::Task::cancel) and
//! [`uncancel`](crate::Task::uncancel), as asyncio's `taskgroups.py` arranges them.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future as StdFuture;
use std::rc::Rc;

use crate::label::Label;
use crate::running::running_loop;
use crate::state::WeakLoop;
use crate::task::{current_task, TaskRef};
use crate::{Error, EventLoop, ExceptionContext, Future, Task};

// ANCHOR: task_group_fn
/// Runs `body` with a new [`TaskGroup`]; once `body` is done, waits for every task created in
/// the group, and returns `body`'s value, or every failure at once
/// (`async with asyncio.TaskGroup() as tg:`).
///
/// `body` receives the group, to [`create_task`](TaskGroup::create_task) in it. It runs in the
/// current task (the group's *parent*), as the block of an `async with` does.
///
/// # Errors
/// - [`Error::Group`] with the error of every task that failed, in the order they failed,
///   and last `body`'s own error if it failed with something other than a cancellation
///   (asyncio's `ExceptionGroup('unhandled errors in a TaskGroup', errors)`). The first
///   failure cancels the other tasks and `body`'s current await.
/// - `Error::Cancelled` if the parent task was cancelled from outside: the group's tasks are
///   cancelled and awaited first.
/// - [`Error::Runtime`] when awaited outside a task.
///
/// # Notes
/// - A task that ends cancelled is no failure: cancelling one task of the group leaves the
///   others alone.
/// - Once the group is shutting down (a task failed, `body` failed, or the parent was
///   cancelled), and after it has finished, `create_task` is refused.
/// - Tasks are cancelled in the order they were created (asyncio iterates over a set).
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use steploop::{sleep, task_group, Error, EventLoop};
///
/// async fn job(seconds: u64) -> Result<u64, Error> {
///     sleep(Duration::from_secs(seconds)).await?;
///     Ok(seconds)
/// }
///
/// let lp = EventLoop::with_virtual_clock();
/// let (one, two) = lp
///     .run_until_complete(task_group(|tg| async move {
///         Ok((tg.create_task(job(1))?, tg.create_task(job(2))?))
///     }))
///     .unwrap();
/// // Leaving the group waited for both.
/// assert_eq!((one.result().unwrap(), two.result().unwrap()), (1, 2));
/// assert_eq!(lp.time(), Duration::from_secs(2));
/// ```
pub async fn task_group<T, B, F>(body: B) -> Result<T, Error>
where
    B: FnOnce(TaskGroup) -> F,
    F: StdFuture<Output = Result<T, Error>>,
{
    let group = TaskGroup::enter()?; // __aenter__
    let _abort_if_dropped = AbortIfDropped(&group);
    let outcome = body(group.clone()).await;
    group.exit(outcome).await // __aexit__
}
// ANCHOR_END: task_group_fn

// ANCHOR: state
/// The state of a group, shared by its [`TaskGroup`] handles.
struct GroupState {
    event_loop: WeakLoop,
    /// The task that runs the group's block (asyncio's `_parent_task`).
    parent: TaskRef,
    /// The block is over; the group waits for its tasks (`_exiting`).
    exiting: Cell<bool>,
    /// The group is cancelling its tasks and refuses new ones (`_aborting`).
    aborting: Cell<bool>,
    /// The group cancelled its parent, and must withdraw that request at exit
    /// (`_parent_cancel_requested`).
    parent_cancel_requested: Cell<bool>,
    /// The tasks not done yet, in creation order (`_tasks`).
    tasks: RefCell<Vec<TaskRef>>,
    /// The errors of the tasks that failed, in the order they failed (`_errors`).
    errors: RefCell<Vec<Error>>,
    /// What the exiting block waits on until the last task is done (`_on_completed_fut`).
    on_completed: RefCell<Option<Future<()>>>,
}
// ANCHOR_END: state

/// The handle of a task group: what `async with asyncio.TaskGroup() as tg` binds to `tg`.
///
/// [`task_group`] makes one and hands it to its block. Clones are the same group; a clone kept
/// after the block ended refuses new tasks.
#[derive(Clone)]
pub struct TaskGroup {
    state: Rc<GroupState>,
}

impl TaskGroup {
    // ANCHOR: create_task
    /// Creates a task in the group and returns it (`tg.create_task(coro)`): the group will
    /// wait for it, cancel it if another task fails, and report its error if it fails.
    ///
    /// # Errors
    /// [`Error::Runtime`], and `coroutine` is dropped unrun, if the group is shutting down (a
    /// task or the block failed, or the parent was cancelled) or has finished.
    pub fn create_task<T, C>(&self, coroutine: C) -> Result<Task<T>, Error>
    where
        T: 'static,
        C: StdFuture<Output = Result<T, Error>> + 'static,
    {
        let state = &self.state;
        if state.exiting.get() && state.tasks.borrow().is_empty() {
            return Err(Error::Runtime(
                "TaskGroup is finished: its block has ended and its tasks are done; create \
                 the task with EventLoop::create_task, or in a new task_group"
                    .into(),
            ));
        }
        if state.aborting.get() {
            return Err(Error::Runtime(
                "TaskGroup is shutting down: a task or the block failed, or the parent task \
                 was cancelled, and the group is cancelling its tasks"
                    .into(),
            ));
        }
        let Some(event_loop) = state.event_loop.upgrade() else {
            return Err(Error::Closed);
        };
        let task = event_loop.create_task(coroutine);
        // The callback holds the group, as asyncio's bound method does: a task that outlives
        // its group's block still reports its failure. (The cycle group → task → callback →
        // group ends when the task is done, or destroyed.)
        let group = state.clone();
        task.future().add_done_callback_labelled(
            Label::new("TaskGroup._on_task_done"),
            move |done: &Future<T>| on_task_done(&group, done),
        );
        state.tasks.borrow_mut().push(task.as_task_ref());
        Ok(task)
    }
    // ANCHOR_END: create_task

    /// How many of the group's tasks are not done yet.
    pub fn len(&self) -> usize {
        self.state.tasks.borrow().len()
    }

    /// True if none of the group's tasks is left running.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// asyncio's `TaskGroup.__aenter__`: the running task becomes the group's parent.
    fn enter() -> Result<TaskGroup, Error> {
        let event_loop = running_loop("task_group")?;
        let Some(parent) = current_task() else {
            return Err(Error::Runtime(
                "TaskGroup cannot determine the parent task: await task_group from a \
                 coroutine run by create_task, run_until_complete or steploop::run"
                    .into(),
            ));
        };
        Ok(TaskGroup {
            state: Rc::new(GroupState {
                event_loop: event_loop.downgrade(),
                parent,
                exiting: Cell::new(false),
                aborting: Cell::new(false),
                parent_cancel_requested: Cell::new(false),
                tasks: RefCell::new(Vec::new()),
                errors: RefCell::new(Vec::new()),
                on_completed: RefCell::new(None),
            }),
        })
    }

    // ANCHOR: exit
    /// asyncio's `TaskGroup.__aexit__`: wait for every task, then report.
    async fn exit<T>(&self, outcome: Result<T, Error>) -> Result<T, Error> {
        let state = &self.state;
        state.exiting.set(true);
        let mut propagate_cancellation = match &outcome {
            Err(error) if error.is_cancelled() => Some(error.clone()),
            _ => None,
        };
        // The group cancelled its parent to stop the block: withdraw that request. If no
        // other is left, the block's cancellation was the group's own, and stops here.
        if state.parent_cancel_requested.get() && state.parent.uncancel() == 0 {
            propagate_cancellation = None;
        }
        // The block failed, or was cancelled from outside: cancel the tasks.
        if outcome.is_err() && !state.aborting.get() {
            self.abort();
        }
        while !state.tasks.borrow().is_empty() {
            let on_completed = self.on_completed_future();
            if let Err(cancelled) = on_completed.await {
                // The parent was cancelled while waiting for the tasks: pass it on to them.
                if !state.aborting.get() {
                    propagate_cancellation = Some(cancelled);
                    self.abort();
                }
            }
            state.on_completed.borrow_mut().take();
        }
        let mut errors = state.errors.take();
        // A cancellation of the parent goes on, unless tasks failed: their errors come first.
        if let Some(cancelled) = propagate_cancellation {
            if errors.is_empty() {
                return Err(cancelled);
            }
        }
        if let Err(error) = &outcome {
            if !error.is_cancelled() {
                errors.push(error.clone());
            }
        }
        if !errors.is_empty() {
            return Err(Error::group("unhandled errors in a TaskGroup", errors));
        }
        outcome
    }
    // ANCHOR_END: exit

    /// The future the exiting block waits on, made on first need.
    fn on_completed_future(&self) -> Future<()> {
        let mut slot = self.state.on_completed.borrow_mut();
        if let Some(future) = &*slot {
            return future.clone();
        }
        let event_loop = self
            .state
            .event_loop
            .upgrade()
            .expect("the parent task runs, so its loop is alive");
        let future = Future::new(
            event_loop.scheduler(),
            Label::new("TaskGroup._on_completed_fut"),
        );
        *slot = Some(future.clone());
        future
    }

    // ANCHOR: abort
    /// asyncio's `TaskGroup._abort`: refuse new tasks, cancel the ones not done.
    fn abort(&self) {
        self.state.aborting.set(true);
        let tasks = self.state.tasks.borrow().clone();
        for task in tasks.iter().filter(|task| !task.done()) {
            task.cancel();
        }
    }
    // ANCHOR_END: abort
}

// ANCHOR: on_task_done
/// A task of the group is done (asyncio's `TaskGroup._on_task_done`).
fn on_task_done<T: 'static>(state: &Rc<GroupState>, task: &Future<T>) {
    let identity = task.identity();
    state
        .tasks
        .borrow_mut()
        .retain(|t| t.identity() != identity);
    if state.tasks.borrow().is_empty() {
        if let Some(on_completed) = &*state.on_completed.borrow() {
            if !on_completed.done() {
                let _ = on_completed.set_result(());
            }
        }
    }
    // A cancelled task is no failure; and reading the error marks it retrieved.
    let Ok(Some(error)) = task.exception() else {
        return;
    };
    state.errors.borrow_mut().push(error.clone());
    if state.parent.done() {
        if let Some(event_loop) = state.event_loop.upgrade() {
            report_orphan(&event_loop, &state.parent, task, error);
        }
        return;
    }
    if !state.aborting.get() && !state.parent_cancel_requested.get() {
        // The first failure: cancel the other tasks, and the parent, so that the block stops
        // whatever it awaits; exit() withdraws the parent's cancellation.
        TaskGroup {
            state: state.clone(),
        }
        .abort();
        state.parent_cancel_requested.set(true);
        state.parent.cancel();
    }
}
// ANCHOR_END: on_task_done

/// A task failed after its group's parent finished: nobody can receive the error.
fn report_orphan<T: 'static>(
    event_loop: &EventLoop,
    parent: &TaskRef,
    task: &Future<T>,
    error: Error,
) {
    let context = ExceptionContext::new(format!(
        "Task {} has errored out but its parent task {} is already completed",
        task.label(),
        parent.name()
    ))
    .with_exception(error)
    .with_task(task.label().to_string());
    event_loop.call_exception_handler(&context);
}

/// Cancels the group's tasks if its block is dropped before it ended (the parent task was
/// destroyed): tasks of a group never outlive it.
struct AbortIfDropped<'a>(&'a TaskGroup);

impl Drop for AbortIfDropped<'_> {
    fn drop(&mut self) {
        let state = &self.0.state;
        if !state.tasks.borrow().is_empty() {
            self.0.abort();
        }
    }
}

impl fmt::Debug for TaskGroup {
    /// asyncio's repr: `<TaskGroup tasks=2 errors=1 cancelling>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = &self.state;
        f.write_str("<TaskGroup")?;
        let tasks = state.tasks.borrow().len();
        if tasks > 0 {
            write!(f, " tasks={tasks}")?;
        }
        let errors = state.errors.borrow().len();
        if errors > 0 {
            write!(f, " errors={errors}")?;
        }
        if state.aborting.get() {
            f.write_str(" cancelling")?;
        } else {
            f.write_str(" entered")?;
        }
        f.write_str(">")
    }
}
