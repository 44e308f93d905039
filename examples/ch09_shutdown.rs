//! Chapter 9: ending an executor. Dropping it is Python's `with` block; `shutdown` says what
//! happens to the jobs that have not run yet.

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
    // ANCHOR: with
    let (future1, future2, future3);
    {
        // with ThreadPoolExecutor() as executor:
        let executor = ThreadPoolExecutor::default();
        future1 = executor.submit(|| task("椎名真白", 16, 5))?;
        future2 = executor.submit(|| task("古明地觉", 16, 2))?;
        future3 = executor.submit(|| task("古明地恋", 15, 4))?;
    } // the executor is dropped here: that waits for all three jobs

    println!("{}", future1.result()?);
    println!("{}", future2.result()?);
    println!("{}", future3.result()?);
    println!("123");
    // ANCHOR_END: with

    // ANCHOR: shutdown
    let executor = ThreadPoolExecutor::default();
    let future1 = executor.submit(|| task("椎名真白", 16, 5))?;
    let future2 = executor.submit(|| task("古明地觉", 16, 2))?;
    executor.shutdown(true, false); // wait = true, cancel_futures = false
    println!("{future1:?} {future2:?}");

    match executor.submit(|| task("古明地恋", 15, 4)) {
        Ok(_) => println!("submitted"),
        Err(error) => println!("{error}"),
    }
    // ANCHOR_END: shutdown

    // ANCHOR: cancel_futures
    let executor = ThreadPoolExecutor::new(1);
    let (started, job_started) = mpsc::channel();
    let future1 = executor.submit(move || {
        started.send(()).expect("main is listening");
        task("椎名真白", 16, 3)
    })?;
    let future2 = executor.submit(|| task("古明地觉", 16, 2))?;
    let future3 = executor.submit(|| task("古明地恋", 15, 4))?;
    job_started
        .recv()
        .expect("the first job says when it starts");

    // The first job runs on; the two waiting in the queue are cancelled.
    executor.shutdown(true, true);
    println!("{future1:?}");
    println!("{future2:?}");
    println!("{future3:?}");
    // ANCHOR_END: cancel_futures
    Ok(())
}
