//! Chapter 6, "Tasks": the seed's first programs — `hello_world`, and coroutines nested with
//! `await` (协程嵌套: `print_sum` awaits `compute`, which sleeps).
//!
//! ```python
//! async def compute(x, y):
//!     print("Compute %s + %s ..." % (x, y))
//!     await asyncio.sleep(1.0)
//!     return x + y
//!
//! async def print_sum(x, y):
//!     result = await compute(x, y)
//!     print("%s + %s = %s" % (x, y, result))
//!
//! loop = asyncio.get_event_loop()
//! loop.run_until_complete(print_sum(1, 2))
//! loop.close()
//! ```
//! Run it with `cargo run --example ch06_nested`.

use std::time::Duration;

use steploop::{get_running_loop, sleep, Error, EventLoop};

fn say(line: impl std::fmt::Display) {
    get_running_loop().expect("inside the loop").print(line);
}

// ANCHOR: hello_world
async fn hello_world() -> Result<(), Error> {
    say("Hello World!");
    Ok(())
}
// ANCHOR_END: hello_world

// ANCHOR: nested
async fn compute(x: i32, y: i32) -> Result<i32, Error> {
    say(format!("Compute {x} + {y} ..."));
    sleep(Duration::from_secs(1)).await?;
    Ok(x + y)
}

async fn print_sum(x: i32, y: i32) -> Result<(), Error> {
    // `compute` is not a task: awaiting it runs its body inside print_sum's own steps.
    let result = compute(x, y).await?;
    say(format!("{x} + {y} = {result}"));
    Ok(())
}
// ANCHOR_END: nested

/// Runs `hello_world` to completion on `lp`.
pub fn run_hello(lp: &EventLoop) -> Result<(), Error> {
    // ANCHOR: run_hello
    // Only creates the coroutine: nothing runs yet.
    let coroutine = hello_world();
    lp.run_until_complete(coroutine)
    // ANCHOR_END: run_hello
}

/// Runs `print_sum(1, 2)` to completion on `lp`.
pub fn run_nested(lp: &EventLoop) -> Result<(), Error> {
    lp.run_until_complete(print_sum(1, 2))
}

pub fn main() {
    for run in [run_hello, run_nested] {
        let lp = EventLoop::with_virtual_clock();
        lp.set_trace(true);
        run(&lp).expect("the coroutine finishes");
        println!("\nWhat the loop did:\n\n{}", lp.take_trace());
        lp.close().expect("the loop has stopped");
    }
}
