// ANCHOR: state
//! `Future`: a result that is not there yet, and who waits for it (asyncio's `asyncio.Future`).

// ANCHOR: uses
use std::cell::{Cell, RefCell};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use crate::{task, Error, EventLoop};
// ANCHOR_END: uses

/// Where a future is in its life. It starts `Pending` and, once done, never changes again.
#[derive(Clone, Debug)]
pub enum State<T> {
    /// No outcome yet (`_PENDING`).
    Pending,
    /// `set_result` or `set_exception` was called (`_FINISHED`): a value or an exception,
    /// never both.
    Finished(Result<T, Error>),
    /// `cancel()` was called (`_CANCELLED`).
    Cancelled,
}
// ANCHOR_END: state

// ANCHOR: future
/// The result of work that will run, or has not run yet (代表将来执行或没有执行的任务的结果).
///
/// Cloning gives another handle to the same future (an `Rc` inside): whoever sets it, whoever
/// awaits it and its callbacks all hold one.
pub struct Future<T> {
    inner: Rc<Inner<T>>,
}

struct Inner<T> {
    /// The loop that runs the done-callbacks (asyncio's `_loop`).
    event_loop: EventLoop,
    state: RefCell<State<T>>,
    /// asyncio's `_callbacks`: who wants to hear when the future is done.
    callbacks: RefCell<Vec<DoneCallback<T>>>,
    /// The id of the next done-callback.
    next_id: Cell<u64>,
}

/// A done-callback function: it runs once, and receives the future.
type DoneFunction<T> = Box<dyn FnOnce(&Future<T>)>;

/// Who wants to hear when a future is done.
enum DoneCallback<T> {
    /// A function that receives the future (`add_done_callback(fn)`): scheduled with
    /// `call_soon`, never called on the spot.
    Function(CallbackId, DoneFunction<T>),
    /// Whoever awaits the future: its `Waker` is woken, and what waking does is the waker's
    /// business.
    Waker(Waker),
}

/// Names a done-callback, for `remove_done_callback`. (asyncio compares functions; Rust
/// closures cannot be compared.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallbackId(u64);

impl<T> Clone for Future<T> {
    fn clone(&self) -> Future<T> {
        Future {
            inner: self.inner.clone(),
        }
    }
}

impl EventLoop {
    /// A new, pending future on this loop (`loop.create_future()`).
    pub fn create_future<T: 'static>(&self) -> Future<T> {
        let inner = Inner {
            event_loop: self.clone(),
            state: RefCell::new(State::Pending),
            callbacks: RefCell::new(Vec::new()),
            next_id: Cell::new(0),
        };
        Future {
            inner: Rc::new(inner),
        }
    }
}
// ANCHOR_END: future

// ANCHOR: questions
impl<T: Clone + 'static> Future<T> {
    /// True once the future has a result, an exception, or was cancelled (`done()`).
    pub fn done(&self) -> bool {
        !matches!(*self.inner.state.borrow(), State::Pending)
    }

    /// True if the future was cancelled (`cancelled()`).
    pub fn cancelled(&self) -> bool {
        matches!(*self.inner.state.borrow(), State::Cancelled)
    }

    /// The result, or the exception, or `Error::Cancelled` (`result()`): a clone, so that
    /// everyone who asks gets one.
    pub fn result(&self) -> Result<T, Error> {
        match &*self.inner.state.borrow() {
            State::Pending => Err(Error::InvalidState("result() of a pending future")),
            State::Finished(outcome) => outcome.clone(),
            State::Cancelled => Err(Error::Cancelled),
        }
    }

    /// The loop the future belongs to (`get_loop()`).
    pub fn get_loop(&self) -> EventLoop {
        self.inner.event_loop.clone()
    }
    // ANCHOR_END: questions

    // ANCHOR: finish
    /// Sets the result and schedules the done-callbacks (`set_result(value)`).
    pub fn set_result(&self, value: T) -> Result<(), Error> {
        self.finish(State::Finished(Ok(value)))
    }

    /// Sets an exception and schedules the done-callbacks (`set_exception(error)`).
    pub fn set_exception(&self, error: Error) -> Result<(), Error> {
        self.finish(State::Finished(Err(error)))
    }

    /// Cancels the future and schedules the done-callbacks (`cancel()`); false if it was
    /// already done.
    pub fn cancel(&self) -> bool {
        self.finish(State::Cancelled).is_ok()
    }

    /// The future is done: record how, then hand every callback to the loop (asyncio's
    /// `__schedule_callbacks`).
    fn finish(&self, state: State<T>) -> Result<(), Error> {
        if self.done() {
            return Err(Error::InvalidState("a future's outcome is set once"));
        }
        *self.inner.state.borrow_mut() = state;
        let callbacks = self.inner.callbacks.take();
        for callback in callbacks {
            self.schedule(callback);
        }
        Ok(())
    }

    fn schedule(&self, callback: DoneCallback<T>) {
        match callback {
            DoneCallback::Function(_, function) => {
                let future = self.clone();
                self.inner
                    .event_loop
                    .call_soon(move |_: &EventLoop| function(&future));
            }
            DoneCallback::Waker(waker) => waker.wake(),
        }
    }
    // ANCHOR_END: finish

    // ANCHOR: add_done_callback
    /// Adds a function to call, with the future, once it is done (`add_done_callback(fn)`).
    /// On a future that is already done, the function is scheduled at once: it still runs on a
    /// later tick, never inside this call.
    pub fn add_done_callback(&self, function: impl FnOnce(&Future<T>) + 'static) -> CallbackId {
        let id = CallbackId(self.inner.next_id.get());
        self.inner.next_id.set(id.0 + 1);
        let callback = DoneCallback::Function(id, Box::new(function));
        if self.done() {
            self.schedule(callback);
        } else {
            self.inner.callbacks.borrow_mut().push(callback);
        }
        id
    }

    /// Takes back a done-callback that has not been scheduled yet (`remove_done_callback`);
    /// true if it was found.
    pub fn remove_done_callback(&self, id: CallbackId) -> bool {
        let mut callbacks = self.inner.callbacks.borrow_mut();
        let found = callbacks
            .iter()
            .position(|c| matches!(c, DoneCallback::Function(i, _) if *i == id));
        found.map(|index| callbacks.remove(index)).is_some()
    }
}
// ANCHOR_END: add_done_callback

// ANCHOR: poll
/// `fut.await` (asyncio's `Future.__await__`): the outcome if the future is done; otherwise
/// the waker of whoever polls joins the callbacks, and the poll returns `Pending`.
impl<T: Clone + 'static> std::future::Future for Future<T> {
    type Output = Result<T, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T, Error>> {
        let polled = self.poll_outcome(cx);
        if polled.is_pending() {
            // asyncio's `yield self`: the task's step learns what it waits on.
            task::waits_on(Rc::new(self.clone()));
        }
        polled
    }
}

impl<T: Clone + 'static> Future<T> {
    /// The outcome, or the waker registered and `Pending`: the part of `poll` that a task,
    /// which awaits through its own future, shares.
    pub(crate) fn poll_outcome(&self, cx: &mut Context<'_>) -> Poll<Result<T, Error>> {
        // A cancellation thrown into the coroutine arrives where it waits: here.
        if task::cancellation_thrown() {
            return Poll::Ready(Err(Error::Cancelled));
        }
        if self.done() {
            return Poll::Ready(self.result());
        }
        let waker = DoneCallback::Waker(cx.waker().clone());
        self.inner.callbacks.borrow_mut().push(waker);
        Poll::Pending
    }
}
// ANCHOR_END: poll
