//! Looking inside the loop: its ready deque and timer heap as the loop itself holds them.
//!
//! A trace says what the loop *did*; a reader of the trace works out what the loop *held* — the
//! ready deque and the timer heap at each tick — and the book's step-through viewer shows
//! exactly that reading ([`replay`](crate::replay)). This module lets a test check the reading
//! against the truth: [`EventLoop::queues`](crate::EventLoop::queues) takes a snapshot of both queues, and a tick
//! observer ([`EventLoop::set_tick_observer`](crate::EventLoop::set_tick_observer)) is handed one at the start of every traced
//! tick. asyncio's users look at `loop._ready` and `loop._scheduled` for the same purpose.
//!
//! # Implementation notes
//! The observer is called only while tracing is on, from inside the branch that records the
//! tick: a loop that does not trace pays nothing for it, not even a check. This module holds
//! what a snapshot is; the tick takes it (`tick.rs`), since only the loop sees both queues.

use crate::label::Label;

/// The loop's two queues at one moment.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use steploop::EventLoop;
///
/// let lp = EventLoop::with_virtual_clock();
/// lp.call_soon(|_| ());
/// let timer = lp.with_label("later").call_later(Duration::from_secs(2), |_| ());
/// timer.cancel();
/// let queues = lp.queues();
/// assert_eq!(queues.ready.len(), 1);
/// assert_eq!(queues.timers[0].label.to_string(), "later");
/// assert!(queues.timers[0].cancelled); // still in the heap, dropped lazily
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Queues {
    /// Ticks run so far; a tick observer sees the number of the tick about to run its handles.
    pub tick: u64,
    /// Loop time, in nanoseconds.
    pub time: u64,
    /// The ready deque, front first: each handle's label, as traces record it (a task's step
    /// by the task's number: `Task-2.step`, also for a renamed task).
    pub ready: Vec<Label>,
    /// The timer heap, soonest first (by deadline, then by sequence number), including
    /// cancelled timers that have not been dropped yet.
    pub timers: Vec<ScheduledTimer>,
}

/// One timer in the heap, as [`Queues`] lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ScheduledTimer {
    /// Its deadline in loop time, in nanoseconds.
    pub when: u64,
    /// Its sequence number: the order the loop's timers were scheduled in, as the trace's
    /// `call_later` and `call_at` events give it.
    pub seq: u32,
    /// Its callback's label.
    pub label: Label,
    /// True once cancelled (it lingers until it reaches the top or the heap is compacted).
    pub cancelled: bool,
}

/// What a tick observer is: a function handed the loop's queues
/// ([`EventLoop::set_tick_observer`](crate::EventLoop::set_tick_observer)).
///
/// # Examples
/// The queues as the tick found them: both handles ready, neither run yet.
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use steploop::EventLoop;
///
/// let lp = EventLoop::with_virtual_clock();
/// lp.set_trace(true); // observers are called only while tracing
/// let seen = Rc::new(RefCell::new(Vec::new()));
/// let log = seen.clone();
/// lp.set_tick_observer(move |queues| log.borrow_mut().push(queues.ready.len()));
/// lp.call_soon(|lp| lp.stop());
/// lp.call_soon(|_| ());
/// lp.run_forever().unwrap();
/// assert_eq!(*seen.borrow(), [2]);
/// ```
pub type TickObserver = dyn FnMut(&Queues);
