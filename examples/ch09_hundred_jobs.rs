//! Chapter 9: seed 002's hundred jobs, of which job 50 fails. With `map`, the first failure
//! ends the loop; with `submit` and `as_completed`, each failure is caught on its own future.

use std::collections::HashMap;
use std::ops::Range;

use steploop::executor::{as_completed, ThreadPoolExecutor};
use steploop::Error;

const NUMBERS: Range<u32> = 0..100;

// ANCHOR: fetch
/// The seed fetches `http://httpbin.org/get?number={num}` and keeps the `args` it echoes back;
/// we build the same answer locally, without a network.
fn fetch(num: u32) -> Result<String, Error> {
    if num == 50 {
        return Err(Error::msg("Something wrong!"));
    }
    Ok(format!("{{'number': '{num}'}}"))
}
// ANCHOR_END: fetch

// ANCHOR: map
fn with_map() -> Result<(), Error> {
    let executor = ThreadPoolExecutor::new(4);
    for (num, result) in NUMBERS.zip(executor.map_fallible(fetch, NUMBERS)?) {
        println!("{num} ---> {}", result?);
    }
    Ok(())
}
// ANCHOR_END: map

// ANCHOR: submit
// Clippy frowns on keys with interior mutability; a future hashes by identity, which is fixed.
#[allow(clippy::mutable_key_type)]
fn with_submit() -> Result<(), Error> {
    let executor = ThreadPoolExecutor::new(5);
    // Futures compare by identity, so they can key a map, like the seed's dict comprehension.
    let mut futures = HashMap::new();
    for num in NUMBERS {
        futures.insert(executor.submit_fallible(move || fetch(num))?, num);
    }
    let mut returned = 0;
    for future in as_completed(futures.keys(), None) {
        let future = future?;
        match future.result() {
            // Completion order changes from run to run: count these instead of printing them.
            Ok(_) => returned += 1,
            Err(error) => println!("{} ---> something goes wrong: {error}", futures[&future]),
        }
    }
    println!("{returned} jobs returned a value");
    Ok(())
}
// ANCHOR_END: submit

pub fn main() {
    // ANCHOR: main
    if let Err(error) = with_map() {
        println!("map stopped at the first error: {error}");
    }
    with_submit().expect("the executor is running");
    // ANCHOR_END: main
}
