//! `shield`: protect an awaitable from the cancellation of whoever awaits it (asyncio's
//! `asyncio.shield`).

use crate::label::Label;
use crate::run::Awaitable;
use crate::{Error, Future};

use super::running_loop;

/// Returns an outer future that follows `awaitable`'s outcome, but whose cancellation does not
/// reach it (`asyncio.shield(aw)`).
///
/// A task that awaits `shield(inner)?` and is cancelled gets `Error::Cancelled` at once; the
/// inner task goes on running, and its result stays available to anyone else who holds it.
/// Cancelling the inner task itself, on the other hand, does cancel the outer future.
///
/// # Errors
/// [`Error::Runtime`] if no loop is running.
///
/// # Notes
/// - If `awaitable` is already done, it is returned as it is: there is nothing to protect.
/// - A coroutine is wrapped in a task, which nothing else holds: keep the
///   [`Task`](crate::Task) yourself and shield that, if you want to read its result later.
///
/// # Implementation notes
/// Two done-callbacks, as in asyncio: `shield._inner_done_callback` copies the inner outcome to
/// the outer future (unless the outer was cancelled meanwhile), and
/// `shield._outer_done_callback` removes it again when the outer is done first.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use steploop::{shield, sleep, EventLoop};
///
/// let lp = EventLoop::with_virtual_clock();
/// let inner = lp.create_task(async {
///     sleep(Duration::from_secs(1)).await?;
///     Ok("inner survived")
/// });
/// let protected = inner.clone();
/// let outer = lp.run_until_complete(async move { shield(protected) }).unwrap();
/// assert!(outer.cancel()); // the outer ends cancelled...
/// assert_eq!(lp.run_until_complete(inner).unwrap(), "inner survived"); // ...the inner runs on
/// ```
// ANCHOR: shield
pub fn shield<T, A>(awaitable: A) -> Result<Future<T>, Error>
where
    T: Clone + 'static,
    A: Awaitable<T>,
{
    let event_loop = running_loop("shield")?;
    let inner = awaitable.into_future_on(&event_loop);
    if inner.done() {
        return Ok(inner);
    }
    let outer = Future::<T>::new(
        event_loop.scheduler(),
        Label::new(format!("shield({})", inner.label())),
    );

    let inner_callback =
        inner.add_done_callback_labelled(Label::new("shield._inner_done_callback"), {
            let outer = outer.clone();
            move |inner: &Future<T>| {
                if outer.cancelled() {
                    // Nobody will read the inner outcome through the outer: mark an error
                    // retrieved, as asyncio does.
                    let _ = inner.exception();
                    return;
                }
                if inner.cancelled() {
                    outer.cancel();
                    return;
                }
                let _ = match inner.result() {
                    Ok(value) => outer.set_result(value),
                    Err(error) => outer.set_exception(error),
                };
            }
        });
    outer.add_done_callback_labelled(Label::new("shield._outer_done_callback"), {
        let inner = inner.clone();
        move |_: &Future<T>| {
            if !inner.done() {
                inner.remove_done_callback(inner_callback);
            }
        }
    });
    Ok(outer)
}
// ANCHOR_END: shield
