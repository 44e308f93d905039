//! Chapter 14, "Seeing the loop": the exception handler, debug mode, and the mistakes the loop
//! refuses.
//!
//! Log records are kept by a logger installed once for this test binary. Tests run in parallel
//! on threads named after them, and a loop logs on its own thread, so each test reads back only
//! the records of its own thread. Nothing here depends on how long anything takes, except that
//! a callback that sleeps 30 ms takes at least 30 ms.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use steploop::{current_task, Error, EventLoop, ExceptionContext};

/// (thread, level, message) of every record.
static RECORDS: Mutex<Vec<(String, log::Level, String)>> = Mutex::new(Vec::new());

struct Keep;

impl log::Log for Keep {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }

    fn log(&self, record: &log::Record) {
        let thread = std::thread::current().name().unwrap_or("").to_string();
        let entry = (thread, record.level(), record.args().to_string());
        RECORDS.lock().unwrap().push(entry);
    }

    fn flush(&self) {}
}

/// Installs the logger that keeps every record; each test that reads logs calls it first.
fn keep_logs() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        log::set_boxed_logger(Box::new(Keep)).unwrap();
        log::set_max_level(log::LevelFilter::Trace);
    });
}

/// What was logged on this thread so far.
fn logged() -> Vec<(log::Level, String)> {
    keep_logs();
    let me = std::thread::current().name().unwrap_or("").to_string();
    let records = RECORDS.lock().unwrap();
    records
        .iter()
        .filter(|r| r.0 == me)
        .map(|r| (r.1, r.2.clone()))
        .collect()
}

/// A loop whose exception handler keeps every report, rendered as the default handler would.
fn reporting(lp: &EventLoop) -> Rc<RefCell<Vec<String>>> {
    let reports = Rc::new(RefCell::new(Vec::new()));
    let kept = reports.clone();
    lp.set_exception_handler(move |_, context: &ExceptionContext| {
        kept.borrow_mut().push(context.to_string());
    });
    reports
}

// ---------------------------------------------------------------------------------------------
// Everything nobody else can receive goes through the exception handler
// ---------------------------------------------------------------------------------------------

#[test]
fn a_never_retrieved_exception_goes_through_the_handler() {
    let lp = EventLoop::new();
    let reports = reporting(&lp);
    let fut = lp.create_future::<u32>();
    fut.set_exception(Error::msg("nobody looks")).unwrap();
    drop(fut);
    assert_eq!(
        *reports.borrow(),
        ["Future exception was never retrieved\nexception: nobody looks\nfuture: Future-1"]
    );
}

#[test]
fn a_task_destroyed_while_pending_goes_through_the_handler() {
    let lp = EventLoop::new();
    let reports = reporting(&lp);
    let never = lp.create_future::<()>();
    lp.create_task(async move { never.await });
    lp.run_once().unwrap();
    lp.close().unwrap();
    assert_eq!(
        *reports.borrow(),
        ["Task was destroyed but it is pending!\ntask: Task-1"]
    );
}

// ANCHOR: panicking_callback
#[test]
fn a_panicking_callback_goes_through_the_handler() {
    let lp = EventLoop::new();
    let reports = reporting(&lp);
    lp.with_label("greet").call_soon(|_| panic!("no greeting"));
    lp.call_soon(|lp| lp.stop());
    lp.run_forever().unwrap();
    assert_eq!(
        *reports.borrow(),
        ["Exception in callback greet\nexception: panicked: no greeting\nhandle: <Handle greet>"]
    );
}
// ANCHOR_END: panicking_callback

#[test]
fn a_panicking_task_nobody_awaits_goes_through_the_handler() {
    let lp = EventLoop::new();
    let reports = reporting(&lp);
    let task = lp.create_task(async {
        panic!("in a task");
        #[allow(unreachable_code)]
        Ok(())
    });
    lp.run_once().unwrap();
    assert!(task.done());
    drop(task);
    assert_eq!(
        *reports.borrow(),
        ["Task exception was never retrieved\nexception: panicked: in a task\nfuture: Task-1"]
    );
}

#[test]
fn get_exception_handler_says_which_handler_is_in_use() {
    let lp = EventLoop::new();
    assert!(lp.get_exception_handler().is_none(), "the default");
    let reports = reporting(&lp);
    let handler = lp.get_exception_handler().expect("ours");
    handler(&lp, &ExceptionContext::new("called by hand"));
    assert_eq!(*reports.borrow(), ["called by hand"]);
    lp.reset_exception_handler();
    assert!(lp.get_exception_handler().is_none());
}

#[test]
fn a_custom_handler_can_log_through_the_default_one() {
    keep_logs();
    let lp = EventLoop::new();
    lp.set_exception_handler(|lp, context| lp.default_exception_handler(context));
    lp.call_exception_handler(&ExceptionContext::new("passed on").with_task("Task-9"));
    let errors: Vec<_> = logged()
        .into_iter()
        .filter(|(level, _)| *level == log::Level::Error)
        .map(|(_, message)| message)
        .collect();
    assert_eq!(errors, ["passed on\ntask: Task-9"]);
}

#[test]
fn a_context_shows_its_message_first_then_its_keys_sorted() {
    let context = ExceptionContext::new("what happened")
        .with_task("Task-1")
        .with_handle("<Handle h>")
        .with_future("Future-1")
        .with_exception(Error::Timeout);
    assert_eq!(
        context.to_string(),
        "what happened\nexception: timed out\nfuture: Future-1\nhandle: <Handle h>\ntask: Task-1"
    );
}

// ---------------------------------------------------------------------------------------------
// Debug mode
// ---------------------------------------------------------------------------------------------

#[test]
fn debug_mode_is_off_unless_asked_for() {
    let lp = EventLoop::new();
    // The environment may ask for it (STEPLOOP_DEBUG); a test must not depend on that.
    lp.set_debug(false);
    assert!(!lp.get_debug());
    lp.set_debug(true);
    assert!(lp.get_debug());
    assert_eq!(lp.slow_callback_duration(), Duration::from_millis(100));
}

// ANCHOR: slow_callback
#[test]
fn debug_mode_logs_a_slow_callback_measured_on_the_real_clock() {
    keep_logs();
    let lp = EventLoop::with_virtual_clock();
    lp.set_debug(true);
    lp.set_slow_callback_duration(Duration::from_millis(10));
    lp.with_label("nap")
        .call_soon(|_| std::thread::sleep(Duration::from_millis(30)));
    lp.run_once().unwrap();
    assert_eq!(lp.time(), Duration::ZERO, "the virtual clock did not move");
    let warnings: Vec<_> = logged()
        .into_iter()
        .filter(|(level, _)| *level == log::Level::Warn)
        .map(|(_, message)| message)
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    // At least the 30 ms it slept; how much more depends on how busy the machine is.
    let took: f64 = warnings[0]
        .strip_prefix("Executing <Handle nap> took ")
        .and_then(|rest| rest.strip_suffix(" seconds"))
        .and_then(|seconds| seconds.parse().ok())
        .unwrap_or_else(|| panic!("{}", warnings[0]));
    assert!(took >= 0.030, "{}", warnings[0]);
}
// ANCHOR_END: slow_callback

#[test]
fn a_slow_task_step_is_named_by_its_step() {
    keep_logs();
    let lp = EventLoop::with_virtual_clock();
    lp.set_debug(true);
    lp.set_slow_callback_duration(Duration::from_millis(10));
    lp.run_until_complete(async {
        std::thread::sleep(Duration::from_millis(30));
        Ok(())
    })
    .unwrap();
    let warnings: Vec<_> = logged()
        .into_iter()
        .filter(|(level, _)| *level == log::Level::Warn)
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0]
        .1
        .starts_with("Executing <Handle Task-1.step> took "));
}

#[test]
fn without_debug_mode_nothing_is_timed() {
    keep_logs();
    let lp = EventLoop::with_virtual_clock();
    lp.set_debug(false);
    lp.set_slow_callback_duration(Duration::ZERO);
    lp.call_soon(|_| std::thread::sleep(Duration::from_millis(1)));
    lp.run_once().unwrap();
    assert_eq!(logged(), []);
}

#[test]
fn debug_mode_logs_each_wait_in_the_selector() {
    keep_logs();
    let lp = EventLoop::new();
    lp.set_debug(true);
    // The job's end reaches the loop through a socket it watches, so the loop waits in its
    // selector however soon the job is done: had it already sent its byte, the wait returns
    // at once, with one event.
    let (mut watched, job_end) = mio::net::UnixStream::pair().unwrap();
    let heard = lp.create_future::<()>();
    let hear = heard.clone();
    lp.add_reader(&mut watched, move |_| drop(hear.set_result(())))
        .unwrap();
    let job = lp.run_in_executor(None, move || {
        std::thread::sleep(Duration::from_millis(50));
        std::io::Write::write_all(&mut &job_end, b"!").is_ok()
    });
    lp.run_until_complete(heard).unwrap();
    lp.remove_reader(&mut watched).unwrap();
    assert!(
        lp.run_until_complete(job).unwrap(),
        "the job wrote its byte"
    );
    let polls: Vec<_> = logged()
        .into_iter()
        .filter(|(_, message)| message.starts_with("poll "))
        .collect();
    assert!(!polls.is_empty(), "the wait for the job was logged");
    for (level, message) in &polls {
        assert!(message.starts_with("poll took "), "{message}");
        assert!(message.ends_with(" events"), "{message}");
        // A wait of a second or more is logged at info level: on a busy machine even this
        // one may take that long.
        let took_ms: f64 = message["poll took ".len()..]
            .split(" ms")
            .next()
            .and_then(|ms| ms.parse().ok())
            .unwrap_or_else(|| panic!("{message}"));
        let expected = if took_ms >= 1000.0 {
            log::Level::Info
        } else {
            log::Level::Debug
        };
        assert_eq!(*level, expected, "{message}");
    }
    lp.close().unwrap();
}

// ANCHOR: created_at
#[test]
fn in_debug_mode_reports_say_where_the_future_was_created() {
    let lp = EventLoop::new();
    lp.set_debug(true);
    let reports = reporting(&lp);
    let line = line!() + 1;
    let fut = lp.create_future::<u32>();
    let created = fut.created_at().expect("debug mode keeps it");
    assert_eq!((created.file(), created.line()), (file!(), line));
    fut.set_exception(Error::msg("nobody looks")).unwrap();
    drop(fut);
    let expected = format!("source_traceback: created at {created}");
    assert!(
        reports.borrow()[0].ends_with(&expected),
        "{:?}",
        reports.borrow()
    );
}
// ANCHOR_END: created_at

#[test]
fn in_debug_mode_a_destroyed_task_says_where_it_was_created() {
    let lp = EventLoop::new();
    lp.set_debug(true);
    let reports = reporting(&lp);
    let never = lp.create_future::<()>();
    let line = line!() + 1;
    let task = lp.create_task(async move { never.await });
    assert_eq!(task.created_at().map(|l| l.line()), Some(line));
    assert!(format!("{task:?}").ends_with(&format!("created at {}:{line}:19", file!())));
    lp.run_once().unwrap();
    lp.close().unwrap();
    assert_eq!(
        *reports.borrow(),
        [format!(
            "Task was destroyed but it is pending!\nsource_traceback: created at {}:{line}:19\ntask: Task-1",
            file!()
        )]
    );
}

#[test]
fn run_until_complete_passes_its_caller_to_the_task_it_creates() {
    let lp = EventLoop::new();
    lp.set_debug(true);
    let line = line!() + 1;
    let created = lp.run_until_complete(async { Ok(current_task().unwrap().created_at()) });
    let created = created.unwrap().expect("debug mode keeps it");
    assert_eq!((created.file(), created.line()), (file!(), line));
}

#[test]
fn a_renamed_task_keeps_where_it_was_created() {
    let lp = EventLoop::new();
    lp.set_debug(true);
    let task = lp.create_task(async { Ok(()) });
    let created = task.created_at().expect("debug mode keeps it");
    task.set_name("fetcher");
    assert_eq!(task.name(), "fetcher");
    assert_eq!(task.created_at(), Some(created));
    lp.run_until_complete(task).unwrap();
}

#[test]
fn without_debug_mode_nothing_is_kept() {
    let lp = EventLoop::new();
    lp.set_debug(false);
    assert!(lp.create_future::<()>().created_at().is_none());
    assert!(lp.create_task(async { Ok(()) }).created_at().is_none());
}

#[test]
fn run_debug_runs_in_debug_mode() {
    let debug =
        steploop::run_debug(async { Ok(steploop::get_running_loop().unwrap().get_debug()) });
    assert!(debug.unwrap());
}

// ---------------------------------------------------------------------------------------------
// The loop in the wrong place
// ---------------------------------------------------------------------------------------------

// ANCHOR: different_loop
#[test]
fn a_future_of_one_loop_cannot_be_awaited_by_a_task_of_another() {
    let a = EventLoop::new();
    let b = EventLoop::new();
    let of_a = a.create_future::<u32>();
    let outcome = b.run_until_complete(async move { of_a.await });
    let Err(Error::Runtime(message)) = outcome else {
        panic!("expected a RuntimeError, got {outcome:?}");
    };
    assert!(
        message.starts_with("Task-1 got Future-1 attached to a different loop"),
        "{message}"
    );
}
// ANCHOR_END: different_loop

#[test]
fn one_loop_cannot_run_while_another_runs_on_the_same_thread() {
    let outer = EventLoop::new();
    let seen = outer.run_until_complete(async {
        let inner = EventLoop::new();
        Ok(inner.run_until_complete(async { Ok(()) }))
    });
    assert!(matches!(seen.unwrap(), Err(Error::AlreadyRunning)));
}
