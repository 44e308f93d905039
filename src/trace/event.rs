//! The events a trace is made of: what the loop did, typed, not text.

use std::borrow::Cow;
use std::fmt;

use crate::label::Label;

/// One thing the loop did. The events are typed, not text, so that the same record can be
/// rendered as text, drawn as a timeline and replayed step by step. A task is named by its
/// number (its labels carry it), and its name looked up as the trace is rendered.
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
    /// `set_name()` renamed a task: the trace shows the new name from here on.
    Rename {
        /// The task, by its number.
        task: Label,
        /// Its new name.
        name: Cow<'static, str>,
    },
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
                | Event::Rename { .. }
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
