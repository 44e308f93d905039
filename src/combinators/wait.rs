//! `wait`: wait for several awaitables until some condition, then split them into done and
//! pending (asyncio's `asyncio.wait` and `_wait`).

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use super::running_loop;
use crate::future::CallbackId;
use crate::label::Label;
use crate::run::Awaitable;
use crate::timers::TimerHandle;
use crate::{Error, Future};

/// When [`wait()`](crate::wait) returns: asyncio's `FIRST_COMPLETED`, `FIRST_EXCEPTION` and
/// `ALL_COMPLETED`. The thread pool's [`executor::wait`](crate::executor::wait) takes the same.
///
/// # Notes
/// In Python these are `concurrent.futures`' constants, and asyncio imports them:
/// `asyncio.FIRST_COMPLETED` *is* `concurrent.futures.FIRST_COMPLETED`. The book builds
/// `asyncio.wait` first (chapter 7), so the enum is defined here, and chapter 9's
/// `concurrent.futures.wait` uses it from here: one enum for both, as in Python.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ReturnWhen {
    /// `FIRST_COMPLETED`: as soon as any of the futures finishes or is cancelled.
    FirstCompleted,
    /// `FIRST_EXCEPTION`: as soon as any of the futures finishes with an error; if none
    /// fails, when all are done. A cancelled future is not an error here, as in Python.
    FirstException,
    /// `ALL_COMPLETED`, the default: when every future is done.
    #[default]
    AllCompleted,
}

/// Waits until the awaitables are done as `return_when` asks, or until `timeout` passes, and
/// returns `(done, pending)` (`done, pending = await asyncio.wait(aws, timeout=..., return_when=...)`).
///
/// A timeout is not an error, and `wait` **never cancels anything**: what is still pending
/// when it returns goes on running, in `pending`, for you to await, cancel or wait for again.
///
/// # Errors
/// - [`Error::Runtime`] if `awaitables` is empty, where asyncio raises
///   `ValueError('Set of Tasks/Futures is empty.')`: with nothing to wait for, "the first to
///   complete" never comes. ([`gather`](crate::gather) of nothing, by contrast, is an empty
///   `Vec` at once.)
/// - [`Error::Runtime`] if no loop is running.
/// - `Error::Cancelled` if the task awaiting `wait` is cancelled; the awaitables are not.
///
/// # Notes
/// - `done` and `pending` keep the order the awaitables were given in, where asyncio returns
///   two sets, so that what a program prints from them does not depend on hashing. As in a
///   set, a future (or task) given twice appears once.
/// - Coroutines are wrapped in tasks (asyncio 3.11 refuses them, because the caller could not
///   tell which task in `done` is which; here the futures come back in argument order).
/// - As in asyncio, the check runs in done-callbacks, so even awaitables that are already
///   done are reported one tick later, not synchronously.
///
/// # Implementation notes
/// One waiter future, which the awaiting task awaits; one `wait._on_completion` callback per
/// awaitable, counting down and releasing the waiter when `return_when` is satisfied; and a
/// `call_later` timer, `_release_waiter`, for the timeout. Callbacks and timer are removed on
/// the way out, however `wait` ends.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use steploop::{sleep, wait, Error, EventLoop, ReturnWhen};
///
/// async fn job(seconds: u64) -> Result<u64, Error> {
///     sleep(Duration::from_secs(seconds)).await?;
///     Ok(seconds)
/// }
///
/// let lp = EventLoop::with_virtual_clock();
/// let (done, pending) = lp
///     .run_until_complete(async {
///         wait([3, 1, 2].map(job), None, ReturnWhen::FirstCompleted).await
///     })
///     .unwrap();
/// assert_eq!(done.len(), 1);
/// assert_eq!(done[0].result().unwrap(), 1);
/// assert_eq!(pending.len(), 2); // still running: wait cancels nothing
/// assert_eq!(lp.time(), Duration::from_secs(1));
/// ```
// ANCHOR: wait
pub async fn wait<T, A>(
    awaitables: impl IntoIterator<Item = A>,
    timeout: Option<Duration>,
    return_when: ReturnWhen,
) -> Result<(Vec<Future<T>>, Vec<Future<T>>), Error>
where
    T: 'static,
    A: Awaitable<T>,
{
    let event_loop = running_loop("wait")?;
    // asyncio's `fs = set(fs)`: a future given twice is waited for, and returned, once.
    let mut futures: Vec<Future<T>> = Vec::new();
    for awaitable in awaitables {
        let future = awaitable.into_future_on(&event_loop);
        if !futures.contains(&future) {
            futures.push(future);
        }
    }
    if futures.is_empty() {
        return Err(Error::Runtime(
            "wait() of no futures (asyncio: ValueError: Set of Tasks/Futures is empty): there \
             is nothing to wait for; check for an empty list first, or use gather(), which \
             gives an empty Vec at once"
                .into(),
        ));
    }

    let waiter = Future::<()>::new(event_loop.scheduler(), Label::new("waiter"));
    // Shared by the cleanup and every completion callback, as asyncio's handle is.
    let timeout_handle = timeout.map(|timeout| {
        let waiter = waiter.clone();
        Rc::new(
            event_loop
                .with_label("_release_waiter")
                .call_later(timeout, move |_| release_waiter(&waiter)),
        )
    });
    let counter = Rc::new(Cell::new(futures.len()));
    // asyncio's `finally:` — cancel the timer, remove the callbacks — on every way out,
    // including this task being cancelled (`?` below) or its coroutine being dropped.
    let mut cleanup = Cleanup {
        futures: &futures,
        callbacks: Vec::with_capacity(futures.len()),
        timeout_handle: timeout_handle.clone(),
    };
    for future in &futures {
        let waiter = waiter.clone();
        let counter = counter.clone();
        let timeout_handle = timeout_handle.clone();
        let id = future.add_done_callback_labelled(
            Label::new("wait._on_completion"),
            move |future: &Future<T>| {
                counter.set(counter.get() - 1);
                // The error is read only for FirstException, as in asyncio: reading it marks
                // it retrieved, and otherwise that is for whoever awaits the future.
                let enough = counter.get() == 0
                    || return_when == ReturnWhen::FirstCompleted
                    || (return_when == ReturnWhen::FirstException
                        && !future.cancelled()
                        && matches!(future.exception(), Ok(Some(_))));
                if enough {
                    if let Some(timer) = &timeout_handle {
                        timer.cancel();
                    }
                    release_waiter(&waiter);
                }
            },
        );
        cleanup.callbacks.push(id);
    }

    // Released by the last (or first) completion, or by the timer; an error here means the
    // awaiting task itself was cancelled.
    waiter.await?;
    drop(cleanup);

    let (done, pending) = futures.into_iter().partition(Future::done);
    Ok((done, pending))
}
// ANCHOR_END: wait

/// `_release_waiter`: wakes whoever awaits `waiter`, once.
pub(crate) fn release_waiter(waiter: &Future<()>) {
    if !waiter.done() {
        let _ = waiter.set_result(());
    }
}

/// asyncio's `finally:` in `_wait`: cancel the timer and remove the callbacks, on every way
/// out of `wait` — including the awaiting task being cancelled, or its coroutine dropped.
struct Cleanup<'a, T: 'static> {
    futures: &'a [Future<T>],
    callbacks: Vec<CallbackId>,
    timeout_handle: Option<Rc<TimerHandle>>,
}

impl<T: 'static> Drop for Cleanup<'_, T> {
    fn drop(&mut self) {
        if let Some(timer) = &self.timeout_handle {
            timer.cancel();
        }
        for (future, id) in self.futures.iter().zip(&self.callbacks) {
            future.remove_done_callback(*id);
        }
    }
}
