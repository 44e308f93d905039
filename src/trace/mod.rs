//! Scheduling traces: what the loop did, tick by tick.
//!
//! With tracing switched on (`EventLoop::set_trace(true)`) the loop records typed [`Event`]s:
//! each tick and its ready handles, each handle it ran, what that handle scheduled, which timers
//! came due, which handles were skipped because they were cancelled. A [`Trace`] renders them
//! as plain text that reads like the walkthroughs in the book:
//!
//! ```text
//! tick 1  t=0.000  ready: [main]
//!   main
//!     call_later 1.000 s → ping at t=1.000
//! … wait 1.000 s: nothing ready, the next timer is due at t=1.000
//! tick 2  t=1.000  ready: [ping]  (it came due from the timer heap)
//!   ping
//! ```
//!
//! Traces are deterministic: handles are shown by their labels (never by address), ticks are
//! numbered per loop from 1, and times are loop times — exact on a virtual clock.
//!
//! Events name tasks by number, not by text: a task's step is "the step of task 2", not the
//! string `"Task-2.step"`. A task's name is looked up when the trace is rendered, as the trace
//! itself tells it: `Task-2` from its creation on, another name from its
//! [`Event::Rename`] on. The text, the [`timeline`](crate::timeline) and the
//! [`replay`](crate::replay) all read the events this way.
//!
//! # Implementation notes
//! Recording is switched per loop. When it is off, each place that could record checks one
//! `Cell<bool>` and moves on: no event is built, no label cloned, nothing allocated. When it
//! is on, naming a task by number spares the loop formatting its name at every step.

mod event;
mod names;
mod text;

use std::cell::{Cell, RefCell};

pub use event::{Event, IoReady};
pub(crate) use names::Names;

/// A recorded sequence of events; `Display` renders it as text.
///
/// # Examples
/// ```
/// use steploop::EventLoop;
/// let lp = EventLoop::with_virtual_clock();
/// lp.set_trace(true);
/// lp.call_soon(|lp| lp.stop());
/// lp.run_forever().unwrap();
/// let text = lp.take_trace().to_string();
/// assert!(text.starts_with("outside the loop\n    call_soon "));
/// assert!(text.contains("\ntick 1  t=0.000  ready: ["));
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Trace {
    events: Vec<Event>,
}

impl Trace {
    pub(crate) fn push(&mut self, event: Event) {
        self.events.push(event);
    }

    /// The recorded events, oldest first.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }
}

/// A loop's recording: one switch and one sink. Every place in the loop that records calls
/// [`record`](Tracer::record) with a closure that builds the event, so that a loop that does
/// not trace builds nothing and pays one predictable branch.
#[derive(Default)]
pub(crate) struct Tracer {
    on: Cell<bool>,
    trace: RefCell<Trace>,
}

impl Tracer {
    /// Records the event `event` builds, if tracing is on.
    #[inline(always)]
    pub(crate) fn record(&self, event: impl FnOnce() -> Event) {
        if self.on.get() {
            self.push(event());
        }
    }

    // Out of line and cold: the hot paths keep only the branch.
    #[cold]
    #[inline(never)]
    fn push(&self, event: Event) {
        self.trace.borrow_mut().push(event);
    }

    /// True while events are recorded: for what is worth building only then (a tick's list
    /// of labels, the tick observer's snapshot).
    #[inline(always)]
    pub(crate) fn is_on(&self) -> bool {
        self.on.get()
    }

    /// Switches recording on or off.
    pub(crate) fn set(&self, on: bool) {
        self.on.set(on);
    }

    /// What was recorded so far; the recording starts afresh.
    pub(crate) fn take(&self) -> Trace {
        self.trace.take()
    }
}

/// A trace made of given events: for tests and tools that build or edit traces. A loop's own
/// trace comes from `EventLoop::take_trace`.
impl FromIterator<Event> for Trace {
    fn from_iter<I: IntoIterator<Item = Event>>(events: I) -> Trace {
        Trace {
            events: events.into_iter().collect(),
        }
    }
}
