// ANCHOR: all
//! Chapter 4's program: a heartbeat, a watchdog it cancels, and two timers due at the same
//! instant, on the virtual clock. Run it with `cargo run -p stage04`.

use std::rc::Rc;
use std::time::Duration;

use stage04::{EventLoop, Handle};

/// Prints a line with the tick and the loop time.
fn say(lp: &EventLoop, what: &str) {
    let t = lp.time().as_secs_f64();
    println!("tick {}  t={t:.3}  {what}", lp.tick());
}

fn heartbeat(lp: &EventLoop, n: u32, watchdog: Rc<Handle>) {
    say(lp, &format!("heartbeat {n}"));
    if n < 3 {
        lp.call_later(Duration::from_secs(1), move |lp| {
            heartbeat(lp, n + 1, watchdog)
        });
    } else {
        // Three beats on time: the watchdog has nothing left to guard.
        watchdog.cancel();
        lp.stop();
    }
}

pub fn main() {
    let lp = EventLoop::with_virtual_clock();
    let watchdog = lp.call_at(Duration::from_secs(5), |lp| {
        say(lp, "watchdog: the heartbeat is late!");
        lp.stop();
    });
    lp.call_later(Duration::from_secs(1), move |lp| heartbeat(lp, 1, watchdog));
    // Two timers for the same instant: they run in the order they were scheduled.
    lp.call_at(Duration::from_secs(2), |lp| {
        say(lp, "first of the two at t=2")
    });
    lp.call_at(Duration::from_secs(2), |lp| {
        say(lp, "second of the two at t=2")
    });
    lp.run_forever()
        .expect("the third heartbeat stops the loop");
    println!("run_forever returned at t={:.3}", lp.time().as_secs_f64());
}
// ANCHOR_END: all
