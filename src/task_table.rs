//! The loop's task table: every task not yet done, and the counters that name tasks and futures
//! (asyncio's `_all_tasks` and the numbers in `Task-N`, `Future-N`).
//!
//! The ready deque refers to a task by its [`TaskKey`]: its slot in the table and its number,
//! so that a step left behind by a finished task never reaches a later task in the same slot.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use slab::Slab;

use crate::task_state::{AnyTask, TaskKey};

/// The tasks of one loop, by key.
///
/// # Implementation notes
/// The slab is borrowed only inside these methods; a task is cloned out (an `Rc`) before any
/// of its code runs, and dropped outside the borrow, since dropping a task may run arbitrary
/// destructors.
/// A task in its slot, with its number beside it: telling a current key from a stale one reads
/// the table alone, not the task (a step's first look at a task, among a thousand, would
/// otherwise wait for the task's memory before anything else could start).
struct Slot {
    id: u64,
    task: Rc<dyn AnyTask>,
}

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
        all.sort_by_key(|task| task.header().key.id);
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
