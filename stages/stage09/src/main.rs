// ANCHOR: future
//! Chapter 9's program: seed 001's concurrent future on its own; its five jobs on a pool,
//! their results read in the order they were submitted; a job cancelled while it waits in the
//! queue; a job that panics. Run it with `cargo run -p stage09`.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use stage09::{ConcurrentFuture, Error, ThreadPoolExecutor};

/// The future on its own: a callback added before the result is set, and one added after.
fn future_alone() -> Result<(), Error> {
    let future = ConcurrentFuture::new();
    future.add_done_callback(|future| {
        println!(
            "callback: set_result ran me, the result is {:?}",
            future.result()
        );
    });
    println!("set_result(\"some value\")");
    future.set_result("some value")?;
    future.add_done_callback(|_| println!("callback: added late, I run at once"));
    Ok(())
}
// ANCHOR_END: future

// ANCHOR: jobs
/// The seed's `task(name, age, n)`, sleeping `n` tenths of a second where the seed sleeps
/// `n` seconds.
fn task(name: &str, age: u32, n: u64) -> String {
    thread::sleep(Duration::from_millis(100 * n));
    format!("name is {name}, age is {age}, sleep 0.{n}s")
}

/// Five jobs at once, their results read in the order they were submitted.
fn five_jobs() -> Result<(), Error> {
    let executor = ThreadPoolExecutor::new(5);
    let jobs = [
        ("椎名真白", 16, 5),
        ("古明地觉", 16, 2),
        ("古明地恋", 15, 4),
    ];
    let jobs = jobs
        .into_iter()
        .chain([("坂上智代", 19, 3), ("春日野穹", 16, 6)]);
    let mut futures = Vec::new();
    for (name, age, n) in jobs {
        futures.push(executor.submit(move || task(name, age, n))?);
    }
    for future in &futures {
        println!("{}", future.result()?); // blocks until this job is done
    }
    Ok(())
}
// ANCHOR_END: jobs

// ANCHOR: cancel
/// One worker, busy with a job that waits for a word from `main`; a second job waits in
/// the queue, and can still be cancelled.
fn cancel_queued() -> Result<(), Error> {
    let executor = ThreadPoolExecutor::new(1);
    let (started, job_started) = mpsc::channel();
    let (release, released) = mpsc::channel::<()>();
    let first = executor.submit(move || {
        started.send(()).expect("main listens");
        released.recv().expect("main releases the job");
        "first job done"
    })?;
    let second = executor.submit(|| "second job done")?;
    job_started.recv().expect("the first job starts");
    println!("first.running() = {}", first.running());
    println!("second.running() = {}", second.running());
    println!("first.cancel() = {}", first.cancel());
    println!("second.cancel() = {}", second.cancel());
    release.send(()).expect("the job listens");
    println!("first.result() = {:?}", first.result());
    println!("second.result() = {:?}", second.result());
    Ok(())
}

/// A job that panics fails alone: its worker takes the next job.
fn panicking_job() -> Result<(), Error> {
    let executor = ThreadPoolExecutor::new(1);
    let bad = executor.submit(|| -> u64 { panic!("division by zero") })?;
    let good = executor.submit(|| 6 * 7)?;
    println!("bad.result() = {:?}", bad.result());
    println!("good.result() = {:?}", good.result());
    Ok(())
}

pub fn main() {
    let parts = [future_alone, five_jobs, cancel_queued, panicking_job];
    for (i, part) in parts.into_iter().enumerate() {
        if i > 0 {
            println!();
        }
        part().expect("the pool takes the jobs");
    }
}
// ANCHOR_END: cancel
