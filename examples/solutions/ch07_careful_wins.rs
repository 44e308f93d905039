//! Chapter 7, exercise 2: stage 7's deadline, with a careful job that returns a value after
//! its clean-up instead of its cancellation. `wait_for` returns that value, once the job is
//! done. Run it with `cargo run --example ch07_careful_wins`.

use std::cell::RefCell;
use std::time::Duration;

use stage07::{get_running_loop, sleep, wait_for, Error, EventLoop};

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
/// Needs three seconds; when cancelled, cleans up for half a second and returns a value.
async fn careful_job() -> Result<&'static str, Error> {
    match sleep(Duration::from_secs(3)).await {
        Err(Error::Cancelled) => {
            say("careful_job", "cancelled: cleaning up");
            sleep(Duration::from_millis(500)).await?;
            say("careful_job", "clean");
            Ok("cleaned up") // was Err(Error::Cancelled)
        }
        slept => slept.map(|()| "finished"),
    }
}
// ANCHOR_END: solution

async fn main_wait_for() -> Result<(), Error> {
    let lp = get_running_loop().expect("inside the loop");
    let task = lp.create_task("careful_job", careful_job());
    let outcome = wait_for(task, Duration::from_secs(1)).await;
    say("main", &format!("wait_for returned {outcome:?}"));
    Ok(())
}

fn run() -> Vec<String> {
    LOG.with_borrow_mut(Vec::clear);
    let lp = EventLoop::with_virtual_clock();
    let main_task = lp.create_task("main", main_wait_for());
    lp.run_until_complete(&main_task).expect("main() finishes");
    LOG.with_borrow_mut(std::mem::take)
}

fn main() {
    run();
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_value_wins_over_the_deadline_at_t1_5() {
        assert_eq!(
            super::run(),
            [
                "tick 5  t=1.000  careful_job: cancelled: cleaning up",
                "tick 7  t=1.500  careful_job: clean",
                "tick 9  t=1.500  main: wait_for returned Ok(\"cleaned up\")",
            ]
        );
    }
}
