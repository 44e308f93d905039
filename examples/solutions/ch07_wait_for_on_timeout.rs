//! Chapter 7, exercise 5: `wait_for` as Python 3.12 writes it, on `timeout`: the awaitable
//! runs in the caller's own task, under a deadline over it. The chapter's careful job under
//! it: the same outcome at the same time as 3.11's `wait_for`, with one task fewer. Run it
//! with `cargo run --example ch07_wait_for_on_timeout`.

use std::future::Future;
use std::time::Duration;

use steploop::{get_running_loop, sleep, timeout, Error, EventLoop};

/// Needs three seconds; when cancelled, cleans up for half a second first (chapter 7's).
async fn careful_job() -> Result<&'static str, Error> {
    match sleep(Duration::from_secs(3)).await {
        Err(error) if error.is_cancelled() => {
            sleep(Duration::from_millis(500)).await?;
            Err(error)
        }
        slept => slept.map(|()| "finished"),
    }
}

// ANCHOR: solution
/// `asyncio.wait_for` of Python 3.12: `async with timeout(delay): return await awaitable`.
async fn wait_for<T>(
    awaitable: impl Future<Output = Result<T, Error>>,
    delay: Duration,
) -> Result<T, Error> {
    timeout(delay, awaitable).await
}

async fn main_wait_for() -> Result<String, Error> {
    let outcome = wait_for(careful_job(), Duration::from_secs(1)).await;
    let lp = get_running_loop().expect("inside the loop");
    Ok(format!(
        "wait_for returned at t={:.3}: {outcome:?}",
        lp.time().as_secs_f64()
    ))
}
// ANCHOR_END: solution

/// The outcome, and how many tasks the run made.
fn run() -> (String, usize) {
    let lp = EventLoop::with_virtual_clock();
    lp.set_trace(true);
    let line = steploop::run_with(&lp, main_wait_for()).expect("main() finishes");
    let tasks = lp.take_trace().to_string().matches("create Task-").count();
    println!("{line}");
    println!("tasks: {tasks}");
    (line, tasks)
}

fn main() {
    run();
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_timeout_at_t1_5_after_the_clean_up_and_no_task_of_its_own() {
        let (line, tasks) = super::run();
        assert_eq!(line, "wait_for returned at t=1.500: Err(timed out)");
        assert_eq!(tasks, 1, "only main: the job runs inside it");
    }
}
