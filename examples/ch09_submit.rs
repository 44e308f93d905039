//! Chapter 9: `submit` a job, print the future's state, block on `result()`, and add a
//! done-callback to a future that is already finished.

use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use steploop::executor::ThreadPoolExecutor;
use steploop::Error;

// ANCHOR: task
/// The seeds' `task(name, age, n)`, sleeping `n` tenths of a second where the seeds sleep `n`
/// seconds.
fn task(name: &str, age: u32, n: u64) -> String {
    thread::sleep(Duration::from_millis(100 * n));
    format!("name is {name}, age is {age}, sleep 0.{n}s")
}
// ANCHOR_END: task

pub fn main() {
    run().expect("the executor is running");
}

fn run() -> Result<(), Error> {
    let start = Instant::now();
    // ANCHOR: submit
    let executor = ThreadPoolExecutor::default();
    let (started, job_started) = mpsc::channel();
    let future = executor.submit(move || {
        started.send(()).expect("main is listening");
        task("古明地觉", 16, 3)
    })?;
    // Python prints at once and hopes the thread has started; we wait for the job to say so.
    job_started.recv().expect("the job says when it starts");
    println!("{future:?}");
    // ANCHOR_END: submit

    // ANCHOR: result
    println!("{}", future.result()?); // blocks until the job is done
    println!("{future:?}");
    // ANCHOR_END: result
    eprintln!(
        "result() returned {:.2} s after submit",
        start.elapsed().as_secs_f64()
    );

    // ANCHOR: callback
    future.add_done_callback(|future| println!("callback: {}", future.result().unwrap()));
    // ANCHOR_END: callback
    Ok(())
}
