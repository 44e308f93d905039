//! `wait_for`: await with a deadline (asyncio's `asyncio.wait_for` and `_cancel_and_wait`).

use std::time::Duration;

use super::running_loop;
use super::wait::release_waiter;
use crate::label::Label;
use crate::run::{ensure_future_on, Awaitable};
use crate::timers::TimerHandle;
use crate::{Error, EventLoop, Future};

/// Awaits `awaitable`, but gives up after `timeout`: then it cancels it, **waits until it has
/// finished cancelling**, and returns `Err(Error::Timeout)` (`await asyncio.wait_for(aw, timeout)`).
///
/// # Errors
/// - [`Error::Timeout`] if the deadline passed first.
/// - Whatever the awaitable fails with, if it finishes in time.
/// - `Error::Cancelled` if the task awaiting `wait_for` is cancelled: the awaitable is then
///   cancelled too, and waited for, before the error is returned.
/// - [`Error::Runtime`] if no loop is running, or if `awaitable` is a future or task of
///   another loop (asyncio's `ValueError`).
///
/// # Notes
/// - Waiting for the cancellation to finish is the point (bpo-32751): when `wait_for`
///   returns, the inner task is no longer running. An inner task that catches its
///   cancellation to clean up delays `wait_for` by as long as the clean-up takes.
/// - An inner task that catches the cancellation and returns a value anyway wins: `wait_for`
///   returns that value, not `Error::Timeout`, as asyncio does.
/// - A zero timeout returns the result of a future already done, and cancels at once
///   anything else. asyncio's `timeout=None` (no deadline) is a plain `.await`.
/// - It schedules as Python 3.11's `wait_for` does, tick for tick: with a positive timeout
///   even a future already done is waited for through its done-callback, two ticks. (Python
///   3.12 rebuilt `wait_for` on `timeout()`, which returns a done future's result at once;
///   steploop follows 3.11, the version the book names.)
///
/// # Implementation notes
/// asyncio 3.11's `wait_for`: a waiter future, released either by a `_release_waiter`
/// done-callback on the inner future or by a `_release_waiter` timer; on timeout,
/// `_cancel_and_wait` cancels the inner future and awaits a second waiter, released when the
/// inner one is done. The timer is cancelled on every way out.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use steploop::{sleep, wait_for, Error, EventLoop};
///
/// let lp = EventLoop::with_virtual_clock();
/// let outcome = lp.run_until_complete(async {
///     let slow = async {
///         sleep(Duration::from_secs(10)).await?;
///         Ok("too late")
///     };
///     wait_for(slow, Duration::from_secs(1)).await
/// });
/// assert!(matches!(outcome, Err(Error::Timeout)));
/// assert_eq!(lp.time(), Duration::from_secs(1));
/// ```
// ANCHOR: wait_for
pub async fn wait_for<T, A>(awaitable: A, timeout: Duration) -> Result<T, Error>
where
    T: Clone + 'static,
    A: Awaitable<T>,
{
    let event_loop = running_loop("wait_for")?;
    if timeout.is_zero() {
        let fut = ensure_future_on(&event_loop, awaitable)?;
        if fut.done() {
            return fut.result();
        }
        cancel_and_wait(&event_loop, &fut).await?;
        return timeout_unless_finished(&fut);
    }

    // Even a future that is already done goes through the waiter, as in 3.11: its
    // done-callback releases the waiter on the next tick, and the task resumes on the one
    // after.
    let waiter = Future::<()>::new(event_loop.scheduler(), Label::new("waiter"));
    let timer = event_loop
        .with_label("_release_waiter")
        .call_later(timeout, {
            let waiter = waiter.clone();
            move |_| release_waiter(&waiter)
        });
    let _cancel_timer = CancelOnDrop(timer); // asyncio's `finally: timeout_handle.cancel()`
    let fut = ensure_future_on(&event_loop, awaitable)?;
    let callback = fut.add_done_callback_labelled(Label::new("_release_waiter"), {
        let waiter = waiter.clone();
        move |_: &Future<T>| release_waiter(&waiter)
    });

    // Released when `fut` is done, or by the timer; an error means we were cancelled.
    let waited = waiter.await;
    if fut.done() {
        return fut.result();
    }
    fut.remove_done_callback(callback);
    // The inner future must not be left running once wait_for returns.
    cancel_and_wait(&event_loop, &fut).await?;
    match waited {
        Err(cancelled) => Err(cancelled),
        Ok(()) => timeout_unless_finished(&fut),
    }
}
// ANCHOR_END: wait_for

// ANCHOR: cancel_and_wait
/// Cancels `fut` and waits until it is done (asyncio's `_cancel_and_wait`): a task may need
/// more ticks, even more time, to finish cancelling.
async fn cancel_and_wait<T: 'static>(event_loop: &EventLoop, fut: &Future<T>) -> Result<(), Error> {
    let waiter = Future::<()>::new(event_loop.scheduler(), Label::new("waiter"));
    let callback = fut.add_done_callback_labelled(Label::new("_release_waiter"), {
        let waiter = waiter.clone();
        move |_: &Future<T>| release_waiter(&waiter)
    });
    fut.cancel();
    let waited = waiter.await;
    fut.remove_done_callback(callback);
    waited
}
// ANCHOR_END: cancel_and_wait

/// The outcome after a timeout: `Error::Timeout` if the inner future ended cancelled, else
/// whatever it ended with (it caught the cancellation and finished anyway).
fn timeout_unless_finished<T: Clone + 'static>(fut: &Future<T>) -> Result<T, Error> {
    match fut.result() {
        Err(error) if error.is_cancelled() => Err(Error::Timeout),
        other => other,
    }
}

/// Cancels a timer when dropped: asyncio's `finally:` clause.
struct CancelOnDrop(TimerHandle);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}
