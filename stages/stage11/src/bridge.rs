// ANCHOR: jobs
//! From a thread's future to the loop's (asyncio's `run_in_executor`, `wrap_future` and
//! `_chain_future`).

use std::collections::HashMap;

use crate::{ConcurrentFuture, EventLoop, Future, ThreadPoolExecutor};

/// The loop futures that wait for jobs in other threads. A loop future is an `Rc` and must
/// stay on the loop's thread, so what crosses from the worker is only a number; the loop
/// keeps, under that number, what to do when the job is done.
#[derive(Default)]
pub(crate) struct Jobs {
    waiting: HashMap<u64, Box<dyn FnOnce()>>,
    next: u64,
}

impl Jobs {
    /// True while a job is out: its result is on its way, and the loop must wait for it.
    pub(crate) fn is_waiting(&self) -> bool {
        !self.waiting.is_empty()
    }
}
// ANCHOR_END: jobs

// ANCHOR: run_in_executor
impl EventLoop {
    /// Runs `job` on one of `executor`'s threads, and returns a loop future for its result
    /// (`await loop.run_in_executor(executor, func)`).
    pub fn run_in_executor<T, F>(&self, executor: &ThreadPoolExecutor, job: F) -> Future<T>
    where
        T: Clone + Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        match executor.submit(job) {
            Ok(concurrent) => self.wrap_future(concurrent),
            Err(refused) => {
                let future = self.create_future();
                let _ = future.set_exception(refused);
                future
            }
        }
    }

    /// A loop future that ends as `concurrent` ends, wherever that happens
    /// (`asyncio.wrap_future`).
    pub fn wrap_future<T: Clone + Send + 'static>(
        &self,
        concurrent: ConcurrentFuture<T>,
    ) -> Future<T> {
        let future = self.create_future();
        self.chain(concurrent, future.clone());
        future
    }
    // ANCHOR_END: run_in_executor

    // ANCHOR: chain
    /// asyncio's `_chain_future`: when `source` is done, in whichever thread, its done-callback
    /// sends the loop a message, and the loop copies the outcome into `destination` on its own
    /// thread. Cancelling `destination` cancels `source`, which stops a job still queued.
    fn chain<T: Clone + Send + 'static>(
        &self,
        source: ConcurrentFuture<T>,
        destination: Future<T>,
    ) {
        let number = {
            let mut jobs = self.jobs().borrow_mut();
            jobs.next += 1;
            let (number, from, to) = (jobs.next, source.clone(), destination.clone());
            jobs.waiting
                .insert(number, Box::new(move || set_state(&from, &to)));
            number
        };
        let remote = self.remote().clone();
        source.add_done_callback(move |_| {
            remote.push(Box::new(move |event_loop: &EventLoop| {
                event_loop.job_done(number)
            }));
        });
        destination.add_done_callback(move |destination| {
            if destination.cancelled() {
                source.cancel();
            }
        });
    }

    /// A job's message has come: copy its outcome into its loop future.
    fn job_done(&self, number: u64) {
        let set_state = self.jobs().borrow_mut().waiting.remove(&number);
        if let Some(set_state) = set_state {
            set_state();
        }
    }
}

/// asyncio's `_set_state`: copies the outcome of `source`, which is done, into
/// `destination`, unless the loop cancelled it meanwhile.
fn set_state<T: Clone + Send + 'static>(source: &ConcurrentFuture<T>, destination: &Future<T>) {
    if destination.done() {
        return;
    }
    if source.cancelled() {
        destination.cancel();
        return;
    }
    let _ = match source.result() {
        Ok(value) => destination.set_result(value),
        Err(error) => destination.set_exception(error),
    };
}
// ANCHOR_END: chain
