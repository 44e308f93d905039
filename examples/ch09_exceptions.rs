//! Chapter 9: a job that fails stores its error in its future, where `exception()` and
//! `result()` find it; the worker goes on serving.

use steploop::executor::ThreadPoolExecutor;
use steploop::Error;

// ANCHOR: tasks
fn divide(a: i32, b: i32) -> i32 {
    a / b // panics with "attempt to divide by zero" when b is 0, as Python raises
}

fn task1() -> i32 {
    divide(1, 0)
}

fn task2() {}

/// The Rust way to fail on purpose: return an `Err`, like `raise ZeroDivisionError(...)`.
fn task3() -> Result<i32, Error> {
    1_i32
        .checked_div(0)
        .ok_or_else(|| Error::msg("division by zero"))
}
// ANCHOR_END: tasks

/// What Python's `print(future.exception())` shows: the error's message, or `None`.
fn show(exception: Option<Error>) -> String {
    exception.map_or_else(|| "None".to_string(), |error| error.to_string())
}

pub fn main() {
    run().expect("the executor is running");
}

fn run() -> Result<(), Error> {
    // ANCHOR: exception
    let executor = ThreadPoolExecutor::new(2);
    let future1 = executor.submit(task1)?;
    let future2 = executor.submit(task2)?;
    let future3 = executor.submit_fallible(task3)?;

    println!("{}", show(future1.exception()?));
    println!("{}", show(future2.exception()?));
    println!("{}", show(future3.exception()?));

    // Or: result() returns the error.
    match future1.result() {
        Ok(value) => println!("{value}"),
        Err(error) => println!("{error}"),
    }
    // ANCHOR_END: exception

    // ANCHOR: alive
    // The worker that ran task1 caught its panic and lives on.
    let future4 = executor.submit(|| divide(6, 3))?;
    println!("6 / 3 = {}", future4.result()?);
    // ANCHOR_END: alive
    Ok(())
}
