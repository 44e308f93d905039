//! Composing tasks: `gather`, `wait`, `as_completed`, `wait_for`, `shield` (chapter 7).
//!
//! None of these needs anything new from the loop. Each is a few futures and done-callbacks
//! arranged the way asyncio's `tasks.py` arranges them:
//!
//! | module | asyncio | built from |
//! |---|---|---|
//! | `gather` ([`gather()`], [`gather_return_exceptions`]) | `asyncio.gather`, `_GatheringFuture` | an outer future, one `_done_callback` per child |
//! | `wait` ([`wait()`], [`ReturnWhen`]) | `asyncio.wait`, `_wait` | a waiter future, `_on_completion` callbacks, a `call_later` timer |
//! | `as_completed` ([`as_completed()`], [`AsCompleted`]) | `asyncio.as_completed` | a queue filled by `_on_completion` callbacks, a getter future |
//! | `wait_for` ([`wait_for()`]) | `asyncio.wait_for`, `_cancel_and_wait` | a waiter future, a timer, `cancel` |
//! | `shield` ([`shield()`]) | `asyncio.shield` | an outer future that the inner completes |
//! | this module ([`ensure_future`]) | `asyncio.ensure_future` | [`Awaitable::into_future_on`] on the running loop |
//!
//! Their inputs are anything [`Awaitable`]: a coroutine (which is wrapped in a task on the
//! running loop, as asyncio's `ensure_future` does), a [`Future`] or a [`Task`](crate::Task).
//!
//! # Notes
//! [`gather()`], [`shield()`] and [`as_completed()`] are plain functions that start their work at
//! once, as in asyncio, so they need a running loop when called and return
//! `Result<_, Error>` — the `RuntimeError: no running event loop` that asyncio raises at the
//! call. [`wait()`] and [`wait_for()`] are `async fn`s, like asyncio's `async def`s: nothing
//! happens until they are awaited, and that is when they report a missing loop. (The rule,
//! for the whole crate, is in [`Error`](crate::Error#no-running-loop).)

use crate::run::Awaitable;
use crate::{Error, Future};

mod as_completed;
mod gather;
mod shield;
mod wait;
mod wait_for;

pub use as_completed::{as_completed, AsCompleted};
pub use gather::{gather, gather_return_exceptions};
pub use shield::shield;
pub use wait::{wait, ReturnWhen};
pub use wait_for::wait_for;

/// Turns a coroutine, a [`Future`] or a [`Task`](crate::Task) into a `Future` on the running
/// loop (`asyncio.ensure_future(aw)`): a coroutine is wrapped in a task, which starts running
/// on the next tick; a future or a task is returned as it is.
///
/// # Errors
/// [`Error::Runtime`] if no loop is running on this thread.
///
/// # Examples
/// ```
/// use steploop::{ensure_future, EventLoop};
/// let lp = EventLoop::with_virtual_clock();
/// let answer = lp
///     .run_until_complete(async {
///         let fut = ensure_future(async { Ok(6 * 7) })?; // now a task: Task-2
///         fut.await
///     })
///     .unwrap();
/// assert_eq!(answer, 42);
/// ```
// ANCHOR: ensure_future
pub fn ensure_future<T: 'static>(awaitable: impl Awaitable<T>) -> Result<Future<T>, Error> {
    Ok(awaitable.into_future_on(&running_loop("ensure_future")?))
}
// ANCHOR_END: ensure_future

pub(crate) use crate::running::running_loop;
