//! Chapter 9: several jobs at once. Results come back in the order we ask for them, whatever
//! the order the jobs finish in; and `done()` tells, without blocking, whether a job is over.

use std::thread;
use std::time::Duration;

use steploop::executor::ThreadPoolExecutor;
use steploop::Error;

/// The seeds' `task`, sleeping `n` tenths of a second.
fn task(name: &str, age: u32, n: u64) -> String {
    thread::sleep(Duration::from_millis(100 * n));
    format!("name is {name}, age is {age}, sleep 0.{n}s")
}

pub fn main() {
    run().expect("the executor is running");
}

fn run() -> Result<(), Error> {
    // ANCHOR: in_order
    let executor = ThreadPoolExecutor::default();
    let futures = [5, 2, 4, 3, 6]
        .into_iter()
        .map(|n| executor.submit(move || task("古明地觉", 16, n)))
        .collect::<Result<Vec<_>, Error>>()?;

    // The first result takes 0.5 s; by then the next three are ready and print at once.
    for future in &futures {
        println!("{}", future.result()?);
    }
    // ANCHOR_END: in_order

    // ANCHOR: done
    let future = executor.submit(|| task("椎名真白", 16, 3))?;
    let mut polls = 0;
    let mut last_seen = None;
    loop {
        polls += 1;
        let done = future.done();
        // The number of polls depends on timing, so print only when the answer changes.
        if last_seen != Some(done) {
            println!("future.done() is {done}");
            last_seen = Some(done);
        }
        if done {
            break;
        }
        thread::sleep(Duration::from_millis(100));
    }
    // ANCHOR_END: done
    eprintln!("done() was asked {polls} times");
    Ok(())
}
