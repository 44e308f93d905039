//! Chapter 9, exercise 2: `as_completed` on stage 9's pool, from done-callbacks and a channel:
//! each future as soon as it is done, whatever the order it was submitted in. Run it with
//! `cargo run --example ch09_completion_order`.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use stage09::{ConcurrentFuture, Error, ThreadPoolExecutor};

// ANCHOR: solution
/// Yields each of `futures` once it is done, the first done first (`as_completed(fs)`). Each
/// future's done-callback sends its index down a channel, from whichever thread completes
/// it; the iterator receives, blocking until the next one comes. Futures already done send at
/// once, in the order given, so they come first.
pub fn as_completed<T: Clone + Send + 'static>(
    futures: &[ConcurrentFuture<T>],
) -> impl Iterator<Item = ConcurrentFuture<T>> + '_ {
    let (sender, receiver) = mpsc::channel();
    for (index, future) in futures.iter().enumerate() {
        let sender = sender.clone();
        future.add_done_callback(move |_| {
            let _ = sender.send(index); // nobody listens once the caller stopped reading
        });
    }
    let indices = receiver.into_iter().take(futures.len());
    indices.map(|index| futures[index].clone())
}
// ANCHOR_END: solution

/// The seed's `task`, sleeping `n` tenths of a second.
fn task(name: &str, age: u32, n: u64) -> String {
    thread::sleep(Duration::from_millis(100 * n));
    format!("name is {name}, age is {age}, sleep 0.{n}s")
}

fn main() -> Result<(), Error> {
    let executor = ThreadPoolExecutor::new(5);
    let jobs = [
        ("椎名真白", 16, 5),
        ("古明地觉", 16, 2),
        ("古明地恋", 15, 4),
    ];
    let jobs = jobs
        .into_iter()
        .chain([("坂上智代", 19, 3), ("春日野穹", 16, 6)]);
    let mut futures = Vec::new();
    for (name, age, n) in jobs {
        futures.push(executor.submit(move || task(name, age, n))?);
    }
    for future in as_completed(&futures) {
        println!("{}", future.result()?);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn futures_come_in_the_order_they_are_done() {
        let executor = ThreadPoolExecutor::new(3);
        let mut gates = Vec::new();
        let mut futures = Vec::new();
        for i in 0..3 {
            let (release, gate) = mpsc::channel::<()>();
            gates.push(release);
            futures.push(
                executor
                    .submit(move || gate.recv().map(|()| i).unwrap())
                    .unwrap(),
            );
        }
        let mut completed = as_completed(&futures);
        // Released one at a time, each seen before the next is released.
        for i in [2, 0, 1] {
            gates[i].send(()).unwrap();
            assert_eq!(completed.next().unwrap().result().unwrap(), i);
        }
        assert!(completed.next().is_none());
    }

    #[test]
    fn futures_already_done_come_first_in_the_order_given() {
        let executor = ThreadPoolExecutor::new(1);
        let done: Vec<_> = (0..3)
            .map(|i| executor.submit(move || i).unwrap())
            .collect();
        for future in &done {
            future.result().unwrap();
        }
        let order: Vec<i32> = as_completed(&done).map(|f| f.result().unwrap()).collect();
        assert_eq!(order, [0, 1, 2]);
    }
}
