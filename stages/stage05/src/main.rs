// ANCHOR: callbacks
//! Chapter 5's program: a future that a timer completes, its done-callbacks, and a coroutine
//! that awaits a future, polled by hand. Run it with `cargo run -p stage05`.

use std::future::Future as _;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Wake, Waker};
use std::time::Duration;

use stage05::{Error, EventLoop, Future};

/// Prints a line with the tick and the loop time.
fn say(lp: &EventLoop, what: &str) {
    let t = lp.time().as_secs_f64();
    println!("tick {}  t={t:.3}  {what}", lp.tick());
}

/// The seed's `callback(i, future)`: the loop passes the future, `i` is bound beforehand.
fn callback(i: u32, future: &Future<u32>) {
    let result = future.result().expect("the timer set a result");
    say(
        &future.get_loop(),
        &format!("callback({i}): the result is {result}"),
    );
}

fn on_done(future: &Future<u32>) {
    say(&future.get_loop(), "on_done: the future is done");
    // Too late to be called with the others: scheduled at once, run on the next tick.
    future.add_done_callback(|future| {
        say(
            &future.get_loop(),
            "late: added to a done future; stops the loop",
        );
        future.get_loop().stop();
    });
}

fn done_callbacks() {
    let lp = EventLoop::with_virtual_clock();
    let fut = lp.create_future::<u32>();
    fut.add_done_callback(on_done);
    // functools.partial(callback, 2): the closure captures the extra argument.
    fut.add_done_callback(move |future| callback(2, future));
    let setter = fut.clone();
    lp.call_later(Duration::from_secs(1), move |lp| {
        setter.set_result(42).expect("nobody else sets it");
        say(lp, "set_result(42) returned; no callback has run yet");
    });
    lp.run_forever().expect("the last callback stops the loop");
}
// ANCHOR_END: callbacks

// ANCHOR: by_hand
/// A coroutine that awaits a future.
async fn double(fut: Future<u32>) -> Result<u32, Error> {
    let value = fut.await?;
    Ok(value * 2)
}

/// A waker that only remembers that it was woken. (Chapter 6's task schedules a step.)
#[derive(Default)]
struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

fn awaiting_by_hand() {
    let lp = EventLoop::with_virtual_clock();
    let fut = lp.create_future::<u32>();
    let setter = fut.clone();
    lp.call_later(Duration::from_secs(1), move |lp| {
        say(lp, "set_result(21)");
        setter.set_result(21).expect("nobody else sets it");
    });
    let flag = Arc::new(Flag::default());
    let waker = Waker::from(flag.clone());
    let mut cx = Context::from_waker(&waker);
    let mut coroutine = pin!(double(fut));
    println!("first poll: {:?}", coroutine.as_mut().poll(&mut cx));
    while !flag.0.load(Ordering::SeqCst) {
        lp.run_once().expect("the timer is pending");
    }
    println!("woken; second poll: {:?}", coroutine.as_mut().poll(&mut cx));
}

pub fn main() {
    println!("Done-callbacks:");
    done_callbacks();
    println!("\nAwaiting a future, polled by hand:");
    awaiting_by_hand();
}
// ANCHOR_END: by_hand
