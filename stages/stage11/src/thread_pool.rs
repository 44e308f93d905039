// ANCHOR: pool
//! `ThreadPoolExecutor` (Python's `concurrent.futures.ThreadPoolExecutor`): a queue of jobs,
//! and worker threads that take them in turn.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, JoinHandle};

use crate::{ConcurrentFuture, Error};

/// A job and its future, ready to run (Python's `_WorkItem`).
type WorkItem = Box<dyn FnOnce() + Send>;

/// A pool of worker threads (线程池) that run the jobs submitted to it, each in turn.
pub struct ThreadPoolExecutor {
    shared: Arc<Shared>,
    workers: Mutex<Vec<JoinHandle<()>>>,
}

/// What the submitting threads and the workers share: the queue, behind a lock, and a
/// condition variable on which idle workers sleep until there is work.
struct Shared {
    queue: Mutex<Queue>,
    work: Condvar,
}

struct Queue {
    items: VecDeque<WorkItem>,
    /// Set by `shutdown`: no new jobs; the workers leave once the queue is empty.
    shutdown: bool,
}
// ANCHOR_END: pool

// ANCHOR: submit
impl ThreadPoolExecutor {
    /// A pool of `max_workers` threads, started at once (`ThreadPoolExecutor(max_workers)`).
    pub fn new(max_workers: usize) -> ThreadPoolExecutor {
        let queue = Queue {
            items: VecDeque::new(),
            shutdown: false,
        };
        let shared = Arc::new(Shared {
            queue: Mutex::new(queue),
            work: Condvar::new(),
        });
        let workers = (1..=max_workers.max(1)).map(|n| {
            let shared = shared.clone();
            let name = format!("worker-{n}");
            let builder = thread::Builder::new().name(name);
            builder
                .spawn(move || worker(&shared))
                .expect("a new thread")
        });
        ThreadPoolExecutor {
            workers: Mutex::new(workers.collect()),
            shared,
        }
    }

    /// Queues `job` to run on a worker, and returns the future of its result
    /// (`executor.submit(fn)`). A job that panics fails alone: its future gets an
    /// `Error::Exception` that says so, and its worker goes on to the next job.
    ///
    /// # Errors
    /// After `shutdown`, as Python's "cannot schedule new futures after shutdown".
    pub fn submit<T, F>(&self, job: F) -> Result<ConcurrentFuture<T>, Error>
    where
        T: Clone + Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let future = ConcurrentFuture::new();
        let setter = future.clone();
        let item: WorkItem = Box::new(move || {
            if !setter.set_running_or_notify_cancel() {
                return; // cancelled while it waited in the queue
            }
            let _ = match catch_unwind(AssertUnwindSafe(job)) {
                Ok(value) => setter.set_result(value),
                Err(panic) => setter.set_exception(panicked(panic)),
            };
        });
        let mut queue = self.shared.queue.lock().expect("the lock is sound");
        if queue.shutdown {
            return Err(Error::Exception(
                "cannot schedule new futures after shutdown".into(),
            ));
        }
        queue.items.push_back(item);
        self.shared.work.notify_one();
        Ok(future)
    }
    // ANCHOR_END: submit

    // ANCHOR: shutdown
    /// Refuses new jobs, lets the workers finish the queued ones and leave, and with `wait`
    /// waits until they have (`executor.shutdown(wait)`).
    pub fn shutdown(&self, wait: bool) {
        self.shared
            .queue
            .lock()
            .expect("the lock is sound")
            .shutdown = true;
        self.shared.work.notify_all();
        if wait {
            let workers = std::mem::take(&mut *self.workers.lock().expect("the lock is sound"));
            for worker in workers {
                let _ = worker.join();
            }
        }
    }
}

/// `with ThreadPoolExecutor() as executor:` ends with `shutdown(wait=True)`; so does a pool
/// going out of scope.
impl Drop for ThreadPoolExecutor {
    fn drop(&mut self) {
        self.shutdown(true);
    }
}
// ANCHOR_END: shutdown

// ANCHOR: worker
/// A worker's life (Python's `_worker`): take the oldest job, run it, and again; sleep while
/// the queue is empty; leave once it is empty after `shutdown`.
fn worker(shared: &Shared) {
    loop {
        let item = {
            let mut queue = shared.queue.lock().expect("the lock is sound");
            loop {
                if let Some(item) = queue.items.pop_front() {
                    break item;
                }
                if queue.shutdown {
                    return;
                }
                queue = shared.work.wait(queue).expect("the lock is sound");
            }
        };
        item(); // the lock is released: the other workers take jobs meanwhile
    }
}

/// A job's panic as its exception.
fn panicked(panic: Box<dyn std::any::Any + Send>) -> Error {
    let message = match (panic.downcast_ref::<&str>(), panic.downcast_ref::<String>()) {
        (Some(message), _) => message.to_string(),
        (_, Some(message)) => message.clone(),
        _ => "a panic".to_string(),
    };
    Error::Exception(format!("the job panicked: {message}"))
}
// ANCHOR_END: worker
