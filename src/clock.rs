//! The loop's clock: real monotonic time, or a virtual clock for exact, instant timer runs.
//!
//! asyncio's `loop.time()` reads `time.monotonic()`. steploop measures loop time as the time
//! elapsed since the loop was created, so every loop starts at `t=0` and traces print small,
//! readable numbers. With [`Clock::Virtual`] time stands still while callbacks run and jumps
//! straight to the next timer's deadline when nothing is ready: a program that sleeps for an
//! hour finishes in microseconds, and every run prints the same times.

use std::cell::Cell;
use std::time::Instant;

use crate::nanos::to_nanos;

/// Which clock a loop runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ClockKind {
    /// The monotonic clock of the operating system (`time.monotonic()`).
    #[default]
    Real,
    /// Time that moves only when the loop has nothing ready and jumps to the next deadline.
    Virtual,
}

/// A clock that tells loop time in nanoseconds since the loop started, in a `u64`, as the
/// loop keeps every time (the `nanos` module says why).
#[derive(Debug)]
pub(crate) enum Clock {
    Real { origin: Instant },
    Virtual { now: Cell<u64> },
}

impl Clock {
    pub(crate) fn new(kind: ClockKind) -> Clock {
        match kind {
            ClockKind::Real => Clock::Real {
                origin: Instant::now(),
            },
            ClockKind::Virtual => Clock::Virtual { now: Cell::new(0) },
        }
    }

    pub(crate) fn kind(&self) -> ClockKind {
        match self {
            Clock::Real { .. } => ClockKind::Real,
            Clock::Virtual { .. } => ClockKind::Virtual,
        }
    }

    /// Loop time now, in nanoseconds.
    pub(crate) fn now(&self) -> u64 {
        match self {
            Clock::Real { origin } => to_nanos(origin.elapsed()),
            Clock::Virtual { now } => now.get(),
        }
    }

    /// Moves a virtual clock forward to `when`; a real clock cannot be moved.
    pub(crate) fn advance_to(&self, when: u64) {
        if let Clock::Virtual { now } = self {
            now.set(now.get().max(when));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn virtual_clock_moves_only_forward_and_only_when_told() {
        let clock = Clock::new(ClockKind::Virtual);
        assert_eq!(clock.now(), 0);
        clock.advance_to(1_500);
        assert_eq!(clock.now(), 1_500);
        clock.advance_to(1_000);
        assert_eq!(clock.now(), 1_500, "time never runs backwards");
    }

    #[test]
    fn real_clock_starts_near_zero() {
        let clock = Clock::new(ClockKind::Real);
        assert!(clock.now() < to_nanos(Duration::from_secs(1)));
    }
}
