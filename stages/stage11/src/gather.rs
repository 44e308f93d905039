// ANCHOR: gathering
//! `gather` (asyncio's `asyncio.gather` and its `_GatheringFuture`): every result, in order.

use std::cell::Cell;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use crate::task::{waits_on, Cancel};
use crate::{get_running_loop, Error, Future, Task};

/// The future that `gather` returns (asyncio's `_GatheringFuture`): its result is every
/// child's result, in the order the children were given. Like a task, it is a future that
/// overrides `cancel`: cancelling it cancels the children.
pub struct Gathering<T> {
    inner: Rc<GatheringInner<T>>,
}

struct GatheringInner<T> {
    outer: Future<Vec<T>>,
    children: Vec<Task<T>>,
    /// How many children are done (asyncio's `nfinished`).
    finished: Cell<usize>,
    /// `cancel()` cancelled a child (`_cancel_requested`): the gather ends cancelled.
    cancel_requested: Cell<bool>,
}

impl<T> Clone for Gathering<T> {
    fn clone(&self) -> Gathering<T> {
        Gathering {
            inner: self.inner.clone(),
        }
    }
}
// ANCHOR_END: gathering

// ANCHOR: gather
/// Waits for every task and gives their results, in the order given
/// (`await asyncio.gather(*tasks)`). The first error is the gather's error at once, and the
/// other tasks go on running.
pub fn gather<T: Clone + 'static>(children: Vec<Task<T>>) -> Gathering<T> {
    let event_loop = get_running_loop().expect("gather() is called by a task, inside the loop");
    let inner = Rc::new(GatheringInner {
        outer: event_loop.create_future(),
        children,
        finished: Cell::new(0),
        cancel_requested: Cell::new(false),
    });
    if inner.children.is_empty() {
        let _ = inner.outer.set_result(Vec::new());
    }
    for child in &inner.children {
        let gathering = inner.clone();
        child.add_done_callback(move |child| gathering.done_callback(child));
    }
    Gathering { inner }
}

impl<T: Clone + 'static> GatheringInner<T> {
    /// One child is done (asyncio's `_done_callback`).
    fn done_callback(&self, child: &Future<T>) {
        self.finished.set(self.finished.get() + 1);
        if self.outer.done() {
            return;
        }
        // The first error, or the first cancelled child, decides now.
        if let Err(error) = child.result() {
            let _ = self.outer.set_exception(error);
            return;
        }
        if self.finished.get() < self.children.len() {
            return;
        }
        if self.cancel_requested.get() {
            let _ = self.outer.set_exception(Error::Cancelled);
            return;
        }
        let results: Result<Vec<T>, Error> = self.children.iter().map(Task::result).collect();
        let _ = match results {
            Ok(results) => self.outer.set_result(results),
            Err(error) => self.outer.set_exception(error),
        };
    }
}
// ANCHOR_END: gather

// ANCHOR: cancel
impl<T: Clone + 'static> Gathering<T> {
    /// Cancels every child that is not done (`_GatheringFuture.cancel()`); true if one was.
    /// The gather ends when the cancelled children have told it.
    pub fn cancel(&self) -> bool {
        if self.inner.outer.done() {
            return false;
        }
        let mut cancelled = false;
        for child in &self.inner.children {
            cancelled |= child.cancel();
        }
        if cancelled {
            self.inner.cancel_requested.set(true);
        }
        cancelled
    }
}

impl<T: Clone + 'static> Cancel for Gathering<T> {
    fn cancel(&self) -> bool {
        Gathering::cancel(self)
    }
}

/// `await gather(...)`: as awaiting a task, the awaiting task waits on the gather itself.
impl<T: Clone + 'static> std::future::Future for Gathering<T> {
    type Output = Result<Vec<T>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let polled = self.inner.outer.poll_outcome(cx);
        if polled.is_pending() {
            waits_on(Rc::new(self.clone()));
        }
        polled
    }
}
// ANCHOR_END: cancel
