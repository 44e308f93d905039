//! `run`: the program's entry point into the loop (asyncio's `asyncio.run`).

use std::future::Future as StdFuture;

use crate::future::Future;
use crate::label::Label;
use crate::task::Task;
use crate::{Error, EventLoop, ExceptionContext};

// ANCHOR: run
/// Runs `main` on a new loop until it is done, then cancels whatever tasks are left, lets them
/// finish cancelling, and closes the loop (`asyncio.run(main())`).
///
/// # Errors
/// Whatever `main` returns, or the loop's own errors (see
/// [`EventLoop::run_until_complete`]).
///
/// # Examples
/// ```
/// let answer = steploop::run(async { Ok(6 * 7) }).unwrap();
/// assert_eq!(answer, 42);
/// ```
#[track_caller]
pub fn run<T, F>(main: F) -> Result<T, Error>
where
    T: Clone + 'static,
    F: StdFuture<Output = Result<T, Error>> + 'static,
{
    run_with(&EventLoop::new(), main)
}

/// [`run`] in debug mode (`asyncio.run(main(), debug=True)`): slow handles are logged, and
/// reports say where tasks and futures were created (see [`EventLoop::set_debug`]).
///
/// # Errors
/// As [`run`].
///
/// # Examples
/// ```
/// let answer = steploop::run_debug(async { Ok(6 * 7) }).unwrap();
/// assert_eq!(answer, 42);
/// ```
#[track_caller]
pub fn run_debug<T, F>(main: F) -> Result<T, Error>
where
    T: Clone + 'static,
    F: StdFuture<Output = Result<T, Error>> + 'static,
{
    let event_loop = EventLoop::new();
    event_loop.set_debug(true);
    run_with(&event_loop, main)
}

/// [`run`] on a loop you made, so that you can choose its clock, or switch tracing or debug
/// mode on first. The loop is closed afterwards.
///
/// # Errors
/// As [`run`].
///
/// # Panics
/// If the loop is closed.
#[track_caller]
pub fn run_with<T, F>(event_loop: &EventLoop, main: F) -> Result<T, Error>
where
    T: Clone + 'static,
    F: StdFuture<Output = Result<T, Error>> + 'static,
{
    event_loop.check_can_run()?;
    let result = event_loop.run_until_complete(main);
    cancel_all_tasks(event_loop);
    shutdown_default_executor(event_loop);
    event_loop.close()?;
    result
}
// ANCHOR_END: run

/// Waits, with the loop running, until the default executor's jobs have finished
/// (`asyncio.run`'s `loop.run_until_complete(loop.shutdown_default_executor())`).
fn shutdown_default_executor(event_loop: &EventLoop) {
    if event_loop.inner.default_executor.borrow().is_none() {
        return;
    }
    let shutdown = event_loop.shutdown_default_executor();
    if let Err(error) = event_loop.run_until_complete(shutdown) {
        let context = ExceptionContext::new("the default executor could not be shut down")
            .with_exception(error);
        event_loop.call_exception_handler(&context);
    }
}

/// Cancels every task still pending and runs the loop until they have all finished
/// (asyncio's `_cancel_all_tasks`). A task that ends with an error rather than cancelled is
/// reported, since nobody else will see it.
fn cancel_all_tasks(event_loop: &EventLoop) {
    let tasks = event_loop.all_tasks();
    if tasks.is_empty() {
        return;
    }
    for task in &tasks {
        task.cancel();
    }
    while tasks.iter().any(|task| !task.done()) {
        if let Err(error) = event_loop.run_once() {
            let context = ExceptionContext::new(
                "tasks left pending when steploop::run() finished could not be cancelled",
            )
            .with_exception(error);
            event_loop.call_exception_handler(&context);
            return;
        }
    }
    for task in &tasks {
        if let Ok(Some(error)) = task.exception() {
            let context =
                ExceptionContext::new("unhandled exception during steploop::run() shutdown")
                    .with_exception(error)
                    .with_task(task.name());
            event_loop.call_exception_handler(&context);
        }
    }
}

/// `ensure_future(awaitable, loop=event_loop)`: a coroutine becomes a task of `event_loop`;
/// a future or task must already belong to it.
///
/// # Errors
/// [`Error::Runtime`] for a future or task of another loop, where asyncio raises
/// `ValueError`.
#[track_caller]
pub(crate) fn ensure_future_on<T: 'static>(
    event_loop: &EventLoop,
    awaitable: impl Awaitable<T>,
) -> Result<Future<T>, Error> {
    let future = awaitable.into_future_on(event_loop);
    if !future.belongs_to(event_loop.id()) {
        return Err(Error::Runtime(
            format!(
                "{} belongs to a different loop than the one asked to run it (asyncio: \
                 ValueError): a future completes only on its own loop; run that loop, or \
                 hand the result over with run_coroutine_threadsafe or call_soon_threadsafe",
                future.label()
            )
            .into(),
        ));
    }
    Ok(future)
}

/// What `run_until_complete` accepts: a coroutine (wrapped in a task), a `Future` or a `Task`
/// (asyncio's `ensure_future`).
pub trait Awaitable<T> {
    /// The future to wait for, on `event_loop`.
    #[track_caller]
    fn into_future_on(self, event_loop: &EventLoop) -> Future<T>;
}

impl<T, F> Awaitable<T> for F
where
    T: 'static,
    F: std::future::Future<Output = Result<T, Error>> + 'static,
{
    #[track_caller]
    fn into_future_on(self, event_loop: &EventLoop) -> Future<T> {
        event_loop.create_task(self).future()
    }
}

impl<T: 'static> Awaitable<T> for Future<T> {
    fn into_future_on(self, _: &EventLoop) -> Future<T> {
        self
    }
}

impl<T: 'static> Awaitable<T> for Task<T> {
    fn into_future_on(self, _: &EventLoop) -> Future<T> {
        self.future()
    }
}

/// Runs `event_loop` until `awaitable` is done ([`EventLoop::run_until_complete`]).
#[track_caller]
pub(crate) fn run_until_complete<T: Clone + 'static>(
    event_loop: &EventLoop,
    awaitable: impl Awaitable<T>,
) -> Result<T, Error> {
    event_loop.check_can_run()?;
    let future = ensure_future_on(event_loop, awaitable)?;
    let stop = future.add_done_callback_labelled(Label::new("_run_until_complete_cb"), |future| {
        future.get_loop().stop()
    });
    // A live `LoopHandle` does not keep this run waiting (see `wait_for_work`).
    let outer = event_loop.inner.until_complete.replace(true);
    let outcome = event_loop.run_forever();
    event_loop.inner.until_complete.set(outer);
    future.remove_done_callback(stop);
    match outcome {
        Ok(()) if future.done() => future.result(),
        Ok(()) => Err(Error::Runtime(
            "the event loop stopped before the future completed: stop() was called \
             while run_until_complete was waiting"
                .into(),
        )),
        Err(Error::Stalled(_)) => Err(Error::Stalled(
            format!(
                "run_until_complete({}) can never finish: no callback is ready, no timer \
                 is pending, and no work is in flight in other threads; some future it \
                 awaits is never completed (a future another thread should complete is \
                 awaited with wrap_future, and a LoopHandle alone does not count)",
                future.label()
            )
            .into(),
        )),
        Err(error) => Err(error),
    }
}
