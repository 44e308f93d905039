//! Chapter 4, exercise 2: stage 4's program with a heartbeat every two seconds instead of
//! every second. The watchdog, due at t=5, now comes before the third beat that would have
//! cancelled it. Run it with `cargo run --example ch04_late_heartbeat`.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use stage04::{EventLoop, Handle};

/// What the callbacks printed, line by line.
type Log = Rc<RefCell<Vec<String>>>;

/// Prints a line with the tick and the loop time, and keeps it in `log`.
fn say(lp: &EventLoop, log: &Log, what: &str) {
    let t = lp.time().as_secs_f64();
    let line = format!("tick {}  t={t:.3}  {what}", lp.tick());
    println!("{line}");
    log.borrow_mut().push(line);
}

// ANCHOR: solution
/// The beat's period: two seconds where the chapter's program has one.
const BEAT: Duration = Duration::from_secs(2);

fn heartbeat(lp: &EventLoop, log: Log, n: u32, watchdog: Rc<Handle>) {
    say(lp, &log, &format!("heartbeat {n}"));
    if n < 3 {
        lp.call_later(BEAT, move |lp| heartbeat(lp, log, n + 1, watchdog));
    } else {
        watchdog.cancel();
        lp.stop();
    }
}
// ANCHOR_END: solution

/// The chapter's program, with the slower heartbeat.
fn run() -> Vec<String> {
    let log = Log::default();
    let lp = EventLoop::with_virtual_clock();
    let for_watchdog = log.clone();
    let watchdog = lp.call_at(Duration::from_secs(5), move |lp| {
        say(lp, &for_watchdog, "watchdog: the heartbeat is late!");
        lp.stop();
    });
    let for_heartbeat = log.clone();
    lp.call_later(BEAT, move |lp| heartbeat(lp, for_heartbeat, 1, watchdog));
    let (first, second) = (log.clone(), log.clone());
    lp.call_at(Duration::from_secs(2), move |lp| {
        say(lp, &first, "first of the two at t=2")
    });
    lp.call_at(Duration::from_secs(2), move |lp| {
        say(lp, &second, "second of the two at t=2")
    });
    lp.run_forever().expect("the watchdog stops the loop");
    say(&lp, &log, "run_forever returned");
    let lines = log.borrow().clone();
    lines
}

fn main() {
    run();
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_watchdog_fires_at_t5_in_tick_3_before_the_third_beat() {
        assert_eq!(
            super::run(),
            [
                "tick 1  t=2.000  heartbeat 1",
                "tick 1  t=2.000  first of the two at t=2",
                "tick 1  t=2.000  second of the two at t=2",
                "tick 2  t=4.000  heartbeat 2",
                "tick 3  t=5.000  watchdog: the heartbeat is late!",
                "tick 3  t=5.000  run_forever returned",
            ]
        );
    }
}
