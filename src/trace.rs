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
//! # Implementation notes
//! Recording is switched per loop. When it is off, each place that could record checks one
//! `Cell<bool>` and moves on: no event is built, no label cloned, nothing allocated.

use std::cell::{Cell, RefCell};
use std::fmt::{self, Write as _};

use crate::clock::Secs;
use crate::label::Label;

/// One thing the loop did. The events are typed, not text, so that the same record can be
/// rendered as text here and drawn as a timeline elsewhere.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// A tick began running its handles: the tick number (from 1), the loop time, the timers
    /// that came due and were moved to the ready deque, and every handle ready at that moment.
    Tick {
        /// The tick's number, counted from 1 per loop.
        tick: u64,
        /// Loop time in nanoseconds.
        time: u64,
        /// Timers moved from the heap to the ready deque at the start of this tick.
        due: Vec<Label>,
        /// The whole ready deque as the tick began: exactly the handles this tick will run.
        ready: Vec<Label>,
    },
    /// Nothing was ready, so the loop waited for its next timer (on a virtual clock: jumped).
    Wait {
        /// Loop time when the wait began, in nanoseconds.
        from: u64,
        /// Loop time when it ended: the deadline on a virtual clock; on a real clock a little
        /// after it, as the operating system wakes the loop.
        until: u64,
        /// The deadline of the timer the loop waited for.
        deadline: u64,
    },
    /// A handle ran.
    Run(Label),
    /// A handle was cancelled before its turn, so the tick skipped it.
    SkipCancelled(Label),
    /// `call_soon`: a handle was appended to the ready deque.
    CallSoon(Label),
    /// `call_later`: a timer was pushed onto the heap, due `delay` from `now`.
    CallLater {
        /// The callback's label.
        label: Label,
        /// The delay asked for, in nanoseconds.
        delay: u64,
        /// The deadline in loop time, in nanoseconds.
        when: u64,
        /// The timer's sequence number in its loop (the order timers were scheduled in, which
        /// breaks ties between equal deadlines). Not shown in the text; it tells apart timers
        /// with the same label and deadline when one of them is cancelled.
        seq: u32,
    },
    /// `call_at`: a timer was pushed onto the heap for an absolute loop time.
    CallAt {
        /// The callback's label.
        label: Label,
        /// The deadline in loop time, in nanoseconds.
        when: u64,
        /// The timer's sequence number, as in [`Event::CallLater`].
        seq: u32,
    },
    /// A timer still in the heap was cancelled.
    CancelTimer {
        /// The timer's label.
        label: Label,
        /// Its deadline, in nanoseconds.
        when: u64,
        /// The timer's sequence number, as its `CallLater` or `CallAt` gave it.
        seq: u32,
    },
    /// A cancelled timer reached the top of the heap and was dropped without running.
    DropCancelledTimer(Label),
    /// More than half of the heap was cancelled timers, so the heap was rebuilt without them.
    CompactTimers {
        /// How many cancelled timers were dropped.
        dropped: usize,
        /// How many timers remain.
        left: usize,
    },
    /// The selector reported I/O readiness: one entry per token, sorted by token (the order
    /// epoll lists them in is not deterministic; this order is).
    Select(Vec<IoReady>),
    /// A line printed by a callback with `EventLoop::print`.
    Print(String),
    /// A callback panicked; the panic was reported to the exception handler.
    Panicked {
        /// The handle that panicked.
        label: Label,
        /// The panic message.
        message: String,
    },
    /// `stop()` was called: the loop will stop once the current tick is over.
    Stop,
    /// `create_task`: a task was created around a coroutine.
    CreateTask {
        /// The task's name.
        task: Label,
        /// The coroutine's function.
        coroutine: Label,
    },
    /// A task awaited a pending future and registered its wakeup as a done-callback.
    Await {
        /// The awaiting task.
        task: Label,
        /// The awaited future (or task).
        future: Label,
    },
    /// A future became done; `outcome` is `result`, `exception` or `cancelled`.
    FutureDone {
        /// The future (or task).
        future: Label,
        /// How it ended.
        outcome: &'static str,
    },
    /// `cancel()` was called on a task.
    Cancel(Label),
    /// The loop took in something another thread sent it: a callback
    /// (`call_soon_threadsafe`), the result of work done elsewhere, or a wake of a task
    /// (labelled `wake`, followed by the step it schedules).
    Received(Label),
    /// `advance_time` on a virtual clock: the running callback stood for work that kept the
    /// loop's thread busy, and loop time moved on while it did.
    Busy {
        /// Loop time when the simulated work began, in nanoseconds.
        from: u64,
        /// Loop time when it ended.
        until: u64,
    },
    /// A job ran on a worker thread from `started` to `finished` (loop times), as told by
    /// `EventLoop::trace_job`: the loop cannot see into other threads, so whoever knows
    /// records it, when the result is handed back.
    Job {
        /// The worker thread that ran it.
        worker: Label,
        /// The job.
        job: Label,
        /// When the worker began it, in nanoseconds of loop time.
        started: u64,
        /// When the worker finished it.
        finished: u64,
    },
    /// A `run_*` method began running the loop.
    Running(&'static str),
    /// A `run_*` method returned; `error` is set when it returned an error.
    Returned {
        /// The method: `run_forever`, `run_once`.
        method: &'static str,
        /// The error it returned, as text.
        error: Option<String>,
    },
}

impl Event {
    /// True for what a callback (or the code outside the loop) does, as opposed to what the
    /// loop itself does between callbacks.
    pub(crate) fn is_action(&self) -> bool {
        matches!(
            self,
            Event::CallSoon(_)
                | Event::CallLater { .. }
                | Event::CallAt { .. }
                | Event::CancelTimer { .. }
                | Event::Print(_)
                | Event::Panicked { .. }
                | Event::Stop
                | Event::CreateTask { .. }
                | Event::Await { .. }
                | Event::FutureDone { .. }
                | Event::Cancel(_)
                | Event::Busy { .. }
                | Event::Job { .. }
        )
    }
}

/// The readiness of one registered source in one poll: its token (its key in the loop's slab
/// of registrations) and which directions became ready.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct IoReady {
    /// The source's `mio::Token`.
    pub token: usize,
    /// It became readable (or hit end of file, or an error).
    pub readable: bool,
    /// It became writable (or the peer hung up, or an error).
    pub writable: bool,
    /// The peer hung up (end of file) or the socket has an error.
    pub closed: bool,
}

impl fmt::Display for IoReady {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match (self.readable, self.writable) {
            (true, true) => "readable+writable",
            (true, false) => "readable",
            (false, true) => "writable",
            (false, false) => "nothing",
        };
        let closed = if self.closed { " (closed)" } else { "" };
        write!(f, "token {} {what}{closed}", self.token)
    }
}

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

fn list(labels: &[Label]) -> String {
    let mut out = String::from("[");
    for (i, label) in labels.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "{label}");
    }
    out.push(']');
    out
}

impl Trace {
    /// Each event with whether the text puts an "outside the loop" line before it.
    fn headed(&self) -> impl Iterator<Item = (bool, &Event)> + '_ {
        // Three levels: loop-level lines at the margin, the handles a tick runs indented by
        // two, and what each handle did indented by four. Actions taken by the program itself,
        // before or after running the loop, go under an "outside the loop" line.
        let mut in_handle = false;
        let mut outside_shown = false;
        self.events.iter().map(move |event| {
            let mut heading = false;
            if event.is_action() {
                if !in_handle && !outside_shown {
                    heading = true;
                    outside_shown = true;
                }
            } else {
                // What the select dispatch schedules reads as done by the select line.
                // What a poll or a received wake schedules is shown under it, as a handle's
                // actions are.
                in_handle = matches!(event, Event::Run(_) | Event::Select(_) | Event::Received(_));
                outside_shown = false;
            }
            (heading, event)
        })
    }

    /// The text of the trace line by line, each line with the index of the event it shows
    /// (`None` for an "outside the loop" line): what [`Display`](fmt::Display) writes, for
    /// tools that point from an event to its line.
    pub(crate) fn lines(&self) -> Vec<(Option<usize>, String)> {
        let mut lines = Vec::new();
        let mut text = String::new();
        for (index, (heading, event)) in self.headed().enumerate() {
            if heading {
                lines.push((None, OUTSIDE.to_string()));
            }
            text.clear();
            let _ = write_event(&mut text, event);
            // One line per event, unless a printed line itself holds line breaks.
            lines.extend(text.lines().map(|line| (Some(index), line.to_string())));
        }
        lines
    }
}

const OUTSIDE: &str = "outside the loop";

impl fmt::Display for Trace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (heading, event) in self.headed() {
            if heading {
                writeln!(f, "{OUTSIDE}")?;
            }
            write_event(f, event)?;
        }
        Ok(())
    }
}

/// Writes the line (or, for a multi-line print, the lines) that shows one event.
fn write_event(f: &mut dyn fmt::Write, event: &Event) -> fmt::Result {
    match event {
        Event::Tick {
            tick,
            time,
            due,
            ready,
        } => {
            write!(f, "tick {tick}  t={}  ready: {}", Secs(*time), list(ready))?;
            // Due timers are appended to the deque, so they are the last ones listed.
            match (due.len(), ready.len()) {
                (0, _) => writeln!(f),
                (1, 1) => writeln!(f, "  (it came due from the timer heap)"),
                (d, r) if d == r => writeln!(f, "  (all came due from the timer heap)"),
                (1, _) => writeln!(f, "  (the last came due from the timer heap)"),
                (d, _) => writeln!(f, "  (the last {d} came due from the timer heap)"),
            }
        }
        Event::Wait {
            from,
            until,
            deadline,
        } => writeln!(
            f,
            "… wait {} s: nothing ready, the next timer is due at t={}",
            Secs(until - from),
            Secs(*deadline)
        ),
        Event::DropCancelledTimer(label) => {
            writeln!(f, "… drop cancelled timer {label} from the heap")
        }
        Event::CompactTimers { dropped, left } => writeln!(
            f,
            "… compact the timer heap: {dropped} cancelled timers dropped, {left} left"
        ),
        Event::Select(ready) => {
            write!(f, "… select: ")?;
            for (i, io) in ready.iter().enumerate() {
                let sep = if i > 0 { ", " } else { "" };
                write!(f, "{sep}{io}")?;
            }
            writeln!(f)
        }
        Event::Run(label) => writeln!(f, "  {label}"),
        Event::SkipCancelled(label) => writeln!(f, "  {label}  (cancelled: skipped)"),
        Event::CallSoon(label) => writeln!(f, "    call_soon {label}"),
        Event::CallLater {
            label, delay, when, ..
        } => writeln!(
            f,
            "    call_later {} s → {label} at t={}",
            Secs(*delay),
            Secs(*when)
        ),
        Event::CallAt { label, when, .. } => writeln!(f, "    call_at t={} → {label}", Secs(*when)),
        Event::CancelTimer { label, when, .. } => {
            writeln!(f, "    cancel timer {label} (was due at t={})", Secs(*when))
        }
        Event::Print(line) => writeln!(f, "    print \"{line}\""),
        Event::Panicked { label, message } => writeln!(
            f,
            "    panicked in {label}: \"{message}\" (reported to the exception handler)"
        ),
        Event::Stop => writeln!(f, "    stop"),
        Event::CreateTask { task, coroutine } => writeln!(f, "    create {task} {coroutine}"),
        Event::Await { task, future } => writeln!(
            f,
            "    {task} awaits {future} → {future}.add_done_callback({task}.wakeup)"
        ),
        Event::FutureDone { future, outcome } => writeln!(f, "    {future} done: {outcome}"),
        Event::Cancel(task) => writeln!(f, "    cancel {task}"),
        Event::Busy { from, until } => writeln!(
            f,
            "    busy {} s (simulated work): the clock moves to t={}",
            Secs(until - from),
            Secs(*until)
        ),
        Event::Job {
            worker,
            job,
            started,
            finished,
        } => writeln!(
            f,
            "    {job} ran on {worker} from t={} to t={}",
            Secs(*started),
            Secs(*finished)
        ),
        Event::Received(label) => writeln!(f, "… from another thread: {label}"),
        Event::Running(method) => writeln!(f, "{method}"),
        Event::Returned {
            method,
            error: None,
        } => writeln!(f, "{method} returns"),
        Event::Returned {
            method,
            error: Some(error),
        } => writeln!(f, "{method} returns an error: {error}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simulated_work_and_jobs_read_as_actions() {
        let mut trace = Trace::default();
        trace.push(Event::Run(Label::new("Task-1.step")));
        trace.push(Event::Busy {
            from: 0,
            until: 200_000_000,
        });
        trace.push(Event::Job {
            worker: Label::new("Thread-1"),
            job: Label::new("blocks(0)"),
            started: 0,
            finished: 100_000_000,
        });
        assert_eq!(
            trace.to_string(),
            "  Task-1.step\n    busy 0.200 s (simulated work): the clock moves to t=0.200\n    \
             blocks(0) ran on Thread-1 from t=0.000 to t=0.100\n"
        );
    }

    #[test]
    fn renders_each_level_at_its_indent() {
        let mut trace = Trace::default();
        trace.push(Event::Tick {
            tick: 1,
            time: 0,
            due: vec![],
            ready: vec![Label::new("a"), Label::new("b")],
        });
        trace.push(Event::Run(Label::new("a")));
        trace.push(Event::CallSoon(Label::new("c")));
        trace.push(Event::SkipCancelled(Label::new("b")));
        trace.push(Event::Wait {
            from: 0,
            until: 2_000_000_000,
            deadline: 2_000_000_000,
        });
        assert_eq!(
            trace.to_string(),
            "tick 1  t=0.000  ready: [a, b]\n  a\n    call_soon c\n  b  (cancelled: skipped)\n\
             … wait 2.000 s: nothing ready, the next timer is due at t=2.000\n"
        );
    }
}
