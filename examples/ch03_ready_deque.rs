//! Chapter 3, "The ready deque": callbacks, one tick at a time.
//!
//! `hello` schedules `world` while tick 1 is running, so `world` waits for tick 2; `oops` is
//! cancelled before the loop starts, so tick 1 skips it; `count` reschedules itself until it
//! reaches 3 and then stops the loop. Run it with `cargo run --example ch03_ready_deque`.

use steploop::EventLoop;

// ANCHOR: callbacks
fn hello(lp: &EventLoop) {
    lp.print("Hello");
    // Scheduled while tick 1 runs: it lands behind the handles tick 1 is running, so it
    // waits for tick 2.
    lp.call_soon(world);
}

fn world(lp: &EventLoop) {
    lp.print("World");
}

fn count(lp: &EventLoop, n: u32) {
    lp.print(format!("count {n}"));
    if n < 3 {
        let next = n + 1;
        lp.with_label(format!("count({next})"))
            .call_soon(move |lp| count(lp, next));
    } else {
        lp.stop();
    }
}
// ANCHOR_END: callbacks

/// Schedules the callbacks and runs the loop until `count(3)` stops it.
pub fn run(lp: &EventLoop) {
    // ANCHOR: run
    lp.call_soon(hello);
    let oops = lp
        .with_label("oops")
        .call_soon(|lp| lp.print("never printed"));
    lp.with_label("count(1)").call_soon(|lp| count(lp, 1));
    oops.cancel();
    lp.run_forever().expect("count(3) stops the loop");
    // ANCHOR_END: run
}

pub fn main() {
    // ANCHOR: main
    let lp = EventLoop::new();
    lp.set_trace(true);
    run(&lp);
    println!("\nWhat the loop did:\n\n{}", lp.take_trace());
    lp.close().expect("the loop has stopped");
    // ANCHOR_END: main
}
