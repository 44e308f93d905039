//! Chapter 6, "Tasks": the seed's `main()` awaiting two `say_after` tasks, traced tick by tick.
//!
//! ```python
//! async def say_after(delay, what):
//!     print(delay)
//!     await asyncio.sleep(delay)
//!     print(what)
//!
//! async def main():
//!     task1 = asyncio.create_task(say_after(1, "task1"))
//!     task2 = asyncio.create_task(say_after(2, "task2"))
//!     print(f"started at {time.strftime('%X')}")
//!     await task1
//!     await task2
//!     print(f"finished at {time.strftime('%X')}")
//!
//! asyncio.run(main())
//! ```
//! Run it with `cargo run --example ch06_say_after`.

use std::time::Duration;

use steploop::timeline::{TickMarks, Timeline};
use steploop::trace::Trace;
use steploop::{get_running_loop, sleep, Error, EventLoop};

/// `print` for coroutines: prints, and notes the line in the running loop's trace.
fn say(line: impl std::fmt::Display) {
    let lp = get_running_loop().expect("coroutines run inside the loop");
    lp.print(line);
}

/// The loop's clock, as `time.strftime('%X')` would show it, but in loop seconds.
fn now() -> String {
    let lp = get_running_loop().expect("coroutines run inside the loop");
    format!("t={:.3}", lp.time().as_secs_f64())
}

// ANCHOR: say_after
async fn say_after(delay: u64, what: &str) -> Result<(), Error> {
    say(delay);
    sleep(Duration::from_secs(delay)).await?;
    say(what);
    Ok(())
}
// ANCHOR_END: say_after

// ANCHOR: main_coro
async fn main_coro() -> Result<(), Error> {
    let lp = get_running_loop().expect("inside the loop");
    let task1 = lp.create_task(say_after(1, "task1"));
    let task2 = lp.create_task(say_after(2, "task2"));
    say(format!("started at {}", now()));
    task1.await?;
    task2.await?;
    say(format!("finished at {}", now()));
    Ok(())
}
// ANCHOR_END: main_coro

// ANCHOR: sequential
/// The same two calls awaited directly, without tasks: nothing else is in the loop while the
/// first one sleeps, so the second starts only after it.
async fn main_sequential() -> Result<(), Error> {
    say(format!("started at {}", now()));
    say_after(1, "task1").await?;
    say_after(2, "task2").await?;
    say(format!("finished at {}", now()));
    Ok(())
}
// ANCHOR_END: sequential

/// `asyncio.run(main())` on the given loop: two tasks, done at t=2.
pub fn run(lp: &EventLoop) -> Result<(), Error> {
    steploop::run_with(lp, main_coro())
}

/// The sequential version: done at t=3.
pub fn run_sequential(lp: &EventLoop) -> Result<(), Error> {
    steploop::run_with(lp, main_sequential())
}

// ANCHOR: picture
/// The timeline of `run` on a virtual clock.
pub fn picture() -> String {
    timeline(&traced_run()).to_svg()
}

/// How the picture is drawn.
fn timeline(trace: &Trace) -> Timeline<'_> {
    Timeline::new()
        .fit_width(Timeline::BOOK_COLUMN)
        .px_per_second(320.0)
        .panel("say_after: main() awaits two tasks", trace)
}
// ANCHOR_END: picture

/// Where the picture's ticks are, for the book's step-through viewer.
pub fn picture_marks() -> Vec<TickMarks> {
    timeline(&traced_run()).tick_marks()
}

fn traced_run() -> Trace {
    let lp = EventLoop::with_virtual_clock();
    lp.set_trace(true);
    run(&lp).expect("main() finishes");
    lp.take_trace()
}

pub fn main() {
    // ANCHOR: main
    let lp = EventLoop::with_virtual_clock();
    lp.set_trace(true);
    run(&lp).expect("main() finishes");
    println!("\nWhat the loop did:\n\n{}", lp.take_trace());
    // ANCHOR_END: main

    println!("Awaiting the coroutines directly, one after the other:\n");
    let lp = EventLoop::with_virtual_clock();
    lp.set_trace(true);
    run_sequential(&lp).expect("main() finishes");
    println!(
        "\nWhat the loop did (finished at t={:.3}, not t=2.000):\n\n{}",
        lp.time().as_secs_f64(),
        lp.take_trace()
    );
}
