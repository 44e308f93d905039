//! `TimerHandle` (asyncio's `asyncio.TimerHandle`), what `call_later` and `call_at` return, and
//! `TimerRef`, a timer as the loop's own code holds it.

use std::cell::Cell;
use std::fmt;
use std::rc::{Rc, Weak};
use std::time::Duration;

use super::{TimerId, Timers};
use crate::label::Label;

/// A timer as the loop's own code holds it (a sleep's): which timer, when, and the loop's
/// timers.
pub(crate) struct TimerRef {
    id: TimerId,
    when: u64,
    /// The loop's timers, to cancel the timer in their heap; weak, because a handle kept by a
    /// user must not keep a closed loop alive.
    timers: Weak<Timers>,
}

impl TimerRef {
    pub(crate) fn new(id: TimerId, when: u64, timers: Weak<Timers>) -> TimerRef {
        TimerRef { id, when, timers }
    }

    pub(crate) fn id(&self) -> TimerId {
        self.id
    }

    /// The loop time at which the timer is due, in nanoseconds.
    pub(crate) fn when(&self) -> u64 {
        self.when
    }

    /// True while the timer has neither run nor been cancelled (false once the loop is gone).
    pub(crate) fn is_pending(&self) -> bool {
        self.timers
            .upgrade()
            .is_some_and(|timers| timers.is_pending(self.id))
    }

    /// True if the timer is one of `timers` (of the same loop).
    pub(crate) fn belongs_to(&self, timers: &Rc<Timers>) -> bool {
        std::ptr::eq(self.timers.as_ptr(), Rc::as_ptr(timers))
    }

    /// Hands a sleep's timer to the task in slot `task` of its loop (see
    /// `TimerHeap::set_sleeper`).
    pub(crate) fn set_sleeper(&self, task: usize) {
        if let Some(timers) = self.timers.upgrade() {
            timers.set_sleeper(self.id, task);
        }
    }

    /// Cancels the timer unless it already ran or was cancelled; does nothing once the loop is
    /// gone.
    pub(crate) fn cancel(&self) {
        if let Some(timers) = self.timers.upgrade() {
            timers.cancel(self.id, self.when);
        }
    }
}

/// A callback scheduled for a point in loop time: what `call_later` and `call_at` return
/// (asyncio's `asyncio.TimerHandle`).
///
/// # Notes
/// Cancelling marks the timer; the loop drops it from the heap lazily (when it reaches the top)
/// or in bulk (when more than half of the heap is cancelled), so cancelling costs O(1).
/// Cancelling a timer that already ran does nothing, except that `cancelled()` is true from
/// then on, as in asyncio.
///
/// # Implementation notes
/// The handle names the timer's slot in the loop rather than sharing an allocation with it, so
/// `call_later` allocates nothing for a closure that captures nothing. For the same reason a
/// handle is not `Clone`: put it in an `Rc` to share it, as asyncio's handles are shared by
/// reference.
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
pub struct TimerHandle {
    timer: TimerRef,
    label: Label,
    cancelled: Cell<bool>,
}

impl TimerHandle {
    pub(crate) fn new(timer: TimerRef, label: Label) -> TimerHandle {
        TimerHandle {
            timer,
            label,
            cancelled: Cell::new(false),
        }
    }

    /// Cancels the timer: its callback will not run (`TimerHandle.cancel()`).
    pub fn cancel(&self) {
        if !self.cancelled.replace(true) {
            self.timer.cancel();
        }
    }

    /// True once `cancel` was called.
    pub fn cancelled(&self) -> bool {
        self.cancelled.get()
    }

    /// The loop time at which the callback is due (`TimerHandle.when()`).
    pub fn when(&self) -> Duration {
        Duration::from_nanos(self.timer.when)
    }

    /// The label shown for this timer in traces.
    pub fn label(&self) -> &Label {
        &self.label
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
