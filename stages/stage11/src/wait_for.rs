// ANCHOR: wait_for
//! `wait_for` (asyncio's `asyncio.wait_for` and `_cancel_and_wait`): a deadline for a task.

use std::time::Duration;

use crate::{get_running_loop, Error, EventLoop, Future, Task};

/// Waits for `task`, but gives up after `timeout`: then cancels the task, waits until it has
/// finished cancelling, and returns `Err(Error::Timeout)` (`await asyncio.wait_for(task,
/// timeout)`, as Python 3.11 writes it). A task that catches the cancellation and returns a
/// value wins: `wait_for` returns the value.
pub async fn wait_for<T: Clone + 'static>(task: Task<T>, timeout: Duration) -> Result<T, Error> {
    let event_loop = get_running_loop().expect("wait_for() is awaited by a task, in the loop");
    if timeout.is_zero() {
        if task.done() {
            return task.result();
        }
        cancel_and_wait(&event_loop, &task).await?;
        return timeout_unless_finished(&task);
    }
    let waiter = event_loop.create_future::<()>();
    let release = waiter.clone();
    let timeout_handle =
        event_loop.call_later(timeout, move |_: &EventLoop| release_waiter(&release));
    let release = waiter.clone();
    let callback = task.add_done_callback(move |_: &Future<T>| release_waiter(&release));
    // Released by the task being done, or by the timer; an error: we were cancelled.
    let waited = waiter.await;
    let outcome = if task.done() {
        task.result()
    } else {
        task.remove_done_callback(callback);
        // The task must not be left running once wait_for returns (bpo-32751).
        match cancel_and_wait(&event_loop, &task).await {
            Err(cancelled) => Err(cancelled),
            Ok(()) => match waited {
                Err(cancelled) => Err(cancelled),
                Ok(()) => timeout_unless_finished(&task),
            },
        }
    };
    timeout_handle.cancel();
    outcome
}
// ANCHOR_END: wait_for

// ANCHOR: cancel_and_wait
/// Cancels `task` and waits until it is done (asyncio's `_cancel_and_wait`): a task may need
/// more steps, even more time, to finish cancelling.
async fn cancel_and_wait<T: Clone + 'static>(
    event_loop: &EventLoop,
    task: &Task<T>,
) -> Result<(), Error> {
    let waiter = event_loop.create_future::<()>();
    let release = waiter.clone();
    let callback = task.add_done_callback(move |_: &Future<T>| release_waiter(&release));
    task.cancel();
    let waited = waiter.await;
    task.remove_done_callback(callback);
    waited
}

/// asyncio's `_release_waiter`.
fn release_waiter(waiter: &Future<()>) {
    if !waiter.done() {
        let _ = waiter.set_result(());
    }
}

/// After a timeout: `Error::Timeout` if the task ended cancelled, whatever it ended with
/// otherwise (it caught the cancellation and returned, or failed).
fn timeout_unless_finished<T: Clone + 'static>(task: &Task<T>) -> Result<T, Error> {
    match task.result() {
        Err(Error::Cancelled) => Err(Error::Timeout),
        outcome => outcome,
    }
}
// ANCHOR_END: cancel_and_wait
