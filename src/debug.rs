//! Debug mode (asyncio's `loop.set_debug(True)`, `PYTHONASYNCIODEBUG=1`, `asyncio.run(debug=True)`).
//!
//! A loop in debug mode watches itself, at a cost it would not pay otherwise:
//! - every handle is timed on the real clock, even on a virtual-clock loop, and one that runs
//!   for `slow_callback_duration` (100 ms unless set) or longer is logged as a warning:
//!   `Executing <Handle Task-3.step> took 0.152 seconds`;
//! - every wait in the selector is timed and logged, at `info` level when it lasted a second or
//!   more and at `debug` level otherwise: `poll 1000.000 ms took 1001.024 ms: 1 events`;
//! - tasks and futures remember the line that created them (`#[track_caller]` on
//!   `create_task`, `create_future`, `run_until_complete`, `run`), and the exception handler's
//!   reports show it (asyncio's `source_traceback`).
//!
//! Debug mode is on for every new loop when the environment variable `STEPLOOP_DEBUG` is set to
//! anything but empty or `0` (as `PYTHONASYNCIODEBUG`), or for one loop with
//! [`EventLoop::set_debug`], or for one run with [`run_debug`](crate::run_debug).
//!
//! What asyncio's debug mode also checks, "Non-thread-safe operation invoked on an event loop
//! other than the current one", cannot happen here: an [`EventLoop`] is not `Send`, so a
//! program that uses it from another thread does not compile (see the `compile_fail` example
//! of [`EventLoop`]).
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

use std::panic::Location;
use std::time::Duration;

use crate::event_loop::EventLoop;
use crate::label::Label;

/// asyncio's default `slow_callback_duration`: 0.1 s.
pub(crate) const SLOW_CALLBACK_DURATION: Duration = Duration::from_millis(100);

/// True when the environment asks for debug mode: `STEPLOOP_DEBUG` set, and neither empty nor
/// `0`.
pub(crate) fn debug_from_env() -> bool {
    debug_requested(std::env::var_os("STEPLOOP_DEBUG").as_deref())
}

fn debug_requested(value: Option<&std::ffi::OsStr>) -> bool {
    value.is_some_and(|v| !v.is_empty() && v != "0")
}

impl EventLoop {
    /// Switches debug mode on or off for this loop (`loop.set_debug(enabled)`).
    ///
    /// In debug mode the loop times every handle on the real clock (even on a virtual-clock
    /// loop) and logs a warning for each that ran [`slow_callback_duration`] or longer:
    /// `Executing <Handle Task-3.step> took 0.152 seconds`; it logs each wait in the selector
    /// (`poll took 12.345 ms: 1 events`, at `info` level from one second up, `debug` below);
    /// and `create_task`, `create_future`, `run_until_complete` and `run` keep the line that
    /// called them, which [`Task::created_at`](crate::Task::created_at) returns and the
    /// exception handler's reports show as `source_traceback`.
    ///
    /// Every new loop starts in debug mode when the environment variable `STEPLOOP_DEBUG` is
    /// set to anything but empty or `0` (asyncio's `PYTHONASYNCIODEBUG`).
    ///
    /// # Implementation notes
    /// Off, it costs one `Cell<bool>` read per tick and one per wait in the selector.
    ///
    /// [`slow_callback_duration`]: EventLoop::slow_callback_duration
    ///
    /// # Examples
    /// ```
    /// use steploop::EventLoop;
    /// let lp = EventLoop::new();
    /// lp.set_debug(true);
    /// assert!(lp.get_debug());
    /// ```
    pub fn set_debug(&self, enabled: bool) {
        self.inner.debug.set(enabled);
    }

    /// True in debug mode (`loop.get_debug()`).
    pub fn get_debug(&self) -> bool {
        self.inner.debug.get()
    }

    /// How long a handle may run before debug mode logs it as slow
    /// (`loop.slow_callback_duration`); 100 ms unless set.
    pub fn slow_callback_duration(&self) -> Duration {
        self.inner.slow_callback_duration.get()
    }

    /// Sets the threshold of [`slow_callback_duration`](EventLoop::slow_callback_duration).
    pub fn set_slow_callback_duration(&self, duration: Duration) {
        self.inner.slow_callback_duration.set(duration);
    }

    /// The location of the caller of a `#[track_caller]` function, kept in debug mode only.
    #[track_caller]
    pub(crate) fn caller_if_debug(&self) -> Option<&'static Location<'static>> {
        if self.inner.debug.get() {
            Some(Location::caller())
        } else {
            None
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

/// Logs one wait in the selector, as asyncio's debug mode does: at `info` level when it took a
/// second or more, `debug` otherwise.
pub(crate) fn log_poll(timeout: Option<Duration>, took: Duration, events: usize) {
    let level = if took >= Duration::from_secs(1) {
        log::Level::Info
    } else {
        log::Level::Debug
    };
    let took_ms = took.as_secs_f64() * 1e3;
    match timeout {
        None => log::log!(level, "poll took {took_ms:.3} ms: {events} events"),
        Some(timeout) if events > 0 => log::log!(
            level,
            "poll {:.3} ms took {took_ms:.3} ms: {events} events",
            timeout.as_secs_f64() * 1e3
        ),
        Some(timeout) if took >= Duration::from_secs(1) => log::log!(
            level,
            "poll {:.3} ms took {took_ms:.3} ms: timeout",
            timeout.as_secs_f64() * 1e3
        ),
        Some(_) => {}
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
