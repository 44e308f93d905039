//! `gather`: run awaitables concurrently and collect their results in argument order
//! (asyncio's `asyncio.gather` and its `_GatheringFuture`).

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;

use super::running_loop;
use crate::future::{FutureCell, FutureHost};
use crate::label::Label;
use crate::ready::Notify;
use crate::run::Awaitable;
use crate::task::{Awaited, TaskKey};
use crate::{Error, Future};

/// Runs the awaitables concurrently (并发) and gives a future of all their results, in the
/// order the awaitables were given (`asyncio.gather(*aws)`).
///
/// Coroutines are wrapped in tasks at once, so they start running on the next tick whether or
/// not anyone awaits the gather yet. The returned future is asyncio's `GatheringFuture`:
///
/// - when every child has a result, it finishes with the `Vec` of results;
/// - the first child to fail makes it fail with that error at once, while **the other children
///   keep running** (nothing is cancelled);
/// - a child that is cancelled counts as failing with `Error::Cancelled`;
/// - cancelling the gather future cancels every child that is not done yet.
///
/// # Errors
/// [`Error::Runtime`] if no loop is running: asyncio raises `RuntimeError` at the call, and so
/// does this function, before anything is started. The children's errors come when the
/// returned future is awaited.
///
/// # Notes
/// - With no awaitables, the future already holds an empty `Vec`.
/// - A future given twice is watched twice, and its result appears twice.
/// - All results have one type `T`, and one `Vec` holds one type of awaitable. For children
///   of different types, give each coroutine the same enum as its output, and turn each into
///   a `Future` of that enum with [`ensure_future`](crate::ensure_future):
///   `ensure_future(async { Ok(Reply::Name(name().await?)) })?` (each `async` block is a type
///   of its own; their futures are all `Future<Reply>`).
/// - When `cancel` reaches at least one child, the gather ends in the `Cancelled` state.
///   (asyncio's `_GatheringFuture` instead finishes with a `CancelledError` *exception*, so
///   that `outer.cancelled()` stays `False`; awaiting it raises the same error either way.)
/// - [`gather_return_exceptions`] is the `return_exceptions=True` form.
///
/// # Implementation notes
/// One outer future and one done-callback per child, labelled `gather._done_callback` in
/// traces: the callback counts finished children and, at the first error or the last child,
/// completes the outer future. Each callback holds the gather, as asyncio's closures do, so a
/// gather that nobody else holds still completes and runs its own done-callbacks; the cycle
/// (gather → child → callback → gather) is broken as each child completes and its callbacks
/// are taken.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use steploop::{gather, sleep, Error, EventLoop};
///
/// async fn job(seconds: u64) -> Result<u64, Error> {
///     sleep(Duration::from_secs(seconds)).await?;
///     Ok(seconds)
/// }
///
/// let lp = EventLoop::with_virtual_clock();
/// let results = lp
///     .run_until_complete(async { gather([3, 1, 2].map(job))?.await })
///     .unwrap();
/// assert_eq!(results, [3, 1, 2]); // argument order, not completion order
/// assert_eq!(lp.time(), Duration::from_secs(3)); // the three ran concurrently
/// ```
pub fn gather<T, A>(awaitables: impl IntoIterator<Item = A>) -> Result<Future<Vec<T>>, Error>
where
    T: Clone + 'static,
    A: Awaitable<T>,
{
    GatheringFuture::start("gather", awaitables, false, |outcomes| {
        outcomes.into_iter().collect()
    })
}

/// [`gather`] with `return_exceptions=True`: errors (including `Error::Cancelled`) are results
/// like any other, so the future always waits for every child and gives one `Result` per
/// child, in argument order.
///
/// # Errors
/// [`Error::Runtime`] if no loop is running.
///
/// # Notes
/// Cancelling the gather future still ends it cancelled, as in asyncio (bpo-32684): a
/// cancellation is never turned into a result of the gather itself.
///
/// # Implementation notes
/// The same `GatheringFuture` as [`gather`]; only the last step differs, keeping each
/// `Result` instead of stopping at the first error.
///
/// # Examples
/// ```
/// use steploop::{gather_return_exceptions, Error, EventLoop};
///
/// async fn check(n: u32) -> Result<u32, Error> {
///     if n % 2 == 0 { Ok(n) } else { Err(Error::msg(format!("{n} is odd"))) }
/// }
///
/// let lp = EventLoop::with_virtual_clock();
/// let results = lp
///     .run_until_complete(async { gather_return_exceptions([2, 3, 4].map(check))?.await })
///     .unwrap();
/// assert_eq!(results[0].as_ref().unwrap(), &2);
/// assert_eq!(results[1].as_ref().unwrap_err().to_string(), "3 is odd");
/// assert_eq!(results[2].as_ref().unwrap(), &4);
/// ```
pub fn gather_return_exceptions<T, A>(
    awaitables: impl IntoIterator<Item = A>,
) -> Result<Future<Vec<Result<T, Error>>>, Error>
where
    T: Clone + 'static,
    A: Awaitable<T>,
{
    GatheringFuture::start("gather_return_exceptions", awaitables, true, Ok)
}

/// What the last child's callback does with every child's outcome: collect the values
/// (stopping at an error) or keep the `Result`s.
type Collect<T, O> = fn(Vec<Result<T, Error>>) -> Result<Vec<O>, Error>;

// ANCHOR: gathering_future
/// asyncio's `_GatheringFuture`: the outer future of a gather. Like a task, it is a future
/// that overrides `cancel`: cancelling it cancels its children instead.
struct GatheringFuture<T, O> {
    /// The outer future's own state: pending until a child fails or the last child is done.
    outer: Rc<FutureCell<Vec<O>>>,
    /// The children, in argument order.
    children: Vec<Future<T>>,
    /// How many children have finished so far (asyncio's `nfinished`).
    finished: Cell<usize>,
    /// Set when `cancel` cancelled at least one child (asyncio's `_cancel_requested`): the
    /// gather then ends cancelled, whatever `return_exceptions` says.
    cancel_requested: Cell<bool>,
    return_exceptions: bool,
    collect: Collect<T, O>,
}
// ANCHOR_END: gathering_future

impl<T: Clone + 'static, O: 'static> GatheringFuture<T, O> {
    fn start<A: Awaitable<T>>(
        what: &str,
        awaitables: impl IntoIterator<Item = A>,
        return_exceptions: bool,
        collect: Collect<T, O>,
    ) -> Result<Future<Vec<O>>, Error> {
        let event_loop = running_loop(what)?;
        // ensure_future for each argument: coroutines become tasks, in argument order.
        let children: Vec<Future<T>> = awaitables
            .into_iter()
            .map(|awaitable| awaitable.into_future_on(&event_loop))
            .collect();
        let gathering = Rc::new(GatheringFuture {
            outer: Rc::new(FutureCell::new(
                event_loop.scheduler(),
                Label::new("GatheringFuture"),
                false,
            )),
            children,
            finished: Cell::new(0),
            cancel_requested: Cell::new(false),
            return_exceptions,
            collect,
        });
        let outer = Future::from_host(gathering.clone());
        if gathering.children.is_empty() {
            outer
                .set_result(Vec::new())
                .expect("a new future is pending");
            return Ok(outer);
        }
        // ANCHOR: add_callbacks
        // One callback for all the children: each holds a reference to the gathering future
        // and its own index, rather than a closure of its own. When a child is done, the loop
        // calls the gathering future's `notify(index)` straight from the ready deque.
        for (index, child) in gathering.children.iter().enumerate() {
            child.add_shared_done_callback(gathering.clone(), index as u32);
        }
        // ANCHOR_END: add_callbacks
        Ok(outer)
    }

    fn outer(self: &Rc<Self>) -> Future<Vec<O>> {
        Future::from_host(self.clone())
    }

    // ANCHOR: done_callback
    /// One child is done (asyncio's `_done_callback` inside `gather`).
    fn done_callback(gathering: &Rc<Self>, child: &Future<T>) {
        if gathering.outer.done() {
            // The gather already failed or was cancelled: this child's error, if any, has
            // nowhere to go. Mark it retrieved, as asyncio does, so that it is not reported
            // as "exception was never retrieved".
            let _ = child.exception();
            return;
        }
        let finished = gathering.finished.get() + 1;
        gathering.finished.set(finished);
        let outer = gathering.outer();

        if !gathering.return_exceptions {
            // The first error, or the first cancelled child, decides the outcome now; the
            // other children are left running.
            match child.exception() {
                Err(cancelled) if gathering.cancel_requested.get() => {
                    gathering.cancel_outer(cancelled);
                    return;
                }
                Err(cancelled) => {
                    let _ = outer.set_exception(cancelled);
                    return;
                }
                Ok(Some(error)) => {
                    let _ = outer.set_exception(error);
                    return;
                }
                Ok(None) => {}
            }
        }

        if finished == gathering.children.len() {
            // Every child is done: their outcomes, in argument order.
            let outcomes = gathering.children.iter().map(Future::result).collect();
            if gathering.cancel_requested.get() {
                let cancelled = child.exception().err().unwrap_or(Error::Cancelled(None));
                gathering.cancel_outer(cancelled);
                return;
            }
            let _ = match (gathering.collect)(outcomes) {
                Ok(results) => outer.set_result(results),
                Err(error) => outer.set_exception(error),
            };
        }
    }
    // ANCHOR_END: done_callback

    /// Ends the gather in the `Cancelled` state, with the message of the child's cancellation.
    fn cancel_outer(&self, cancelled: Error) {
        let message = match cancelled {
            Error::Cancelled(message) => message,
            _ => None,
        };
        // The plain future's own cancel, not ours (which would cancel the children again).
        Awaited::cancel_with_message(self.outer.clone(), message);
    }
}

impl<T: Clone + 'static, O: 'static> Notify for GatheringFuture<T, O> {
    fn label(&self) -> Label {
        Label::new("gather._done_callback")
    }

    fn notify(self: Rc<Self>, index: usize) {
        let child = self.children[index].clone();
        GatheringFuture::done_callback(&self, &child);
    }
}

impl<T: 'static, O: 'static> FutureHost<Vec<O>> for GatheringFuture<T, O> {
    fn cell(&self) -> &FutureCell<Vec<O>> {
        &self.outer
    }
}

// ANCHOR: cancel
/// `_GatheringFuture.cancel()`: cancel every child; true if at least one was cancelled. The
/// gather itself ends once the cancelled children report back through their callbacks.
impl<T: 'static, O: 'static> Awaited for GatheringFuture<T, O> {
    fn cancel_with_message(self: Rc<Self>, message: Option<Arc<str>>) -> bool {
        if self.outer.done() {
            return false;
        }
        let mut cancelled_any = false;
        for child in &self.children {
            if child.cancel_with_message(message.clone()) {
                cancelled_any = true;
            }
        }
        if cancelled_any {
            self.cancel_requested.set(true);
        }
        cancelled_any
    }

    fn forget_wakeup(&self, key: TaskKey) {
        Awaited::forget_wakeup(&*self.outer, key);
    }
}
// ANCHOR_END: cancel
