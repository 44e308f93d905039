//! Chapter 9: `ThreadPoolExecutor`, Python's `concurrent.futures.ThreadPoolExecutor`.
//!
//! Determinism: jobs that must be running at the same time wait at a `Barrier` or a gate (a
//! channel the test opens), and tell the test over a channel when they have started, so the
//! test knows which jobs are running and which wait in the queue before it cancels or shuts
//! down. No test sleeps to order events; timeouts only guard against hanging. Counts are
//! exact: how many workers started, how often each job and each callback ran.

use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Barrier, Condvar, Mutex};
use std::thread;
use std::time::Duration;

use steploop::executor::{ConcurrentFuture, ConcurrentFutureState, ThreadPoolExecutor};
use steploop::Error;

/// A "must not hang" guard for waits that end at once when the code is right.
const GUARD: Duration = Duration::from_secs(10);

/// A gate jobs wait at until the test opens it.
#[derive(Clone, Default)]
struct Gate(Arc<(Mutex<bool>, Condvar)>);

impl Gate {
    fn open(&self) {
        *self.0 .0.lock().unwrap() = true;
        self.0 .1.notify_all();
    }
    fn pass(&self) {
        let (open, opened) = &*self.0;
        let guard = open.lock().unwrap();
        let (guard, timeout) = opened
            .wait_timeout_while(guard, GUARD, |open| !*open)
            .unwrap();
        assert!(*guard && !timeout.timed_out(), "the gate never opened");
    }
}

fn thread_name() -> Option<String> {
    thread::current().name().map(String::from)
}

#[test]
fn submit_runs_the_job_on_a_named_worker() {
    let executor = ThreadPoolExecutor::new(2);
    let future = executor.submit(|| (thread_name(), 6 * 7)).unwrap();
    assert_eq!(
        future.result().unwrap(),
        (Some("steploop-worker-1".into()), 42)
    );
    assert_eq!(executor.max_workers(), 2);
}

#[test]
fn workers_start_lazily_and_only_when_none_is_free() {
    let executor = ThreadPoolExecutor::new(4);
    assert_eq!(executor.worker_count(), 0, "no work, no thread");

    // Two jobs that can only finish together: both must be running at once.
    let together = Arc::new(Barrier::new(3));
    let jobs: Vec<_> = (0..2)
        .map(|_| {
            let together = together.clone();
            executor
                .submit(move || {
                    together.wait();
                })
                .unwrap()
        })
        .collect();
    together.wait();
    for job in &jobs {
        job.result().unwrap();
    }
    assert_eq!(executor.worker_count(), 2);

    // From now on one job at a time: the two workers are enough.
    for n in 0..20 {
        assert_eq!(executor.submit(move || n).unwrap().result().unwrap(), n);
    }
    assert_eq!(executor.worker_count(), 2);
}

#[test]
fn no_more_than_max_workers_jobs_run_at_once() {
    let executor = ThreadPoolExecutor::new(3);
    let (running, max_running) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (started_tx, started) = mpsc::channel();
    let gate = Gate::default();
    let jobs: Vec<_> = (0..10)
        .map(|_| {
            let (running, max_running) = (running.clone(), max_running.clone());
            let (started_tx, gate) = (started_tx.clone(), gate.clone());
            executor
                .submit(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    max_running.fetch_max(now, Ordering::SeqCst);
                    started_tx.send(()).unwrap();
                    gate.pass();
                    running.fetch_sub(1, Ordering::SeqCst);
                })
                .unwrap()
        })
        .collect();
    for _ in 0..3 {
        started.recv_timeout(GUARD).unwrap();
    }
    assert_eq!(executor.worker_count(), 3);
    let states: Vec<_> = jobs.iter().map(ConcurrentFuture::state).collect();
    assert_eq!(states[..3], [ConcurrentFutureState::Running; 3]);
    assert_eq!(states[3..], [ConcurrentFutureState::Pending; 7]);
    gate.open();
    for job in &jobs {
        job.result().unwrap();
    }
    assert_eq!(max_running.load(Ordering::SeqCst), 3);
    assert_eq!(executor.worker_count(), 3);
}

#[test]
fn a_panicking_job_stores_its_panic_and_the_worker_keeps_serving() {
    let executor = ThreadPoolExecutor::new(1);
    let failed = executor.submit(|| -> u8 { panic!("job failed") }).unwrap();
    let error = failed.result().unwrap_err();
    assert!(matches!(&error, Error::Panicked(message) if &**message == "job failed"));
    assert_eq!(error.to_string(), "panicked: job failed");
    assert_eq!(
        failed.exception().unwrap().unwrap().to_string(),
        error.to_string()
    );

    let next = executor.submit(thread_name).unwrap();
    assert_eq!(next.result().unwrap().as_deref(), Some("steploop-worker-1"));
    assert_eq!(executor.worker_count(), 1);
}

#[test]
fn submit_fallible_stores_the_err_as_the_exception() {
    let executor = ThreadPoolExecutor::new(1);
    let future = executor
        .submit_fallible(|| Err::<u8, _>(Error::msg("Something wrong!")))
        .unwrap();
    assert_eq!(future.result().unwrap_err().to_string(), "Something wrong!");
    let io = executor
        .submit_fallible(|| std::fs::read("/this/file/does/not/exist"))
        .unwrap();
    assert!(matches!(io.exception().unwrap(), Some(Error::Io(_))));
}

#[test]
fn submit_after_shutdown_is_a_clear_error() {
    let executor = ThreadPoolExecutor::new(1);
    executor.shutdown(true, false);
    executor.shutdown(true, false); // again: harmless
    let error = executor.submit(|| ()).unwrap_err();
    assert!(matches!(error, Error::ExecutorShutdown));
    assert!(
        error.to_string().contains("create a new executor"),
        "{error}"
    );
    assert!(matches!(
        executor.map(|n: u8| n, [1, 2]),
        Err(Error::ExecutorShutdown)
    ));
    assert_eq!(executor.worker_count(), 0);
}

#[test]
#[should_panic(expected = "max_workers > 0")]
fn zero_workers_is_refused() {
    let _ = ThreadPoolExecutor::new(0);
}

/// A pool's size is a bound, not a reservation: a huge one costs nothing until work arrives,
/// and starts only the threads its jobs need.
#[test]
fn any_positive_size_is_accepted_and_nothing_is_reserved() {
    for max_workers in [1 << 40, usize::MAX] {
        let executor = ThreadPoolExecutor::new(max_workers);
        assert_eq!(executor.max_workers(), max_workers);
        assert_eq!(executor.worker_count(), 0);
        let squares: Vec<u64> = executor
            .map(|n: u64| n * n, 0..10)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(squares, (0..10).map(|n| n * n).collect::<Vec<_>>());
        assert!(executor.worker_count() <= 10);
    }
}

#[test]
fn the_default_size_is_pythons() {
    let cpus = thread::available_parallelism().unwrap().get();
    assert_eq!(
        ThreadPoolExecutor::default_max_workers(),
        (cpus + 4).min(32)
    );
    assert_eq!(
        ThreadPoolExecutor::default().max_workers(),
        (cpus + 4).min(32)
    );
}

#[test]
fn workers_take_the_prefix_they_are_given() {
    let executor = ThreadPoolExecutor::with_thread_name_prefix(1, "blocks");
    let name = executor.submit(thread_name).unwrap().result().unwrap();
    assert_eq!(name.as_deref(), Some("blocks-1"));
}

// --- map -----------------------------------------------------------------------------------

#[test]
fn map_yields_results_in_the_order_of_the_items() {
    let executor = ThreadPoolExecutor::new(4);
    // Later items finish first: each job waits until the one after it has finished.
    let gates: Vec<Gate> = (0..5).map(|_| Gate::default()).collect();
    let jobs_gates = gates.clone();
    let results = executor
        .map(
            move |n: usize| {
                if n + 1 < jobs_gates.len() {
                    jobs_gates[n + 1].pass();
                }
                jobs_gates[n].open();
                n * 10
            },
            0..4,
        )
        .unwrap();
    gates[4].open();
    let results: Vec<_> = results.map(Result::unwrap).collect();
    assert_eq!(results, [0, 10, 20, 30]);
}

#[test]
fn map_is_lazy_the_first_result_comes_before_the_last_job_ends() {
    let executor = ThreadPoolExecutor::new(2);
    let (got_first, first_seen) = mpsc::channel::<()>();
    let first_seen = Mutex::new(first_seen);
    let mut results = executor
        .map(
            move |n: u8| {
                if n == 1 {
                    // Finishes only once the test has received item 0.
                    first_seen.lock().unwrap().recv_timeout(GUARD).unwrap();
                }
                n
            },
            [0, 1],
        )
        .unwrap();
    assert_eq!(results.next().unwrap().unwrap(), 0);
    got_first.send(()).unwrap();
    assert_eq!(results.next().unwrap().unwrap(), 1);
    assert!(results.next().is_none());
}

#[test]
fn map_stops_at_the_first_error_and_cancels_what_has_not_started() {
    let executor = ThreadPoolExecutor::new(1);
    let calls = Arc::new(AtomicUsize::new(0));
    let (started_tx, started) = mpsc::channel();
    let started_tx = Mutex::new(started_tx);
    let gate = Gate::default();
    let (c, g) = (calls.clone(), gate.clone());
    let mut results = executor
        .map_fallible(
            move |n: u8| {
                c.fetch_add(1, Ordering::SeqCst);
                match n {
                    0 => Err(Error::msg("item 0 failed")),
                    1 => {
                        started_tx.lock().unwrap().send(()).unwrap();
                        g.pass();
                        Ok(n)
                    }
                    _ => Ok(n),
                }
            },
            0..5,
        )
        .unwrap();
    // Item 1 runs on the only worker, so items 2, 3 and 4 are still queued.
    started.recv_timeout(GUARD).unwrap();
    let first = results.next().unwrap().unwrap_err();
    assert_eq!(first.to_string(), "item 0 failed");
    assert!(results.next().is_none(), "the iteration ends at the error");
    gate.open();
    drop(executor); // waits for item 1
    assert_eq!(calls.load(Ordering::SeqCst), 2, "items 2..5 were cancelled");
}

#[test]
fn an_unread_map_result_runs_every_job() {
    // Python's `map` submits every call at once and returns a generator that has not started:
    // throwing it away cancels nothing, and `shutdown(wait=True)` waits for all ten calls.
    let executor = ThreadPoolExecutor::new(1);
    let calls = Arc::new(AtomicUsize::new(0));
    let gate = Gate::default();
    let (busy_tx, busy) = mpsc::channel();
    let g = gate.clone();
    let blocker = executor
        .submit(move || {
            busy_tx.send(()).unwrap();
            g.pass();
        })
        .unwrap();
    busy.recv_timeout(GUARD).unwrap();
    let c = calls.clone();
    let results = executor
        .map(
            move |_: u8| {
                c.fetch_add(1, Ordering::SeqCst);
            },
            0..10,
        )
        .unwrap();
    drop(results); // never read
    gate.open();
    executor.shutdown(true, false);
    blocker.result().unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 10);
}

#[test]
fn dropping_a_started_map_iterator_cancels_what_has_not_started() {
    // Once the generator has run, closing it runs its `finally`, which cancels the rest.
    let executor = ThreadPoolExecutor::new(1);
    let calls = Arc::new(AtomicUsize::new(0));
    let (started_tx, started) = mpsc::channel();
    let started_tx = Mutex::new(started_tx);
    let gate = Gate::default();
    let (c, g) = (calls.clone(), gate.clone());
    let mut results = executor
        .map(
            move |n: u8| {
                c.fetch_add(1, Ordering::SeqCst);
                if n == 1 {
                    started_tx.lock().unwrap().send(()).unwrap();
                    g.pass();
                }
                n
            },
            0..10,
        )
        .unwrap();
    assert_eq!(results.next().unwrap().unwrap(), 0);
    started.recv_timeout(GUARD).unwrap(); // item 1 runs; items 2..10 wait in the queue
    drop(results);
    gate.open();
    drop(executor);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[test]
fn map_results_need_not_be_clone() {
    struct Token(u32);
    let executor = ThreadPoolExecutor::new(2);
    let sum: u32 = executor
        .map(Token, [1, 2, 3])
        .unwrap()
        .map(|token| token.unwrap().0)
        .sum();
    assert_eq!(sum, 6);
}

// --- cancel --------------------------------------------------------------------------------

#[test]
fn cancel_stops_a_queued_job_but_not_a_running_one() {
    let executor = ThreadPoolExecutor::new(1);
    let (started_tx, started) = mpsc::channel();
    let gate = Gate::default();
    let g = gate.clone();
    let running = executor
        .submit(move || {
            started_tx.send(()).unwrap();
            g.pass();
            "ran"
        })
        .unwrap();
    let ran_queued = Arc::new(AtomicUsize::new(0));
    let r = ran_queued.clone();
    let queued = executor
        .submit(move || r.fetch_add(1, Ordering::SeqCst))
        .unwrap();
    started.recv_timeout(GUARD).unwrap();

    assert!(!running.cancel());
    assert!(queued.cancel());
    gate.open();
    assert_eq!(running.result().unwrap(), "ran");
    assert!(matches!(queued.result(), Err(Error::Cancelled(None))));
    drop(executor);
    assert_eq!(ran_queued.load(Ordering::SeqCst), 0);
}

#[test]
fn racing_cancel_against_the_workers_runs_each_job_at_most_once() {
    const JOBS: usize = 2_000;
    let executor = ThreadPoolExecutor::new(2);
    let runs: Arc<Vec<AtomicU8>> = Arc::new((0..JOBS).map(|_| AtomicU8::new(0)).collect());
    let mut futures = Vec::with_capacity(JOBS);
    let mut cancelled = vec![false; JOBS];
    for (i, was_cancelled) in cancelled.iter_mut().enumerate() {
        let runs = runs.clone();
        let future = executor
            .submit(move || runs[i].fetch_add(1, Ordering::SeqCst))
            .unwrap();
        *was_cancelled = future.cancel();
        futures.push(future);
    }
    drop(executor);
    for (i, future) in futures.iter().enumerate() {
        let ran = runs[i].load(Ordering::SeqCst);
        assert_eq!(ran, u8::from(!cancelled[i]), "job {i}");
        assert_eq!(future.cancelled(), cancelled[i], "job {i}");
        assert!(future.done());
    }
}

// --- shutdown ------------------------------------------------------------------------------

/// A pool of `workers` whose first `workers` jobs are running (held at `gate`), with `queued`
/// more jobs waiting behind them. Every job counts its runs in `runs`.
struct Busy {
    executor: ThreadPoolExecutor,
    futures: Vec<ConcurrentFuture<usize>>,
    runs: Arc<Vec<AtomicU8>>,
    gate: Gate,
    callbacks: Arc<AtomicUsize>,
}

fn busy_pool(workers: usize, queued: usize) -> Busy {
    let executor = ThreadPoolExecutor::new(workers);
    let total = workers + queued;
    let runs: Arc<Vec<AtomicU8>> = Arc::new((0..total).map(|_| AtomicU8::new(0)).collect());
    let gate = Gate::default();
    let callbacks = Arc::new(AtomicUsize::new(0));
    let (started_tx, started) = mpsc::channel();
    let futures: Vec<_> = (0..total)
        .map(|i| {
            let (runs, gate, started_tx) = (runs.clone(), gate.clone(), started_tx.clone());
            let future = executor
                .submit(move || {
                    if i < workers {
                        started_tx.send(()).unwrap();
                        gate.pass();
                    }
                    runs[i].fetch_add(1, Ordering::SeqCst);
                    i
                })
                .unwrap();
            let callbacks = callbacks.clone();
            future.add_done_callback(move |_| {
                callbacks.fetch_add(1, Ordering::SeqCst);
            });
            future
        })
        .collect();
    for _ in 0..workers {
        started.recv_timeout(GUARD).unwrap();
    }
    Busy {
        executor,
        futures,
        runs,
        gate,
        callbacks,
    }
}

#[test]
fn shutdown_while_busy_loses_no_submitted_job() {
    let busy = busy_pool(2, 998);
    busy.executor.shutdown(false, false); // returns at once: jobs still running
    assert!(busy.executor.submit(|| 0).is_err());
    busy.gate.open();
    busy.executor.shutdown(true, false);
    for (i, future) in busy.futures.iter().enumerate() {
        assert_eq!(future.state(), ConcurrentFutureState::Finished, "job {i}");
        assert_eq!(future.result().unwrap(), i);
        assert_eq!(busy.runs[i].load(Ordering::SeqCst), 1, "job {i}");
    }
    assert_eq!(busy.callbacks.load(Ordering::SeqCst), 1000);
}

#[test]
fn shutdown_with_cancel_futures_cancels_exactly_the_queued_jobs() {
    let busy = busy_pool(2, 98);
    busy.executor.shutdown(false, true);
    let cancelled = busy.futures.iter().filter(|f| f.cancelled()).count();
    assert_eq!(cancelled, 98);
    assert!(busy.futures[2..].iter().all(ConcurrentFuture::cancelled));
    assert_eq!(busy.callbacks.load(Ordering::SeqCst), 98, "cancel ran them");
    busy.gate.open();
    drop(busy.executor);
    for (i, future) in busy.futures.iter().enumerate() {
        let ran = busy.runs[i].load(Ordering::SeqCst);
        if i < 2 {
            assert_eq!(
                (future.state(), ran),
                (ConcurrentFutureState::Finished, 1),
                "job {i}"
            );
        } else {
            assert_eq!(
                (future.state(), ran),
                (ConcurrentFutureState::Cancelled, 0),
                "job {i}"
            );
        }
    }
    assert_eq!(busy.callbacks.load(Ordering::SeqCst), 100);
}

#[test]
fn dropping_the_executor_waits_for_every_job() {
    let busy = busy_pool(1, 10);
    let opener = {
        let gate = busy.gate.clone();
        thread::spawn(move || gate.open())
    };
    drop(busy.executor); // Python's `with` block ends
    assert!(busy
        .futures
        .iter()
        .all(|f| f.state() == ConcurrentFutureState::Finished));
    assert_eq!(busy.callbacks.load(Ordering::SeqCst), 11);
    opener.join().unwrap();
}

#[test]
fn a_second_shutdown_with_wait_waits_too() {
    let busy = busy_pool(1, 0);
    let executor = Arc::new(busy.executor);
    let (first_in, first_called) = mpsc::channel();
    let first = {
        let executor = executor.clone();
        thread::spawn(move || {
            first_in.send(()).unwrap();
            executor.shutdown(true, false);
        })
    };
    first_called.recv_timeout(GUARD).unwrap();
    let second = {
        let executor = executor.clone();
        thread::spawn(move || executor.shutdown(true, false))
    };
    busy.gate.open();
    second.join().unwrap();
    // Whichever call returned, the job had finished.
    assert_eq!(busy.futures[0].state(), ConcurrentFutureState::Finished);
    first.join().unwrap();
}

#[test]
fn a_job_may_shut_down_its_own_pool_without_hanging() {
    let executor = Arc::new(ThreadPoolExecutor::new(1));
    let pool = executor.clone();
    let future = executor
        .submit(move || {
            pool.shutdown(true, false); // cannot wait for itself: it does not try
            "still here"
        })
        .unwrap();
    assert_eq!(future.result_timeout(GUARD).unwrap(), "still here");
    assert!(executor.submit(|| "").is_err());
}

#[test]
fn a_job_may_drop_the_last_handle_to_its_own_pool() {
    let executor = Arc::new(ThreadPoolExecutor::new(2));
    let (futures_tx, futures) = mpsc::channel();
    let pool = executor.clone();
    let first = executor
        .submit(move || {
            let inner: ConcurrentFuture<&str> = futures.recv_timeout(GUARD).unwrap();
            drop(pool); // the last handle: the executor's Drop runs on this worker
            inner
        })
        .unwrap();
    let inner = executor.submit(|| "inner").unwrap();
    futures_tx.send(inner).unwrap();
    drop(executor);
    let inner = first.result_timeout(GUARD).unwrap();
    assert_eq!(inner.result_timeout(GUARD).unwrap(), "inner");
}

#[test]
fn shutdown_racing_with_submitters_loses_no_accepted_job() {
    let executor = ThreadPoolExecutor::new(3);
    let ran = Arc::new(AtomicUsize::new(0));
    let halfway = Barrier::new(5);
    let accepted: Vec<ConcurrentFuture<()>> = thread::scope(|scope| {
        let submitters: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(|| {
                    let mut futures = Vec::new();
                    for n in 0.. {
                        if n == 500 {
                            halfway.wait();
                        }
                        let ran = ran.clone();
                        match executor.submit(move || {
                            ran.fetch_add(1, Ordering::SeqCst);
                        }) {
                            Ok(future) => futures.push(future),
                            Err(error) => {
                                assert!(matches!(error, Error::ExecutorShutdown));
                                return futures;
                            }
                        }
                    }
                    unreachable!("submitting stops at the shutdown")
                })
            })
            .collect();
        halfway.wait(); // every submitter has 500 jobs in: shut down among the rest
        executor.shutdown(true, false);
        submitters
            .into_iter()
            .flat_map(|s| s.join().unwrap())
            .collect()
    });
    assert!(accepted.len() >= 2000);
    assert!(accepted
        .iter()
        .all(|f| f.state() == ConcurrentFutureState::Finished));
    assert_eq!(ran.load(Ordering::SeqCst), accepted.len());
}

// --- stress --------------------------------------------------------------------------------

#[test]
fn a_hundred_thousand_jobs_from_four_threads_each_complete_exactly_once() {
    const SUBMITTERS: usize = 4;
    const PER_SUBMITTER: usize = 25_000;
    const JOBS: usize = SUBMITTERS * PER_SUBMITTER;
    let executor = ThreadPoolExecutor::new(4);
    let runs: Vec<AtomicU8> = (0..JOBS).map(|_| AtomicU8::new(0)).collect();
    let callbacks: Arc<Vec<AtomicU8>> = Arc::new((0..JOBS).map(|_| AtomicU8::new(0)).collect());
    let runs = Arc::new(runs);

    let futures: Vec<Vec<ConcurrentFuture<usize>>> = thread::scope(|scope| {
        let submitters: Vec<_> = (0..SUBMITTERS)
            .map(|s| {
                let (executor, runs, callbacks) = (&executor, &runs, &callbacks);
                scope.spawn(move || {
                    (s * PER_SUBMITTER..(s + 1) * PER_SUBMITTER)
                        .map(|i| {
                            let runs = runs.clone();
                            let future = executor
                                .submit(move || {
                                    runs[i].fetch_add(1, Ordering::Relaxed);
                                    i
                                })
                                .unwrap();
                            let callbacks = callbacks.clone();
                            future.add_done_callback(move |f| {
                                assert_eq!(f.result().unwrap(), i);
                                callbacks[i].fetch_add(1, Ordering::Relaxed);
                            });
                            future
                        })
                        .collect()
                })
            })
            .collect();
        submitters.into_iter().map(|s| s.join().unwrap()).collect()
    });
    for (i, future) in futures.iter().flatten().enumerate() {
        assert_eq!(future.result().unwrap(), i);
    }
    drop(executor); // joins the workers: every callback has run
    let ran_once = runs
        .iter()
        .filter(|r| r.load(Ordering::Relaxed) == 1)
        .count();
    let called_once = callbacks
        .iter()
        .filter(|c| c.load(Ordering::Relaxed) == 1)
        .count();
    assert_eq!(ran_once, JOBS);
    assert_eq!(called_once, JOBS);
}
