//! Chapter 10: seed 001's `count(n)` jobs on the loop — `run_in_executor` with `gather`, then
//! with `as_completed`, then `wrap_future` on a future from `submit`. Run it with
//! `cargo run --example ch10_count`.
//!
//! The pool has two workers: the big count takes one, and the small ones run one after
//! another on the other, so their order is the same on every run.

use std::hint::black_box;
use std::rc::Rc;

use steploop::executor::ConcurrentFuture;
use steploop::{as_completed, gather, get_running_loop, run, wrap_future, Error};
use steploop::{Future, ThreadPoolExecutor};

// ANCHOR: count
fn count(to: u64) -> u64 {
    let mut counter = 0;
    while counter < to {
        counter = black_box(counter + 1);
    }
    counter
}
// ANCHOR_END: count

// ANCHOR: gather
async fn with_gather(executor: Rc<ThreadPoolExecutor>) -> Result<(), Error> {
    let lp = get_running_loop().expect("runs on the loop");
    let numbers = [1, 3, 5, 22, 100_000_000];
    let tasks: Vec<Future<u64>> = numbers
        .iter()
        .map(|&n| lp.run_in_executor(Some(&executor), move || count(n)))
        .collect();
    let results = gather(tasks)?.await?;
    println!("{results:?}");
    Ok(())
}
// ANCHOR_END: gather

// ANCHOR: as_completed
async fn with_as_completed(executor: Rc<ThreadPoolExecutor>) -> Result<(), Error> {
    let lp = get_running_loop().expect("runs on the loop");
    let numbers = [100_000_000, 1, 3, 5, 22];
    let tasks: Vec<Future<u64>> = numbers
        .iter()
        .map(|&n| lp.run_in_executor(Some(&executor), move || count(n)))
        .collect();
    let mut results = as_completed(tasks, None)?;
    while let Some(result) = results.next().await {
        println!("{}", result?);
    }
    Ok(())
}
// ANCHOR_END: as_completed

// ANCHOR: wrap_future
async fn with_wrap_future(executor: Rc<ThreadPoolExecutor>) -> Result<(), Error> {
    // Submitting gives a concurrent future: it cannot be awaited as it is.
    let future: ConcurrentFuture<u64> = executor.submit(|| count(100_000_000))?;
    // Wrapped, it becomes a loop future.
    let future2: Future<u64> = wrap_future(future.clone())?;
    println!("{}", future2.clone().await?);
    println!("{}", future2.result()?);
    println!("{}", future.result()?);
    Ok(())
}
// ANCHOR_END: wrap_future

pub fn main() {
    let executor = Rc::new(ThreadPoolExecutor::new(2));
    println!("gather:");
    run(with_gather(executor.clone())).expect("counting cannot fail");
    println!("as_completed:");
    run(with_as_completed(executor.clone())).expect("counting cannot fail");
    println!("wrap_future:");
    run(with_wrap_future(executor)).expect("counting cannot fail");
}
