//! Chapter 7, "Composing tasks": `asyncio.timeout` (Python 3.11), a deadline over a block of
//! awaits, and why it needs `Task.cancelling()` and `Task.uncancel()`.
//!
//! ```python
//! async def main():
//!     try:
//!         async with asyncio.timeout(1):
//!             await asyncio.sleep(0.4)        # in time
//!             await asyncio.sleep(3)          # cancelled at t=1
//!     except TimeoutError:
//!         print("timed out")
//!
//! async def worker():
//!     async with asyncio.timeout(1):
//!         await asyncio.sleep(5)
//!
//! async def cancel_at_the_deadline():
//!     task = asyncio.create_task(worker())
//!     await asyncio.sleep(1)
//!     task.cancel()                           # at the very moment the timeout fires
//!     await task                              # CancelledError, not TimeoutError
//! ```
//! Run it with `cargo run --example ch07_timeout`.

use std::time::Duration;

use steploop::{current_task, get_running_loop, sleep, timeout, Error, EventLoop};

fn say(line: impl std::fmt::Display) {
    get_running_loop().expect("inside the loop").print(line);
}

fn now() -> String {
    let lp = get_running_loop().expect("inside the loop");
    format!("t={:.3}", lp.time().as_secs_f64())
}

// ANCHOR: main_timeout
async fn main_timeout() -> Result<(), Error> {
    let outcome = timeout(Duration::from_secs(1), async {
        sleep(Duration::from_millis(400)).await?; // in time
        say(format!("the first sleep is over at {}", now()));
        sleep(Duration::from_secs(3)).await?; // cancelled at t=1
        say("not reached");
        Ok(())
    })
    .await;
    say(format!("timeout returned at {}: {outcome:?}", now()));
    Ok(())
}
// ANCHOR_END: main_timeout

// ANCHOR: cancel_at_the_deadline
async fn worker() -> Result<(), Error> {
    let outcome = timeout(Duration::from_secs(1), sleep(Duration::from_secs(5))).await;
    let cancelling = current_task().expect("a task").cancelling();
    say(format!("worker: {outcome:?}, cancelling() = {cancelling}"));
    outcome
}

async fn cancel_at_the_deadline() -> Result<(), Error> {
    let lp = get_running_loop().expect("inside the loop");
    let task = lp.create_task(worker());
    sleep(Duration::from_secs(1)).await?;
    say(format!("cancel {} -> {}", task.name(), task.cancel()));
    let outcome = task.await;
    say(format!("the worker ended: {outcome:?}"));
    Ok(())
}
// ANCHOR_END: cancel_at_the_deadline

/// The block's second sleep is cancelled at t=1, and `timeout` returns `Error::Timeout`.
pub fn run_timeout(lp: &EventLoop) -> Result<(), Error> {
    steploop::run_with(lp, main_timeout())
}

/// The timeout and a `cancel()` from outside land in the same tick: the cancellation wins.
pub fn run_cancel_at_the_deadline(lp: &EventLoop) -> Result<(), Error> {
    steploop::run_with(lp, cancel_at_the_deadline())
}

pub fn main() {
    for (title, run) in [
        (
            "timeout",
            run_timeout as fn(&EventLoop) -> Result<(), Error>,
        ),
        (
            "a timeout and a cancel at the same moment",
            run_cancel_at_the_deadline,
        ),
    ] {
        println!("--- {title} ---");
        let lp = EventLoop::with_virtual_clock();
        lp.set_trace(true);
        run(&lp).expect("main() finishes");
        println!("\nWhat the loop did:\n\n{}", lp.take_trace());
    }
}
