//! A thread pool simulated on the virtual clock, for pictures that must come out the same on
//! every run: shared by the chapters' simulated programs (`ch10_simulated`, `ch13_simulated`).

use std::cell::Cell;
use std::time::Duration;

use steploop::{EventLoop, Future};

// ANCHOR: pool
/// A thread pool simulated on the virtual clock: `workers` threads taking jobs first come,
/// first served, each job keeping its worker busy for `cost` of loop time.
///
/// A job starts when a worker is free — at once if one is idle, else when the first one
/// finishes — and its result reaches the loop when it ends, as `_set_state` does for a real
/// pool. Which idle worker takes a job is the operating system's choice in a real pool; here
/// it is the lowest-numbered one.
pub struct SimulatedPool {
    prefix: &'static str,
    /// When each worker is free again, in loop time.
    free_at: Vec<Cell<Duration>>,
}

impl SimulatedPool {
    pub fn new(workers: usize, prefix: &'static str) -> SimulatedPool {
        SimulatedPool {
            prefix,
            free_at: (0..workers).map(|_| Cell::new(Duration::ZERO)).collect(),
        }
    }

    pub fn run_in_executor<T: Clone + 'static>(
        &self,
        lp: &EventLoop,
        job: String,
        cost: Duration,
        work: impl FnOnce() -> T + 'static,
    ) -> Future<T> {
        // The lowest-numbered idle worker, or else the one that is free first.
        let now = lp.time();
        let (index, worker) = self
            .free_at
            .iter()
            .enumerate()
            .min_by_key(|(i, free_at)| (free_at.get().max(now), *i))
            .expect("a pool has workers");
        let started = now.max(worker.get());
        let finished = started + cost;
        worker.set(finished);
        let future = lp.create_future();
        let done = future.clone();
        let name = format!("{}-{}", self.prefix, index + 1);
        lp.with_label(format!("_set_state({})", future.label()))
            .call_at(finished, move |lp| {
                lp.trace_job(name, job, started, finished);
                let _ = done.set_result(work());
            });
        future
    }
}
// ANCHOR_END: pool
