//! Chapter 10: steps 2 and 3 (seed 000) and PyMOTW's six jobs (seed 003), simulated on the
//! virtual clock, for their timelines.
//!
//! The real programs (`ch10_stall`, `ch10_blocks`) run on real threads and the real clock, so
//! no two runs take the same microseconds, and a picture of one run would differ from the next.
//! Here the same coroutines run on the real loop with a virtual clock, and only the work is
//! simulated: the server's answers are timers, as in the real run; crunching on the loop's own
//! thread keeps it busy with `advance_time`; a job in a pool occupies one of its workers for a
//! fixed time. Every run gives the same trace, and the same picture.
//!
//! Run it with `cargo run --example ch10_simulated`.

#[path = "simulated/mod.rs"]
mod simulated;
#[path = "stall/mod.rs"]
pub mod stall;

use std::rc::Rc;
use std::time::Duration;

use simulated::SimulatedPool;
use stall::{report, server_delays, Fetched, CRUNCH};
use steploop::timeline::{TickMarks, Timeline};
use steploop::trace::Trace;
use steploop::{gather, get_running_loop, sleep, Error, EventLoop};

/// How long PyMOTW's `blocks(n)` sleeps.
const BLOCKS: Duration = Duration::from_millis(100);

// ANCHOR: fetches
/// Step 2: the answer is crunched on the loop's thread, which is busy meanwhile.
async fn fetch_inline(page: u64, delay: Duration) -> Result<Fetched, Error> {
    let lp = get_running_loop().expect("runs on the loop");
    let answered_at = lp.time() + delay;
    sleep(delay).await?;
    let taken_in = lp.time();
    lp.advance_time(CRUNCH)?; // crunch(page), simulated
    Ok(Fetched {
        page,
        delay,
        answered_at,
        taken_in,
        crunched_on_loop: Some((taken_in, lp.time())),
    })
}

/// Step 3: the answer is crunched in the pool; the loop is free meanwhile.
async fn fetch_offloaded(
    page: u64,
    delay: Duration,
    pool: Rc<SimulatedPool>,
) -> Result<Fetched, Error> {
    let lp = get_running_loop().expect("runs on the loop");
    let answered_at = lp.time() + delay;
    sleep(delay).await?;
    let taken_in = lp.time();
    let crunch = format!("crunch({page})");
    pool.run_in_executor(&lp, crunch, CRUNCH, move || page)
        .await?;
    Ok(Fetched {
        page,
        delay,
        answered_at,
        taken_in,
        crunched_on_loop: None,
    })
}
// ANCHOR_END: fetches

/// `main()`: the fetches, gathered.
async fn fetch_all<F>(fetches: Vec<F>) -> Result<Vec<Fetched>, Error>
where
    F: std::future::Future<Output = Result<Fetched, Error>> + 'static,
{
    gather(fetches)?.await
}

/// Runs step 2 (`offload` false) or step 3 on a traced virtual-clock loop; returns what each
/// fetch saw, and the trace.
pub fn stall(offload: bool) -> (Vec<Fetched>, Trace) {
    let lp = EventLoop::with_virtual_clock();
    lp.set_trace(true);
    let fetched = stall_on(&lp, offload);
    (fetched, lp.take_trace())
}

/// Runs step 2 (`offload` false) or step 3 on the given loop, which must have a virtual clock;
/// returns what each fetch saw.
pub fn stall_on(lp: &EventLoop, offload: bool) -> Vec<Fetched> {
    let delays = server_delays();
    let fetched = if offload {
        let pool = Rc::new(SimulatedPool::new(4, "Thread"));
        let fetches: Vec<_> = (1..)
            .zip(delays)
            .map(|(page, delay)| fetch_offloaded(page, delay, pool.clone()))
            .collect();
        steploop::run_with(lp, fetch_all(fetches))
    } else {
        let fetches: Vec<_> = (1..)
            .zip(delays)
            .map(|(page, delay)| fetch_inline(page, delay))
            .collect();
        steploop::run_with(lp, fetch_all(fetches))
    };
    fetched.expect("no fetch fails")
}

// ANCHOR: blocks
/// PyMOTW's `run_blocking_tasks`: six `blocks(n)` on a pool of three threads.
async fn run_blocking_tasks(pool: Rc<SimulatedPool>) -> Result<Vec<u64>, Error> {
    let lp = get_running_loop().expect("runs on the loop");
    let blocking_tasks: Vec<_> = (0..6)
        .map(|n| pool.run_in_executor(&lp, format!("blocks({n})"), BLOCKS, move || n * n))
        .collect();
    gather(blocking_tasks)?.await
}
// ANCHOR_END: blocks

/// Runs PyMOTW's program on a traced virtual-clock loop; returns the results and the trace.
pub fn blocks() -> (Vec<u64>, Trace) {
    let lp = EventLoop::with_virtual_clock();
    lp.set_trace(true);
    let pool = Rc::new(SimulatedPool::new(3, "Thread"));
    let results = lp
        .run_until_complete(run_blocking_tasks(pool))
        .expect("no job fails");
    lp.close().expect("not running");
    (results, lp.take_trace())
}

/// The timeline of steps 2 and 3, one above the other on one scale.
pub fn stall_picture() -> String {
    let (_, step2) = stall(false);
    let (_, step3) = stall(true);
    stall_timeline(&step2, &step3).to_svg()
}

/// Where the ticks of steps 2 and 3 are in their picture, for the book's step-through viewers.
pub fn stall_marks() -> Vec<TickMarks> {
    let (_, step2) = stall(false);
    let (_, step3) = stall(true);
    stall_timeline(&step2, &step3).tick_marks()
}

fn stall_timeline<'a>(step2: &'a Trace, step3: &'a Trace) -> Timeline<'a> {
    Timeline::new()
        .fit_width(Timeline::BOOK_COLUMN)
        .px_per_second(600.0)
        .slot_px(6.0)
        .panel("step 2: crunching on the loop's thread (simulated)", step2)
        .panel(
            "step 3: crunching in a pool of 4 threads (simulated)",
            step3,
        )
}

/// The timeline of PyMOTW's six jobs on three threads.
pub fn blocks_picture() -> String {
    let (_, trace) = blocks();
    Timeline::new()
        .fit_width(Timeline::BOOK_COLUMN)
        .px_per_second(1600.0)
        .panel(
            "PyMOTW: six blocks(n) on a pool of 3 threads (simulated)",
            &trace,
        )
        .to_svg()
}

pub fn main() {
    for (step, offload) in [("step 2", false), ("step 3", true)] {
        println!("{step}, simulated:");
        let (fetched, _) = stall(offload);
        report(&fetched, true);
    }
    let (results, trace) = blocks();
    println!("PyMOTW, simulated: results {results:?}");
    for line in trace.to_string().lines().filter(|l| l.contains(" ran on ")) {
        println!("{}", line.trim());
    }
}
