//! Chapter 6, "Tasks": two tasks await the same future.
//!
//! Each `fut.await` leaves its task's wakeup among the future's done-callbacks (asyncio's
//! `_asyncio_future_blocking` protocol). A timer sets the result after one second; the future
//! schedules every callback it holds, and each task wakes up with its own copy of the value.
//! `run_until_complete(fut)` waits on the future itself, so it is a third receiver of the
//! value. Run it with `cargo run --example ch06_await_future`.

use std::time::Duration;

use steploop::{get_running_loop, Error, EventLoop, Future};

// ANCHOR: waiter
async fn waiter(name: &'static str, fut: Future<u32>) -> Result<u32, Error> {
    let value = fut.await?;
    let lp = get_running_loop().expect("coroutines run inside the loop");
    lp.print(format!("{name} got {value}"));
    Ok(value)
}
// ANCHOR_END: waiter

/// Two tasks await one future, which a timer completes; returns what `run_until_complete`
/// got.
pub fn run(lp: &EventLoop) -> Result<u32, Error> {
    // ANCHOR: run
    let fut = lp.create_future::<u32>();
    lp.create_task(waiter("A", fut.clone()));
    lp.create_task(waiter("B", fut.clone()));
    let setter = fut.clone();
    lp.with_label("set_result(42)")
        .call_later(Duration::from_secs(1), move |_| {
            setter.set_result(42).expect("nobody else sets it");
        });
    lp.run_until_complete(fut)
    // ANCHOR_END: run
}

pub fn main() {
    // ANCHOR: main
    let lp = EventLoop::with_virtual_clock();
    lp.set_trace(true);
    let value = run(&lp).expect("the timer sets the result");
    println!("run_until_complete got {value}");
    println!("\nWhat the loop did:\n\n{}", lp.take_trace());
    // ANCHOR_END: main
}
