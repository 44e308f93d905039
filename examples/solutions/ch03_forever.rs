//! Chapter 3, exercise 2: a callback that reschedules itself for ever, next to chapter 3's
//! `count`, on stage 3. Counting the ready handles first keeps it to one run per tick, so
//! `count` still reaches 3 and stops the loop. Run it with `cargo run --example ch03_forever`.

use std::cell::RefCell;
use std::rc::Rc;

use stage03::EventLoop;

/// What the callbacks printed, line by line.
type Log = Rc<RefCell<Vec<String>>>;

/// Prints a line with the number of the tick that prints it, and keeps it in `log`.
fn say(lp: &EventLoop, log: &Log, what: &str) {
    let line = format!("tick {}  {what}", lp.tick());
    println!("{line}");
    log.borrow_mut().push(line);
}

// ANCHOR: solution
/// Runs on every tick, for ever: each run schedules the next.
fn forever(lp: &EventLoop, log: Log, runs: u32) {
    say(lp, &log, &format!("forever, run {runs}"));
    lp.call_soon(move |lp| forever(lp, log, runs + 1));
}

/// Chapter 3's `count`, which stops the loop at 3.
fn count(lp: &EventLoop, log: Log, n: u32) {
    say(lp, &log, &format!("count {n}"));
    if n < 3 {
        lp.call_soon(move |lp| count(lp, log, n + 1));
    } else {
        lp.stop();
    }
}

/// Schedules `forever` next to `count(1)` and runs the loop.
fn run() -> Vec<String> {
    let log = Log::default();
    let lp = EventLoop::new();
    let (for_forever, for_count) = (log.clone(), log.clone());
    lp.call_soon(move |lp| forever(lp, for_forever, 1));
    lp.call_soon(move |lp| count(lp, for_count, 1));
    lp.run_forever().expect("count(3) stops the loop");
    say(&lp, &log, "run_forever returned");
    let lines = log.borrow().clone();
    lines
}
// ANCHOR_END: solution

fn main() {
    run();
}

#[cfg(test)]
mod tests {
    #[test]
    fn forever_runs_once_a_tick_and_count_still_stops_the_loop_at_3() {
        assert_eq!(
            super::run(),
            [
                "tick 1  forever, run 1",
                "tick 1  count 1",
                "tick 2  forever, run 2",
                "tick 2  count 2",
                "tick 3  forever, run 3",
                "tick 3  count 3",
                "tick 3  run_forever returned",
            ]
        );
    }
}
