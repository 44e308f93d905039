//! Chapter 4, "Time": the timer heap, `call_later` and `call_at`, cancelling a timer.
//!
//! A heartbeat beats once a second, three times. A watchdog, set for t=5, would complain if
//! the heartbeat were too slow; the third beat cancels it. Two timers set for the same instant
//! show that equal deadlines fire in the order they were scheduled. On the virtual clock the
//! whole run takes microseconds and prints the same times every run.
//! Run it with `cargo run --example ch04_time`.

use std::time::Duration;

use steploop::{EventLoop, TimerHandle};

// ANCHOR: heartbeat
fn heartbeat(lp: &EventLoop, n: u32, watchdog: TimerHandle) {
    lp.print(format!("heartbeat {n} at t={:.3}", lp.time().as_secs_f64()));
    if n < 3 {
        let next = n + 1;
        lp.with_label(format!("heartbeat({next})"))
            .call_later(Duration::from_secs(1), move |lp| {
                heartbeat(lp, next, watchdog)
            });
    } else {
        // Three beats on time: the watchdog has nothing left to guard.
        watchdog.cancel();
        lp.stop();
    }
}
// ANCHOR_END: heartbeat

/// Sets the timers and runs the loop until the third heartbeat stops it.
pub fn run(lp: &EventLoop) {
    // ANCHOR: run
    let watchdog = lp
        .with_label("watchdog")
        .call_at(Duration::from_secs(5), |lp| {
            lp.print("watchdog: the heartbeat is late!");
            lp.stop();
        });
    lp.with_label("heartbeat(1)")
        .call_later(Duration::from_secs(1), move |lp| heartbeat(lp, 1, watchdog));
    // Two timers for the same instant: they fire in the order they were scheduled.
    lp.with_label("first at 2")
        .call_at(Duration::from_secs(2), |lp| {
            lp.print("first of the two at t=2")
        });
    lp.with_label("second at 2")
        .call_at(Duration::from_secs(2), |lp| {
            lp.print("second of the two at t=2")
        });
    lp.run_forever()
        .expect("the third heartbeat stops the loop");
    // ANCHOR_END: run
}

pub fn main() {
    // ANCHOR: main
    let lp = EventLoop::with_virtual_clock();
    lp.set_trace(true);
    run(&lp);
    println!("\nWhat the loop did:\n\n{}", lp.take_trace());
    println!(
        "The loop's clock reads t={:.3}; the cancelled watchdog still sits in the heap \
         ({} timer), to be dropped when it reaches the top.",
        lp.time().as_secs_f64(),
        lp.scheduled_timers()
    );
    // ANCHOR_END: main
}
