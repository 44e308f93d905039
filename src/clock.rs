//! The loop's clock: real monotonic time, or a virtual clock for exact, instant timer runs.
//!
//! asyncio's `loop.time()` reads `time.monotonic()`. steploop measures loop time as the time
//! elapsed since the loop was created, so every loop starts at `t=0` and traces print small,
//! readable numbers. With [`Clock::Virtual`] time stands still while callbacks run and jumps
//! straight to the next timer's deadline when nothing is ready: a program that sleeps for an
//! hour finishes in microseconds, and every run prints the same times.

use std::cell::Cell;
use std::fmt;
use std::time::{Duration, Instant};

/// Which clock a loop runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ClockKind {
    /// The monotonic clock of the operating system (`time.monotonic()`).
    #[default]
    Real,
    /// Time that moves only when the loop has nothing ready and jumps to the next deadline.
    Virtual,
}

/// A clock that tells loop time in nanoseconds since the loop started.
///
/// # Implementation notes
/// Nanoseconds in a `u64` last 584 years: enough for any loop, and cheaper to compare and
/// store in the timer heap than a `Duration`.
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

/// A `Duration` as nanoseconds, saturating at `u64::MAX` (584 years: "never").
pub(crate) fn to_nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// Loop time as seconds with three decimals: `t=1.500`.
pub(crate) struct Secs(pub(crate) u64);

impl fmt::Display for Secs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Integer arithmetic, so that the text never depends on floating-point rounding.
        let millis = (self.0 + 500_000) / 1_000_000;
        write!(f, "{}.{:03}", millis / 1000, millis % 1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_are_rounded_to_milliseconds_without_floats() {
        assert_eq!(Secs(0).to_string(), "0.000");
        assert_eq!(Secs(1_500_000_000).to_string(), "1.500");
        assert_eq!(Secs(999_999).to_string(), "0.001");
        assert_eq!(Secs(12_345_499_999).to_string(), "12.345");
    }

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
        assert_eq!(to_nanos(Duration::MAX), u64::MAX);
    }
}
