// ANCHOR: jobs
//! Chapter 10's program: three jobs on a pool of one worker while a task sleeps, on the
//! virtual clock; a job that waits for the loop, which goes on meanwhile. Run it with
//! `cargo run -p stage10`.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use stage10::{gather, get_running_loop, sleep, Error, EventLoop, ThreadPoolExecutor};

/// Prints a line with the loop time and who prints it. (No tick: when a job's result arrives
/// between two ticks depends on the threads, and so would the tick that takes it in.)
fn say(who: &str, what: &str) {
    let lp = get_running_loop().expect("inside the loop");
    println!("t={:.3}  {who}: {what}", lp.time().as_secs_f64());
}

/// A blocking job: it keeps its thread busy for a tenth of a second, and returns `n * n`.
fn square(n: u64) -> u64 {
    thread::sleep(Duration::from_millis(100));
    n * n
}

async fn sleeper() -> Result<u64, Error> {
    sleep(Duration::from_secs(1)).await?;
    say("sleeper", "slept 1 s");
    Ok(0)
}

/// Three jobs on one worker, which runs them in the order given; a done-callback on each
/// loop future says when the loop hears of it.
async fn three_jobs() -> Result<(), Error> {
    let lp = get_running_loop().expect("inside the loop");
    let sleeping = lp.create_task("sleeper", sleeper());
    let pool = ThreadPoolExecutor::new(1);
    let mut jobs = Vec::new();
    for n in 1..=3 {
        let job = lp.run_in_executor(&pool, move || square(n));
        job.add_done_callback(move |job| {
            say("loop", &format!("job {n} is done: {:?}", job.result()))
        });
        jobs.push(lp.create_task("job", job));
    }
    let squares = gather(jobs).await?;
    say("main", &format!("gather returned {squares:?}"));
    sleeping.await?;
    Ok(())
}
// ANCHOR_END: jobs

// ANCHOR: waits
/// A job that waits until the loop tells it to go on: if the loop were blocked while the job
/// runs, neither would ever move.
async fn job_waits_for_the_loop() -> Result<(), Error> {
    let lp = get_running_loop().expect("inside the loop");
    let pool = ThreadPoolExecutor::new(1);
    let (go, wait_for_go) = mpsc::channel::<()>();
    let job = lp.run_in_executor(&pool, move || {
        wait_for_go.recv().expect("the loop says go");
        "the loop said go"
    });
    lp.call_soon(move |_: &EventLoop| {
        println!("callback: the loop runs me while the job waits; I say go");
        go.send(()).expect("the job listens");
    });
    println!("main: run_in_executor returned {:?}", job.await?);
    Ok(())
}

pub fn main() {
    let lp = EventLoop::with_virtual_clock();
    let main_task = lp.create_task("main", three_jobs());
    lp.run_until_complete(&main_task).expect("main() finishes");
    println!();
    let lp = EventLoop::new();
    let main_task = lp.create_task("main", job_waits_for_the_loop());
    lp.run_until_complete(&main_task).expect("main() finishes");
}
// ANCHOR_END: waits
