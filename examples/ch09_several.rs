//! Chapter 9: several jobs at once. Results come back in the order we ask for them, whatever
//! the order the jobs finish in; and `done()` tells, without blocking, whether a job is over.

use std::sync::mpsc;
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
    // The job waits for main's word before its 0.3 s of work, so that the first answer is
    // `false` however late main asks.
    let (go, job_waits) = mpsc::channel();
    let future = executor.submit(move || {
        job_waits.recv().expect("main gives the word");
        task("椎名真白", 16, 3)
    })?;
    println!("future.done() is {}", future.done());
    go.send(()).expect("the job is waiting for it");
    let mut looks = 0;
    while !future.done() {
        // done() does not block: main could do other work here between two looks.
        looks += 1;
        thread::sleep(Duration::from_millis(100));
    }
    println!("future.done() is {}", future.done());
    // ANCHOR_END: done
    eprintln!("main looked {looks} times while the job ran");
    Ok(())
}
