//! Chapter 9, exercise 1: `map` on stage 9's pool, from `submit` and `result` alone, with
//! Python's two promises: the results come back in the order of the items, and the jobs not
//! yet started are cancelled when the caller stops reading. Run it with
//! `cargo run --example ch09_map_on_submit`.

use std::collections::VecDeque;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use stage09::{ConcurrentFuture, Error, ThreadPoolExecutor};

// ANCHOR: solution
/// `executor.map(f, items)`: one job per item, all submitted at once; the results in the
/// order of the items, each waited for in turn.
pub fn map<I, T, F>(executor: &ThreadPoolExecutor, f: F, items: I) -> Result<MapResults<T>, Error>
where
    I: IntoIterator,
    I::Item: Send + 'static,
    T: Clone + Send + 'static,
    F: Fn(I::Item) -> T + Send + Sync + 'static,
{
    let f = Arc::new(f); // every job calls the same function
    let mut futures = VecDeque::new();
    for item in items {
        let f = f.clone();
        futures.push_back(executor.submit(move || f(item))?);
    }
    Ok(MapResults { futures })
}

/// The results of `map`, in the order of the items.
pub struct MapResults<T: Clone + Send + 'static> {
    futures: VecDeque<ConcurrentFuture<T>>,
}

impl<T: Clone + Send + 'static> Iterator for MapResults<T> {
    type Item = Result<T, Error>;

    fn next(&mut self) -> Option<Result<T, Error>> {
        Some(self.futures.pop_front()?.result())
    }
}

/// Python's `map` ends its generator with `for future in fs: future.cancel()`: whoever stops
/// reading early does not leave the rest of the jobs to run for nobody.
impl<T: Clone + Send + 'static> Drop for MapResults<T> {
    fn drop(&mut self) {
        for future in &self.futures {
            future.cancel();
        }
    }
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
    for result in map(&executor, |(name, age, n)| task(name, age, n), jobs)? {
        println!("{}", result?);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::mpsc;

    #[test]
    fn the_results_come_in_the_order_of_the_items() {
        let executor = ThreadPoolExecutor::new(3);
        let results = map(&executor, |n: u64| n * 10, [5, 2, 4, 3, 6]).unwrap();
        let results: Result<Vec<u64>, Error> = results.collect();
        assert_eq!(results.unwrap(), [50, 20, 40, 30, 60]);
    }

    #[test]
    fn jobs_not_started_are_cancelled_when_the_results_are_dropped() {
        let executor = ThreadPoolExecutor::new(1);
        let ran = Arc::new(AtomicUsize::new(0));
        let (started, first_started) = mpsc::channel();
        let (release, gate) = mpsc::channel::<()>();
        let (started, gate) = (std::sync::Mutex::new(started), std::sync::Mutex::new(gate));
        let counter = ran.clone();
        let results = map(
            &executor,
            move |i: usize| {
                if i == 0 {
                    started.lock().unwrap().send(()).unwrap();
                    gate.lock().unwrap().recv().unwrap();
                }
                counter.fetch_add(1, Ordering::SeqCst);
                i
            },
            0..5,
        )
        .unwrap();
        first_started.recv().unwrap(); // job 0 runs; jobs 1 to 4 wait in the queue
        drop(results);
        release.send(()).unwrap();
        executor.shutdown(true);
        assert_eq!(
            ran.load(Ordering::SeqCst),
            1,
            "only the job that had started ran"
        );
    }
}
