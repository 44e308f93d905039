//! `concurrent.futures.ThreadPoolExecutor`: named worker threads that run submitted jobs.
//!
//! Invariant: every job that `submit` accepted is run, or skipped because its future was
//! cancelled, or cancelled by `shutdown(cancel_futures = true)`; none is ever dropped. This
//! holds because a worker parks only after it has seen an empty queue under the lock, and
//! `submit`, under the same lock, pushes the job and then wakes a parked worker or starts a new
//! one, unless enough workers are on their way to the queue already (just woken, just started,
//! or just done with a job) or every worker is busy; either way some worker looks at the queue
//! before it parks.

use std::cell::Cell;
use std::collections::VecDeque;
use std::fmt;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::{self, JoinHandle};

use super::work_item::{Job, WorkItem};
use super::{lock, ConcurrentFuture};
use crate::spin::spin_until;
use crate::Error;

// ANCHOR: executor
/// `concurrent.futures.ThreadPoolExecutor`: runs jobs on up to `max_workers` threads and hands
/// back a [`ConcurrentFuture`] for each.
///
/// Workers are named `steploop-worker-1`, `steploop-worker-2`, ... and start lazily: `submit`
/// starts a new one only when no started worker is idle, so a pool that never has more than
/// one job at a time keeps one thread. Dropping the executor is Python's `with` block: it
/// calls [`shutdown(true, false)`](Self::shutdown), which waits for every submitted job.
///
/// A job's done-callbacks run on its worker; while they run, that worker takes no other job,
/// so keep them short, as in Python.
///
/// # Notes
/// Unlike CPython's threads, these run Rust code in parallel on every core: there is no global
/// interpreter lock.
///
/// # Implementation notes
/// One `Mutex` guards the queue (a `VecDeque` of boxed jobs) and the worker bookkeeping. Three
/// choices, each measured (`benches/pool.rs`), keep a job cheap:
/// - Each idle worker parks on a `Condvar` of its own, and `submit` wakes the one that went
///   idle last, whose caches are warm, while the others sleep on. The bookkeeping is exact: a
///   worker is popped from the idle stack by whoever wakes it, never woken twice. The
///   condvars are made as workers start, so `max_workers` is only a bound: a pool of
///   `usize::MAX` workers costs what a pool of one does until its jobs need more threads.
/// - A worker that has just finished a job counts as on its way back to the queue: the thread
///   that was waiting for the result often submits the next job at once, and that job needs
///   no wake-up at all.
/// - Before parking, a worker spins a moment for the next job, and `result()` spins a moment
///   for the outcome, because being put to sleep and woken costs two syscalls and, across
///   cores, an interrupt; see `spin_until` in `src/spin.rs`.
///
/// See [`submit`](Self::submit) for what one job costs.
///
/// # Examples
/// ```
/// use steploop::executor::ThreadPoolExecutor;
///
/// let executor = ThreadPoolExecutor::new(4);
/// let future = executor.submit(|| 323_u64.pow(3)).unwrap();
/// assert_eq!(future.result().unwrap(), 33_698_267);
/// ```
pub struct ThreadPoolExecutor {
    shared: Arc<PoolShared>,
}

/// What the executor and its workers share.
struct PoolShared {
    /// The queue and the bookkeeping, under the one lock.
    state: Mutex<PoolState>,
    /// Held by `shutdown(wait = true)` while it joins the workers, so that a second caller
    /// waits for the first instead of returning while workers still run.
    joining: Mutex<()>,
    /// `_max_workers`.
    max_workers: usize,
    /// Workers are named `{thread_name_prefix}-{n}`, numbered from 1.
    thread_name_prefix: Box<str>,
    /// Workers whose job's code has returned and who have not yet come back to the queue:
    /// each will look at the queue in a moment. Raised (without the lock) just before a job's
    /// outcome is published, lowered under the lock when the worker is back.
    finishing: AtomicUsize,
    /// `state.queue.len()`, readable without the lock, for a worker that spins.
    queued: AtomicUsize,
}

/// Where a worker parks: its own condvar (shared with the worker, so that a waker can notify
/// it after letting go of the lock) and whether it must sleep on.
struct Parking {
    wake: Arc<Condvar>,
    parked: bool,
}

/// The fields of Python's `ThreadPoolExecutor` that change, behind one lock.
struct PoolState {
    /// `_work_queue`: jobs not yet taken by a worker, oldest first.
    queue: VecDeque<Box<dyn Job>>,
    /// Parked workers (as indices into `wake`), the one that parked last on top (Python counts
    /// idle workers with `_idle_semaphore`). Whoever wakes a worker pops it first, so that two
    /// quick submits never rely on the same sleeper.
    idle: Vec<usize>,
    /// One per started worker: worker `i + 1` parks on `workers[i].wake`, and while
    /// `workers[i].parked` is set it is on `idle` and must sleep on (a wake-up that finds it
    /// still set is spurious). Grows as workers start; `submit` wakes one, `shutdown` all.
    workers: Vec<Parking>,
    /// Workers woken or started and not yet back at the queue: each will take a job.
    waking: usize,
    /// Workers started so far.
    started: usize,
    /// `_threads`: the handles that `shutdown(wait = true)` joins.
    threads: Vec<JoinHandle<()>>,
    /// `_shutdown`: no new work is accepted.
    shutdown: bool,
}
// ANCHOR_END: executor

thread_local! {
    /// The pool a worker thread belongs to (the address of its `PoolShared`), or 0: a job that
    /// shuts down its own pool must not wait for itself.
    static WORKER_OF: Cell<usize> = const { Cell::new(0) };
}

impl ThreadPoolExecutor {
    /// `ThreadPoolExecutor(max_workers)`: a pool of at most `max_workers` threads.
    ///
    /// No thread starts until work arrives.
    ///
    /// # Panics
    /// If `max_workers` is 0, with a message saying so (Python raises
    /// `ValueError("max_workers must be greater than 0")`): a pool without workers would
    /// accept jobs and never run them. Any other size is accepted: it is a bound, and nothing
    /// is reserved for workers that have not started.
    ///
    /// # Examples
    /// ```
    /// use steploop::executor::ThreadPoolExecutor;
    ///
    /// let executor = ThreadPoolExecutor::new(2);
    /// assert_eq!(executor.max_workers(), 2);
    /// assert_eq!(executor.worker_count(), 0); // lazily started
    /// ```
    pub fn new(max_workers: usize) -> Self {
        Self::with_thread_name_prefix(max_workers, "steploop-worker")
    }

    /// `ThreadPoolExecutor(max_workers, thread_name_prefix=...)`: as [`new`](Self::new), with
    /// workers named `{prefix}-1`, `{prefix}-2`, ...
    ///
    /// # Panics
    /// If `max_workers` is 0, as [`new`](Self::new).
    ///
    /// # Examples
    /// ```
    /// use steploop::executor::ThreadPoolExecutor;
    ///
    /// let executor = ThreadPoolExecutor::with_thread_name_prefix(3, "blocks");
    /// let name = executor.submit(|| std::thread::current().name().map(String::from));
    /// assert_eq!(name.unwrap().result().unwrap().as_deref(), Some("blocks-1"));
    /// ```
    pub fn with_thread_name_prefix(max_workers: usize, prefix: &str) -> Self {
        assert!(
            max_workers > 0,
            "ThreadPoolExecutor needs max_workers > 0: a pool without workers would never run \
             its jobs (use ThreadPoolExecutor::default() for Python's default)"
        );
        ThreadPoolExecutor {
            shared: Arc::new(PoolShared {
                state: Mutex::new(PoolState {
                    queue: VecDeque::new(),
                    idle: Vec::new(),
                    workers: Vec::new(),
                    waking: 0,
                    started: 0,
                    threads: Vec::new(),
                    shutdown: false,
                }),
                joining: Mutex::new(()),
                max_workers,
                thread_name_prefix: prefix.into(),
                finishing: AtomicUsize::new(0),
                queued: AtomicUsize::new(0),
            }),
        }
    }

    /// Python's default `max_workers`: `min(32, cpu_count + 4)`, "at least 5 workers for I/O
    /// bound tasks" and no more than 32 on big machines.
    ///
    /// # Examples
    /// ```
    /// use steploop::executor::ThreadPoolExecutor;
    ///
    /// let n = ThreadPoolExecutor::default_max_workers();
    /// assert!((5..=32).contains(&n));
    /// ```
    pub fn default_max_workers() -> usize {
        let cpus = thread::available_parallelism().map_or(1, NonZeroUsize::get);
        (cpus + 4).min(32)
    }

    /// The most threads this pool will start.
    pub fn max_workers(&self) -> usize {
        self.shared.max_workers
    }

    /// How many worker threads have been started so far (Python: `len(executor._threads)`).
    ///
    /// # Examples
    /// ```
    /// use steploop::executor::ThreadPoolExecutor;
    ///
    /// let executor = ThreadPoolExecutor::new(8);
    /// executor.submit(|| ()).unwrap().result().unwrap();
    /// assert_eq!(executor.worker_count(), 1);
    /// ```
    pub fn worker_count(&self) -> usize {
        lock(&self.shared.state).started
    }

    // ANCHOR: submit
    /// `ThreadPoolExecutor.submit(fn)`: queues `job` to run on a worker and returns the future
    /// its return value will arrive in.
    ///
    /// A job that panics does not take its worker down: the panic is caught and stored in the
    /// future as `Error::Panicked(message)`, which `result()` returns.
    ///
    /// # Notes
    /// After [`shutdown`](Self::shutdown), returns `Error::ExecutorShutdown` (Python raises
    /// `RuntimeError('cannot schedule new futures after shutdown')`). For a job that reports
    /// failure with `Err`, use [`submit_fallible`](Self::submit_fallible).
    ///
    /// # Implementation notes
    /// Two allocations: the future's `Arc` and the box holding the job. One lock of the pool's
    /// mutex to push it. Then nothing more if a worker is already on its way to the queue (the
    /// usual case when the thread that just got a result submits again); else, if a worker is
    /// parked, one `notify_one` (after unlocking, so the worker does not wake into a held
    /// lock); else, below `max_workers`, a new thread; else nothing, because a busy worker
    /// will take the job when it is done.
    ///
    /// # Examples
    /// ```
    /// use steploop::executor::ThreadPoolExecutor;
    ///
    /// fn task(name: &str, age: u32) -> String {
    ///     format!("name is {name}, age is {age}")
    /// }
    /// let executor = ThreadPoolExecutor::new(4);
    /// let future = executor.submit(|| task("古明地觉", 16)).unwrap();
    /// assert_eq!(future.result().unwrap(), "name is 古明地觉, age is 16");
    /// ```
    pub fn submit<T, F>(&self, job: F) -> Result<ConcurrentFuture<T>, Error>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.submit_job(move || Ok(job()))
    }
    // ANCHOR_END: submit

    /// As [`submit`](Self::submit), for a job that can fail: its `Err` becomes the future's
    /// exception, like an exception raised by a Python job.
    ///
    /// # Examples
    /// ```
    /// use steploop::{executor::ThreadPoolExecutor, Error};
    ///
    /// fn fetch(num: u32) -> Result<String, Error> {
    ///     if num == 50 {
    ///         return Err(Error::msg("Something wrong!"));
    ///     }
    ///     Ok(num.to_string())
    /// }
    /// let executor = ThreadPoolExecutor::new(4);
    /// let future = executor.submit_fallible(|| fetch(50)).unwrap();
    /// assert_eq!(future.exception().unwrap().unwrap().to_string(), "Something wrong!");
    /// ```
    pub fn submit_fallible<T, E, F>(&self, job: F) -> Result<ConcurrentFuture<T>, Error>
    where
        F: FnOnce() -> Result<T, E> + Send + 'static,
        E: Into<Error>,
        T: Send + 'static,
    {
        self.submit_job(move || job().map_err(Into::into))
    }

    // ANCHOR: submit_job
    fn submit_job<T, F>(&self, job: F) -> Result<ConcurrentFuture<T>, Error>
    where
        F: FnOnce() -> Result<T, Error> + Send + 'static,
        T: Send + 'static,
    {
        let future = ConcurrentFuture::new();
        let item = Box::new(WorkItem::new(future.clone(), job)); // allocate outside the lock
        let mut state = lock(&self.shared.state);
        if state.shutdown {
            return Err(Error::ExecutorShutdown);
        }
        state.queue.push_back(item);
        self.shared
            .queued
            .store(state.queue.len(), Ordering::Release);
        // Python's `_adjust_thread_count`: unless enough workers are about to look at the
        // queue, wake the idle worker that parked last, or start one if none is idle.
        let coming = state.waking + self.shared.finishing.load(Ordering::Relaxed);
        let mut wake = None;
        if state.queue.len() > coming {
            if let Some(index) = state.idle.pop() {
                let parking = &mut state.workers[index];
                parking.parked = false;
                wake = Some(Arc::clone(&parking.wake));
                state.waking += 1;
            } else if state.started < self.shared.max_workers {
                self.start_worker(&mut state)?;
            }
        }
        drop(state);
        if let Some(wake) = wake {
            wake.notify_one();
        }
        Ok(future)
    }

    /// Starts worker number `started + 1`. Called under the lock, so that `shutdown` sees every
    /// handle; it happens at most `max_workers` times in the pool's life.
    fn start_worker(&self, state: &mut PoolState) -> Result<(), Error> {
        let n = state.started + 1;
        let shared = Arc::clone(&self.shared);
        let wake = Arc::new(Condvar::new());
        let parks_on = Arc::clone(&wake);
        let spawned = thread::Builder::new()
            .name(format!("{}-{n}", self.shared.thread_name_prefix))
            .spawn(move || worker(&shared, n - 1, &parks_on));
        match spawned {
            Ok(handle) => {
                state.workers.push(Parking {
                    wake,
                    parked: false,
                });
                state.started = n;
                state.waking += 1; // a new worker looks at the queue first thing
                state.threads.push(handle);
                Ok(())
            }
            // Other workers exist: they will run the job, only with less parallelism.
            Err(error) if state.started > 0 => {
                log::warn!(
                    "could not start worker {n}, going on with {}: {error}",
                    n - 1
                );
                Ok(())
            }
            // No worker would ever run the job: take it back and report.
            Err(error) => {
                state.queue.pop_back();
                self.shared
                    .queued
                    .store(state.queue.len(), Ordering::Release);
                Err(error.into())
            }
        }
    }
    // ANCHOR_END: submit_job

    /// `ThreadPoolExecutor.map(fn, items)`: runs `f(item)` for every item and returns the
    /// results in the order of the items, as each becomes available.
    ///
    /// Every job is submitted at once, as in Python; the iterator then blocks on each future
    /// in turn. A job that panics ends the iteration: the iterator yields its error and
    /// cancels the jobs that have not started, as Python's `map` raises at the first exception.
    /// To get every outcome, failed or not, use `submit` and the futures.
    ///
    /// # Notes
    /// - The jobs run whether or not the iterator is ever read: dropping it unread cancels
    ///   nothing, as Python's generator that never started has no `finally` to run. Dropping
    ///   it after reading at least one result cancels the jobs that have not started, as
    ///   closing a started generator runs its `finally`.
    /// - Results move out of their futures, so `T` need not be `Clone`.
    /// - Returns `Error::ExecutorShutdown` after shutdown. A submit that fails halfway leaves
    ///   the jobs already submitted running, as Python's list of futures does.
    ///
    /// # Implementation notes
    /// `f` is shared by the jobs through one `Arc`; each item costs what a `submit` costs.
    ///
    /// # Examples
    /// ```
    /// use steploop::executor::ThreadPoolExecutor;
    ///
    /// let executor = ThreadPoolExecutor::new(4);
    /// let squares: Vec<u64> = executor
    ///     .map(|n: u64| n * n, [1, 2, 3, 4])
    ///     .unwrap()
    ///     .collect::<Result<_, _>>()
    ///     .unwrap();
    /// assert_eq!(squares, [1, 4, 9, 16]);
    /// ```
    pub fn map<I, T, F>(
        &self,
        f: F,
        items: impl IntoIterator<Item = I>,
    ) -> Result<MapResults<T>, Error>
    where
        F: Fn(I) -> T + Send + Sync + 'static,
        I: Send + 'static,
        T: Send + 'static,
    {
        let f = Arc::new(f);
        self.map_jobs(items, move |item| {
            let f = Arc::clone(&f);
            move || Ok(f(item))
        })
    }

    /// As [`map`](Self::map), for a function that can fail: the first `Err`, in the order of
    /// the items, ends the iteration as Python's `map` raises the first exception.
    ///
    /// # Examples
    /// ```
    /// use steploop::{executor::ThreadPoolExecutor, Error};
    ///
    /// fn check(n: u32) -> Result<u32, Error> {
    ///     if n == 2 { Err(Error::msg("two")) } else { Ok(n) }
    /// }
    /// let executor = ThreadPoolExecutor::new(2);
    /// let results: Vec<_> = executor.map_fallible(check, [0, 1, 2, 3]).unwrap().collect();
    /// assert_eq!(results.len(), 3); // 0, 1, then the error; 3 is never yielded
    /// assert_eq!(results[2].as_ref().unwrap_err().to_string(), "two");
    /// ```
    pub fn map_fallible<I, T, E, F>(
        &self,
        f: F,
        items: impl IntoIterator<Item = I>,
    ) -> Result<MapResults<T>, Error>
    where
        F: Fn(I) -> Result<T, E> + Send + Sync + 'static,
        E: Into<Error>,
        I: Send + 'static,
        T: Send + 'static,
    {
        let f = Arc::new(f);
        self.map_jobs(items, move |item| {
            let f = Arc::clone(&f);
            move || f(item).map_err(Into::into)
        })
    }

    fn map_jobs<I, T, J>(
        &self,
        items: impl IntoIterator<Item = I>,
        mut make_job: impl FnMut(I) -> J,
    ) -> Result<MapResults<T>, Error>
    where
        J: FnOnce() -> Result<T, Error> + Send + 'static,
        T: Send + 'static,
    {
        let mut futures = VecDeque::new();
        for item in items {
            // On failure the futures are dropped: their jobs run on, as in Python, where the
            // list comprehension raises and the futures already submitted are not cancelled.
            futures.push_back(self.submit_job(make_job(item))?);
        }
        Ok(MapResults::new(futures))
    }

    // ANCHOR: shutdown
    /// `ThreadPoolExecutor.shutdown(wait, cancel_futures)`: accepts no more work and lets the
    /// workers exit once the queue is empty.
    ///
    /// With `cancel_futures`, the jobs still waiting in the queue are cancelled (their futures
    /// become `Cancelled`); jobs already running always run to the end. With `wait`, returns
    /// only after every worker has exited, so every job that was not cancelled has finished.
    ///
    /// # Notes
    /// Calling it again is harmless. Dropping the executor calls `shutdown(true, false)`.
    /// A job that shuts down its own pool with `wait` cannot wait for its own worker: it waits
    /// for none, and the log says so.
    ///
    /// # Examples
    /// ```
    /// use steploop::{executor::ThreadPoolExecutor, Error};
    ///
    /// let executor = ThreadPoolExecutor::new(2);
    /// let future = executor.submit(|| 1 + 1).unwrap();
    /// executor.shutdown(true, false);
    /// assert_eq!(future.result().unwrap(), 2); // it ran before shutdown returned
    /// assert!(matches!(executor.submit(|| 3), Err(Error::ExecutorShutdown)));
    /// ```
    pub fn shutdown(&self, wait: bool, cancel_futures: bool) {
        let from_own_worker = WORKER_OF.get() == self.shared.address();
        let wait = wait && !from_own_worker;
        if from_own_worker {
            log::warn!("shutdown(wait=true) from one of the pool's own jobs: not waiting");
        }
        let _joining = wait.then(|| lock(&self.shared.joining));
        let (cancelled, threads, parked) = {
            let mut state = lock(&self.shared.state);
            state.shutdown = true;
            let idle = std::mem::take(&mut state.idle);
            state.waking += idle.len();
            let parked: Vec<Arc<Condvar>> = idle
                .into_iter()
                .map(|index| {
                    let parking = &mut state.workers[index];
                    parking.parked = false;
                    Arc::clone(&parking.wake)
                })
                .collect();
            let cancelled = if cancel_futures {
                self.shared.queued.store(0, Ordering::Release);
                std::mem::take(&mut state.queue)
            } else {
                VecDeque::new()
            };
            let threads = if wait {
                std::mem::take(&mut state.threads)
            } else {
                Vec::new()
            };
            (cancelled, threads, parked)
        };
        // Parked workers wake, find the queue empty and the pool shut down, and exit.
        for wake in parked {
            wake.notify_one();
        }
        // Outside the lock: cancelling runs done-callbacks, which may use the pool.
        for job in cancelled {
            job.cancel();
        }
        for thread in threads {
            // Workers catch job panics, so a worker thread itself never panics.
            let _ = thread.join();
        }
    }
    // ANCHOR_END: shutdown
}

impl PoolShared {
    fn address(&self) -> usize {
        std::ptr::from_ref(self).addr()
    }
}

// ANCHOR: worker
/// Python's `_worker`: take the oldest job, run it, repeat; park when the queue is empty; exit
/// once the pool is shut down and the queue is empty.
fn worker(shared: &PoolShared, index: usize, wake: &Condvar) {
    WORKER_OF.set(shared.address());
    let mut state = lock(&shared.state);
    state.waking -= 1; // `start_worker` counted this worker as on its way to the queue
    loop {
        if let Some(job) = state.queue.pop_front() {
            shared.queued.store(state.queue.len(), Ordering::Release);
            drop(state); // never run a job under the pool's lock
            job.run(&shared.finishing);
            // The thread that waited for this job often submits the next one at once: look
            // out for it a moment before taking the lock and perhaps parking.
            spin_until(|| shared.queued.load(Ordering::Acquire) > 0);
            state = lock(&shared.state);
            shared.finishing.fetch_sub(1, Ordering::Relaxed);
            continue;
        }
        if state.shutdown {
            return;
        }
        state.idle.push(index);
        state.workers[index].parked = true;
        while state.workers[index].parked {
            state = wake.wait(state).unwrap_or_else(PoisonError::into_inner);
        }
        state.waking -= 1; // whoever cleared `parked` counted this worker as waking
    }
}
// ANCHOR_END: worker

impl Default for ThreadPoolExecutor {
    /// `ThreadPoolExecutor()`: [`default_max_workers`](Self::default_max_workers) threads.
    fn default() -> Self {
        Self::new(Self::default_max_workers())
    }
}

impl Drop for ThreadPoolExecutor {
    /// The end of Python's `with ThreadPoolExecutor() as executor:` block: `shutdown(wait=True)`.
    fn drop(&mut self) {
        self.shutdown(true, false);
    }
}

impl fmt::Debug for ThreadPoolExecutor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock(&self.shared.state);
        f.debug_struct("ThreadPoolExecutor")
            .field("max_workers", &self.shared.max_workers)
            .field("workers", &state.started)
            .field("idle", &state.idle.len())
            .field("queued", &state.queue.len())
            .field("shutdown", &state.shutdown)
            .finish()
    }
}

/// The iterator [`ThreadPoolExecutor::map`] returns: results in the order of the items.
///
/// Each `next` blocks until the next item's job is done. It yields `Ok(value)`, or the job's
/// error once, after which it is finished and the jobs that had not started are cancelled.
///
/// # Notes
/// Python's `map` returns a generator, and this iterator follows its life: never read, it
/// cancels nothing when dropped (every job runs); read at least once and then dropped, it
/// cancels the jobs that have not started, as closing the generator runs its `finally`.
#[must_use = "the jobs run anyway; read the results, or drop them knowingly with `drop`"]
pub struct MapResults<T> {
    futures: VecDeque<ConcurrentFuture<T>>,
    /// True once `next` was called: Python's generator has entered its `try`, so closing it
    /// cancels what is left.
    started: bool,
}

impl<T> MapResults<T> {
    /// Results of `futures`, in their order.
    pub(crate) fn new(futures: VecDeque<ConcurrentFuture<T>>) -> Self {
        MapResults {
            futures,
            started: false,
        }
    }

    fn cancel_rest(&mut self) {
        for future in self.futures.drain(..) {
            future.cancel();
        }
    }
}

impl<T> Iterator for MapResults<T> {
    type Item = Result<T, Error>;

    fn next(&mut self) -> Option<Result<T, Error>> {
        self.started = true;
        let outcome = self.futures.pop_front()?.take_result();
        if outcome.is_err() {
            self.cancel_rest();
        }
        Some(outcome)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.futures.len();
        (left.min(1), Some(left))
    }
}

impl<T> Drop for MapResults<T> {
    fn drop(&mut self) {
        if self.started {
            self.cancel_rest();
        }
    }
}

impl<T> fmt::Debug for MapResults<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MapResults")
            .field("left", &self.futures.len())
            .field("started", &self.started)
            .finish()
    }
}
