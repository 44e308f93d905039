//! `TimerId`: which timer a handle, or a sleeping task, refers to.

/// Which timer a handle refers to: its slot, and its sequence number to tell it from a later
/// timer in the same slot.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct TimerId {
    key: u32,
    seq: u32,
}

impl TimerId {
    pub(crate) fn new(key: u32, seq: u32) -> TimerId {
        TimerId { key, seq }
    }

    /// The timer's slot.
    pub(crate) fn key(self) -> u32 {
        self.key
    }

    /// The timer's sequence number: the order in which the loop's timers were scheduled, and
    /// the timer's name in traces.
    pub(crate) fn seq(self) -> u32 {
        self.seq
    }
}
