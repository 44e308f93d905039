//! Debug mode (asyncio's `loop.set_debug(True)`, `PYTHONASYNCIODEBUG=1`, `asyncio.run(debug=True)`).
//!
//! A loop in debug mode watches itself, at a cost it would not pay otherwise:
//! - every handle is timed on the real clock, even on a virtual-clock loop, and one that runs
//!   for `slow_callback_duration` (100 ms unless set) or longer is logged as a warning:
//!   `Executing <Handle Task-3.step> took 0.152 seconds`;
//! - every wait in the selector is timed and logged by the reactor, which owns the poll, at
//!   `info` level when it lasted a second or more and at `debug` level otherwise:
//!   `poll 1000.000 ms took 1001.024 ms: 1 events`;
//! - tasks and futures remember the line that created them (`#[track_caller]` on
//!   `create_task`, `create_future`, `run_until_complete`, `run`), and the exception handler's
//!   reports show it (asyncio's `source_traceback`).
//!
//! Debug mode is on for every new loop when the environment variable `STEPLOOP_DEBUG` is set to
//! anything but empty or `0` (as `PYTHONASYNCIODEBUG`), or for one loop with
//! [`EventLoop::set_debug`], or for one run with [`run_debug`](crate::run_debug).
//!
//! What asyncio's debug mode also checks, "Non-thread-safe operation invoked on an event loop
//! other than the current one", cannot happen here: an [`EventLoop`](crate::EventLoop) is not `Send`, so a
//! program that uses it from another thread does not compile (see the `compile_fail` example
//! of [`EventLoop`](crate::EventLoop)).
//!
//! Other threads reach a loop through a [`LoopHandle`](crate::LoopHandle) (chapter 11). The
//! mistake that remains possible on one thread — awaiting a future of one loop from a task of
//! another — is refused in every mode, as asyncio refuses it ("Task got Future attached to a
//! different loop").
//!
//! # Implementation notes
//! With debug mode off, the loop pays one `Cell<bool>` check per tick (in `run_ready`) and one
//! per wait in the selector; `create_task` and `create_future` pay one more to decide whether
//! to note their caller's location. In debug mode the location (a pointer to static data)
//! goes into the future's label, in a small box: futures and tasks carry no field for it.

use std::cell::{Cell, RefCell};
use std::panic::{catch_unwind, AssertUnwindSafe, Location};
use std::rc::Rc;
use std::time::Duration;

use crate::exception_handler::{default_exception_handler, ExceptionContext};
use crate::inspect::TickObserver;
use crate::label::Label;
use crate::{Error, EventLoop};

/// A function that receives what the loop could not hand to anyone else
/// (the `handler(loop, context)` of `loop.set_exception_handler`).
pub type ExceptionHandler = dyn Fn(&EventLoop, &ExceptionContext);

/// asyncio's default `slow_callback_duration`: 0.1 s.
const SLOW_CALLBACK_DURATION: Duration = Duration::from_millis(100);

/// True when the environment asks for debug mode: `STEPLOOP_DEBUG` set, and neither empty nor
/// `0`.
fn debug_from_env() -> bool {
    debug_requested(std::env::var_os("STEPLOOP_DEBUG").as_deref())
}

fn debug_requested(value: Option<&std::ffi::OsStr>) -> bool {
    value.is_some_and(|v| !v.is_empty() && v != "0")
}

/// The loop's diagnostics (asyncio's `_debug`, `slow_callback_duration`,
/// `_exception_handler`, and steploop's tick observer). The trace is not here: every part
/// records through the loop's `Tracer`.
pub(crate) struct Diagnostics {
    /// Debug mode: slow handles and polls are logged, and tasks and futures remember where
    /// they were created. Checked once per tick, never per handle.
    debug: Cell<bool>,
    /// In debug mode, a handle that runs at least this long is logged.
    slow_callback_duration: Cell<Duration>,
    exception_handler: RefCell<Option<Rc<ExceptionHandler>>>,
    /// Called at the start of each traced tick with the loop's queues.
    tick_observer: RefCell<Option<Box<TickObserver>>>,
}

impl Default for Diagnostics {
    fn default() -> Self {
        Diagnostics {
            debug: Cell::new(debug_from_env()),
            slow_callback_duration: Cell::new(SLOW_CALLBACK_DURATION),
            exception_handler: RefCell::new(None),
            tick_observer: RefCell::new(None),
        }
    }
}

impl Diagnostics {
    /// Hands `context` to `event_loop`'s handler, or to the default one when none is set
    /// (`loop.call_exception_handler`). A handler that panics is itself reported through the
    /// default handler, followed by the original report, so that a broken handler can neither
    /// lose a report nor take the loop down.
    pub(crate) fn call_exception_handler(
        &self,
        event_loop: &EventLoop,
        context: &ExceptionContext,
    ) {
        let Some(handler) = self.exception_handler() else {
            return default_exception_handler(context);
        };
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| handler(event_loop, context))) {
            default_exception_handler(
                &ExceptionContext::new("Unhandled error in exception handler")
                    .with_exception(Error::from_panic(payload)),
            );
            default_exception_handler(context);
        }
    }

    #[inline(always)]
    pub(crate) fn debug(&self) -> bool {
        self.debug.get()
    }

    pub(crate) fn set_debug(&self, enabled: bool) {
        self.debug.set(enabled);
    }

    pub(crate) fn slow_callback_duration(&self) -> Duration {
        self.slow_callback_duration.get()
    }

    pub(crate) fn set_slow_callback_duration(&self, duration: Duration) {
        self.slow_callback_duration.set(duration);
    }

    /// The location of the caller of a `#[track_caller]` function, kept in debug mode only.
    #[track_caller]
    pub(crate) fn caller_if_debug(&self) -> Option<&'static Location<'static>> {
        if self.debug.get() {
            Some(Location::caller())
        } else {
            None
        }
    }

    /// The handler set by `set_exception_handler`, if any.
    pub(crate) fn exception_handler(&self) -> Option<Rc<ExceptionHandler>> {
        self.exception_handler.borrow().clone()
    }

    /// Sets (or, with `None`, resets) the exception handler; the one replaced is dropped with
    /// nothing borrowed.
    pub(crate) fn set_exception_handler(&self, handler: Option<Rc<ExceptionHandler>>) {
        let replaced = self.exception_handler.replace(handler);
        drop(replaced);
    }

    /// Sets (or, with `None`, removes) the tick observer; the one replaced is dropped with
    /// nothing borrowed.
    pub(crate) fn set_tick_observer(&self, observer: Option<Box<TickObserver>>) {
        let replaced = self.tick_observer.replace(observer);
        drop(replaced);
    }

    /// Takes the tick observer out while it runs, so that a call back into the loop never
    /// finds it borrowed.
    pub(crate) fn take_tick_observer(&self) -> Option<Box<TickObserver>> {
        self.tick_observer.borrow_mut().take()
    }

    /// Puts back an observer that ran, unless another was set meanwhile.
    pub(crate) fn restore_tick_observer(&self, observer: Box<TickObserver>) {
        let mut slot = self.tick_observer.borrow_mut();
        if slot.is_none() {
            *slot = Some(observer);
        }
    }
}

/// Logs a ready entry that held the loop for `threshold` or longer, in asyncio's words
/// (`_run_once` in debug mode): `Executing <Handle Task-3.step> took 0.152 seconds`.
pub(crate) fn log_if_slow(label: &Label, took: Duration, threshold: Duration) {
    if took >= threshold {
        log::warn!(
            "Executing <Handle {label}> took {:.3} seconds",
            took.as_secs_f64()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn the_environment_switches_debug_mode_on_unless_empty_or_zero() {
        assert!(!debug_requested(None));
        assert!(!debug_requested(Some(OsStr::new(""))));
        assert!(!debug_requested(Some(OsStr::new("0"))));
        assert!(debug_requested(Some(OsStr::new("1"))));
        assert!(debug_requested(Some(OsStr::new("yes"))));
    }
}
