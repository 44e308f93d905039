//! The loop's clock (asyncio's `loop.time()`): real time, or a virtual clock for runs that
//! are exact and instant.

use std::cell::Cell;
use std::time::{Duration, Instant};

/// Loop time: how long since the loop was made.
pub(crate) enum Clock {
    /// The operating system's monotonic clock (`time.monotonic()`).
    Real { start: Instant },
    /// Time that stands still while callbacks run, and jumps to the next deadline when
    /// nothing is ready: every run gives the same times, and takes no time.
    Virtual { now: Cell<Duration> },
}

impl Clock {
    pub(crate) fn now(&self) -> Duration {
        match self {
            Clock::Real { start } => start.elapsed(),
            Clock::Virtual { now } => now.get(),
        }
    }

    /// Waits until loop time `when`. A real clock sleeps: this loop has nothing else that
    /// could wake it meanwhile (chapter 8 waits for sockets and timers in one call). A
    /// virtual clock jumps.
    pub(crate) fn wait_until(&self, when: Duration) {
        match self {
            Clock::Real { start } => {
                let now = start.elapsed();
                if when > now {
                    std::thread::sleep(when - now);
                }
            }
            Clock::Virtual { now } => {
                if when > now.get() {
                    now.set(when);
                }
            }
        }
    }
}
