//! Chapter 9: `cancel` succeeds only for a job that no worker has started.

use std::sync::mpsc;
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
    let future1 = executor.submit(|| task("椎名真白", 16, 5))?;
    let future2 = executor.submit(|| task("古明地觉", 16, 2))?;
    let future3 = executor.submit(|| task("古明地恋", 15, 4))?;

    println!("future3.cancel() = {}", future3.cancel()); // it never starts
    println!("{}", future1.result()?);
    println!("{}", future2.result()?);
    println!("{future3:?}: {:?}", future3.result());
    // ANCHOR_END: pending
    Ok(())
}
