//! Chapter 5, "Futures": done-callbacks (the seed's 绑定回调 example).
//!
//! ```python
//! async def do_some_work(x):
//!     print('Waiting: ', x)
//!     await asyncio.sleep(x)
//!     return 'Done after {}s'.format(x)
//!
//! def callback(i, future):
//!     print('Callback: ', future.result())
//!
//! coroutine = do_some_work(2)
//! loop = asyncio.get_event_loop()
//! task = asyncio.ensure_future(coroutine)
//! task.add_done_callback(functools.partial(callback, 2))
//! loop.run_until_complete(task)
//! ```
//!
//! Next to the task, a bare future whose result a timer sets after one second, as
//! `asyncio.sleep` does inside: its done-callback runs on the tick after `set_result`, never
//! inside it. On the virtual clock the run is instant. Run it with
//! `cargo run --example ch05_callbacks`.

use std::time::Duration;

use steploop::{get_running_loop, sleep, Error, EventLoop, Future};

// ANCHOR: do_some_work
async fn do_some_work(x: u64) -> Result<String, Error> {
    let lp = get_running_loop().expect("coroutines run inside the loop");
    lp.print(format!("Waiting: {x}"));
    sleep(Duration::from_secs(x)).await?;
    Ok(format!("Done after {x}s"))
}
// ANCHOR_END: do_some_work

// ANCHOR: callbacks
/// The seed's `callback(i, future)`: the loop passes the future; `i` is an extra argument.
fn callback(i: u32, future: &Future<String>) {
    let result = future.result().expect("the task succeeded");
    future
        .get_loop()
        .print(format!("Callback: i={i}, {result}"));
}

/// A done-callback with no extra argument: a plain function will do.
fn on_done(future: &Future<u32>) {
    let result = future.result().expect("the timer set a result");
    future
        .get_loop()
        .print(format!("on_done: {} has result {result}", future.label()));
}
// ANCHOR_END: callbacks

/// Runs the task to completion next to a bare future that a timer completes; returns the
/// task's result.
pub fn run(lp: &EventLoop) -> Result<String, Error> {
    // ANCHOR: run
    let task = lp.create_task(do_some_work(2));
    // functools.partial(callback, 2): the closure captures the extra argument.
    task.add_done_callback(move |future| callback(2, future));

    // A bare future, completed by a timer after one second.
    let fut = lp.create_future::<u32>();
    fut.add_done_callback(on_done);
    let setter = fut.clone();
    lp.with_label("set_result(42)")
        .call_later(Duration::from_secs(1), move |lp| {
            setter.set_result(42).expect("nobody else sets it");
            lp.print("set_result returned; on_done has not run yet");
        });

    lp.run_until_complete(task)
    // ANCHOR_END: run
}

pub fn main() {
    // ANCHOR: main
    let lp = EventLoop::with_virtual_clock();
    lp.set_trace(true);
    let result = run(&lp).expect("do_some_work(2) succeeds");
    println!("run_until_complete returned {result:?}");
    println!("\nWhat the loop did:\n\n{}", lp.take_trace());
    // ANCHOR_END: main
}
