//! Loop time as the loop keeps it, nanoseconds in a `u64`, and as traces show it, seconds.
//!
//! Every time the loop handles (the clock's `now`, a timer's deadline, a sleep's delay, a
//! label's `sleep(1.000)`) is a count of nanoseconds since the loop started, and every time a
//! trace prints is that count as seconds with three decimals (`t=1.500`), as asyncio's
//! `loop.time()` is a float of seconds.
//!
//! # Implementation notes
//! Nanoseconds in a `u64` last 584 years: enough for any loop, and cheaper to compare and
//! store in the timer heap than a `Duration`.

use std::fmt;
use std::time::Duration;

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
    fn a_duration_too_long_for_nanoseconds_saturates_to_never() {
        assert_eq!(to_nanos(Duration::from_millis(1_500)), 1_500_000_000);
        assert_eq!(to_nanos(Duration::MAX), u64::MAX);
    }
}
