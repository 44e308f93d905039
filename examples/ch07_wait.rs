//! Chapter 7, "Composing tasks": `asyncio.wait` with each `return_when`, and with a timeout.
//!
//! Three jobs: one finishes after 1 s, one fails after 2 s, one finishes after 3 s.
//!
//! ```python
//! done, pending = await asyncio.wait(jobs, return_when=asyncio.FIRST_COMPLETED)
//! done, pending = await asyncio.wait(jobs, return_when=asyncio.FIRST_EXCEPTION)
//! done, pending = await asyncio.wait(jobs)                # ALL_COMPLETED
//! done, pending = await asyncio.wait(jobs, timeout=1.5)   # cancels nothing
//! ```
//! Run it with `cargo run --example ch07_wait`.

use std::time::Duration;

use steploop::{get_running_loop, wait, Error, EventLoop, Future, ReturnWhen};

fn say(line: impl std::fmt::Display) {
    get_running_loop().expect("inside the loop").print(line);
}

fn now() -> String {
    let lp = get_running_loop().expect("inside the loop");
    format!("t={:.3}", lp.time().as_secs_f64())
}

/// The outcomes of done futures: `[Ok(1), Err(job(2) failed)]`.
fn outcomes(done: &[Future<u64>]) -> String {
    let outcomes: Vec<String> = done
        .iter()
        .map(|f| match f.result() {
            Ok(value) => format!("Ok({value})"),
            Err(error) => format!("Err({error})"),
        })
        .collect();
    format!("[{}]", outcomes.join(", "))
}

// ANCHOR: job
/// A job that takes `seconds`, as in `ch07_gather`: a future that a timer completes. The
/// two-second job fails.
fn job(seconds: u64) -> Future<u64> {
    let lp = get_running_loop().expect("inside the loop");
    let future = lp.create_future();
    let done = future.clone();
    lp.with_label(format!("job({seconds})"))
        .call_later(Duration::from_secs(seconds), move |_| {
            let _ = match seconds {
                2 => done.set_exception(Error::msg(format!("job({seconds}) failed"))),
                _ => done.set_result(seconds),
            };
        });
    future
}
// ANCHOR_END: job

// ANCHOR: main_wait
async fn main_wait(return_when: ReturnWhen, timeout: Option<Duration>) -> Result<(), Error> {
    let (done, pending) = wait([1, 2, 3].map(job), timeout, return_when).await?;
    say(format!(
        "{return_when:?} returned at {}: done {}, {} pending",
        now(),
        outcomes(&done),
        pending.len()
    ));
    // wait() cancelled nothing: the pending jobs are still running. Wait for the rest.
    if !pending.is_empty() {
        let (rest, _) = wait(pending, None, ReturnWhen::AllCompleted).await?;
        say(format!("the rest at {}: {}", now(), outcomes(&rest)));
    }
    Ok(())
}
// ANCHOR_END: main_wait

/// `asyncio.run(main())` with this `return_when` and `timeout`.
pub fn run(
    lp: &EventLoop,
    return_when: ReturnWhen,
    timeout: Option<Duration>,
) -> Result<(), Error> {
    steploop::run_with(lp, main_wait(return_when, timeout))
}

pub fn main() {
    for (return_when, timeout) in [
        (ReturnWhen::FirstCompleted, None),
        (ReturnWhen::FirstException, None),
        (ReturnWhen::AllCompleted, None),
        (ReturnWhen::AllCompleted, Some(Duration::from_millis(1500))),
    ] {
        println!("--- {return_when:?}, timeout {timeout:?} ---");
        let lp = EventLoop::with_virtual_clock();
        lp.set_trace(true);
        run(&lp, return_when, timeout).expect("main() finishes");
        println!("\nWhat the loop did:\n\n{}", lp.take_trace());
    }
}
