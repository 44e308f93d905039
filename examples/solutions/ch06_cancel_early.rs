//! Chapter 6, exercise 2: stage 6's `cancel_all` with the cancellations at t=0.5, before any
//! worker is done. Run it with `cargo run --example ch06_cancel_early`.

use std::cell::RefCell;
use std::time::Duration;

use stage06::{get_running_loop, sleep, Error, EventLoop};

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

async fn worker(name: &'static str, seconds: u64) -> Result<u64, Error> {
    sleep(Duration::from_secs(seconds)).await?;
    say(name, "done");
    Ok(seconds)
}

async fn careful_worker(name: &'static str, seconds: u64) -> Result<u64, Error> {
    match sleep(Duration::from_secs(seconds)).await {
        Err(Error::Cancelled) => {
            say(name, "cancelled: cleaning up");
            sleep(Duration::from_millis(500)).await?;
            Ok(0)
        }
        slept => slept.map(|()| seconds),
    }
}

// ANCHOR: solution
async fn cancel_all() -> Result<(), Error> {
    let lp = get_running_loop().expect("inside the loop");
    let tasks = [
        lp.create_task("worker1", worker("worker1", 1)),
        lp.create_task("worker2", worker("worker2", 2)),
        lp.create_task("careful3", careful_worker("careful3", 3)),
    ];
    sleep(Duration::from_millis(500)).await?; // was 1500: now nobody is done yet
    for task in &tasks {
        say(
            "main",
            &format!("{}.cancel() -> {}", task.name(), task.cancel()),
        );
    }
    for task in tasks {
        let name = task.name().to_string();
        say("main", &format!("{name} ended with {:?}", task.await));
    }
    Ok(())
}
// ANCHOR_END: solution

fn run() -> Vec<String> {
    LOG.with_borrow_mut(Vec::clear);
    let lp = EventLoop::with_virtual_clock();
    let main_task = lp.create_task("main", cancel_all());
    lp.run_until_complete(&main_task).expect("main() finishes");
    LOG.with_borrow_mut(std::mem::take)
}

fn main() {
    run();
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_cancel_succeeds_and_only_the_careful_worker_prints() {
        assert_eq!(
            super::run(),
            [
                "tick 4  t=0.500  main: worker1.cancel() -> true",
                "tick 4  t=0.500  main: worker2.cancel() -> true",
                "tick 4  t=0.500  main: careful3.cancel() -> true",
                "tick 5  t=0.500  careful3: cancelled: cleaning up",
                "tick 6  t=0.500  main: worker1 ended with Err(Cancelled)",
                "tick 6  t=0.500  main: worker2 ended with Err(Cancelled)",
                "tick 9  t=1.000  main: careful3 ended with Ok(0)",
            ]
        );
    }
}
