//! Chapter 9: `as_completed` yields each future as soon as it is done: fastest first.

use std::thread;
use std::time::Duration;

use steploop::executor::{as_completed, ThreadPoolExecutor};
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
    // ANCHOR: as_completed
    let executor = ThreadPoolExecutor::default();
    let jobs = [
        ("椎名真白", 16, 5),
        ("古明地觉", 16, 2),
        ("古明地恋", 15, 4),
        ("坂上智代", 19, 3),
        ("春日野穹", 16, 6),
    ];
    let futures = jobs
        .into_iter()
        .map(|(name, age, n)| executor.submit(move || task(name, age, n)))
        .collect::<Result<Vec<_>, Error>>()?;

    // No timeout: every item is Ok(future).
    for future in as_completed(&futures, None) {
        println!("{}", future?.result()?);
    }
    // ANCHOR_END: as_completed
    Ok(())
}
