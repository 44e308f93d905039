//! Chapter 11: seed 004's "不同线程的事件循环" — a loop that runs forever in a thread of its
//! own, fed coroutines from the main thread with `run_coroutine_threadsafe`, and stopped from
//! the main thread at the end. Run it with `cargo run --example ch11_loop_thread`.
//!
//! The seed's coroutines sleep 6 and 4 seconds; ours sleep as many tenths of a second, on the
//! real clock. Lines come from two threads, so each says which. Each thread's lines come in
//! the same order on every run: the loop thread's in the order its tasks run, the main
//! thread's only once it has waited for what they say. How the two threads' lines interleave
//! can differ: when the 0.4 s sleep is over, the main thread wakes to print while the loop
//! thread waits out the other 0.2 s, and on a busy machine a thread may wake late.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use steploop::executor::as_completed;
use steploop::{run_coroutine_threadsafe, sleep, Error, EventLoop, LoopHandle};

// ANCHOR: do_some_work
async fn do_some_work(x: u64) -> Result<u64, Error> {
    println!("loop thread: Waiting {x}");
    sleep(Duration::from_millis(100 * x)).await?;
    println!("loop thread: Done after {x}s");
    Ok(x)
}
// ANCHOR_END: do_some_work

// ANCHOR: start_loop
/// The seed's `start_loop`: make a loop, hand out its handle, run it until stopped.
fn start_loop(handle_out: mpsc::Sender<LoopHandle>) -> Result<(), Error> {
    let new_loop = EventLoop::new();
    handle_out
        .send(new_loop.handle())
        .expect("main waits for it");
    let outcome = new_loop.run_forever();
    println!("loop thread: run_forever returned");
    new_loop.close()?;
    outcome
}
// ANCHOR_END: start_loop

pub fn main() {
    // ANCHOR: main
    let (handle_out, handle_in) = mpsc::channel();
    let t = thread::Builder::new()
        .name("loop".into())
        .spawn(move || start_loop(handle_out))
        .expect("a thread");
    let new_loop = handle_in.recv().expect("the loop thread sends its handle");

    println!("main thread: sending do_some_work(6) and do_some_work(4)");
    let six = run_coroutine_threadsafe(|| do_some_work(6), &new_loop);
    let four = run_coroutine_threadsafe(|| do_some_work(4), &new_loop);

    // The returned futures are concurrent.futures ones: wait for them as chapter 9 did.
    for future in as_completed([&six, &four], None) {
        let x = future.expect("no timeout").result().expect("it slept");
        println!("main thread: do_some_work({x}) returned {x}");
    }

    new_loop.stop().expect("the loop is still open"); // loop.call_soon_threadsafe(loop.stop)
    t.join()
        .expect("no panic")
        .expect("run_forever ended with stop()");
    // ANCHOR_END: main
}
