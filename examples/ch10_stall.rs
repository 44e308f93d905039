//! Chapter 10: seed 000's `step2` and `step3`. Five coroutines each "fetch a page" (the server
//! answers after a random 0–30 s, here a seeded random delay, scaled down fifty times) and then
//! crunch the answer for 0.2 s of CPU time. In step 2 the crunching runs in the coroutines
//! themselves, on the loop's thread, and every answer that arrives meanwhile waits; in step 3
//! it runs in a pool of 4 threads, and the loop takes each answer as it comes.
//!
//! Run it with `cargo run --example ch10_stall`: standard output says which answers had to
//! wait for the loop; standard error draws the timeline, with the real times of this run.

#[path = "stall/mod.rs"]
mod stall;

use std::hint::black_box;
use std::rc::Rc;
use std::time::{Duration, Instant};

use stall::{report, server_delays, Fetched, CRUNCH, FETCHES};
use steploop::{gather, get_running_loop, run, sleep, Error, ThreadPoolExecutor};

// ANCHOR: crunch
/// CPU-heavy work: 0.2 s of hashing, the part of a callback that never waits for anything.
/// (The seed simulates it with `time.sleep`, which blocks the thread the same way.)
fn crunch(page: u64) -> u64 {
    let start = Instant::now();
    let mut hash = page;
    while start.elapsed() < CRUNCH {
        for _ in 0..1000 {
            hash = black_box(hash.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(5));
        }
    }
    hash
}
// ANCHOR_END: crunch

/// A timeline line on standard error: `  0.36 s  fetch 3: ...`.
fn timeline(start: Instant, what: String) {
    eprintln!("{:>6.2} s  {what}", start.elapsed().as_secs_f64());
}

// ANCHOR: step2
/// Step 2: the answer is crunched right here, on the loop's thread.
async fn fetch_inline(page: u64, delay: Duration, start: Instant) -> Result<Fetched, Error> {
    let lp = get_running_loop().expect("runs on the loop");
    let answered_at = lp.time() + delay;
    sleep(delay).await?; // the request: the server answers
    let taken_in = lp.time();
    timeline(start, format!("fetch {page}: answer taken in, crunching"));
    crunch(page);
    timeline(start, format!("fetch {page}: done"));
    Ok(Fetched {
        page,
        delay,
        answered_at,
        taken_in,
        crunched_on_loop: Some((taken_in, lp.time())),
    })
}
// ANCHOR_END: step2

// ANCHOR: step3
/// Step 3: the answer is crunched in the executor; the loop is free meanwhile.
async fn fetch_offloaded(
    page: u64,
    delay: Duration,
    start: Instant,
    executor: Rc<ThreadPoolExecutor>,
) -> Result<Fetched, Error> {
    let lp = get_running_loop().expect("runs on the loop");
    let answered_at = lp.time() + delay;
    sleep(delay).await?;
    let taken_in = lp.time();
    timeline(start, format!("fetch {page}: answer taken in, crunching"));
    lp.run_in_executor(Some(&executor), move || crunch(page))
        .await?;
    timeline(start, format!("fetch {page}: done"));
    Ok(Fetched {
        page,
        delay,
        answered_at,
        taken_in,
        crunched_on_loop: None,
    })
}
// ANCHOR_END: step3

pub fn main() {
    let delays = server_delays();

    // ANCHOR: run_step2
    println!("step 2: crunching inside the coroutines, on the loop's thread");
    let start = Instant::now();
    let fetches: Vec<_> = (1..=FETCHES)
        .map(|page| fetch_inline(page, delays[page as usize - 1], start))
        .collect();
    let fetched = run(async move { gather(fetches)?.await }).expect("no fetch fails");
    report(&fetched, false);
    // ANCHOR_END: run_step2

    // ANCHOR: run_step3
    println!("step 3: crunching in the executor, 4 worker threads");
    let executor = Rc::new(ThreadPoolExecutor::new(4));
    let start = Instant::now();
    let fetches: Vec<_> = (1..=FETCHES)
        .map(|page| fetch_offloaded(page, delays[page as usize - 1], start, executor.clone()))
        .collect();
    let fetched = run(async move { gather(fetches)?.await }).expect("no fetch fails");
    report(&fetched, false);
    // ANCHOR_END: run_step3
}
