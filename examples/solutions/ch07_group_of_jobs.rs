//! Chapter 7, exercise 4: seed 001's five jobs in a `task_group`, the job of four seconds
//! failing, against exercise 1's `gather`. The group cancels the jobs still running and
//! reports the failure when they are gone. Run it with `cargo run --example ch07_group_of_jobs`.

use std::cell::RefCell;
use std::time::Duration;

use steploop::{get_running_loop, sleep, task_group, Error, EventLoop, Task};

/// Loop time as the chapter's programs print it.
fn now() -> String {
    let lp = get_running_loop().expect("inside the loop");
    format!("t={:.3}", lp.time().as_secs_f64())
}

// ANCHOR: solution
/// A job that takes `seconds`, and returns them; `job(4)` fails instead.
async fn job(seconds: u64) -> Result<u64, Error> {
    sleep(Duration::from_secs(seconds)).await?;
    if seconds == 4 {
        return Err(Error::msg("job(4) failed"));
    }
    Ok(seconds)
}

/// The five jobs in a group; returns what the group returned, when, and each job's outcome.
async fn group_of_jobs() -> Result<Vec<String>, Error> {
    let jobs: &RefCell<Vec<Task<u64>>> = &RefCell::new(Vec::new());
    let outcome = task_group(|tg| async move {
        for seconds in [5, 2, 4, 3, 6] {
            jobs.borrow_mut().push(tg.create_task(job(seconds))?);
        }
        Ok(())
    })
    .await;
    let mut lines = vec![format!("the group returned at {}: {outcome:?}", now())];
    for (seconds, task) in [5, 2, 4, 3, 6].into_iter().zip(jobs.borrow().iter()) {
        let ended = if task.cancelled() {
            "cancelled".to_string()
        } else {
            format!("{:?}", task.result())
        };
        lines.push(format!("job({seconds}): {ended}"));
    }
    Ok(lines)
}
// ANCHOR_END: solution

fn run() -> Vec<String> {
    let lp = EventLoop::with_virtual_clock();
    let lines = steploop::run_with(&lp, group_of_jobs()).expect("main() finishes");
    for line in &lines {
        println!("{line}");
    }
    lines
}

fn main() {
    run();
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_group_ends_at_t4_with_the_failure_and_the_slower_jobs_cancelled() {
        let lines = super::run();
        assert!(
            lines[0].starts_with("the group returned at t=4.000: Err("),
            "{lines:?}"
        );
        assert!(lines[0].ends_with("job(4) failed)"), "{lines:?}");
        assert_eq!(
            lines[1..],
            [
                "job(5): cancelled",
                "job(2): Ok(2)",
                "job(4): Err(Other(\"job(4) failed\"))",
                "job(3): Ok(3)",
                "job(6): cancelled",
            ]
        );
    }
}
