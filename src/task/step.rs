//! A task's step and wakeup (asyncio's `Task.__step` and `Task.__wakeup`), the waker that
//! schedules it, and `create_task`.

use std::cell::RefCell;
use std::future::Future as StdFuture;
use std::panic::Location;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use super::{Task, TaskCell};
use crate::future::{Future, FutureCell, FutureHost, FutureState};
use crate::label::Label;
use crate::remote::Remote;
use crate::running_task::{Running, RUNNING};
use crate::scheduler::task_table::{AnyTask, Awaited, SleepWait, Stepped, TaskKey, Woken};
use crate::scheduler::{self, Scheduler};
use crate::task_state::{StepStart, Suspended, TaskHeader, Waiter};
use crate::timers::id::TimerId;
use crate::trace::Event;
use crate::Error;

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
    fn key(&self) -> TaskKey {
        self.header.key
    }

    fn wake(&self) -> Woken {
        self.header.wake()
    }

    fn wait_on(&self, target: &Rc<dyn Awaited>) -> bool {
        self.header.wait_on(target)
    }

    fn wait_on_sleep(&self, sleep: SleepWait) -> bool {
        self.header.wait_on_sleep(sleep)
    }

    fn sleep_over(&self, timer: TimerId) -> Option<u64> {
        self.header.sleep_over(timer)
    }

    fn set_thrown(&self, error: Error) {
        self.header.exc.set(Some(Box::new(error)));
    }

    fn take_thrown(&self) -> Option<Error> {
        self.header.exc.take().map(|thrown| *thrown)
    }

    fn name(&self) -> Label {
        self.future.label()
    }

    fn step(self: Rc<Self>) -> Stepped {
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
            StepStart::Done => return Stepped::Done,
        };
        // asyncio's `if self._must_cancel: exc = self._make_cancelled_error()`.
        if let Some(message) = header.must_cancel.take() {
            if first {
                // Thrown into a coroutine that never ran: it ends at once, its body unrun.
                return self.complete(Err(Error::Cancelled(message)));
            }
            // A sleep cancelled before throws its own cancellation and message, as a
            // cancelled future gives its own.
            if !header.throws_cancellation() {
                header.exc.set(Some(Box::new(Error::Cancelled(message))));
            }
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
                match header.suspend() {
                    Suspended::OnTheLoop => Stepped::OnTheLoop,
                    Suspended::Foreign => Stepped::Foreign,
                }
            }
            Ok(Poll::Ready(outcome)) => self.complete(outcome),
            Err(panic) => self.complete(Err(Error::from_panic(panic))),
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
        let Some(scheduler) = self.future.scheduler() else {
            return false;
        };
        scheduler.record(|| Event::Cancel(self.future.label()));
        let requests = &self.header.cancel_requests;
        requests.set(requests.get().saturating_add(1));
        if let Some(waiter) = self.header.waiter() {
            self.header.cancelling_now.set(true);
            let cancelled = self.cancel_waiter(waiter, message.clone());
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
            if self.cancel_waiter(waiter, message) {
                header.must_cancel.set(None);
            }
        }
    }
    // ANCHOR_END: cancel_waiter

    /// Cancels what the task waits on (asyncio's `self._fut_waiter.cancel(msg)`); false if it
    /// was already done.
    fn cancel_waiter(&self, waiter: Waiter, message: Option<Arc<str>>) -> bool {
        match waiter {
            Waiter::Future(future) => future.cancel_with_message(message),
            Waiter::Sleep(sleep) => self.cancel_sleep(sleep, message),
        }
    }

    // ANCHOR: cancel_sleep
    /// Cancels the sleep the task waits on, as cancelling a sleep's future does in asyncio:
    /// the task's wakeup is scheduled, and the step throws the cancellation in at the sleep,
    /// which then cancels its timer. The trace shows what asyncio does: the sleep's future
    /// done, cancelled, and the task's wakeup.
    fn cancel_sleep(&self, sleep: SleepWait, message: Option<Arc<str>>) -> bool {
        let header = &self.header;
        let Some(scheduler) = self.future.scheduler() else {
            return false;
        };
        // A sleep whose timer fired is done, and cannot be cancelled: the cancellation waits
        // for the next step, as asyncio's `_must_cancel`. So does one when what the step
        // throws is already taken (an error of a refused await).
        if !scheduler.timer_pending(sleep.timer) {
            return false;
        }
        let thrown = header.exc.take();
        if thrown.is_some() {
            header.exc.set(thrown);
            return false;
        }
        scheduler.record(|| Event::FutureDone {
            future: Label::sleep_nanos(sleep.delay),
            outcome: "cancelled",
        });
        header.exc.set(Some(Box::new(Error::Cancelled(message))));
        if header.sleep_cancelled() == Woken::Schedule {
            scheduler.push_step(header.key, true);
        }
        true
    }
    // ANCHOR_END: cancel_sleep

    /// The coroutine returned (or failed, or panicked): record the outcome in the task's
    /// future, which schedules its done-callbacks; the loop then frees the task's slot.
    fn complete(self: &Rc<Self>, outcome: Result<T, Error>) -> Stepped {
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
        Stepped::Done
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
    remote: Arc<Remote>,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        match scheduler::running_with_id(self.remote.loop_id()) {
            Some(scheduler) => scheduler.schedule_step(self.key, true),
            None => self.remote.wake_task(self.key),
        }
    }
}
// ANCHOR_END: waker

/// Wraps `coroutine` in a task and schedules its first step ([`EventLoop::create_task`], which
/// checks that the loop is open and passes where it was called from in debug mode).
///
/// [`EventLoop::create_task`]: crate::EventLoop::create_task
pub(crate) fn create_task<T, F>(
    scheduler: &Rc<Scheduler>,
    remote: &Arc<Remote>,
    created_at: Option<&'static Location<'static>>,
    coroutine: F,
) -> Task<T>
where
    T: 'static,
    F: StdFuture<Output = Result<T, Error>> + 'static,
{
    let coroutine_label = std::any::type_name::<F>();
    let (key, task) = scheduler.tasks.insert(|key| {
        let name = Label::task(key.id);
        Rc::new(TaskCell {
            future: FutureCell::new(scheduler, name.clone(), true),
            header: TaskHeader::new(key, scheduler.id, coroutine_label),
            coroutine: RefCell::new(Some(Box::pin(coroutine))),
            waker: Waker::from(Arc::new(TaskWaker {
                key,
                remote: remote.clone(),
            })),
        })
    });
    task.future.set_created_at(created_at);
    scheduler.record(|| Event::CreateTask {
        task: Label::task(key.id),
        coroutine: Label::coroutine(task.header.coroutine),
    });
    // Its first step, which its state (`New`) says is on the ready deque.
    scheduler.push_step(key, false);
    Task { cell: task }
}
