//! Chapter 5, "Futures": done-callbacks on steploop, traced — stage 5's program (the seed's
//! 绑定回调, binding a callback) on the real loop.
//!
//! A timer sets a future's result after one second. `set_result` only schedules the future's
//! two callbacks; they run on the next tick, in the order they were added. The first adds a
//! third callback to the future, which is done by then: it is scheduled at once and runs on
//! the tick after, and stops the loop. On the virtual clock the run is instant. Run it with
//! `cargo run --example ch05_callbacks`.

use std::time::Duration;

use steploop::{Error, EventLoop, Future};

// ANCHOR: callbacks
/// The seed's `callback(i, future)`: the loop passes the future; `i` is an extra argument.
fn callback(i: u32, future: &Future<u32>) {
    let result = future.result().expect("the timer set a result");
    future
        .get_loop()
        .print(format!("callback({i}): the result is {result}"));
}

/// `functools.partial(callback, 2)`, written as a function. A closure would bind the `2` as
/// well (`move |future| callback(2, future)`), but a trace names a closure after the function
/// that holds it (`run::{closure}`); a function is named by its own name.
fn callback_2(future: &Future<u32>) {
    callback(2, future);
}

fn on_done(future: &Future<u32>) {
    future.get_loop().print("on_done: the future is done");
    // Too late to be called with the others: scheduled at once, run on the next tick.
    future.add_done_callback(late);
}

fn late(future: &Future<u32>) {
    let lp = future.get_loop();
    lp.print("late: added to a done future; stops the loop");
    lp.stop();
}
// ANCHOR_END: callbacks

/// Runs the program on `lp`; returns the future's result.
pub fn run(lp: &EventLoop) -> Result<u32, Error> {
    // ANCHOR: run
    let fut = lp.create_future::<u32>();
    fut.add_done_callback(on_done);
    fut.add_done_callback(callback_2);
    let setter = fut.clone();
    lp.with_label("set_result(42)")
        .call_later(Duration::from_secs(1), move |lp| {
            setter.set_result(42).expect("nobody else sets it");
            lp.print("set_result(42) returned; no callback has run yet");
        });
    lp.run_forever()?;
    fut.result()
    // ANCHOR_END: run
}

pub fn main() {
    // ANCHOR: main
    let lp = EventLoop::with_virtual_clock();
    lp.set_trace(true);
    let result = run(&lp).expect("the timer sets the result");
    println!("the future's result: {result}");
    println!("\nWhat the loop did:\n\n{}", lp.take_trace());
    // ANCHOR_END: main
}
