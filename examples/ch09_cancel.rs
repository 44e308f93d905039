//! Chapter 9: `cancel` succeeds only for a job that no worker has started.
//!
//! The seed cancels with `max_workers=2` and some luck: its third job is still queued when
//! `cancel` comes, because the first two take longer than the moment in between. On a busy
//! machine a moment can take long, so here the first two jobs wait at a barrier until `main`
//! has cancelled: whatever the machine's speed, no worker is free before then.

use std::sync::{mpsc, Arc, Barrier};
use std::thread;
use std::time::Duration;

use steploop::executor::ThreadPoolExecutor;
use steploop::Error;

/// The seeds' `task`, sleeping `n` tenths of a second.
fn task(name: &str, age: u32, n: u64) -> String {
    thread::sleep(Duration::from_millis(100 * n));
    format!("name is {name}, age is {age}, sleep 0.{n}s")
}

pub fn main() {
    run().expect("the executor is running");
}

fn run() -> Result<(), Error> {
    // ANCHOR: running
    let executor = ThreadPoolExecutor::default();
    let future1 = executor.submit(|| task("椎名真白", 16, 5))?;
    let future2 = executor.submit(|| task("古明地觉", 16, 2))?;
    let (started, job_started) = mpsc::channel();
    let future3 = executor.submit(move || {
        started.send(()).expect("main is listening");
        task("古明地恋", 15, 4)
    })?;
    job_started
        .recv()
        .expect("the third job says when it starts");

    println!("future3.cancel() = {}", future3.cancel()); // too late: it is running
                                                         // ANCHOR_END: running
    for future in [future1, future2, future3] {
        println!("{}", future.result()?);
    }

    // ANCHOR: pending
    // At most two jobs at a time: the third waits in the queue until a worker is free.
    let executor = ThreadPoolExecutor::new(2);
    let gate = Arc::new(Barrier::new(3)); // the first two jobs, and main
    let held = |name: &'static str, age, n| {
        let gate = gate.clone();
        move || {
            gate.wait(); // keeps its worker until main has cancelled
            task(name, age, n)
        }
    };
    let future1 = executor.submit(held("椎名真白", 16, 5))?;
    let future2 = executor.submit(held("古明地觉", 16, 2))?;
    let future3 = executor.submit(|| task("古明地恋", 15, 4))?;

    println!("future3.cancel() = {}", future3.cancel()); // it never starts
    gate.wait(); // the first two go on
    println!("{}", future1.result()?);
    println!("{}", future2.result()?);
    println!("{future3:?}: {:?}", future3.result());
    // ANCHOR_END: pending
    Ok(())
}
