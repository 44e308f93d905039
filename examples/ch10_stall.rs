//! Chapter 10: seed 000's `step2` and `step3`. Five coroutines each "fetch a page" (the server
//! answers after a random 0–30 s, here a seeded random delay, scaled down fifty times) and then
//! crunch the answer for 0.2 s of CPU time. In step 2 the crunching runs in the coroutines
//! themselves, on the loop's thread, and every answer that arrives meanwhile waits; in step 3
//! it runs in a pool of 4 threads, and the loop takes each answer as it comes.
//!
//! Run it with `cargo run --example ch10_stall`: standard output says which answers had to
//! wait for the loop; standard error draws the timeline, with the real times of this run.
//!
//! "Had to wait" is not a measured delay, which a busy machine would stretch: an answer was
//! kept waiting if it came due before the loop's thread came out of a crunch, that is, while
//! the loop was crunching. A crunch lasts 0.2 s from the moment an earlier answer was taken
//! in, so a slower machine only makes crunches end later, and the verdicts are the same on
//! every run.

use std::cell::Cell;
use std::hint::black_box;
use std::rc::Rc;
use std::time::{Duration, Instant};

use steploop::{gather, get_running_loop, run, sleep, Error, ThreadPoolExecutor};

/// How many coroutines fetch.
const FETCHES: u64 = 5;
/// The seed's delays are 0–30 s; ours are as many fiftieths of a second.
const SCALE: u32 = 50;
/// How long crunching one answer keeps a thread busy.
const CRUNCH: Duration = Duration::from_millis(200);

// ANCHOR: delays
/// The server's delay for each fetch, in the seed's whole seconds: a xorshift generator with a
/// fixed random seed, so that every run, and the book, see the same delays.
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
// ANCHOR_END: delays

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

// ANCHOR: loop_busy
/// When the loop's thread last came out of a crunch. An answer due before that moment came
/// while the loop was crunching, and had to wait for it.
#[derive(Default)]
struct LoopBusy {
    until: Cell<Option<Instant>>,
}

impl LoopBusy {
    /// Crunches `page` right here, on the loop's thread, and notes when it was done.
    fn crunch_here(&self, page: u64) -> u64 {
        let hash = crunch(page);
        self.until.set(Some(Instant::now()));
        hash
    }

    /// True if an answer due at `due` came while the loop was crunching.
    fn kept_waiting(&self, due: Instant) -> bool {
        self.until.get().is_some_and(|until| until > due)
    }
}
// ANCHOR_END: loop_busy

/// What one fetch saw.
#[derive(Clone)]
struct Fetched {
    page: u64,
    delay: u64,
    /// The answer came while the loop's thread was crunching, and waited for it.
    kept_waiting: bool,
}

/// A timeline line on standard error: `  0.36 s  fetch 3: ...`.
fn timeline(start: Instant, what: String) {
    eprintln!("{:>6.2} s  {what}", start.elapsed().as_secs_f64());
}

// ANCHOR: step2
/// Step 2: the answer is crunched right here, on the loop's thread.
async fn fetch_inline(
    page: u64,
    delay: u64,
    start: Instant,
    busy: Rc<LoopBusy>,
) -> Result<Fetched, Error> {
    let due = Instant::now() + Duration::from_secs(delay) / SCALE;
    sleep(Duration::from_secs(delay) / SCALE).await?; // the request: the server answers
    let kept_waiting = busy.kept_waiting(due);
    timeline(start, format!("fetch {page}: answer taken in, crunching"));
    busy.crunch_here(page);
    timeline(start, format!("fetch {page}: done"));
    Ok(Fetched {
        page,
        delay,
        kept_waiting,
    })
}
// ANCHOR_END: step2

// ANCHOR: step3
/// Step 3: the answer is crunched in the executor; the loop is free meanwhile.
async fn fetch_offloaded(
    page: u64,
    delay: u64,
    start: Instant,
    busy: Rc<LoopBusy>,
    executor: Rc<ThreadPoolExecutor>,
) -> Result<Fetched, Error> {
    let lp = get_running_loop().expect("runs on the loop");
    let due = Instant::now() + Duration::from_secs(delay) / SCALE;
    sleep(Duration::from_secs(delay) / SCALE).await?;
    let kept_waiting = busy.kept_waiting(due); // the loop's thread never crunches now
    timeline(start, format!("fetch {page}: answer taken in, crunching"));
    lp.run_in_executor(Some(&executor), move || crunch(page))
        .await?;
    timeline(start, format!("fetch {page}: done"));
    Ok(Fetched {
        page,
        delay,
        kept_waiting,
    })
}
// ANCHOR_END: step3

fn report(fetched: &[Fetched]) {
    let mut kept_waiting = 0;
    for f in fetched {
        let verdict = if f.kept_waiting {
            kept_waiting += 1;
            "late: the loop was busy crunching"
        } else {
            "on time"
        };
        println!(
            "fetch {}: the server answered after {:>2} s; taken in {verdict}",
            f.page, f.delay
        );
    }
    println!("{kept_waiting} of {FETCHES} answers were kept waiting");
}

pub fn main() {
    let delays = server_delays();

    // ANCHOR: run_step2
    println!("step 2: crunching inside the coroutines, on the loop's thread");
    let start = Instant::now();
    let busy = Rc::new(LoopBusy::default());
    let fetches: Vec<_> = (1..=FETCHES)
        .map(|page| fetch_inline(page, delays[page as usize - 1], start, busy.clone()))
        .collect();
    let fetched = run(async move { gather(fetches)?.await }).expect("no fetch fails");
    report(&fetched);
    // ANCHOR_END: run_step2

    // ANCHOR: run_step3
    println!("step 3: crunching in the executor, 4 worker threads");
    let executor = Rc::new(ThreadPoolExecutor::new(4));
    let start = Instant::now();
    let busy = Rc::new(LoopBusy::default());
    let fetches: Vec<_> = (1..=FETCHES)
        .map(|page| {
            let delay = delays[page as usize - 1];
            fetch_offloaded(page, delay, start, busy.clone(), executor.clone())
        })
        .collect();
    let fetched = run(async move { gather(fetches)?.await }).expect("no fetch fails");
    report(&fetched);
    // ANCHOR_END: run_step3
}
