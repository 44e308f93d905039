//! Chapter 7, "Composing tasks": `asyncio.TaskGroup` (Python 3.11), tasks that end together.
//!
//! ```python
//! async def job(name, seconds, fails=False):
//!     await asyncio.sleep(seconds)
//!     if fails:
//!         raise ValueError(f"{name} failed")
//!     return name
//!
//! async def main():
//!     try:
//!         async with asyncio.TaskGroup() as tg:
//!             a = tg.create_task(job("a", 1))
//!             b = tg.create_task(job("b", 2, fails=True))
//!             c = tg.create_task(job("c", 3))
//!     except* ValueError as group:
//!         print(group.exceptions)     # (ValueError('b failed'),)
//!     print(a.result(), c.cancelled())  # a True
//! ```
//! Run it with `cargo run --example ch07_taskgroup`.

use std::cell::RefCell;
use std::time::Duration;

use steploop::{get_running_loop, sleep, task_group, Error, EventLoop};

fn say(line: impl std::fmt::Display) {
    get_running_loop().expect("inside the loop").print(line);
}

fn now() -> String {
    let lp = get_running_loop().expect("inside the loop");
    format!("t={:.3}", lp.time().as_secs_f64())
}

// ANCHOR: job
async fn job(name: &'static str, seconds: u64, fails: bool) -> Result<&'static str, Error> {
    sleep(Duration::from_secs(seconds)).await?;
    if fails {
        return Err(Error::msg(format!("{name} failed")));
    }
    Ok(name)
}
// ANCHOR_END: job

// ANCHOR: main_task_group
async fn main_task_group() -> Result<(), Error> {
    let started = &RefCell::new(Vec::new()); // the tasks, to look at afterwards
    let outcome = task_group(|tg| async move {
        for (name, seconds, fails) in [("a", 1, false), ("b", 2, true), ("c", 3, false)] {
            started
                .borrow_mut()
                .push(tg.create_task(job(name, seconds, fails))?);
        }
        Ok(())
    })
    .await;
    say(format!("the group returned at {}: {outcome:?}", now()));
    let [a, b, c] = [0, 1, 2].map(|i| started.borrow()[i].clone());
    say(format!(
        "a: {:?}, b: {:?}, c cancelled: {}",
        a.result(),
        b.exception()?.map(|error| error.to_string()),
        c.cancelled()
    ));
    Ok(())
}
// ANCHOR_END: main_task_group

/// `b` fails at t=2: `c` is cancelled, and the group reports `b`'s error at t=2.
pub fn run(lp: &EventLoop) -> Result<(), Error> {
    steploop::run_with(lp, main_task_group())
}

pub fn main() {
    let lp = EventLoop::with_virtual_clock();
    lp.set_trace(true);
    run(&lp).expect("main() finishes");
    println!("\nWhat the loop did:\n\n{}", lp.take_trace());
}
