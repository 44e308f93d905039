//! Chapter 10, exercise 2: a job under a deadline on stage 10. `wait_for` gives up on a job
//! that runs too long, but cannot stop its thread; a job still queued, cancelled through its
//! loop future, never runs. Run it with `cargo run --example ch10_deadline`.

use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use stage10::{get_running_loop, sleep, wait_for, Error, EventLoop, ThreadPoolExecutor};

// ANCHOR: solution
/// A slow job under a deadline of 0.1 s, and a job queued behind it, cancelled. Returns what
/// `wait_for` returned, and after how long.
async fn deadline(
    pool: Rc<ThreadPoolExecutor>,
    slow_job_finished: Arc<AtomicBool>,
    queued_job_ran: Arc<AtomicBool>,
) -> Result<(Result<&'static str, Error>, Duration), Error> {
    let lp = get_running_loop().expect("inside the loop");
    let slow = lp.run_in_executor(&pool, move || {
        thread::sleep(Duration::from_millis(500)); // nothing can stop this thread meanwhile
        slow_job_finished.store(true, Ordering::SeqCst);
        "slow job done"
    });
    let queued = lp.run_in_executor(&pool, move || queued_job_ran.store(true, Ordering::SeqCst));
    // `wait_for` takes a task: one that awaits the job's loop future.
    let start = Instant::now();
    let outcome = wait_for(lp.create_task("slow", slow), Duration::from_millis(100)).await;
    let waited = start.elapsed();
    // Still in the pool's queue, behind the slow job. The loop future's done-callback
    // cancels the concurrent future a tick later: let that tick come.
    queued.cancel();
    sleep(Duration::ZERO).await?;
    Ok((outcome, waited))
}
// ANCHOR_END: solution

/// What happened: `wait_for`'s outcome and how long it took, whether the slow job went on to
/// its end, and whether the queued job ran.
struct Deadline {
    outcome: Result<&'static str, Error>,
    waited: Duration,
    slow_job_finished: bool,
    queued_job_ran: bool,
}

fn run() -> Deadline {
    let pool = Rc::new(ThreadPoolExecutor::new(1));
    let (finished, ran) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let lp = EventLoop::new();
    let main_task = lp.create_task(
        "main",
        deadline(pool.clone(), finished.clone(), ran.clone()),
    );
    let (outcome, waited) = lp.run_until_complete(&main_task).expect("main() finishes");
    drop(pool); // shutdown(wait), outside the loop: the slow job ends, the cancelled one is skipped
    Deadline {
        outcome,
        waited,
        slow_job_finished: finished.load(Ordering::SeqCst),
        queued_job_ran: ran.load(Ordering::SeqCst),
    }
}

fn main() {
    let d = run();
    println!(
        "wait_for returned {:?} after {:.2} s",
        d.outcome,
        d.waited.as_secs_f64()
    );
    println!(
        "the slow job ran to its end anyway: {}",
        d.slow_job_finished
    );
    println!("the queued job, cancelled, ran: {}", d.queued_job_ran);
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_deadline_passes_the_running_job_finishes_the_queued_one_never_runs() {
        let d = super::run();
        assert_eq!(d.outcome, Err(stage10::Error::Timeout));
        // At least the deadline; how much more depends on the machine, and is not checked.
        assert!(
            d.waited >= std::time::Duration::from_millis(100),
            "{:?}",
            d.waited
        );
        assert!(d.slow_job_finished);
        assert!(!d.queued_job_ran);
    }
}
