//! What chapter 10's three runs of seed 000's steps 2 and 3 share (`ch10_stall` on timers,
//! `ch10_fetch` on sockets, `ch10_simulated` on the virtual clock): the server's delays, how
//! long crunching takes, and the one rule that says whether an answer was taken in late.

use std::time::Duration;

/// How many coroutines fetch.
pub const FETCHES: u64 = 5;
/// The seed's server answers after 0–30 s; ours after as many fiftieths of a second.
const SCALE: u32 = 50;
/// How long crunching one answer keeps a thread busy.
pub const CRUNCH: Duration = Duration::from_millis(200);

/// How long the server takes to answer each fetch: the seed's random 0–30 whole seconds, drawn
/// by a xorshift generator with a fixed random seed (so that every run, and the book, see the
/// same delays), scaled down fifty times: the seed's 27 s is our 0.540 s.
pub fn server_delays() -> Vec<Duration> {
    let mut state: u64 = 74;
    (0..FETCHES)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            Duration::from_secs(state % 31) / SCALE
        })
        .collect()
}

/// What one fetch saw, in loop time.
#[derive(Clone, Debug)]
pub struct Fetched {
    pub page: u64,
    /// How long the server took to answer.
    pub delay: Duration,
    /// When the answer was there: the request's time plus the server's delay.
    pub answered_at: Duration,
    /// When the loop resumed the coroutine with it.
    pub taken_in: Duration,
    /// When this fetch crunched on the loop's own thread, from start to end; `None` when the
    /// crunching ran elsewhere.
    pub crunched_on_loop: Option<(Duration, Duration)>,
}

// ANCHOR: late
/// The rule for "late", the same in every run: an answer is late when the loop's thread was
/// crunching at some moment between the answer's arrival and the moment the loop took it in.
/// It asks what the chapter is about — was the loop kept busy? — rather than how long a wait
/// took, so no threshold has to guess what counts as long, and a busy machine, which only
/// makes everything later, does not change the verdict.
pub fn late(fetch: &Fetched, all: &[Fetched]) -> bool {
    all.iter()
        .filter_map(|other| other.crunched_on_loop)
        .any(|(start, end)| start < fetch.taken_in && end > fetch.answered_at)
}
// ANCHOR_END: late

/// Prints one line per fetch and how many were late. With `exact` (a run on the virtual
/// clock, the same every time) each line also says how long the answer waited; a real run's
/// waits differ from run to run, and its lines give only the verdict.
pub fn report(fetched: &[Fetched], exact: bool) {
    let mut kept_waiting = 0;
    for f in fetched {
        let verdict = if late(f, fetched) {
            kept_waiting += 1;
            "late: the loop was busy crunching"
        } else {
            "on time"
        };
        let waited = if exact {
            let waited = f.taken_in.saturating_sub(f.answered_at);
            format!("{:.3} s later, ", waited.as_secs_f64())
        } else {
            String::new()
        };
        println!(
            "fetch {}: the server answered after {:.3} s; taken in {waited}{verdict}",
            f.page,
            f.delay.as_secs_f64()
        );
    }
    println!("{kept_waiting} of {FETCHES} answers were kept waiting");
}
