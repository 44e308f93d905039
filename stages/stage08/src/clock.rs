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

    // ANCHOR: jump_to
    /// True for a virtual clock: the loop must then never wait for real time to pass.
    pub(crate) fn is_virtual(&self) -> bool {
        matches!(self, Clock::Virtual { .. })
    }

    /// Brings loop time to `when` after a poll that found nothing to do: a virtual clock
    /// jumps there; a real clock has got there by waiting in the poll (and if a signal cut
    /// the wait short, the tick finds nothing due, and the next one waits again).
    pub(crate) fn jump_to(&self, when: Duration) {
        if let Clock::Virtual { now } = self {
            if when > now.get() {
                now.set(when);
            }
        }
    }
    // ANCHOR_END: jump_to
}
