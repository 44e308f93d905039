// ANCHOR: group
//! `task_group` (asyncio's `asyncio.TaskGroup`, Python 3.11): tasks that end together.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crate::task::{current_task, Cancel};
use crate::{get_running_loop, Error, Future, Task};

/// What `async with asyncio.TaskGroup() as tg` binds to `tg`: [`task_group`] hands it to its
/// block. Clones are the same group.
#[derive(Clone)]
pub struct TaskGroup {
    inner: Rc<GroupInner>,
}

struct GroupInner {
    /// The task that runs the block (`_parent_task`): the first failure cancels it.
    parent: Rc<dyn Cancel>,
    /// The tasks not done yet, each with its number in the group (`_tasks`).
    tasks: RefCell<Vec<(usize, Rc<dyn Cancel>)>>,
    /// How many tasks the group has created: the next one's number.
    created: Cell<usize>,
    /// The errors of the tasks that failed, in the order they failed (`_errors`).
    errors: RefCell<Vec<Error>>,
    /// The block is over, and the group waits for its tasks (`_exiting`).
    exiting: Cell<bool>,
    /// The group is cancelling its tasks, and refuses new ones (`_aborting`).
    aborting: Cell<bool>,
    /// What the exiting block waits on until no task is left (`_on_completed_fut`).
    on_completed: RefCell<Option<Future<()>>>,
}
// ANCHOR_END: group

// ANCHOR: task_group
/// Runs `block` with a new group, in the current task, the group's *parent*; once `block` is
/// done, waits for every task created in the group, and gives `block`'s value, or every
/// failure at once in an `Error::Group` (`async with asyncio.TaskGroup() as tg:`).
pub async fn task_group<T, F>(block: impl FnOnce(TaskGroup) -> F) -> Result<T, Error>
where
    F: std::future::Future<Output = Result<T, Error>>,
{
    // __aenter__: the running task becomes the parent.
    let parent = current_task().expect("task_group() is awaited by a task, in the loop");
    let group = TaskGroup {
        inner: Rc::new(GroupInner {
            parent,
            tasks: RefCell::new(Vec::new()),
            created: Cell::new(0),
            errors: RefCell::new(Vec::new()),
            exiting: Cell::new(false),
            aborting: Cell::new(false),
            on_completed: RefCell::new(None),
        }),
    };
    let outcome = block(group.clone()).await;
    group.inner.exit(outcome).await // __aexit__
}

impl TaskGroup {
    /// Creates a task in the group (`tg.create_task(coro)`): the group waits for it, cancels
    /// it if another task fails, and reports its error. Refused with `Error::Runtime` once the
    /// group shuts down or has finished.
    pub fn create_task<T: Clone + 'static>(
        &self,
        name: &str,
        coroutine: impl std::future::Future<Output = Result<T, Error>> + 'static,
    ) -> Result<Task<T>, Error> {
        let inner = &self.inner;
        if inner.exiting.get() && inner.tasks.borrow().is_empty() {
            return Err(Error::Runtime("TaskGroup is finished"));
        }
        if inner.aborting.get() {
            return Err(Error::Runtime("TaskGroup is shutting down"));
        }
        let event_loop = get_running_loop().expect("tg.create_task() is called in the loop");
        let task = event_loop.create_task(name, coroutine);
        let number = inner.created.replace(inner.created.get() + 1);
        let group = inner.clone();
        task.add_done_callback(move |task: &Future<T>| group.on_task_done(number, task.result()));
        inner
            .tasks
            .borrow_mut()
            .push((number, Rc::new(task.clone())));
        Ok(task)
    }
}
// ANCHOR_END: task_group

// ANCHOR: on_task_done
impl GroupInner {
    /// A task of the group is done (asyncio's `_on_task_done`).
    fn on_task_done<T>(&self, number: usize, outcome: Result<T, Error>) {
        self.tasks.borrow_mut().retain(|(n, _)| *n != number);
        if let Some(on_completed) = &*self.on_completed.borrow() {
            if self.tasks.borrow().is_empty() && !on_completed.done() {
                let _ = on_completed.set_result(());
            }
        }
        // A cancelled task is no failure: the others run on.
        let error = match outcome {
            Err(Error::Cancelled) | Ok(_) => return,
            Err(error) => error,
        };
        self.errors.borrow_mut().push(error);
        if !self.aborting.get() {
            // The first failure: cancel the other tasks, and the parent, so that the block
            // stops whatever it awaits.
            self.abort();
            self.parent.cancel();
        }
    }

    /// Refuses new tasks and cancels those not done (asyncio's `_abort`), in the order they
    /// were created.
    fn abort(&self) {
        self.aborting.set(true);
        let tasks = self.tasks.borrow().clone();
        for (_, task) in tasks {
            task.cancel();
        }
    }
    // ANCHOR_END: on_task_done

    // ANCHOR: exit
    /// The block gave `outcome`: wait for every task, then report (asyncio's `__aexit__`).
    async fn exit<T>(&self, outcome: Result<T, Error>) -> Result<T, Error> {
        self.exiting.set(true);
        let mut cancelled = matches!(outcome, Err(Error::Cancelled));
        // The block failed, or its task was cancelled: cancel the group's tasks.
        if outcome.is_err() && !self.aborting.get() {
            self.abort();
        }
        while !self.tasks.borrow().is_empty() {
            let event_loop = get_running_loop().expect("the parent task runs in the loop");
            let on_completed = event_loop.create_future();
            *self.on_completed.borrow_mut() = Some(on_completed.clone());
            if on_completed.await.is_err() && !self.aborting.get() {
                // The parent was cancelled while it waited for the tasks: pass it on.
                cancelled = true;
                self.abort();
            }
        }
        let mut errors = self.errors.take();
        // A cancellation of the parent goes on, unless tasks failed: their errors come first.
        if cancelled && errors.is_empty() {
            return Err(Error::Cancelled);
        }
        match outcome {
            Err(Error::Cancelled) => {}
            Err(error) => errors.push(error),
            Ok(value) if errors.is_empty() => return Ok(value),
            Ok(_) => {}
        }
        Err(Error::Group(errors))
    }
    // ANCHOR_END: exit
}
