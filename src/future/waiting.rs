//! Awaiting a future (asyncio's `Future.__await__`): `fut.await` registers the awaiting task's
//! wakeup as a done-callback.

use std::fmt;
use std::future::IntoFuture;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use super::callbacks::DoneCallback;
use super::{Future, FutureCell};
use crate::label::Label;
use crate::running_task::{self, Awaiter};
use crate::scheduler::task_table::{Awaited, TaskKey};
use crate::trace::Event;
use crate::Error;

impl<T: 'static> Future<T> {
    // ANCHOR: poll_await
    /// The `await` protocol: ready if done; otherwise register the awaiting task's wakeup as a
    /// done-callback and stay pending (asyncio's `Future.__await__` with
    /// `_asyncio_future_blocking`, and `Task.__step` calling `add_done_callback(__wakeup)`).
    pub(crate) fn poll_await(
        &self,
        cx: &mut Context<'_>,
        target: &Rc<dyn Awaited>,
    ) -> Poll<Result<T, Error>>
    where
        T: Clone,
    {
        // Read the outcome first: like asyncio's `__wakeup`, which calls `future.result()`
        // before anything else, this retrieves an exception even when a cancellation wins.
        let outcome = self.outcome();
        // What the step throws into the coroutine (a cancellation, mostly) is raised here,
        // at the await where the coroutine is suspended, whatever the future's outcome.
        if let Some(thrown) = running_task::take_thrown() {
            // asyncio's `__step(exc)` keeps an `exc` that already is a CancelledError: a
            // future that ended cancelled gives its own cancellation, and its message.
            return match outcome {
                Some(Err(own)) if own.is_cancelled() && thrown.is_cancelled() => {
                    Poll::Ready(Err(own))
                }
                _ => Poll::Ready(Err(thrown)),
            };
        }
        // A done future does not suspend: its outcome, at once (a cancellation requested
        // meanwhile waits for the next suspension).
        if let Some(outcome) = outcome {
            return Poll::Ready(outcome);
        }
        let scheduler = self.scheduler();
        match running_task::await_target(&scheduler, target) {
            Awaiter::Task(key) => {
                self.cell()
                    .callbacks
                    .borrow_mut()
                    .push(DoneCallback::Wakeup(key));
                scheduler.record(|| Event::Await {
                    task: Label::task(key.id),
                    future: self.label(),
                });
            }
            Awaiter::AlreadyWaiting => {}
            Awaiter::Foreign => self.register_waker(cx.waker()),
            Awaiter::OtherLoop(task) => running_task::throw_at_next_step(Error::Runtime(
                format!(
                    "{task} got {} attached to a different loop: a future belongs to the loop \
                     that created it and can be awaited only by that loop's tasks; hand \
                     results between loops with run_coroutine_threadsafe or \
                     call_soon_threadsafe",
                    self.label()
                )
                .into(),
            )),
            Awaiter::Itself(task) => running_task::throw_at_next_step(Error::Runtime(
                format!(
                    "{task} cannot await on itself: a task's result is what its own \
                     coroutine returns, which cannot happen while the coroutine waits for \
                     it; await another task"
                )
                .into(),
            )),
        }
        Poll::Pending
    }
    // ANCHOR_END: poll_await

    fn register_waker(&self, waker: &Waker) {
        let mut callbacks = self.cell().callbacks.borrow_mut();
        let known = callbacks.any(|c| matches!(c, DoneCallback::Waker(w) if w.will_wake(waker)));
        if !known {
            callbacks.push(DoneCallback::Waker(waker.clone()));
        }
    }
}

impl<T: 'static> Awaited for FutureCell<T> {
    fn cancel_with_message(self: Rc<Self>, message: Option<Arc<str>>) -> bool {
        Future { host: self }.cancel_future(message)
    }

    fn forget_wakeup(&self, key: TaskKey) {
        self.callbacks
            .borrow_mut()
            .remove_first(|c| matches!(c, DoneCallback::Wakeup(k) if *k == key));
    }
}

/// What `fut.await` polls (asyncio's `Future.__await__`).
#[must_use = "futures do nothing unless awaited"]
pub struct Waiting<T> {
    future: Future<T>,
    /// What the awaiting task cancels when it is cancelled: the future itself, or, when
    /// awaiting a task, that task.
    target: Rc<dyn Awaited>,
}

impl<T: 'static> fmt::Debug for Waiting<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Waiting({})", self.future.cell().label.borrow())
    }
}

impl<T: Clone + 'static> Waiting<T> {
    pub(crate) fn new(future: Future<T>, target: Rc<dyn Awaited>) -> Waiting<T> {
        Waiting { future, target }
    }
}

impl<T: Clone + 'static> std::future::Future for Waiting<T> {
    type Output = Result<T, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.future.poll_await(cx, &self.target)
    }
}

impl<T: Clone + 'static> IntoFuture for Future<T> {
    type Output = Result<T, Error>;
    type IntoFuture = Waiting<T>;

    fn into_future(self) -> Waiting<T> {
        let target = self.cancel_target();
        Waiting::new(self, target)
    }
}
