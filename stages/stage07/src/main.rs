// ANCHOR: gather
//! Chapter 7's program: seed 001's five jobs gathered, then a deadline that a careful job
//! overruns while it cleans up, then three jobs in a task group, one of which fails. Run it
//! with `cargo run -p stage07`.

use std::time::Duration;

use stage07::{gather, get_running_loop, sleep, task_group, wait_for, Error, EventLoop};

/// Prints a line with the tick, the loop time, and who prints it.
fn say(who: &str, what: &str) {
    let lp = get_running_loop().expect("coroutines run inside the loop");
    let t = lp.time().as_secs_f64();
    println!("tick {}  t={t:.3}  {who}: {what}", lp.tick());
}

/// A job that takes `seconds`, and returns them.
async fn job(seconds: u64) -> Result<u64, Error> {
    sleep(Duration::from_secs(seconds)).await?;
    say(&format!("job({seconds})"), "done");
    Ok(seconds)
}

async fn main_gather() -> Result<(), Error> {
    let lp = get_running_loop().expect("inside the loop");
    let jobs = [5, 2, 4, 3, 6].map(|seconds| lp.create_task("job", job(seconds)));
    let results = gather(jobs.to_vec()).await?;
    say("main", &format!("gather returned {results:?}"));
    Ok(())
}
// ANCHOR_END: gather

// ANCHOR: wait_for
/// Needs three seconds; when cancelled, cleans up for half a second first.
async fn careful_job() -> Result<&'static str, Error> {
    match sleep(Duration::from_secs(3)).await {
        Err(Error::Cancelled) => {
            say("careful_job", "cancelled: cleaning up");
            sleep(Duration::from_millis(500)).await?;
            say("careful_job", "clean");
            Err(Error::Cancelled)
        }
        slept => slept.map(|()| "finished"),
    }
}

async fn main_wait_for() -> Result<(), Error> {
    let lp = get_running_loop().expect("inside the loop");
    let task = lp.create_task("careful_job", careful_job());
    let outcome = wait_for(task, Duration::from_secs(1)).await;
    say("main", &format!("wait_for returned {outcome:?}"));
    Ok(())
}
// ANCHOR_END: wait_for

// ANCHOR: task_group
/// Takes `seconds`, then fails if told to.
async fn named_job(name: &'static str, seconds: u64, fails: bool) -> Result<(), Error> {
    let slept = sleep(Duration::from_secs(seconds)).await;
    say(name, &format!("slept: {slept:?}"));
    slept?;
    if fails {
        return Err(Error::Exception(format!("{name} failed")));
    }
    Ok(())
}

async fn main_task_group() -> Result<(), Error> {
    let outcome = task_group(|tg| async move {
        for (name, seconds, fails) in [("a", 1, false), ("b", 2, true), ("c", 3, false)] {
            tg.create_task(name, named_job(name, seconds, fails))?;
        }
        let slept = sleep(Duration::from_secs(5)).await;
        say("main", &format!("the block slept: {slept:?}"));
        slept
    })
    .await;
    say("main", &format!("task_group returned {outcome:?}"));
    Ok(())
}

pub fn main() {
    let lp = EventLoop::with_virtual_clock();
    let main_task = lp.create_task("main", main_gather());
    lp.run_until_complete(&main_task).expect("main() finishes");
    println!();
    let lp = EventLoop::with_virtual_clock();
    let main_task = lp.create_task("main", main_wait_for());
    lp.run_until_complete(&main_task).expect("main() finishes");
    println!();
    let lp = EventLoop::with_virtual_clock();
    let main_task = lp.create_task("main", main_task_group());
    lp.run_until_complete(&main_task).expect("main() finishes");
}
// ANCHOR_END: task_group
