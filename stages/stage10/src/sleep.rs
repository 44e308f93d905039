//! `sleep` (asyncio's `asyncio.sleep`): a future, and a timer that sets its result.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::{get_running_loop, task, Error, EventLoop};

/// Waits `delay` of loop time (`await asyncio.sleep(delay)`), inside a task.
/// `sleep(Duration::ZERO)` only lets everything else that is ready run first.
pub async fn sleep(delay: Duration) -> Result<(), Error> {
    if delay.is_zero() {
        return YieldNow { yielded: false }.await;
    }
    let event_loop = get_running_loop().expect("sleep() is awaited by a task, inside the loop");
    let future = event_loop.create_future::<()>();
    let setter = future.clone();
    // asyncio: `call_later(delay, futures._set_result_unless_cancelled, future, None)`.
    let timer = event_loop.call_later(delay, move |_: &EventLoop| {
        if !setter.done() {
            let _ = setter.set_result(());
        }
    });
    let slept = future.await;
    // asyncio's `finally: h.cancel()`: a sleep cut short leaves no timer behind.
    timer.cancel();
    slept
}

/// `sleep(0)`: pending once, having asked to be polled again (asyncio's bare `yield`).
struct YieldNow {
    yielded: bool,
}

impl std::future::Future for YieldNow {
    type Output = Result<(), Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        if task::cancellation_thrown() {
            return Poll::Ready(Err(Error::Cancelled));
        }
        if self.yielded {
            return Poll::Ready(Ok(()));
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
