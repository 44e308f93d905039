//! Chapter 9: a bare `ConcurrentFuture`, a done-callback and `set_result`, the first example of
//! the seed's `concurrent.futures` section.

use steploop::executor::ConcurrentFuture;

pub fn main() {
    // ANCHOR: main
    let future = ConcurrentFuture::new();

    // Called with the future once it is done, in the thread that completes it: here, this one.
    future.add_done_callback(|future| {
        let value = future.result().expect("the future holds a value");
        println!("set_result was called, so the callback runs; the result: {value}");
    });

    future
        .set_result("some value")
        .expect("a new future is not done yet");
    // ANCHOR_END: main

    // ANCHOR: late
    // A callback added to a future that is done already runs at once.
    future.add_done_callback(|future| println!("added after the fact, runs at once: {future:?}"));
    // ANCHOR_END: late
}
