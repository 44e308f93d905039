//! Chapter 7, "Composing tasks": five jobs that finish after 5, 2, 4, 3 and 6 seconds, collected
//! with `gather` (argument order) and with `as_completed` (completion order), as in seed 001:
//!
//! ```python
//! async def main():
//!     loop = asyncio.get_running_loop()
//!     jobs = [loop.run_in_executor(executor, task, n) for n in [5, 2, 4, 3, 6]]
//!     print(await asyncio.gather(*jobs))  # argument order, all at t=6
//!
//!     jobs = [loop.run_in_executor(executor, task, n) for n in [5, 2, 4, 3, 6]]
//!     for f in asyncio.as_completed(jobs):
//!         print(await f)                  # completion order: 2, 3, 4, 5, 6
//! ```
//! Run it with `cargo run --example ch07_gather`.

use std::time::Duration;

use steploop::{as_completed, gather, get_running_loop, Error, EventLoop, Future};

fn say(line: impl std::fmt::Display) {
    get_running_loop().expect("inside the loop").print(line);
}

/// The loop's clock in seconds, `t=2.000`.
fn now() -> String {
    let lp = get_running_loop().expect("inside the loop");
    format!("t={:.3}", lp.time().as_secs_f64())
}

// ANCHOR: job
/// A job that takes `seconds`: a future that a timer completes, the way a worker thread
/// completes the future `run_in_executor` returned (chapter 10 does it with real threads).
fn job(seconds: u64) -> Future<String> {
    let lp = get_running_loop().expect("inside the loop");
    let future = lp.create_future();
    let done = future.clone();
    lp.with_label(format!("job({seconds})"))
        .call_later(Duration::from_secs(seconds), move |_| {
            let _ = done.set_result(format!("sleep {seconds}s"));
        });
    future
}
// ANCHOR_END: job

// ANCHOR: main_gather
async fn main_gather() -> Result<(), Error> {
    let results = gather([5, 2, 4, 3, 6].map(job))?.await?;
    say(format!("gather returned at {}: {results:?}", now()));
    Ok(())
}
// ANCHOR_END: main_gather

// ANCHOR: main_as_completed
async fn main_as_completed() -> Result<(), Error> {
    let mut results = as_completed([5, 2, 4, 3, 6].map(job), None)?;
    while let Some(result) = results.next().await {
        say(format!("{} at {}", result?, now()));
    }
    Ok(())
}
// ANCHOR_END: main_as_completed

/// `asyncio.run(main())` with `gather`: everything arrives at t=6, in argument order.
pub fn run_gather(lp: &EventLoop) -> Result<(), Error> {
    steploop::run_with(lp, main_gather())
}

/// The same jobs with `as_completed`: one result at each of t=2, 3, 4, 5, 6.
pub fn run_as_completed(lp: &EventLoop) -> Result<(), Error> {
    steploop::run_with(lp, main_as_completed())
}

pub fn main() {
    for (title, run) in [
        ("gather", run_gather as fn(&EventLoop) -> Result<(), Error>),
        ("as_completed", run_as_completed),
    ] {
        println!("--- {title} ---");
        let lp = EventLoop::with_virtual_clock();
        lp.set_trace(true);
        run(&lp).expect("main() finishes");
        println!("\nWhat the loop did:\n\n{}", lp.take_trace());
    }
}
