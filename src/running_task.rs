//! The task whose step runs now on this thread, and how an await registers it as the
//! awaiting task (asyncio's `_current_tasks`, and `Task.__step`'s handling of the future a
//! coroutine yields).
//!
//! A steploop future that is awaited registers the running task's wakeup among its
//! done-callbacks itself. So futures need to know which task runs — not the tasks' module:
//! this module sits below both, beside the scheduler, and speaks of tasks only by key and
//! through [`AnyTask`].

use std::cell::Cell;
use std::rc::Rc;

use crate::label::Label;
use crate::scheduler::task_table::{AnyTask, Awaited, SleepWait, TaskKey};
use crate::scheduler::{self, Scheduler};
use crate::trace::Event;
use crate::Error;

/// The task whose step is running on this thread (asyncio's `_current_tasks[loop]`), as plain
/// numbers: its key and its loop's.
///
/// # Implementation notes
/// Every await reads it, several times per step. A thread-local of a `Copy` type without a
/// destructor is read in a few instructions, where one holding an `Rc` costs a call and a
/// check of its destructor's registration each time; and setting it around a step clones
/// nothing. The task itself, when needed, is found by key in its loop's slab.
#[derive(Clone, Copy)]
pub(crate) struct Running {
    pub(crate) key: TaskKey,
    pub(crate) loop_id: u64,
    /// False when the step is known to throw nothing into the coroutine (`TaskHeader::exc`
    /// is empty), so that an await need not look at the task at all; true when it might.
    pub(crate) may_throw: bool,
}

thread_local! {
    pub(crate) static RUNNING: Cell<Option<Running>> = const { Cell::new(None) };
}

/// The task whose step is running on this thread, if any.
pub(crate) fn running_task() -> Option<Rc<dyn AnyTask>> {
    let running = RUNNING.get()?;
    scheduler::running_with_id(running.loop_id)?.task(running.key)
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
pub(crate) fn await_target(scheduler: &Scheduler, target: &Rc<dyn Awaited>) -> Awaiter {
    let Some(running) = RUNNING.get() else {
        return Awaiter::Foreign;
    };
    if running.loop_id != scheduler.id {
        return match running_task() {
            Some(task) => Awaiter::OtherLoop(task.name()),
            None => Awaiter::Foreign,
        };
    }
    let Some(task) = scheduler.task(running.key) else {
        return Awaiter::Foreign;
    };
    if std::ptr::addr_eq(Rc::as_ptr(&task), Rc::as_ptr(target)) {
        return Awaiter::Itself(task.name());
    }
    if !task.wait_on(target) {
        return Awaiter::AlreadyWaiting;
    }
    Awaiter::Task(running.key)
}

/// Records that task `key`, whose step is running, sleeps on `sleep` (see
/// [`Waiter::Sleep`](crate::task_state::Waiter::Sleep)); traced as asyncio's await of the
/// sleep's future, once per step.
pub(crate) fn await_sleep(scheduler: &Scheduler, key: TaskKey, sleep: SleepWait) {
    let registered = scheduler.tasks.with(key, |task| task.wait_on_sleep(sleep));
    if registered == Some(true) {
        scheduler.record(|| Event::Await {
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
    let Some(own_loop) = scheduler::running_with_id(running.loop_id) else {
        return;
    };
    let Some(task) = own_loop.task(running.key) else {
        return;
    };
    task.set_thrown(error);
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
    running_task()?.take_thrown()
}

/// The key of the task whose step is running, if it belongs to the loop numbered `loop_id`.
#[inline]
pub(crate) fn current_key(loop_id: u64) -> Option<TaskKey> {
    let running = RUNNING.get()?;
    (running.loop_id == loop_id).then_some(running.key)
}
