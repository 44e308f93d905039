//! The timer heap (asyncio's `_scheduled`) and `TimerHandle`, what `call_later` returns.
//!
//! asyncio keeps delayed callbacks in a binary heap ordered by deadline (`heapq`); each tick
//! moves the timers that came due onto the ready deque. A cancelled timer is not searched for
//! and removed (that would cost O(n)); it stays in the heap, marked, and is dropped when it
//! reaches the top — or in bulk, when cancelled timers make up most of the heap.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fmt;
use std::rc::Weak;
use std::time::Duration;

use crate::event_loop::Inner;
use crate::handle::{Handle, Label};

/// Below this many timers the heap is never compacted: sifting a few cancelled entries to the
/// top costs less than rebuilding (asyncio's `_MIN_SCHEDULED_TIMER_HANDLES`).
const MIN_TIMERS_TO_COMPACT: usize = 100;

// ANCHOR: entry
/// One timer in the heap: 24 bytes, so that more of them share a cache line as the heap sifts.
struct Entry {
    /// Loop time at which the callback is due, in nanoseconds.
    when: u64,
    handle: Handle,
}

// `BinaryHeap` is a max-heap; reversing the order makes it pop the earliest deadline first.
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        other.when.cmp(&self.when).then_with(|| {
            // Equal deadlines: the one scheduled first runs first. A heap alone does not keep
            // insertion order, so each timer carries a sequence number. It lives in the handle
            // rather than here because ties are rare on a real clock, and the entry stays small.
            other.handle.timer_seq().cmp(&self.handle.timer_seq())
        })
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Entry {}
// ANCHOR_END: entry

/// The heap of pending timers, with a count of the cancelled ones still in it.
#[derive(Default)]
pub(crate) struct TimerHeap {
    heap: BinaryHeap<Entry>,
    next_seq: u64,
    /// Cancelled timers still in `heap` (asyncio's `_timer_cancelled_count`).
    cancelled: usize,
}

impl TimerHeap {
    pub(crate) fn push(&mut self, when: u64, handle: Handle) {
        handle.set_in_heap(true);
        handle.set_timer_seq(self.next_seq);
        self.next_seq += 1;
        self.heap.push(Entry { when, handle });
    }

    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Called when a timer still in the heap is cancelled.
    pub(crate) fn note_cancelled(&mut self) {
        self.cancelled += 1;
    }

    // ANCHOR: compaction
    /// True when cancelled timers are more than half of a heap worth compacting
    /// (asyncio: more than 100 timers, and more than 50% of them cancelled).
    pub(crate) fn needs_compaction(&self) -> bool {
        self.heap.len() > MIN_TIMERS_TO_COMPACT && self.cancelled * 2 > self.heap.len()
    }

    /// Drops every cancelled timer and rebuilds the heap: O(n), paid rarely, and it bounds the
    /// heap to about twice the live timers however many are cancelled.
    pub(crate) fn compact(&mut self) -> usize {
        let before = self.heap.len();
        // Two passes, for speed. Reading each timer's flag is a cache miss (the handles lie
        // scattered in memory); a loop that only collects the flags lets the processor overlap
        // those misses, whereas deciding and moving entries in the same loop would stall on
        // every unpredictable branch.
        let mut entries = std::mem::take(&mut self.heap).into_vec();
        let keep: Vec<bool> = entries.iter().map(|e| !e.handle.cancelled()).collect();
        let mut keep = keep.into_iter();
        // `Vec::retain` visits the elements in order, so `keep` lines up with them.
        entries.retain(|_| keep.next().unwrap_or(true));
        self.heap = BinaryHeap::from(entries); // heapify: O(n)
        self.cancelled = 0;
        before - self.heap.len()
    }
    // ANCHOR_END: compaction

    /// Removes a cancelled timer from the top of the heap, if the top is one.
    pub(crate) fn pop_cancelled(&mut self) -> Option<Handle> {
        if !self.heap.peek()?.handle.cancelled() {
            return None;
        }
        let entry = self.heap.pop()?;
        self.cancelled -= 1;
        entry.handle.set_in_heap(false);
        Some(entry.handle)
    }

    /// The deadline of the earliest timer (cancelled or not).
    pub(crate) fn next_deadline(&self) -> Option<u64> {
        self.heap.peek().map(|entry| entry.when)
    }

    // ANCHOR: pop_due
    /// Removes and returns the earliest timer if it is due at `now`.
    pub(crate) fn pop_due(&mut self, now: u64) -> Option<(u64, Handle)> {
        if self.heap.peek()?.when > now {
            return None;
        }
        let entry = self.heap.pop()?;
        entry.handle.set_in_heap(false);
        if entry.handle.cancelled() {
            self.cancelled -= 1;
        }
        Some((entry.when, entry.handle))
    }
    // ANCHOR_END: pop_due

    /// Empties the heap, cancelling every timer (`loop.close()` does this).
    pub(crate) fn clear(&mut self) {
        for entry in self.heap.drain() {
            entry.handle.cancel();
        }
        self.cancelled = 0;
    }
}

/// A callback scheduled for a point in loop time: what `call_later` and `call_at` return
/// (asyncio's `asyncio.TimerHandle`).
///
/// # Notes
/// Cancelling marks the timer; the loop drops it from the heap lazily (when it reaches the top)
/// or in bulk (when more than half of the heap is cancelled), so cancelling costs O(1).
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use steploop::EventLoop;
/// let lp = EventLoop::with_virtual_clock();
/// let timer = lp.call_later(Duration::from_secs(5), |_| unreachable!("cancelled"));
/// assert_eq!(timer.when(), Duration::from_secs(5));
/// timer.cancel();
/// assert!(timer.cancelled());
/// ```
#[derive(Clone)]
pub struct TimerHandle {
    handle: Handle,
    when: u64,
    /// The loop, to count the cancellation; weak, because a handle kept by a user must not keep
    /// a closed loop alive.
    event_loop: Weak<Inner>,
}

impl TimerHandle {
    pub(crate) fn new(handle: Handle, when: u64, event_loop: Weak<Inner>) -> TimerHandle {
        TimerHandle {
            handle,
            when,
            event_loop,
        }
    }

    /// Cancels the timer: its callback will not run (`TimerHandle.cancel()`).
    pub fn cancel(&self) {
        let was_in_heap = self.handle.cancel_in_heap();
        if let Some(inner) = self.event_loop.upgrade() {
            inner.timer_cancelled(&self.handle, self.when, was_in_heap);
        }
    }

    /// True once `cancel` was called.
    pub fn cancelled(&self) -> bool {
        self.handle.cancelled()
    }

    /// The loop time at which the callback is due (`TimerHandle.when()`).
    pub fn when(&self) -> Duration {
        Duration::from_nanos(self.when)
    }

    /// The label shown for this timer in traces.
    pub fn label(&self) -> &Label {
        self.handle.label()
    }
}

impl fmt::Debug for TimerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.cancelled() { " cancelled" } else { "" };
        write!(
            f,
            "<TimerHandle when={:.3} {}{state}>",
            self.when().as_secs_f64(),
            self.label()
        )
    }
}
