//! The timer heap: pending timers ordered by deadline (asyncio's `_scheduled`, a `heapq`), and
//! the slots that hold what they run.
//!
//! A cancelled timer is not searched for and removed (that would cost O(n)); it stays in the
//! heap, marked, and is dropped when it reaches the top — or in bulk, when cancelled timers make
//! up most of the heap. The heap holds small copies (deadline, sequence number, slot key); the
//! timers themselves sit in a slab of slots beside it, which the ready deque and the handles
//! refer to by key.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use slab::Slab;

use super::callback::{Labelled, Named, TimerCallback};
use super::id::TimerId;
use crate::label::Label;
use crate::EventLoop;

/// Below this many timers the heap is never compacted: sifting a few cancelled entries to the
/// top costs less than rebuilding (asyncio's `_MIN_SCHEDULED_TIMER_HANDLES`).
const MIN_TIMERS_TO_COMPACT: usize = 100;

// ANCHOR: entry
/// One timer in the heap: 16 bytes and `Copy`, so that four share a cache line and comparing
/// two never leaves the heap's own memory.
#[derive(Clone, Copy)]
struct Entry {
    /// Loop time at which the callback is due, in nanoseconds.
    when: u64,
    /// The order in which timers were scheduled, to break ties between equal deadlines.
    seq: u32,
    /// Where the timer's callback waits, in the slab of slots.
    key: u32,
}

// `BinaryHeap` is a max-heap; reversing the order makes it pop the earliest deadline first.
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        other.when.cmp(&self.when).then_with(|| {
            // Equal deadlines: the one scheduled first runs first. A heap alone does not keep
            // insertion order, hence the sequence number. It wraps around after 2³² timers, so
            // it is compared as a distance: right as long as two timers due at the same
            // instant were scheduled fewer than 2³¹ timers apart.
            (other.seq.wrapping_sub(self.seq) as i32).cmp(&0)
        })
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }

    // The one comparison the heap's sifting uses, written out: `cmp` builds an `Ordering`
    // from two comparisons and then tests it, which costs instructions on every level of
    // every pop.
    fn le(&self, other: &Self) -> bool {
        self.when > other.when
            || (self.when == other.when && self.seq.wrapping_sub(other.seq) as i32 >= 0)
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Entry {}

/// A timer waiting in the heap or on the ready deque: what runs, and its state.
struct Slot {
    job: Job,
    /// The sequence number of the timer in this slot: a handle whose number differs belongs to
    /// an earlier timer that used the same slot, and must not touch this one.
    seq: u32,
    /// Set by `TimerHandle::cancel` (asyncio's `TimerHandle._cancelled`).
    cancelled: bool,
    /// True while the timer's entry is in the heap (asyncio's `TimerHandle._scheduled`); false
    /// once it moved to the ready deque.
    in_heap: bool,
}
// ANCHOR_END: entry

/// What a timer runs when it fires.
enum Job {
    /// A callback from `call_later` or `call_at`: a zero-sized closure (one that captures
    /// nothing) boxes without allocating.
    Callback(Box<dyn TimerCallback>),
    /// A sleep (asyncio's `futures._set_result_unless_cancelled` of the sleep's future): wakes
    /// the task in this slot of the task table, if that task still sleeps on this timer.
    Sleep(u32),
}

// A slot is as small as the heap entry it replaces was, so a sleeping task costs no more.
const _: () = assert!(std::mem::size_of::<Slot>() == 24);

impl Job {
    fn label(&self) -> Label {
        match self {
            Job::Callback(callback) => callback.label(),
            Job::Sleep(_) => super::sleep_label(),
        }
    }

    fn run(self, event_loop: &EventLoop, id: TimerId) {
        match self {
            Job::Callback(callback) => callback.run(event_loop),
            Job::Sleep(task) => event_loop.scheduler().sleep_over(task as usize, id),
        }
    }

    /// Replaces the closure with a placeholder that keeps only the label traces still show,
    /// and returns the closure, for the caller to drop (asyncio sets `_callback = None`).
    fn cancel(&mut self) -> Option<Box<dyn TimerCallback>> {
        match self {
            Job::Callback(callback) => {
                let placeholder = callback.placeholder();
                Some(std::mem::replace(callback, placeholder))
            }
            // A sleep's task is woken by its own cancellation, not by this timer.
            Job::Sleep(_) => None,
        }
    }
}

/// A task's slot in the task table, as a sleep's timer keeps it.
fn task_slot(task: usize) -> u32 {
    u32::try_from(task).expect("more than 2³² tasks pending at once")
}

/// A timer taken out of its slot: what the loop runs, or drops and traces.
pub(crate) struct Fired {
    job: Job,
    id: TimerId,
    /// True if the timer was cancelled: it must be skipped, not run.
    pub(crate) cancelled: bool,
}

impl Fired {
    pub(crate) fn label(&self) -> Label {
        self.job.label()
    }

    /// Runs the timer's callback (from the loop's runner, which contains a panic).
    pub(crate) fn run(self, event_loop: &EventLoop) {
        self.job.run(event_loop, self.id);
    }
}

/// What `TimerHeap::cancel` hands back.
#[derive(Default)]
pub(crate) struct Cancelled {
    /// True if the timer was counted as a cancelled timer in the heap.
    pub(crate) counted: bool,
    /// The closure, to be dropped with nothing borrowed.
    pub(crate) closure: Option<Box<dyn TimerCallback>>,
}

/// The heap of pending timers and the slots they refer to, with a count of the cancelled ones
/// still in the heap.
#[derive(Default)]
pub(crate) struct TimerHeap {
    heap: BinaryHeap<Entry>,
    slots: Slab<Slot>,
    next_seq: u32,
    /// Cancelled timers still in `heap` (asyncio's `_timer_cancelled_count`).
    cancelled: usize,
}

impl TimerHeap {
    /// Schedules a callback, labelled by its type's name.
    pub(crate) fn push_callback<F>(&mut self, when: u64, callback: F) -> TimerId
    where
        F: FnOnce(&EventLoop) + 'static,
    {
        self.push(when, Job::Callback(Box::new(Named(callback))))
    }

    /// Schedules a callback under the given label.
    pub(crate) fn push_labelled<F>(&mut self, when: u64, label: Label, callback: F) -> TimerId
    where
        F: FnOnce(&EventLoop) + 'static,
    {
        let callback = Labelled {
            label,
            callback: Some(callback),
        };
        self.push(when, Job::Callback(Box::new(callback)))
    }

    /// Schedules the timer of a sleep that wakes the task in slot `task` of the task table.
    pub(crate) fn push_sleep(&mut self, when: u64, task: usize) -> TimerId {
        self.push(when, Job::Sleep(task_slot(task)))
    }

    /// Hands a sleep's timer to the task in slot `task` (a sleep polled by another task than
    /// the one that started it).
    pub(crate) fn set_sleeper(&mut self, id: TimerId, task: usize) {
        if let Some(slot) = self.slots.get_mut(id.key() as usize) {
            if slot.seq == id.seq() {
                if let Job::Sleep(sleeper) = &mut slot.job {
                    *sleeper = task_slot(task);
                }
            }
        }
    }

    /// True while timer `id` has neither run nor been cancelled.
    pub(crate) fn is_pending(&self, id: TimerId) -> bool {
        self.slots
            .get(id.key() as usize)
            .is_some_and(|slot| slot.seq == id.seq() && !slot.cancelled)
    }

    fn push(&mut self, when: u64, job: Job) -> TimerId {
        let seq = self.next_seq;
        self.next_seq = seq.wrapping_add(1);
        let key = self.slots.insert(Slot {
            job,
            seq,
            cancelled: false,
            in_heap: true,
        });
        let key = u32::try_from(key).expect("more than 2³² timers pending at once");
        self.heap.push(Entry { when, seq, key });
        TimerId::new(key, seq)
    }

    /// How many timers the heap holds, cancelled ones included.
    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }

    /// True if some timer in the heap is cancelled (and not yet dropped).
    pub(crate) fn has_cancelled(&self) -> bool {
        self.cancelled > 0
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Cancels the timer `id` if it has neither run nor been cancelled, and counts it if it is
    /// still in the heap. Returns its closure, which the caller drops once the heap is no longer
    /// borrowed (a closure may capture anything, even a handle that cancels in its `Drop`),
    /// and whether it was counted.
    pub(crate) fn cancel(&mut self, id: TimerId) -> Cancelled {
        let Some(slot) = self.slots.get_mut(id.key() as usize) else {
            return Cancelled::default(); // it ran, and nothing took its slot since
        };
        if slot.seq != id.seq() || slot.cancelled {
            return Cancelled::default(); // it ran (the slot holds a newer timer), or was cancelled
        }
        slot.cancelled = true;
        let closure = slot.job.cancel();
        // On the ready deque it is skipped when its turn comes; only the heap's count matters.
        let counted = slot.in_heap;
        if counted {
            self.cancelled += 1;
        }
        Cancelled { counted, closure }
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
        let mut entries = std::mem::take(&mut self.heap).into_vec();
        // The flags sit in the slab, a few to a cache line, rather than each behind its own
        // pointer; an entry's slot is removed with it.
        let slots = &mut self.slots;
        entries.retain(|entry| {
            let cancelled = slots[entry.key as usize].cancelled;
            if cancelled {
                slots.remove(entry.key as usize);
            }
            !cancelled
        });
        self.heap = BinaryHeap::from(entries); // heapify: O(n)
        self.cancelled = 0;
        before - self.heap.len()
    }
    // ANCHOR_END: compaction

    /// Removes a cancelled timer from the top of the heap, if the top is one.
    pub(crate) fn pop_cancelled(&mut self) -> Option<Fired> {
        let top = self.heap.peek()?;
        if !self.slots[top.key as usize].cancelled {
            return None;
        }
        let entry = self.heap.pop()?;
        self.cancelled -= 1;
        Some(self.take(entry.key))
    }

    /// The deadline of the earliest timer (cancelled or not).
    pub(crate) fn next_deadline(&self) -> Option<u64> {
        self.heap.peek().map(|entry| entry.when)
    }

    // ANCHOR: pop_due
    /// Removes the earliest timer from the heap if it is due at `now`. A live timer stays in
    /// its slot, to be run from the ready deque (`Ok(key)`); a cancelled one leaves its slot
    /// too and is returned to be dropped (`Err`).
    #[inline]
    pub(crate) fn pop_due(&mut self, now: u64) -> Option<Result<u32, Fired>> {
        if self.heap.peek()?.when > now {
            return None;
        }
        let entry = self.heap.pop()?;
        let slot = &mut self.slots[entry.key as usize];
        if slot.cancelled {
            self.cancelled -= 1;
            return Some(Err(self.take(entry.key)));
        }
        slot.in_heap = false;
        Some(Ok(entry.key))
    }
    // ANCHOR_END: pop_due

    /// Every timer in the heap, soonest first: (deadline, sequence number, label, cancelled).
    pub(crate) fn entries(&self) -> Vec<(u64, u32, Label, bool)> {
        let mut entries: Vec<Entry> = self.heap.iter().copied().collect();
        // The heap's order is reversed (it is a max-heap): the greatest entry is the soonest.
        entries.sort_by(|a, b| b.cmp(a));
        entries
            .into_iter()
            .map(|entry| {
                let slot = &self.slots[entry.key as usize];
                (entry.when, entry.seq, slot.job.label(), slot.cancelled)
            })
            .collect()
    }

    /// The label of the timer in slot `key` (in the heap or on the ready deque).
    pub(crate) fn label(&self, key: u32) -> Label {
        self.slots[key as usize].job.label()
    }

    /// Takes a timer out of its slot, to run it or drop it.
    pub(crate) fn take(&mut self, key: u32) -> Fired {
        let slot = self.slots.remove(key as usize);
        Fired {
            job: slot.job,
            id: TimerId::new(key, slot.seq),
            cancelled: slot.cancelled,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(when: u64, seq: u32) -> Entry {
        Entry { when, seq, key: 0 }
    }

    #[test]
    fn the_written_out_comparison_agrees_with_cmp() {
        let entries = [
            entry(1, 0),
            entry(1, 1),
            entry(2, 0),
            entry(2, u32::MAX),
            entry(2, 5),
            entry(0, u32::MAX - 1),
        ];
        for a in &entries {
            for b in &entries {
                assert_eq!(
                    a <= b,
                    a.cmp(b) != Ordering::Greater,
                    "{}/{} vs {}/{}",
                    a.when,
                    a.seq,
                    b.when,
                    b.seq
                );
            }
        }
    }

    #[test]
    fn equal_deadlines_keep_their_order_across_the_sequence_wrapping_around() {
        let mut timers = TimerHeap {
            next_seq: u32::MAX - 1,
            ..TimerHeap::default()
        };
        let ids: Vec<TimerId> = (0..4).map(|_| timers.push_callback(7, |_| {})).collect();
        assert_eq!(ids[2].seq(), 0, "the sequence wrapped");
        let popped: Vec<u32> = std::iter::from_fn(|| timers.pop_due(7))
            .map(|popped| popped.ok().unwrap())
            .collect();
        let keys: Vec<u32> = ids.iter().map(|id| id.key()).collect();
        assert_eq!(popped, keys);
    }
}
