//! Chapter 9: `ConcurrentFuture`, Python's `concurrent.futures.Future`, on its own.
//!
//! Determinism: most tests complete futures from the test's own thread, so the order of events
//! is the program order. Where another thread completes a future, a channel orders the steps;
//! no test sleeps to order anything. Timeouts appear only as "must not hang" guards, or as the
//! very thing under test (`result_timeout` on a future nobody completes).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Barrier, Mutex, Once};
use std::thread;
use std::time::Duration;

use steploop::executor::{ConcurrentFuture, ConcurrentFutureState, ThreadPoolExecutor};
use steploop::Error;

/// A "must not hang" guard for waits that end at once when the code is right.
const GUARD: Duration = Duration::from_secs(10);

/// Counts calls; cloned into callbacks.
#[derive(Clone, Default)]
struct Counter(Arc<AtomicUsize>);

impl Counter {
    fn bump(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
    fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

// --- a logger that records, to count the callback panics the future reports ---------------

static RECORDS: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Recorder;

impl log::Log for Recorder {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        let line = format!("{} {}", record.level(), record.args());
        RECORDS.lock().unwrap().push(line);
    }
    fn flush(&self) {}
}

/// Installs the recording logger; call it before whatever should be recorded.
fn record_logs() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        log::set_logger(&Recorder).expect("no other logger in this test binary");
        log::set_max_level(log::LevelFilter::Trace);
    });
}

/// Log lines containing `marker`; each test uses its own marker, as tests run in parallel.
fn logged(marker: &str) -> Vec<String> {
    let records = RECORDS.lock().unwrap();
    records
        .iter()
        .filter(|line| line.contains(marker))
        .cloned()
        .collect()
}

// --- states --------------------------------------------------------------------------------

#[test]
fn the_seeds_first_example_runs_as_written() {
    let heard = Arc::new(Mutex::new(Vec::new()));
    let future = ConcurrentFuture::new();
    let h = heard.clone();
    future.add_done_callback(move |future| {
        let line = format!("callback, result: {}", future.result().unwrap());
        h.lock().unwrap().push(line);
    });
    assert!(heard.lock().unwrap().is_empty(), "not before set_result");
    future.set_result("some value").unwrap();
    assert_eq!(*heard.lock().unwrap(), ["callback, result: some value"]);
}

#[test]
fn a_future_goes_pending_running_finished() {
    let future = ConcurrentFuture::new();
    assert_eq!(future.state(), ConcurrentFutureState::Pending);
    assert!(!future.running() && !future.done() && !future.cancelled());

    assert!(matches!(future.set_running_or_notify_cancel(), Ok(true)));
    assert_eq!(future.state(), ConcurrentFutureState::Running);
    assert!(future.running() && !future.done());

    future.set_result(7).unwrap();
    assert_eq!(future.state(), ConcurrentFutureState::Finished);
    assert!(!future.running() && future.done() && !future.cancelled());
    assert_eq!(future.result().unwrap(), 7);
    assert!(future.exception().unwrap().is_none());
}

#[test]
fn a_pending_future_may_finish_without_running() {
    let future = ConcurrentFuture::new();
    future.set_result("done by hand").unwrap();
    assert_eq!(future.state(), ConcurrentFutureState::Finished);
}

#[test]
fn cancel_succeeds_only_while_pending() {
    let pending = ConcurrentFuture::<u8>::new();
    assert!(pending.cancel());
    assert!(pending.cancel(), "cancelling twice still says cancelled");
    assert_eq!(pending.state(), ConcurrentFutureState::Cancelled);
    assert!(pending.done());
    assert!(matches!(pending.set_running_or_notify_cancel(), Ok(false)));
    assert!(matches!(pending.result(), Err(Error::Cancelled(None))));
    assert!(matches!(pending.exception(), Err(Error::Cancelled(None))));

    let running = ConcurrentFuture::<u8>::new();
    running.set_running_or_notify_cancel().unwrap();
    assert!(!running.cancel());
    assert_eq!(running.state(), ConcurrentFutureState::Running);

    let finished = ConcurrentFuture::new();
    finished.set_result(1_u8).unwrap();
    assert!(!finished.cancel());
    assert_eq!(finished.result().unwrap(), 1);
}

#[test]
fn a_done_future_refuses_a_second_outcome_and_keeps_the_first() {
    let future = ConcurrentFuture::new();
    future.set_result(1).unwrap();
    let again = future.set_result(2).unwrap_err();
    assert!(matches!(again, Error::InvalidState(_)), "{again:?}");
    assert!(again.to_string().contains("completes once"), "{again}");
    let error = future.set_exception(Error::msg("late")).unwrap_err();
    assert!(matches!(error, Error::InvalidState(_)));
    assert_eq!(future.result().unwrap(), 1);

    let cancelled = ConcurrentFuture::new();
    cancelled.cancel();
    assert!(cancelled.set_result(3).is_err());
    assert_eq!(cancelled.state(), ConcurrentFutureState::Cancelled);
}

#[test]
fn only_a_pending_future_can_start_running() {
    let future = ConcurrentFuture::<()>::new();
    future.set_running_or_notify_cancel().unwrap();
    let error = future.set_running_or_notify_cancel().unwrap_err();
    assert!(error.to_string().contains("running"), "{error}");
    future.set_result(()).unwrap();
    assert!(future.set_running_or_notify_cancel().is_err());
}

#[test]
fn exception_reports_the_error_and_result_returns_it() {
    let future = ConcurrentFuture::<String>::new();
    future
        .set_exception(Error::msg("division by zero"))
        .unwrap();
    assert_eq!(
        future.exception().unwrap().unwrap().to_string(),
        "division by zero"
    );
    assert_eq!(future.result().unwrap_err().to_string(), "division by zero");
    assert_eq!(future.state(), ConcurrentFutureState::Finished);
}

// --- done-callbacks ------------------------------------------------------------------------

#[test]
fn callbacks_run_once_in_the_order_added() {
    let order = Arc::new(Mutex::new(Vec::new()));
    let future = ConcurrentFuture::new();
    for n in 1..=3 {
        let order = order.clone();
        future.add_done_callback(move |_| order.lock().unwrap().push(n));
    }
    future.set_result(()).unwrap();
    assert!(future.set_result(()).is_err());
    future.cancel();
    assert_eq!(*order.lock().unwrap(), [1, 2, 3]);
}

#[test]
fn a_callback_added_to_a_done_future_runs_at_once_in_the_caller() {
    let future = ConcurrentFuture::new();
    future.set_result(5).unwrap();
    let ran_on = Arc::new(Mutex::new(None));
    let r = ran_on.clone();
    future.add_done_callback(move |f| {
        *r.lock().unwrap() = Some((thread::current().id(), f.result().unwrap()));
    });
    assert_eq!(*ran_on.lock().unwrap(), Some((thread::current().id(), 5)));
}

#[test]
fn callbacks_run_in_the_thread_that_completes_the_future() {
    let future = ConcurrentFuture::new();
    let (ran_on, ran) = mpsc::channel();
    future.add_done_callback(move |_| ran_on.send(thread::current().id()).unwrap());
    let completer = {
        let future = future.clone();
        thread::spawn(move || {
            future.set_result(()).unwrap();
            thread::current().id()
        })
    };
    let completer_id = completer.join().unwrap();
    assert_eq!(ran.recv_timeout(GUARD).unwrap(), completer_id);
}

#[test]
fn cancel_runs_the_callbacks_once() {
    let calls = Counter::default();
    let future = ConcurrentFuture::<()>::new();
    let c = calls.clone();
    future.add_done_callback(move |f| {
        assert!(f.cancelled());
        c.bump();
    });
    assert!(future.cancel());
    assert!(future.cancel());
    assert_eq!(calls.get(), 1);
}

#[test]
fn a_panicking_callback_is_logged_and_the_others_still_run() {
    record_logs();
    let calls = Counter::default();
    let future = ConcurrentFuture::new();
    let c = calls.clone();
    future.add_done_callback(move |_| c.bump());
    future.add_done_callback(|_| panic!("callback-panic-marker-1"));
    let c = calls.clone();
    future.add_done_callback(move |_| c.bump());
    future.set_result(42).unwrap();
    assert_eq!(calls.get(), 2);
    let lines = logged("callback-panic-marker-1");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with("ERROR exception calling callback for <Future state=finished"),
        "{}",
        lines[0]
    );

    // At once on a done future: caught and logged the same way.
    future.add_done_callback(|_| panic!("callback-panic-marker-2"));
    assert_eq!(logged("callback-panic-marker-2").len(), 1);
}

#[test]
fn a_panicking_callback_does_not_kill_the_worker() {
    record_logs();
    let executor = ThreadPoolExecutor::new(1);
    let (go, gate) = mpsc::channel::<()>();
    let first = executor
        .submit(move || gate.recv_timeout(GUARD).unwrap())
        .unwrap();
    // Added while the job waits at the gate, so it runs on the worker.
    first.add_done_callback(|_| panic!("callback-panic-marker-3"));
    go.send(()).unwrap();
    let name = executor
        .submit(|| thread::current().name().map(String::from))
        .unwrap();
    assert_eq!(name.result().unwrap().as_deref(), Some("steploop-worker-1"));
    assert_eq!(executor.worker_count(), 1, "the same worker, not a new one");
    drop(executor); // joins the worker: its callbacks are over
    assert_eq!(logged("callback-panic-marker-3").len(), 1);
}

// --- blocking ------------------------------------------------------------------------------

#[test]
fn result_blocks_until_another_thread_sets_it() {
    let future = ConcurrentFuture::new();
    let (go, gate) = mpsc::channel::<()>();
    let setter = {
        let future = future.clone();
        thread::spawn(move || {
            gate.recv().unwrap();
            future.set_result(String::from("late value")).unwrap();
        })
    };
    go.send(()).unwrap();
    assert_eq!(future.result().unwrap(), "late value");
    setter.join().unwrap();
}

#[test]
fn every_thread_blocked_in_result_gets_its_own_clone() {
    const READERS: usize = 8;
    let future = ConcurrentFuture::new();
    let ready = Arc::new(Barrier::new(READERS + 1));
    let readers: Vec<_> = (0..READERS)
        .map(|_| {
            let (future, ready) = (future.clone(), ready.clone());
            thread::spawn(move || {
                ready.wait();
                future.result()
            })
        })
        .collect();
    ready.wait();
    future.set_result(vec![1, 2, 3]).unwrap();
    for reader in readers {
        assert_eq!(reader.join().unwrap().unwrap(), [1, 2, 3]);
    }
    assert_eq!(future.result().unwrap(), [1, 2, 3], "still there");
}

#[test]
fn a_cancel_wakes_the_threads_blocked_in_result() {
    let future = ConcurrentFuture::<u8>::new();
    let ready = Arc::new(Barrier::new(2));
    let reader = {
        let (future, ready) = (future.clone(), ready.clone());
        thread::spawn(move || {
            ready.wait();
            future.result()
        })
    };
    ready.wait();
    assert!(future.cancel());
    assert!(matches!(
        reader.join().unwrap(),
        Err(Error::Cancelled(None))
    ));
}

#[test]
fn result_timeout_gives_up_and_leaves_the_future_as_it_was() {
    let future = ConcurrentFuture::<u8>::new();
    let waited = future.result_timeout(Duration::from_millis(20));
    assert!(matches!(waited, Err(Error::Timeout)), "{waited:?}");
    assert!(matches!(
        future.exception_timeout(Duration::from_millis(1)),
        Err(Error::Timeout)
    ));
    assert_eq!(future.state(), ConcurrentFutureState::Pending);
    future.set_result(9).unwrap();
    assert_eq!(future.result_timeout(Duration::ZERO).unwrap(), 9);
    assert_eq!(future.result_timeout(Duration::MAX).unwrap(), 9);
}

#[test]
fn take_result_moves_the_value_out_once() {
    #[derive(Debug)]
    struct NotClone(&'static str);
    let future = ConcurrentFuture::new();
    future.set_result(NotClone("moved")).unwrap();
    assert_eq!(future.take_result().unwrap().0, "moved");
    let error = future.take_result().unwrap_err();
    assert!(error.to_string().contains("take_result"), "{error}");
    assert_eq!(future.state(), ConcurrentFutureState::Finished);

    // An error is not taken: it stays for every reader.
    let failed = ConcurrentFuture::<NotClone>::new();
    failed.set_exception(Error::msg("nope")).unwrap();
    assert_eq!(failed.take_result().unwrap_err().to_string(), "nope");
    assert_eq!(failed.take_result().unwrap_err().to_string(), "nope");
}

// --- identity and printing -----------------------------------------------------------------

#[test]
#[allow(clippy::mutable_key_type)] // the hash is the identity, which never changes
fn futures_compare_and_hash_by_identity() {
    let a = ConcurrentFuture::<u8>::new();
    let b = ConcurrentFuture::<u8>::new();
    assert_eq!(a, a.clone());
    assert_ne!(a, b);
    let names: HashMap<_, _> = [(a.clone(), "a"), (b.clone(), "b")].into();
    assert_eq!(names[&a], "a");
    assert_eq!(names[&b.clone()], "b");
}

#[test]
fn debug_prints_like_pythons_repr() {
    let future = ConcurrentFuture::<String>::new();
    assert_eq!(format!("{future:?}"), "<Future state=pending>");
    future.set_running_or_notify_cancel().unwrap();
    assert_eq!(format!("{future:?}"), "<Future state=running>");
    future.set_result("x".into()).unwrap();
    assert_eq!(
        format!("{future:?}"),
        "<Future state=finished returned String>"
    );

    let failed = ConcurrentFuture::<Vec<u8>>::new();
    failed.set_exception(Error::msg("boom")).unwrap();
    assert_eq!(format!("{failed:?}"), "<Future state=finished raised boom>");

    let cancelled = ConcurrentFuture::<()>::new();
    cancelled.cancel();
    assert_eq!(format!("{cancelled:?}"), "<Future state=cancelled>");
}

#[test]
fn a_future_crosses_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<ConcurrentFuture<String>>();
    assert_send_sync::<ConcurrentFuture<std::cell::Cell<u8>>>(); // Send but not Sync
}
