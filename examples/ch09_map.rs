//! Chapter 9: `map` submits a job per item and yields the results in the order of the items.

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
    // ANCHOR: map
    let executor = ThreadPoolExecutor::default();
    let names = ["椎名真白", "古明地觉", "古明地恋", "坂上智代", "春日野穹"];
    let ages = [16, 16, 15, 19, 16];
    let tenths = [5, 2, 4, 3, 6];
    // Python's map takes one iterable per argument; here one iterable of argument tuples.
    let jobs = names.into_iter().zip(ages).zip(tenths);

    let results = executor.map(|((name, age), n)| task(name, age, n), jobs.clone())?;
    for result in results {
        println!("{}", result?);
    }
    // ANCHOR_END: map

    // ANCHOR: collect
    // Python's list(results): wait for every result, 0.6 s for the slowest.
    let all: Vec<String> = executor
        .map(|((name, age), n)| task(name, age, n), jobs)?
        .collect::<Result<_, _>>()?;
    println!("{all:#?}");
    // ANCHOR_END: collect
    Ok(())
}
