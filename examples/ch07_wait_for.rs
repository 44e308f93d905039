//! Chapter 7, "Composing tasks": `asyncio.wait_for` timing out, and `asyncio.shield` keeping a
//! task alive through the timeout.
//!
//! ```python
//! async def careful_job():
//!     try:
//!         await asyncio.sleep(3)
//!     except asyncio.CancelledError:
//!         await asyncio.sleep(0.5)        # clean up first
//!         raise
//!
//! await asyncio.wait_for(careful_job(), timeout=1)           # TimeoutError, at t=1.5
//!
//! task = asyncio.create_task(job(2))
//! await asyncio.wait_for(asyncio.shield(task), timeout=1)    # TimeoutError, at t=1
//! await task                                                 # still runs: done at t=2
//! ```
//! Run it with `cargo run --example ch07_wait_for`.

use std::time::Duration;

use steploop::{get_running_loop, shield, sleep, wait_for, Error, EventLoop};

fn say(line: impl std::fmt::Display) {
    get_running_loop().expect("inside the loop").print(line);
}

fn now() -> String {
    let lp = get_running_loop().expect("inside the loop");
    format!("t={:.3}", lp.time().as_secs_f64())
}

// ANCHOR: careful_job
/// A job of 3 s that, when cancelled, takes half a second to clean up, then lets the
/// cancellation go on.
async fn careful_job() -> Result<&'static str, Error> {
    match sleep(Duration::from_secs(3)).await {
        Ok(()) => Ok("finished"),
        Err(cancelled) => {
            say(format!("careful_job cancelled at {}: cleaning up", now()));
            sleep(Duration::from_millis(500)).await?;
            say(format!("careful_job clean at {}", now()));
            Err(cancelled)
        }
    }
}
// ANCHOR_END: careful_job

// ANCHOR: main_wait_for
async fn main_wait_for() -> Result<(), Error> {
    let outcome = wait_for(careful_job(), Duration::from_secs(1)).await;
    say(format!("wait_for returned at {}: {outcome:?}", now()));
    Ok(())
}
// ANCHOR_END: main_wait_for

async fn job(seconds: u64) -> Result<String, Error> {
    sleep(Duration::from_secs(seconds)).await?;
    Ok(format!("sleep {seconds}s"))
}

// ANCHOR: main_shield
async fn main_shield() -> Result<(), Error> {
    let lp = get_running_loop().expect("inside the loop");
    let task = lp.create_task(job(2));
    let outcome = wait_for(shield(task.clone())?, Duration::from_secs(1)).await;
    say(format!("wait_for returned at {}: {outcome:?}", now()));
    say(format!("{} cancelled: {}", task.name(), task.cancelled()));
    let result = task.await;
    say(format!("the task finished at {}: {result:?}", now()));
    Ok(())
}
// ANCHOR_END: main_shield

/// `wait_for` times out at t=1, and returns at t=1.5, once the job has cleaned up.
pub fn run_wait_for(lp: &EventLoop) -> Result<(), Error> {
    steploop::run_with(lp, main_wait_for())
}

/// `wait_for(shield(task))` times out at t=1; the task runs on and finishes at t=2.
pub fn run_shield(lp: &EventLoop) -> Result<(), Error> {
    steploop::run_with(lp, main_shield())
}

pub fn main() {
    for (title, run) in [
        (
            "wait_for",
            run_wait_for as fn(&EventLoop) -> Result<(), Error>,
        ),
        ("wait_for(shield(task))", run_shield),
    ] {
        println!("--- {title} ---");
        let lp = EventLoop::with_virtual_clock();
        lp.set_trace(true);
        run(&lp).expect("main() finishes");
        println!("\nWhat the loop did:\n\n{}", lp.take_trace());
    }
}
