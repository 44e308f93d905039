// ANCHOR: all
//! Chapter 3's program: three callbacks, one of them cancelled, run tick by tick.
//! Run it with `cargo run -p stage03`.

use stage03::EventLoop;

/// Prints a line with the number of the tick that prints it.
fn say(lp: &EventLoop, what: &str) {
    println!("tick {}  {what}", lp.tick());
}

fn hello(lp: &EventLoop) {
    say(lp, "Hello");
    // Scheduled while tick 1 runs: it waits for tick 2.
    lp.call_soon(world);
}

fn world(lp: &EventLoop) {
    say(lp, "World");
}

fn count(lp: &EventLoop, n: u32) {
    say(lp, &format!("count {n}"));
    if n < 3 {
        lp.call_soon(move |lp| count(lp, n + 1));
    } else {
        lp.stop();
    }
}

pub fn main() {
    let lp = EventLoop::new();
    lp.call_soon(hello);
    let oops = lp.call_soon(|lp| say(lp, "never printed"));
    lp.call_soon(|lp| count(lp, 1));
    oops.cancel();
    lp.run_forever().expect("count(3) stops the loop");
    println!("run_forever returned after {} ticks", lp.tick());
}
// ANCHOR_END: all
