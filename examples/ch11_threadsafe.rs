//! Chapter 11: `call_soon_threadsafe`. Another thread sends the loop two callbacks through a
//! `LoopHandle`; the loop runs them on its own thread, in the order they were sent. Run it with `cargo run --example ch11_threadsafe`.
//!
//! The sending thread is joined before the loop runs, so every callback is waiting in the
//! loop's queue when the first tick begins, and the trace is the same on every run.

use std::thread;

use steploop::EventLoop;

// ANCHOR: callbacks
fn hello(lp: &EventLoop) {
    let on_sender = thread::current().name() == Some("sender");
    let thread = if on_sender {
        "the sender's"
    } else {
        "the loop's"
    };
    lp.print(format!("hello, running on {thread} thread"));
}

fn tick_tock(lp: &EventLoop) {
    lp.print("tick");
    // On the loop's own thread, plain call_soon.
    lp.call_soon(tock);
}

fn tock(lp: &EventLoop) {
    lp.print("tock");
    lp.stop();
}
// ANCHOR_END: callbacks

// ANCHOR: main
/// Runs the example and returns the loop, whose trace tells what happened.
pub fn run() -> EventLoop {
    let lp = EventLoop::with_virtual_clock();
    lp.set_trace(true);
    let handle = lp.handle(); // Send + Sync + Clone: it may go to another thread
    let sender = thread::Builder::new()
        .name("sender".into())
        .spawn(move || {
            handle.call_soon_threadsafe(hello).unwrap();
            handle.call_soon_threadsafe(tick_tock).unwrap();
        })
        .unwrap();
    sender.join().unwrap();
    lp.run_forever().unwrap();
    lp
}
// ANCHOR_END: main

pub fn main() {
    let lp = run();
    if std::env::args().any(|a| a == "--trace") {
        print!("{}", lp.take_trace());
    }
}
