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

use std::rc::Rc;
use std::time::Duration;

use simulated::SimulatedPool;
use steploop::timeline::{TickMarks, Timeline};
use steploop::trace::Trace;
use steploop::{gather, get_running_loop, sleep, Error, EventLoop};

/// How many coroutines fetch, the seed's delays, and their scale: as in `ch10_stall`.
const FETCHES: u64 = 5;
const SCALE: u32 = 50;
const CRUNCH: Duration = Duration::from_millis(200);
/// How long PyMOTW's `blocks(n)` sleeps.
const BLOCKS: Duration = Duration::from_millis(100);

/// The server's delays, the same generator as `ch10_stall`'s.
fn server_delays() -> Vec<u64> {
    let mut state: u64 = 74;
    (0..FETCHES)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % 31
        })
        .collect()
}

// ANCHOR: fetches
/// Step 2: the answer is crunched on the loop's thread, which is busy meanwhile.
async fn fetch_inline(delay: u64) -> Result<Duration, Error> {
    let lp = get_running_loop().expect("runs on the loop");
    let answered_at = lp.time() + Duration::from_secs(delay) / SCALE;
    sleep(Duration::from_secs(delay) / SCALE).await?;
    let waited = lp.time() - answered_at;
    lp.advance_time(CRUNCH)?; // crunch(page), simulated
    Ok(waited)
}

/// Step 3: the answer is crunched in the pool; the loop is free meanwhile.
async fn fetch_offloaded(
    page: u64,
    delay: u64,
    pool: Rc<SimulatedPool>,
) -> Result<Duration, Error> {
    let lp = get_running_loop().expect("runs on the loop");
    let answered_at = lp.time() + Duration::from_secs(delay) / SCALE;
    sleep(Duration::from_secs(delay) / SCALE).await?;
    let waited = lp.time() - answered_at;
    let crunch = format!("crunch({page})");
    pool.run_in_executor(&lp, crunch, CRUNCH, move || page)
        .await?;
    Ok(waited)
}
// ANCHOR_END: fetches

/// `main()`: the fetches, gathered.
async fn fetch_all<F>(fetches: Vec<F>) -> Result<Vec<Duration>, Error>
where
    F: std::future::Future<Output = Result<Duration, Error>> + 'static,
{
    gather(fetches)?.await
}

/// Runs step 2 (`offload` false) or step 3 on a traced virtual-clock loop; returns how long
/// each answer waited for the loop, and the trace.
pub fn stall(offload: bool) -> (Vec<Duration>, Trace) {
    let lp = EventLoop::with_virtual_clock();
    lp.set_trace(true);
    let waited = stall_on(&lp, offload);
    (waited, lp.take_trace())
}

/// Runs step 2 (`offload` false) or step 3 on the given loop, which must have a virtual clock;
/// returns how long each answer waited for the loop.
pub fn stall_on(lp: &EventLoop, offload: bool) -> Vec<Duration> {
    let delays = server_delays();
    let waited = if offload {
        let pool = Rc::new(SimulatedPool::new(4, "Thread"));
        let fetches: Vec<_> = (1..)
            .zip(delays)
            .map(|(page, delay)| fetch_offloaded(page, delay, pool.clone()))
            .collect();
        steploop::run_with(lp, fetch_all(fetches))
    } else {
        let fetches: Vec<_> = delays.into_iter().map(fetch_inline).collect();
        steploop::run_with(lp, fetch_all(fetches))
    };
    waited.expect("no fetch fails")
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
        .px_per_second(1600.0)
        .panel(
            "PyMOTW: six blocks(n) on a pool of 3 threads (simulated)",
            &trace,
        )
        .to_svg()
}

pub fn main() {
    let delays = server_delays();
    for (step, offload) in [("step 2", false), ("step 3", true)] {
        println!("{step}, simulated:");
        let (waited, _) = stall(offload);
        for (page, (delay, waited)) in (1..).zip(delays.iter().zip(waited)) {
            println!(
                "fetch {page}: the server answered after {delay:>2} s; taken in {:.3} s later",
                waited.as_secs_f64()
            );
        }
    }
    let (results, trace) = blocks();
    println!("PyMOTW, simulated: results {results:?}");
    for line in trace.to_string().lines().filter(|l| l.contains(" ran on ")) {
        println!("{}", line.trim());
    }
}
