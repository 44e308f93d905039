// ANCHOR: timer
//! The timer heap (asyncio's `_scheduled`, a `heapq` of `TimerHandle`s).

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::rc::Rc;
use std::time::Duration;

use crate::handle::Handle;

/// A handle waiting in the heap for its deadline, `when`. `seq` counts the timers in the order
/// they were scheduled: of two timers due at the same instant, the first scheduled runs first.
struct Timer {
    when: Duration,
    seq: u64,
    handle: Rc<Handle>,
}
// ANCHOR_END: timer

// ANCHOR: order
/// The heap's order: by deadline, then by `seq`. `BinaryHeap` pops its greatest element, so
/// the comparison is reversed: the earliest timer is the greatest.
impl Ord for Timer {
    fn cmp(&self, other: &Timer) -> Ordering {
        (other.when, other.seq).cmp(&(self.when, self.seq))
    }
}

impl PartialOrd for Timer {
    fn partial_cmp(&self, other: &Timer) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Timer {
    fn eq(&self, other: &Timer) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Timer {}
// ANCHOR_END: order

// ANCHOR: heap
/// The timers that wait for their deadline, the earliest on top.
#[derive(Default)]
pub(crate) struct TimerHeap {
    heap: BinaryHeap<Timer>,
    /// The `seq` of the next timer.
    next_seq: u64,
}

impl TimerHeap {
    pub(crate) fn push(&mut self, when: Duration, handle: Rc<Handle>) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Timer { when, seq, handle });
    }

    /// The earliest deadline of a timer that was not cancelled. Cancelled timers that have
    /// reached the top are dropped first: otherwise the loop would wait for them.
    pub(crate) fn next_deadline(&mut self) -> Option<Duration> {
        while self
            .heap
            .peek()
            .is_some_and(|timer| timer.handle.cancelled())
        {
            self.heap.pop();
        }
        self.heap.peek().map(|timer| timer.when)
    }

    /// Takes the earliest timer out of the heap if it is due at `now`.
    pub(crate) fn pop_due(&mut self, now: Duration) -> Option<Rc<Handle>> {
        if self.heap.peek()?.when > now {
            return None;
        }
        self.heap.pop().map(|timer| timer.handle)
    }
}
// ANCHOR_END: heap
