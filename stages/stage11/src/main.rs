// ANCHOR: callbacks
//! Chapter 11's program: a thread that sends callbacks to a running loop, then lets go of its
//! handle; seed 004's loop in another thread, running what the main thread sends it. Run it
//! with `cargo run -p stage11`.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use stage11::{run_coroutine_threadsafe, sleep, Error, EventLoop};

/// Another thread sends the running loop three callbacks, and drops its handle.
fn callbacks_from_a_thread() {
    let lp = EventLoop::new();
    let loop_thread = thread::current().id();
    let handle = lp.handle();
    let sender = thread::spawn(move || {
        for n in 1..=3 {
            handle.call_soon_threadsafe(move |_| {
                let here = thread::current().id() == loop_thread;
                println!("callback {n} from the sender; on the loop's thread: {here}");
            });
        }
        // `handle` is dropped here: nobody can send the loop anything any more.
    });
    let outcome = lp.run_forever();
    sender.join().expect("the sender ends");
    println!("run_forever returned {outcome:?}");
}
// ANCHOR_END: callbacks

// ANCHOR: loop_thread
/// The seed's `do_some_work(x)`, sleeping `x` tenths of a second where the seed sleeps `x`
/// seconds.
async fn do_some_work(x: u64) -> Result<String, Error> {
    sleep(Duration::from_millis(100 * x)).await?;
    Ok(format!("Done after {x}s"))
}

/// A loop runs for ever in a thread of its own; the main thread sends it two coroutines, and
/// is free while they run, until it asks for their results.
fn loop_in_a_thread() {
    let (send_handle, receive_handle) = mpsc::channel();
    let loop_thread = thread::spawn(move || {
        let new_loop = EventLoop::new();
        send_handle.send(new_loop.handle()).expect("main listens");
        new_loop.run_forever() // until main stops it
    });
    let new_loop = receive_handle
        .recv()
        .expect("the loop's thread sends its handle");
    let futures = [2, 1].map(|x| {
        (
            x,
            run_coroutine_threadsafe(move || do_some_work(x), &new_loop),
        )
    });
    println!("main: sent do_some_work(2) and do_some_work(1); not blocked");
    for (x, future) in futures {
        println!("main: do_some_work({x}) returned {:?}", future.result());
    }
    new_loop.stop();
    let outcome = loop_thread.join().expect("the loop's thread ends");
    println!("main: the loop's thread returned {outcome:?}");
}

pub fn main() {
    callbacks_from_a_thread();
    println!();
    loop_in_a_thread();
}
// ANCHOR_END: loop_thread
