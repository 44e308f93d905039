// ANCHOR: say_after
//! Chapter 6's program: the seed's `main()` awaiting two `say_after` tasks, then three workers
//! cancelled halfway. Run it with `cargo run -p stage06`.

use std::time::Duration;

use stage06::{get_running_loop, sleep, Error, EventLoop};

/// Prints a line with the tick, the loop time, and who prints it.
fn say(who: &str, what: &str) {
    let lp = get_running_loop().expect("coroutines run inside the loop");
    let t = lp.time().as_secs_f64();
    println!("tick {}  t={t:.3}  {who}: {what}", lp.tick());
}

async fn say_after(delay: u64, what: &'static str) -> Result<(), Error> {
    say(what, &delay.to_string());
    sleep(Duration::from_secs(delay)).await?;
    say(what, what);
    Ok(())
}

async fn main_coro() -> Result<(), Error> {
    let lp = get_running_loop().expect("main runs inside the loop");
    let task1 = lp.create_task("task1", say_after(1, "task1"));
    let task2 = lp.create_task("task2", say_after(2, "task2"));
    say("main", "started");
    task1.await?;
    say("main", "task1 is done");
    task2.await?;
    say("main", "finished");
    Ok(())
}
// ANCHOR_END: say_after

// ANCHOR: cancel
async fn worker(name: &'static str, seconds: u64) -> Result<u64, Error> {
    sleep(Duration::from_secs(seconds)).await?;
    say(name, "done");
    Ok(seconds)
}

/// Catches its cancellation, cleans up for half a second, and returns 0.
async fn careful_worker(name: &'static str, seconds: u64) -> Result<u64, Error> {
    match sleep(Duration::from_secs(seconds)).await {
        Err(Error::Cancelled) => {
            say(name, "cancelled: cleaning up");
            sleep(Duration::from_millis(500)).await?;
            Ok(0)
        }
        slept => slept.map(|()| seconds),
    }
}

async fn cancel_all() -> Result<(), Error> {
    let lp = get_running_loop().expect("inside the loop");
    let tasks = [
        lp.create_task("worker1", worker("worker1", 1)),
        lp.create_task("worker2", worker("worker2", 2)),
        lp.create_task("careful3", careful_worker("careful3", 3)),
    ];
    sleep(Duration::from_millis(1500)).await?;
    for task in &tasks {
        say(
            "main",
            &format!("{}.cancel() -> {}", task.name(), task.cancel()),
        );
    }
    for task in tasks {
        let name = task.name().to_string();
        say("main", &format!("{name} ended with {:?}", task.await));
    }
    Ok(())
}

pub fn main() {
    let lp = EventLoop::with_virtual_clock();
    let main_task = lp.create_task("main", main_coro());
    lp.run_until_complete(&main_task).expect("main() finishes");
    println!("run_until_complete returned after {} ticks\n", lp.tick());

    let lp = EventLoop::with_virtual_clock();
    let main_task = lp.create_task("main", cancel_all());
    lp.run_until_complete(&main_task).expect("main() finishes");
}
// ANCHOR_END: cancel
