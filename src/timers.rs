//! The loop's timers and its clock: `call_later`, `call_at`, `time()`, and the heap of pending
//! timers (asyncio's `_scheduled`), which each tick moves onto the ready deque as they come due.
//!
//! [`Timers`] is one part of the loop: it owns the heap (`heap.rs`) and the clock, and records
//! through the loop's scheduling part. What a timer gives back, [`TimerHandle`] for a callback
//! and `TimerRef` for a sleep (`handle.rs`), holds this part weakly, so that cancelling a timer
//! needs nothing else of the loop.
//!
//! # Implementation notes
//! `call_later` costs a clock read, a slot in the slab and a push onto the binary heap: O(log n)
//! in the number of pending timers (`call_at` the same, without the clock read). The callback
//! is boxed, which allocates nothing for a closure that captures nothing (`callback.rs`).

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use crate::clock::{Clock, ClockKind};
use crate::handle::{Callback, Labelled};
use crate::label::Label;
use crate::nanos::to_nanos;
use crate::ready::Runnable;
use crate::scheduler::Scheduler;
use crate::trace::Event;
use crate::Error;

mod callback;
mod handle;
mod heap;
pub(crate) mod id;

pub use handle::TimerHandle;
pub(crate) use handle::TimerRef;
pub(crate) use heap::{Fired, TimerHeap};
use id::TimerId;

/// The loop's timers and clock.
pub(crate) struct Timers {
    /// Timers waiting for their deadline (asyncio's `_scheduled`). Borrowed only inside this
    /// part's methods, never while user code runs.
    heap: RefCell<TimerHeap>,
    clock: Clock,
    /// Where due timers go (the ready deque), and the trace.
    sched: Rc<Scheduler>,
}

/// The label of a sleep's timer in traces (asyncio's sleep schedules
/// `futures._set_result_unless_cancelled`).
pub(crate) fn sleep_label() -> Label {
    Label::fixed("set_result_unless_cancelled")
}

impl Timers {
    pub(crate) fn new(kind: ClockKind, sched: Rc<Scheduler>) -> Timers {
        Timers {
            heap: RefCell::new(TimerHeap::default()),
            clock: Clock::new(kind),
            sched,
        }
    }

    /// Loop time now, in nanoseconds (`loop.time()`).
    #[inline]
    pub(crate) fn now(&self) -> u64 {
        self.clock.now()
    }

    pub(crate) fn clock(&self) -> &Clock {
        &self.clock
    }

    /// `call_later`, the timer labelled by the callback's type.
    pub(crate) fn call_later<F: Callback>(self: &Rc<Self>, delay: Duration, f: F) -> TimerHandle {
        let (delay, when) = self.deadline_after(delay);
        let id = self.heap.borrow_mut().push_callback(when, f);
        self.record_call_later(Label::of_type::<F>, delay, when, id);
        self.handle(id, when, Label::of_type::<F>())
    }

    /// `call_at`, the timer labelled by the callback's type.
    pub(crate) fn call_at<F: Callback>(self: &Rc<Self>, when: Duration, f: F) -> TimerHandle {
        let when = self.deadline_at(when);
        let id = self.heap.borrow_mut().push_callback(when, f);
        self.record_call_at(Label::of_type::<F>, when, id);
        self.handle(id, when, Label::of_type::<F>())
    }

    /// `call_later` under a label of the caller's choosing.
    pub(crate) fn call_later_labelled(
        self: &Rc<Self>,
        label: Label,
        delay: Duration,
        f: impl Callback,
    ) -> TimerHandle {
        let timer = self.later(label.clone(), delay, f);
        TimerHandle::new(timer, label)
    }

    /// `call_at` under a label of the caller's choosing.
    pub(crate) fn call_at_labelled(
        self: &Rc<Self>,
        label: Label,
        when: Duration,
        f: impl Callback,
    ) -> TimerHandle {
        let timer = self.at(label.clone(), to_nanos(when), f);
        TimerHandle::new(timer, label)
    }

    /// A labelled timer due after `delay`, as the loop's own code holds it.
    pub(crate) fn later(
        self: &Rc<Self>,
        label: Label,
        delay: Duration,
        f: impl Callback,
    ) -> TimerRef {
        let (delay, when) = self.deadline_after(delay);
        let id = self.heap.borrow_mut().push_labelled(when, label.clone(), f);
        self.record_call_later(|| label, delay, when, id);
        TimerRef::new(id, when, Rc::downgrade(self))
    }

    /// A labelled timer due at loop time `when` (nanoseconds), as the loop's own code holds it.
    pub(crate) fn at(self: &Rc<Self>, label: Label, when: u64, f: impl Callback) -> TimerRef {
        self.sched.check_open("call_at");
        let id = self.heap.borrow_mut().push_labelled(when, label.clone(), f);
        self.record_call_at(|| label, when, id);
        TimerRef::new(id, when, Rc::downgrade(self))
    }

    /// `call_later` for the sleep of the task in slot `task`, which the timer wakes.
    pub(crate) fn sleep(self: &Rc<Self>, delay: Duration, task: usize) -> TimerRef {
        let (delay, when) = self.deadline_after(delay);
        let id = self.heap.borrow_mut().push_sleep(when, task);
        self.record_call_later(sleep_label, delay, when, id);
        TimerRef::new(id, when, Rc::downgrade(self))
    }

    /// The delay in nanoseconds and the deadline it makes, from now.
    fn deadline_after(&self, delay: Duration) -> (u64, u64) {
        self.sched.check_open("call_later");
        let delay = to_nanos(delay);
        (delay, self.clock.now().saturating_add(delay))
    }

    /// The deadline `when` in nanoseconds.
    fn deadline_at(&self, when: Duration) -> u64 {
        self.sched.check_open("call_at");
        to_nanos(when)
    }

    /// Records a `call_later` in the trace, once the timer is in the heap and has its number.
    fn record_call_later(&self, label: impl FnOnce() -> Label, delay: u64, when: u64, id: TimerId) {
        self.sched.record(|| Event::CallLater {
            label: label(),
            delay,
            when,
            seq: id.seq(),
        });
    }

    /// Records a `call_at` in the trace, once the timer is in the heap and has its number.
    fn record_call_at(&self, label: impl FnOnce() -> Label, when: u64, id: TimerId) {
        self.sched.record(|| Event::CallAt {
            label: label(),
            when,
            seq: id.seq(),
        });
    }

    fn handle(self: &Rc<Self>, id: TimerId, when: u64, label: Label) -> TimerHandle {
        TimerHandle::new(TimerRef::new(id, when, Rc::downgrade(self)), label)
    }

    /// True while timer `id` has neither run nor been cancelled.
    pub(crate) fn is_pending(&self, id: TimerId) -> bool {
        self.heap.borrow().is_pending(id)
    }

    /// Hands a sleep's timer to the task in slot `task` (see `TimerHeap::set_sleeper`).
    pub(crate) fn set_sleeper(&self, id: TimerId, task: usize) {
        self.heap.borrow_mut().set_sleeper(id, task);
    }

    /// Cancels a timer (`TimerHandle.cancel()`): counted and traced if it is still in the
    /// heap; skipped when its turn comes if it is on the ready deque; nothing if it already ran.
    pub(crate) fn cancel(&self, id: TimerId, when: u64) {
        let mut heap = self.heap.borrow_mut();
        let cancelled = heap.cancel(id);
        // The label only when tracing: building one for nothing costs on every cancel.
        let traced = (cancelled.counted && self.sched.tracer.is_on()).then(|| heap.label(id.key()));
        drop(heap);
        drop(cancelled.closure); // here, with the heap no longer borrowed
        if let Some(label) = traced {
            self.sched.record(|| Event::CancelTimer {
                label,
                when,
                seq: id.seq(),
            });
        }
    }

    /// Moves a virtual clock forward ([`EventLoop::advance_time`](crate::EventLoop::advance_time)).
    pub(crate) fn advance(&self, duration: Duration) -> Result<(), Error> {
        if !matches!(self.clock, Clock::Virtual { .. }) {
            return Err(Error::Runtime(
                "advance_time on a real clock: only a virtual clock can be moved; create the \
                 loop with EventLoop::with_virtual_clock() to simulate work"
                    .into(),
            ));
        }
        let from = self.clock.now();
        let until = from.saturating_add(to_nanos(duration));
        self.clock.advance_to(until);
        self.sched.record(|| Event::Busy { from, until });
        Ok(())
    }

    /// The deadline of the earliest timer (cancelled or not).
    pub(crate) fn next_deadline(&self) -> Option<u64> {
        self.heap.borrow().next_deadline()
    }

    /// How many timers the heap holds, cancelled ones included.
    pub(crate) fn len(&self) -> usize {
        self.heap.borrow().len()
    }

    /// The label of the timer in slot `key` (in the heap or on the ready deque).
    pub(crate) fn label(&self, key: u32) -> Label {
        self.heap.borrow().label(key)
    }

    /// Takes the timer in slot `key` out, for the runner to run it (or skip it, if cancelled).
    pub(crate) fn take(&self, key: u32) -> Fired {
        self.heap.borrow_mut().take(key)
    }

    /// Every timer in the heap, soonest first: (deadline, sequence number, label, cancelled).
    pub(crate) fn entries(&self) -> Vec<(u64, u32, Label, bool)> {
        self.heap.borrow().entries()
    }

    /// Takes every timer out, for `loop.close()`: the caller drops them once nothing is
    /// borrowed, since a closure may capture anything.
    pub(crate) fn take_all(&self) -> TimerHeap {
        std::mem::take(&mut *self.heap.borrow_mut())
    }

    /// Drops cancelled timers: all at once when they are most of the heap, otherwise only those
    /// that have reached the top (the only ones that would delay the next deadline).
    #[inline]
    pub(crate) fn drop_cancelled(&self) {
        // Every tick asks; most ticks have no cancelled timer at all, and pay one look.
        if self.heap.borrow().has_cancelled() {
            self.drop_cancelled_now();
        }
    }

    #[inline(never)]
    fn drop_cancelled_now(&self) {
        let mut heap = self.heap.borrow_mut();
        if heap.needs_compaction() {
            let dropped = heap.compact();
            let left = heap.len();
            drop(heap);
            self.sched.record(|| Event::CompactTimers { dropped, left });
            return;
        }
        while let Some(timer) = heap.pop_cancelled() {
            self.sched
                .record(|| Event::DropCancelledTimer(timer.label()));
        }
    }

    /// Moves every timer due by now onto the ready deque, earliest first; returns their labels
    /// when tracing (an empty, unallocated `Vec` otherwise).
    #[inline]
    pub(crate) fn move_due(&self) -> Vec<Label> {
        // Every tick asks; a loop without timers pays one look.
        if self.heap.borrow().is_empty() {
            return Vec::new();
        }
        self.move_due_now()
    }

    #[inline(never)]
    fn move_due_now(&self) -> Vec<Label> {
        let mut due = Vec::new();
        let mut heap = self.heap.borrow_mut();
        let now = self.clock.now();
        while let Some(popped) = heap.pop_due(now) {
            match popped {
                Ok(key) => {
                    if self.sched.tracer.is_on() {
                        due.push(heap.label(key));
                    }
                    self.sched.ready.push(|| Runnable::Timer(key));
                }
                Err(cancelled) => self
                    .sched
                    .record(|| Event::DropCancelledTimer(cancelled.label())),
            }
        }
        due
    }
}

/// A labelled timer ([`EventLoop::with_label`](crate::EventLoop::with_label)): what
/// `call_later` and `call_at` are for a [`Labelled`].
impl Labelled<'_> {
    /// [`EventLoop::call_later`](crate::EventLoop::call_later) under this label.
    pub fn call_later(self, delay: Duration, callback: impl Callback) -> TimerHandle {
        let timers = self.event_loop.timers();
        timers.call_later_labelled(self.label, delay, callback)
    }

    /// [`EventLoop::call_at`](crate::EventLoop::call_at) under this label.
    pub fn call_at(self, when: Duration, callback: impl Callback) -> TimerHandle {
        let timers = self.event_loop.timers();
        timers.call_at_labelled(self.label, when, callback)
    }
}
