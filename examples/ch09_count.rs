//! Chapter 9: seed 001's CPU-bound `count` on two threads of the pool. CPython's threads take
//! turns under the global interpreter lock; Rust's run on two cores at once.

use std::hint::black_box;
use std::time::Instant;

use steploop::executor::ThreadPoolExecutor;
use steploop::Error;

// ANCHOR: count
fn count(to: u64) -> u64 {
    let mut counter = 0;
    while counter < to {
        // black_box: an optimising compiler would otherwise replace the loop by its result.
        counter = black_box(counter + 1);
    }
    counter
}
// ANCHOR_END: count

const TO: u64 = 100_000_000;

pub fn main() {
    run().expect("the executor is running");
}

fn run() -> Result<(), Error> {
    // ANCHOR: one_thread
    let start = Instant::now();
    println!("one thread: {} and {}", count(TO), count(TO));
    let one_thread = start.elapsed();
    // ANCHOR_END: one_thread

    // ANCHOR: two_threads
    let executor = ThreadPoolExecutor::new(2);
    let start = Instant::now();
    let task1 = executor.submit(|| count(TO))?;
    let task2 = executor.submit(|| count(TO))?;
    println!("two threads: {} and {}", task1.result()?, task2.result()?);
    let two_threads = start.elapsed();
    // ANCHOR_END: two_threads
    // Timings differ from run to run: they go to standard error, which the tests do not pin.
    eprintln!(
        "one thread {:.2} s, two threads {:.2} s: {:.1} times as fast",
        one_thread.as_secs_f64(),
        two_threads.as_secs_f64(),
        one_thread.as_secs_f64() / two_threads.as_secs_f64()
    );

    // ANCHOR: map
    // The seed's ProcessPoolExecutor.map. Results come in the order of the items: had the
    // long count come first, it would have held back the four quick ones.
    for result in executor.map(count, [1, 3, 5, 22, TO])? {
        println!("{}", result?);
    }
    // ANCHOR_END: map
    Ok(())
}
