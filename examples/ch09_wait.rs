//! Chapter 9: `wait` blocks until all, the first, or the first failing future is done.

use std::thread;
use std::time::Duration;

use steploop::executor::{wait, ReturnWhen, ThreadPoolExecutor};
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
    // ANCHOR: all_completed
    let executor = ThreadPoolExecutor::default();
    let future1 = executor.submit(|| task("椎名真白", 16, 5))?;
    let future2 = executor.submit(|| task("古明地觉", 16, 2))?;
    let future3 = executor.submit(|| task("古明地恋", 15, 4))?;
    println!("123"); // submit does not block

    let fs = wait(
        [&future1, &future2, &future3],
        None,
        ReturnWhen::AllCompleted,
    );
    println!("{:?}", fs.done);
    println!("{:?}", fs.not_done);
    for future in &fs.done {
        println!("{}", future.result()?);
    }
    // ANCHOR_END: all_completed

    // ANCHOR: first_completed
    let futures = [5, 2, 4].map(|n| executor.submit(move || task("古明地觉", 16, n)));
    let futures = futures.into_iter().collect::<Result<Vec<_>, Error>>()?;
    let fs = wait(&futures, None, ReturnWhen::FirstCompleted);
    println!("done: {:?}", fs.done);
    println!("not done: {:?}", fs.not_done);
    // ANCHOR_END: first_completed

    // ANCHOR: first_exception
    let slow = executor.submit_fallible(|| Ok::<_, Error>(task("坂上智代", 19, 3)))?;
    let failing = executor.submit_fallible(|| {
        thread::sleep(Duration::from_millis(100));
        Err::<String, _>(Error::msg("Something wrong!"))
    })?;
    let fs = wait([&slow, &failing], None, ReturnWhen::FirstException);
    println!("done: {:?}", fs.done);
    println!("not done: {:?}", fs.not_done);
    // ANCHOR_END: first_exception
    Ok(())
}
