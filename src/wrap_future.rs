//! `asyncio.wrap_future`: a [`ConcurrentFuture`] of another thread, awaited on the running loop.
//!
//! The loop's side of it, the future that takes the outcome over once the other thread sets it,
//! is [`EventLoop::wrap_future`](crate::EventLoop::wrap_future) (`bridge.rs`); this function
//! finds the running loop first, as asyncio's does.

use crate::executor::ConcurrentFuture;
use crate::running::running_loop;
use crate::{Error, Future};

/// Wraps a [`ConcurrentFuture`] in a future of the running loop (`asyncio.wrap_future(future)`);
/// see [`EventLoop::wrap_future`](crate::EventLoop::wrap_future).
///
/// # Errors
/// [`Error::Runtime`] if no loop is running on this thread; `future` is left as it was. Call
/// [`EventLoop::wrap_future`](crate::EventLoop::wrap_future) on a loop that is not running.
///
/// # Examples
/// ```
/// use steploop::{executor::ThreadPoolExecutor, run, wrap_future};
///
/// let executor = ThreadPoolExecutor::new(2);
/// let future = executor.submit(|| 100_000_000_u64 / 10).unwrap();
/// let counted = run(async move { wrap_future(future)?.await });
/// assert_eq!(counted.unwrap(), 10_000_000);
/// ```
pub fn wrap_future<T: Clone + Send + 'static>(
    future: ConcurrentFuture<T>,
) -> Result<Future<T>, Error> {
    Ok(running_loop("wrap_future")?.wrap_future(future))
}
