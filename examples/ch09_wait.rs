//! Chapter 9: `wait` blocks until all, the first, or the first failing future is done.
//!
//! The seeds' jobs sleep, and the shortest sleep ends first on an idle machine. On a busy one a
//! thread can wake late, so where what `wait` returns depends on which job ends first, the
//! slower jobs are also *held*: they meet `main` at a barrier as they start and again after
//! `main` has printed. The output is then the same on every machine, and the jobs still run
//! on real threads.

use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use steploop::executor::{wait, ReturnWhen, ThreadPoolExecutor};
use steploop::Error;

/// The seeds' `task`, sleeping `n` tenths of a second.
fn task(name: &str, age: u32, n: u64) -> String {
    thread::sleep(Duration::from_millis(100 * n));
    format!("name is {name}, age is {age}, sleep 0.{n}s")
}

/// What a held job does first: meets `main` at `gate` to say it is running, then again when
/// `main` lets it go on (a `Barrier` may be met any number of times).
fn hold(gate: &Barrier) {
    gate.wait();
    gate.wait();
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
    let gate = Arc::new(Barrier::new(3)); // the 0.5 s and 0.4 s jobs, and main
    let futures = [5, 2, 4].map(|n| {
        let gate = gate.clone();
        executor.submit(move || {
            if n != 2 {
                hold(&gate);
            }
            task("古明地觉", 16, n)
        })
    });
    let futures = futures.into_iter().collect::<Result<Vec<_>, Error>>()?;
    gate.wait(); // both held jobs are running
    let fs = wait(&futures, None, ReturnWhen::FirstCompleted);
    println!("done: {:?}", fs.done);
    println!("not done: {:?}", fs.not_done);
    // Now the held jobs may go on.
    gate.wait();
    // ANCHOR_END: first_completed

    // ANCHOR: first_exception
    let gate = Arc::new(Barrier::new(2)); // the slow job and main
    let held = gate.clone();
    let slow = executor.submit_fallible(move || {
        hold(&held);
        Ok::<_, Error>(task("坂上智代", 19, 3))
    })?;
    let failing = executor.submit_fallible(|| {
        thread::sleep(Duration::from_millis(100));
        Err::<String, _>(Error::msg("Something wrong!"))
    })?;
    gate.wait(); // the slow job is running
    let fs = wait([&slow, &failing], None, ReturnWhen::FirstException);
    println!("done: {:?}", fs.done);
    println!("not done: {:?}", fs.not_done);
    // Now the slow job may go on.
    gate.wait();
    // ANCHOR_END: first_exception
    Ok(())
}
