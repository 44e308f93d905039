//! Chapter 6, "Tasks": cancelling every task (the seed's
//! `for task in asyncio.Task.all_tasks(): print(task.cancel())`).
//!
//! Three workers sleep for 1, 2 and 3 seconds. At t=1.5 the main task cancels every task
//! still pending (`all_tasks()`, like asyncio's, lists only those): the sleeps they await are
//! cancelled, their `.await` returns `Err(Error::Cancelled)`, and `?` ends them cancelled —
//! except the worker that catches the cancellation to clean up and returns normally. The
//! worker of one second, done at t=1, is not among them; cancelling it by hand returns false.
//! Run it with `cargo run --example ch06_cancel`: the lines the tasks print, then the trace.

use std::time::Duration;

use steploop::{current_task, get_running_loop, sleep, Error, EventLoop};

fn say(line: impl std::fmt::Display) {
    get_running_loop().expect("inside the loop").print(line);
}

// ANCHOR: workers
async fn worker(seconds: u64) -> Result<u64, Error> {
    sleep(Duration::from_secs(seconds)).await?; // `?`: a cancellation ends the task here
    say(format!("worker({seconds}) done"));
    Ok(seconds)
}

async fn careful_worker(seconds: u64) -> Result<u64, Error> {
    match sleep(Duration::from_secs(seconds)).await {
        Ok(()) => Ok(seconds),
        Err(error) if error.is_cancelled() => {
            say(format!(
                "careful_worker({seconds}) cancelled: cleaning up, finishing normally"
            ));
            Ok(0)
        }
        Err(error) => Err(error),
    }
}
// ANCHOR_END: workers

// ANCHOR: main_coro
async fn main_coro() -> Result<(), Error> {
    let lp = get_running_loop().expect("inside the loop");
    let one = lp.create_task(worker(1));
    let two = lp.create_task(worker(2));
    let three = lp.create_task(careful_worker(3));
    sleep(Duration::from_millis(1500)).await?;

    let me = current_task().expect("main runs as a task").name();
    for task in lp.all_tasks() {
        if task.name() != me {
            say(format!("cancel {} -> {}", task.name(), task.cancel()));
        }
    }
    // Done at t=1, so not in all_tasks(): cancelling a task that is done does nothing.
    say(format!("cancel {} (done) -> {}", one.name(), one.cancel()));

    say(format!("{}: {:?}", one.name(), one.await));
    say(format!("{}: {:?}", two.name(), two.clone().await));
    say(format!("{}: {:?}", three.name(), three.await));
    say(format!("{} cancelled: {}", two.name(), two.cancelled()));
    Ok(())
}
// ANCHOR_END: main_coro

/// Runs the example on `lp`.
pub fn run(lp: &EventLoop) -> Result<(), Error> {
    steploop::run_with(lp, main_coro())
}

pub fn main() {
    let lp = EventLoop::with_virtual_clock();
    lp.set_trace(true);
    run(&lp).expect("main finishes");
    println!("\nWhat the loop did:\n\n{}", lp.take_trace());
}
