//! `run`: the program's entry point into the loop (asyncio's `asyncio.run`).

use std::future::Future as StdFuture;

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
pub fn run<T, F>(main: F) -> Result<T, Error>
where
    T: Clone + 'static,
    F: StdFuture<Output = Result<T, Error>> + 'static,
{
    run_with(&EventLoop::new(), main)
}

/// [`run`] on a loop you made, so that you can choose its clock or switch tracing on first.
/// The loop is closed afterwards.
///
/// # Errors
/// As [`run`]; [`Error::Closed`] if the loop was already closed.
pub fn run_with<T, F>(event_loop: &EventLoop, main: F) -> Result<T, Error>
where
    T: Clone + 'static,
    F: StdFuture<Output = Result<T, Error>> + 'static,
{
    event_loop.check_can_run()?;
    let result = event_loop.run_until_complete(main);
    cancel_all_tasks(event_loop);
    event_loop.close()?;
    result
}
// ANCHOR_END: run

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
        if let Some(error) = task.exception() {
            let context =
                ExceptionContext::new("unhandled exception during steploop::run() shutdown")
                    .with_exception(error)
                    .with_task(task.name());
            event_loop.call_exception_handler(&context);
        }
    }
}
