//! Chapter 9: the caveat of seed 002. A job that waits for another job of the same pool waits
//! forever when the pool is full: the job it waits for needs the worker it is sitting on.

use std::sync::{mpsc, Arc};
use std::time::Duration;

use steploop::executor::ThreadPoolExecutor;
use steploop::Error;

pub fn main() {
    run().expect("the executor is running");
}

fn run() -> Result<(), Error> {
    // ANCHOR: deadlock
    // One worker: while the outer job runs, the pool is full.
    let executor = Arc::new(ThreadPoolExecutor::new(1));
    let pool = Arc::clone(&executor);
    let (send_inner, inner) = mpsc::channel();

    let outer = executor.submit_fallible(move || {
        let inner = pool.submit(|| "the inner job's result")?; // queued behind this very job
        send_inner.send(inner.clone()).expect("main is listening");
        // Python's inner.result() would block forever here; we give up after 0.3 s.
        inner.result_timeout(Duration::from_millis(300))
    })?;

    match outer.result() {
        Ok(value) => println!("outer job: {value}"),
        Err(error) => println!("outer job failed: {error}"),
    }
    // Once the outer job gave up, the worker was free to run the inner one.
    let inner = inner.recv().expect("the outer job sends the inner future");
    println!("inner job: {}", inner.result()?);
    // ANCHOR_END: deadlock
    Ok(())
}
