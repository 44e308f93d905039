//! The scheduler's task table: every task not yet done, by key, with what the scheduler asks of
//! a task ([`AnyTask`]) and what a task can wait on ([`Awaited`]); and the counters that name
//! tasks and futures (asyncio's `_all_tasks` and the numbers in `Task-N`, `Future-N`).
//!
//! The ready deque refers to a task by its [`TaskKey`]: its slot in the table and its number,
//! so that a step left behind by a finished task never reaches a later task in the same slot.
//!
//! # Implementation notes
//! The scheduling part defines what it asks of a task, and tasks implement it: the scheduler,
//! the ready deque and futures sit below tasks (chapters 3 and 5, tasks are chapter 6) and
//! name no task type. A task answers most of these calls from its state (`task_state.rs`).

use std::cell::{Cell, RefCell};
use std::panic::Location;
use std::rc::Rc;
use std::sync::Arc;

use slab::Slab;

use crate::error::Error;
use crate::label::Label;
use crate::timers::id::TimerId;

/// A task's place in the loop's slab, with its number to tell it from a later occupant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TaskKey {
    pub(crate) index: usize,
    /// The task's number in its loop, from 1: `Task-N`.
    pub(crate) id: u64,
}

/// What the scheduler asks of a task, whatever its result type: tasks (`task.rs`) implement it,
/// their state machine (`task_state.rs`) answers most of it.
pub(crate) trait AnyTask {
    /// The task's key in its loop's table.
    fn key(&self) -> TaskKey;
    /// `Task-N`, or the name given with `set_name`: the label of the task's future.
    fn name(&self) -> Label;
    /// Polls the coroutine once (asyncio's `__step` / `__wakeup`), and says where that left
    /// the task.
    fn step(self: Rc<Self>) -> Stepped;
    /// A step is wanted (asyncio's `call_soon(self.__step)` or `__wakeup`): says whether the
    /// scheduler must put one on the ready deque.
    fn wake(&self) -> Woken;
    /// The running coroutine awaits `target`: false if it already awaits it in this step.
    fn wait_on(&self, target: &Rc<dyn Awaited>) -> bool;
    /// The running coroutine sleeps on a timer: false if it already sleeps on it in this step.
    fn wait_on_sleep(&self, sleep: SleepWait) -> bool;
    /// Timer `timer` fired: the delay of the sleep it ends, if the task still sleeps on it.
    fn sleep_over(&self, timer: TimerId) -> Option<u64>;
    /// Sets what the running step throws into the coroutine at its next await (asyncio's
    /// `exc` argument of `__step`).
    fn set_thrown(&self, error: Error);
    /// Takes what the running step throws into the coroutine, if anything.
    fn take_thrown(&self) -> Option<Error>;
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

/// Where a step left its task, for the loop's task table to follow.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Stepped {
    /// Suspended on a steploop future, or with its next step scheduled.
    OnTheLoop,
    /// Suspended on a foreign waker: the loop counts it, so as not to mistake it for a stall.
    Foreign,
    /// Done (or found done): its slot in the table is freed.
    Done,
}

/// What [`AnyTask::wake`] asks of the scheduler.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Woken {
    /// Put a step on the ready deque.
    Schedule,
    /// Put a step on the ready deque; the task no longer waits on a foreign waker.
    ScheduleLeavingForeignWait,
    /// Nothing: a step is on the ready deque already, or the task is done.
    Nothing,
}

/// What a task waits on (asyncio's `_fut_waiter`): a future, or a task, whose `cancel` is then
/// the task's own.
pub(crate) trait Awaited {
    /// Cancels what the task waits on, as cancelling the task does; false if it was already
    /// done.
    fn cancel_with_message(self: Rc<Self>, message: Option<Arc<str>>) -> bool;
    /// Forgets the wakeup of task `key` among the done-callbacks: the task no longer waits
    /// here (it was woken another way).
    fn forget_wakeup(&self, key: TaskKey);
}

/// A sleep a task waits on: its timer, and its delay, which names it in traces
/// (`sleep(1.000)`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct SleepWait {
    pub(crate) timer: TimerId,
    /// The delay in nanoseconds.
    pub(crate) delay: u64,
}

/// A task in its slot, with its number beside it: telling a current key from a stale one reads
/// the table alone, not the task (a step's first look at a task, among a thousand, would
/// otherwise wait for the task's memory before anything else could start).
struct Slot {
    id: u64,
    task: Rc<dyn AnyTask>,
}

/// The tasks of one loop, by key.
///
/// # Implementation notes
/// The slab is borrowed only inside these methods; a task is cloned out (an `Rc`) before any
/// of its code runs, and dropped outside the borrow, since dropping a task may run arbitrary
/// destructors.
#[derive(Default)]
pub(crate) struct TaskTable {
    slab: RefCell<Slab<Slot>>,
    /// Tasks created so far: the next one is `Task-{tasks_created + 1}`.
    tasks_created: Cell<u64>,
    /// Futures created so far (`create_future`, `wrap_future`), for their names.
    futures_created: Cell<u64>,
    /// Tasks waiting on a waker that is not steploop's (a future of another library), which
    /// another thread may wake at any time: while there are any, an idle loop waits in its
    /// poll instead of reporting a stall.
    foreign_waits: Cell<usize>,
}

impl TaskTable {
    /// The task with this key, if it is still pending.
    pub(crate) fn get(&self, key: TaskKey) -> Option<Rc<dyn AnyTask>> {
        let slab = self.slab.borrow();
        let slot = slab.get(key.index)?;
        (slot.id == key.id).then(|| slot.task.clone())
    }

    /// Calls `f` with the task of this key, if it is still pending, without cloning it out.
    #[inline(always)]
    pub(crate) fn with<R>(&self, key: TaskKey, f: impl FnOnce(&dyn AnyTask) -> R) -> Option<R> {
        let slab = self.slab.borrow();
        let slot = slab.get(key.index)?;
        (slot.id == key.id).then(|| f(&*slot.task))
    }

    /// Calls `f` with the task in slot `index`, whichever it is, if the slot holds one.
    #[inline(always)]
    pub(crate) fn with_slot<R>(
        &self,
        index: usize,
        f: impl FnOnce(&dyn AnyTask) -> R,
    ) -> Option<R> {
        let slab = self.slab.borrow();
        slab.get(index).map(|slot| f(&*slot.task))
    }

    /// Adds a task; `make` builds it knowing its key.
    pub(crate) fn insert<R: AnyTask + 'static>(
        &self,
        make: impl FnOnce(TaskKey) -> Rc<R>,
    ) -> (TaskKey, Rc<R>) {
        let id = self.tasks_created.get() + 1;
        self.tasks_created.set(id);
        let mut slab = self.slab.borrow_mut();
        let entry = slab.vacant_entry();
        let key = TaskKey {
            index: entry.key(),
            id,
        };
        let task = make(key);
        entry.insert(Slot {
            id,
            task: task.clone(),
        });
        (key, task)
    }

    /// Frees the slot of a finished task.
    pub(crate) fn remove(&self, key: TaskKey) {
        let removed = {
            let mut slab = self.slab.borrow_mut();
            let owned = slab.get(key.index).is_some_and(|slot| slot.id == key.id);
            owned.then(|| slab.remove(key.index).task)
        };
        drop(removed);
    }

    /// Every pending task, oldest first.
    pub(crate) fn all(&self) -> Vec<Rc<dyn AnyTask>> {
        let mut all: Vec<_> = self
            .slab
            .borrow()
            .iter()
            .map(|(_, slot)| slot.task.clone())
            .collect();
        all.sort_by_key(|task| task.key().id);
        all
    }

    /// Empties the table (`close`, or the loop's drop): the caller destroys the tasks.
    pub(crate) fn take_all(&self) -> Vec<Rc<dyn AnyTask>> {
        let slab = std::mem::take(&mut *self.slab.borrow_mut());
        slab.into_iter().map(|(_, slot)| slot.task).collect()
    }

    /// The number of the next future: `Future-N`.
    pub(crate) fn next_future_number(&self) -> u64 {
        let number = self.futures_created.get() + 1;
        self.futures_created.set(number);
        number
    }

    pub(crate) fn foreign_wait_started(&self) {
        self.foreign_waits.set(self.foreign_waits.get() + 1);
    }

    pub(crate) fn foreign_wait_ended(&self) {
        self.foreign_waits.set(self.foreign_waits.get() - 1);
    }

    /// True while a task waits on a waker of another library.
    pub(crate) fn has_foreign_waits(&self) -> bool {
        self.foreign_waits.get() > 0
    }
}
