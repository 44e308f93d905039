//! Chapter 7, exercise 1: stage 7's five jobs under `gather`, with `job(4)` failing. The
//! gather fails at t=4 with that error, and cancels nothing: the jobs of 5 and 6 seconds run
//! on. Run it with `cargo run --example ch07_gather_fails`.

use std::cell::RefCell;
use std::time::Duration;

use stage07::{gather, get_running_loop, sleep, Error, EventLoop, Task};

thread_local! {
    /// What the tasks printed, line by line.
    static LOG: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Prints a line with the tick, the loop time, and who prints it, and keeps it.
fn say(who: &str, what: &str) {
    let lp = get_running_loop().expect("coroutines run inside the loop");
    let t = lp.time().as_secs_f64();
    let line = format!("tick {}  t={t:.3}  {who}: {what}", lp.tick());
    println!("{line}");
    LOG.with_borrow_mut(|log| log.push(line));
}

// ANCHOR: solution
/// A job that takes `seconds`, and returns them; `job(4)` fails instead.
async fn job(seconds: u64) -> Result<u64, Error> {
    sleep(Duration::from_secs(seconds)).await?;
    if seconds == 4 {
        say("job(4)", "fails");
        return Err(Error::Exception("job(4) failed".into()));
    }
    say(&format!("job({seconds})"), "done");
    Ok(seconds)
}

/// `main` keeps the jobs, to run the loop on after `gather` has failed.
async fn main_gather(jobs: Vec<Task<u64>>) -> Result<(), Error> {
    let outcome = gather(jobs).await; // no `?`: the error is what we want to see
    say("main", &format!("gather returned {outcome:?}"));
    Ok(())
}

fn run() -> Vec<String> {
    LOG.with_borrow_mut(Vec::clear);
    let lp = EventLoop::with_virtual_clock();
    let jobs = [5, 2, 4, 3, 6].map(|seconds| lp.create_task("job", job(seconds)));
    let main_task = lp.create_task("main", main_gather(jobs.to_vec()));
    lp.run_until_complete(&main_task).expect("main() finishes");
    // `main` is done at t=4; the jobs it no longer waits for are still pending. Run the loop
    // until the last of them is done too.
    lp.run_until_complete(&jobs[4]).expect("job(6) finishes");
    LOG.with_borrow_mut(std::mem::take)
}
// ANCHOR_END: solution

fn main() {
    run();
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_gather_fails_at_t4_and_the_slower_jobs_run_on() {
        assert_eq!(
            super::run(),
            [
                "tick 3  t=2.000  job(2): done",
                "tick 6  t=3.000  job(3): done",
                "tick 9  t=4.000  job(4): fails",
                "tick 11  t=4.000  main: gather returned Err(Exception(\"job(4) failed\"))",
                "tick 14  t=5.000  job(5): done",
                "tick 17  t=6.000  job(6): done",
            ]
        );
    }
}
