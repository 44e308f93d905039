// ANCHOR: task
//! `Task`: a coroutine that the loop drives, one step at a time (asyncio's `asyncio.Task`).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use crate::future::CallbackId;
use crate::{Error, EventLoop, Future};

/// A coroutine as a task holds it: an `async` block or `async fn` call, boxed and pinned
/// (chapter 2 says why), whose output is a `Result`.
type Coroutine<T> = Pin<Box<dyn std::future::Future<Output = Result<T, Error>>>>;

/// A coroutine running on the loop (`asyncio.Task`). A task is a future, the future of its
/// coroutine's outcome; cloning gives another handle to the same task.
///
/// At any moment a pending task has its next step scheduled, or waits on exactly one future
/// (`fut_waiter`), or is running.
pub struct Task<T> {
    inner: Rc<TaskInner<T>>,
}

struct TaskInner<T> {
    name: String,
    /// The task's number, which its waker carries.
    id: u64,
    /// The outcome: asyncio's `Task` *is* a `Future`; ours has one.
    future: Future<T>,
    /// The coroutine, until it returns.
    coroutine: RefCell<Option<Coroutine<T>>>,
    /// Whether the coroutine was polled at all.
    started: Cell<bool>,
    /// What the task waits on (`_fut_waiter`): cancelling the task cancels it.
    fut_waiter: RefCell<Option<Rc<dyn Cancel>>>,
    /// A cancellation for the next step (`_must_cancel`): `cancel()` found nothing to cancel.
    must_cancel: Cell<bool>,
}

/// What a task can wait on, as far as cancelling goes: a future, or another task.
pub(crate) trait Cancel {
    fn cancel(&self) -> bool;
}

impl<T> Clone for Task<T> {
    fn clone(&self) -> Task<T> {
        Task {
            inner: self.inner.clone(),
        }
    }
}
// ANCHOR_END: task

// ANCHOR: create_task
thread_local! {
    /// The pending tasks of this thread, by number (asyncio's `_all_tasks`), for their wakers.
    static ALL_TASKS: RefCell<HashMap<u64, Rc<dyn Step>>> = RefCell::new(HashMap::new());
    static NEXT_ID: Cell<u64> = const { Cell::new(1) };
}

/// What a waker needs of a task, whatever its output type: to schedule its next step.
trait Step {
    fn schedule_step(self: Rc<Self>);
}

impl EventLoop {
    /// Wraps `coroutine` in a task and schedules its first step
    /// (`loop.create_task(coro, name=name)`).
    pub fn create_task<T: Clone + 'static>(
        &self,
        name: &str,
        coroutine: impl std::future::Future<Output = Result<T, Error>> + 'static,
    ) -> Task<T> {
        let id = NEXT_ID.replace(NEXT_ID.get() + 1);
        let inner = Rc::new(TaskInner {
            name: name.to_string(),
            id,
            future: self.create_future(),
            coroutine: RefCell::new(Some(Box::pin(coroutine))),
            started: Cell::new(false),
            fut_waiter: RefCell::new(None),
            must_cancel: Cell::new(false),
        });
        ALL_TASKS.with_borrow_mut(|tasks| tasks.insert(id, inner.clone()));
        inner.clone().schedule_step();
        Task { inner }
    }
}

impl<T: Clone + 'static> Step for TaskInner<T> {
    fn schedule_step(self: Rc<Self>) {
        let event_loop = self.future.get_loop();
        event_loop.call_soon(move |_: &EventLoop| self.step());
    }
}

/// A task's `Waker`: waking it schedules the task's next step (asyncio's `__wakeup`). A
/// `Waker` must be `Send` and `Sync`, and a task lives in an `Rc`, so the waker carries the
/// task's number and finds the task in `ALL_TASKS`.
struct TaskWaker {
    id: u64,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        let task = ALL_TASKS.with_borrow(|tasks| tasks.get(&self.id).cloned());
        // A task that has finished is no longer listed: there is nothing left to run.
        if let Some(task) = task {
            task.schedule_step();
        }
    }
}
// ANCHOR_END: create_task

// ANCHOR: step
thread_local! {
    /// Set while a step throws a cancellation into its coroutine; the awaitable where the
    /// coroutine waits takes it, and returns `Err(Error::Cancelled)`.
    static THROW_CANCELLED: Cell<bool> = const { Cell::new(false) };
    /// What the coroutine now waits on, handed to the step by the awaitable's `poll`.
    static YIELDED: RefCell<Option<Rc<dyn Cancel>>> = const { RefCell::new(None) };
}

/// Called by an awaitable when it is polled: true if the step is throwing a cancellation into
/// the coroutine (asyncio's `coro.throw(CancelledError())`).
pub(crate) fn cancellation_thrown() -> bool {
    THROW_CANCELLED.replace(false)
}

/// Called by an awaitable that returns `Pending`: tells the step what the coroutine waits on
/// (asyncio's `yield self`).
pub(crate) fn waits_on(awaited: Rc<dyn Cancel>) {
    YIELDED.set(Some(awaited));
}

impl<T: Clone + 'static> TaskInner<T> {
    /// One step (asyncio's `__step`): resumes the coroutine until it waits again, or returns.
    fn step(self: Rc<Self>) {
        let throw = self.must_cancel.replace(false);
        self.fut_waiter.take();
        if throw && !self.started.get() {
            // Cancelled before its first step: its body never runs.
            return self.finish(Err(Error::Cancelled));
        }
        self.started.set(true);
        THROW_CANCELLED.set(throw);
        YIELDED.take();
        let waker = Waker::from(Arc::new(TaskWaker { id: self.id }));
        // ANCHOR: current
        // While its coroutine runs, the task is the current task.
        CURRENT.set(Some(Rc::new(Task {
            inner: self.clone(),
        })));
        let polled = {
            let mut coroutine = self.coroutine.borrow_mut();
            let coroutine = coroutine
                .as_mut()
                .expect("a pending task has its coroutine");
            coroutine.as_mut().poll(&mut Context::from_waker(&waker))
        };
        CURRENT.take();
        // ANCHOR_END: current
        THROW_CANCELLED.set(false);
        match polled {
            Poll::Pending => {
                let awaited = YIELDED.take();
                *self.fut_waiter.borrow_mut() = awaited.clone();
                // cancel() came while the step ran: cancel what the task waits on now.
                if let (true, Some(awaited)) = (self.must_cancel.get(), awaited) {
                    if awaited.cancel() {
                        self.must_cancel.set(false);
                    }
                }
            }
            Poll::Ready(outcome) => self.finish(outcome),
        }
    }

    /// The coroutine returned: the task's future gets its outcome, and schedules the
    /// task's done-callbacks.
    fn finish(&self, outcome: Result<T, Error>) {
        self.coroutine.take();
        ALL_TASKS.with_borrow_mut(|tasks| tasks.remove(&self.id));
        // A cancel() that came too late to be thrown still wins over a result.
        let cancelled = self.must_cancel.replace(false);
        let _ = match outcome {
            Ok(_) if cancelled => self.future.cancel(),
            Ok(value) => self.future.set_result(value).is_ok(),
            Err(Error::Cancelled) => self.future.cancel(),
            Err(error) => self.future.set_exception(error).is_ok(),
        };
    }
}
// ANCHOR_END: step

// ANCHOR: current_task
thread_local! {
    /// The task whose step is running, as far as cancelling goes.
    static CURRENT: RefCell<Option<Rc<dyn Cancel>>> = const { RefCell::new(None) };
}

/// The task that is running (`asyncio.current_task()`): a task group cancels it to stop its
/// block.
pub(crate) fn current_task() -> Option<Rc<dyn Cancel>> {
    CURRENT.with_borrow(Option::clone)
}
// ANCHOR_END: current_task

// ANCHOR: cancel
impl<T: Clone + 'static> Task<T> {
    /// Asks the task to stop (`Task.cancel()`); false if it is already done. A task waiting
    /// on a future cancels that future, and wakes up with `Err(Error::Cancelled)` from its
    /// `.await`. A task whose step is scheduled, or running, hears it at its next step.
    pub fn cancel(&self) -> bool {
        if self.done() {
            return false;
        }
        let waiter = self.inner.fut_waiter.borrow().clone();
        if let Some(waiter) = waiter {
            if waiter.cancel() {
                return true;
            }
        }
        self.inner.must_cancel.set(true);
        true
    }
    // ANCHOR_END: cancel

    // ANCHOR: questions
    /// The name given to `create_task`.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// True once the coroutine has returned, failed, or the task was cancelled.
    pub fn done(&self) -> bool {
        self.inner.future.done()
    }

    /// True if the task ended cancelled.
    pub fn cancelled(&self) -> bool {
        self.inner.future.cancelled()
    }

    /// What the coroutine returned, as [`Future::result`].
    pub fn result(&self) -> Result<T, Error> {
        self.inner.future.result()
    }

    /// As [`Future::add_done_callback`]; the callback receives the task's future.
    pub fn add_done_callback(&self, function: impl FnOnce(&Future<T>) + 'static) -> CallbackId {
        self.inner.future.add_done_callback(function)
    }

    /// As [`Future::remove_done_callback`].
    pub fn remove_done_callback(&self, id: CallbackId) -> bool {
        self.inner.future.remove_done_callback(id)
    }
}

/// `await task`: awaiting a task awaits its future, but what the awaiting task waits on is
/// the *task*, so that cancelling the one cancels the other.
impl<T: Clone + 'static> std::future::Future for Task<T> {
    type Output = Result<T, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T, Error>> {
        let polled = self.inner.future.poll_outcome(cx);
        if polled.is_pending() {
            waits_on(Rc::new(self.clone()));
        }
        polled
    }
}

impl<T: Clone + 'static> Cancel for Task<T> {
    fn cancel(&self) -> bool {
        Task::cancel(self)
    }
}

impl<T: Clone + 'static> Cancel for Future<T> {
    fn cancel(&self) -> bool {
        Future::cancel(self)
    }
}
// ANCHOR_END: questions

// ANCHOR: run_until_complete
impl EventLoop {
    /// Runs the loop until `task` is done, and returns its outcome
    /// (`loop.run_until_complete(task)`).
    pub fn run_until_complete<T: Clone + 'static>(&self, task: &Task<T>) -> Result<T, Error> {
        // asyncio's `_run_until_complete_cb`: a done-callback that stops the loop.
        task.add_done_callback(|future| future.get_loop().stop());
        self.run_forever().map_err(|_| Error::Stalled)?;
        task.result()
    }
}
// ANCHOR_END: run_until_complete
