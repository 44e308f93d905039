//! A trace replayed: the ready deque, the timer heap, the tasks and the output at every step,
//! worked out from the trace's events alone.
//!
//! A [`Trace`] says what the loop did; reading it, one keeps in mind what the loop held — which
//! handles wait in the deque, which timers in the heap, what each task waits on. A [`Replay`]
//! does that bookkeeping once, step by step, so that the book can let its reader walk through a
//! run ([`Replay::to_json`] is what the book's step-through viewer loads), and so that a test
//! can check the reading against the loop itself ([`Replay::tick_starts`] against
//! [`EventLoop::set_tick_observer`](crate::EventLoop::set_tick_observer)).
//!
//! A step is one handle run (or skipped) by a tick, or what the program did outside the loop,
//! or a tick that ran nothing. Each step covers some lines of the trace's text: the handle's
//! line and what it did, preceded, for a tick's first handle, by the loop's own lines since
//! the last tick (a wait, timers dropped, the `tick` line itself).
//!
//! # Notes
//! The replay needs the whole story: a trace recorded from the loop's creation on, as
//! `set_trace(true)` right after creating the loop gives. Where the events contradict
//! themselves (a tick's ready list that the replay does not hold, a cancelled timer it does not
//! know), [`Replay::of`] says so instead of guessing.
//!
//! # Examples
//! ```
//! use std::time::Duration;
//! use steploop::{replay::Replay, EventLoop};
//!
//! let lp = EventLoop::with_virtual_clock();
//! lp.set_trace(true);
//! lp.with_label("hello").call_soon(|lp| lp.print("Hello"));
//! lp.with_label("bye").call_later(Duration::from_secs(1), |lp| lp.stop());
//! lp.run_forever().unwrap();
//! let replay = Replay::of(&lp.take_trace()).unwrap();
//! let first = &replay.steps()[1]; // step 0 is what the program did before running the loop
//! assert_eq!(first.running_label().unwrap().to_string(), "hello");
//! assert_eq!(first.timers[0].label.to_string(), "bye"); // still waiting in the heap
//! assert_eq!(replay.output(), ["Hello"]);
//! ```

mod json;
mod reader;

use std::fmt;

use crate::inspect::Queues;
use crate::label::Label;
use crate::timeline::TickMarks;
use crate::trace::{Names, Trace};
use reader::Reader;

/// A trace replayed: its text, its output, its tasks, and the loop's state at each step.
#[derive(Clone, Debug)]
pub struct Replay {
    lines: Vec<String>,
    output: Vec<String>,
    tasks: Vec<TaskInfo>,
    steps: Vec<Step>,
    tick_starts: Vec<Queues>,
    /// The names of the run's tasks as the trace leaves them.
    names: Names,
}

/// A task of the replayed run, as `create_task` named it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TaskInfo {
    /// `Task-N`, by its number ([`Replay::name`] gives the name the trace gave it last).
    pub name: Label,
    /// The coroutine it drives.
    pub coroutine: Label,
}

/// What a step is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StepKind {
    /// The program acted outside the loop: before running it, between runs, or after.
    Outside,
    /// A tick ran (or skipped) one handle of its ready list.
    Handle,
    /// A tick that had nothing to run (the loop was stopped before it began).
    EmptyTick,
}

/// Where an entry of a tick's ready list stands at a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Turn {
    /// It ran, at an earlier step of the tick.
    Ran,
    /// It runs at this step.
    Running,
    /// It was cancelled, and the tick skipped it (at this step or an earlier one).
    Skipped,
    /// The tick took it off the deque without running it: its task was already done.
    Dropped,
    /// It waits for its turn later in this tick.
    Waiting,
}

/// An entry of the ready deque as a tick began.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Queued {
    /// The handle's label.
    pub label: Label,
    /// True for a timer that came due from the heap as the tick began.
    pub due: bool,
    /// Where it stands at the step.
    pub turn: Turn,
}

/// A timer in the heap at a step.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timer {
    /// Its deadline in loop time, in nanoseconds.
    pub when: u64,
    /// Its sequence number in the loop.
    pub seq: u32,
    /// Its callback's label.
    pub label: Label,
    /// True once cancelled: it lingers until it reaches the top of the heap.
    pub cancelled: bool,
    /// The handle that scheduled it, if a handle did (not the program outside the loop).
    pub set_by: Option<Label>,
}

/// What a task is doing at a step.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TaskState {
    /// Created; its first step is not on the ready deque yet.
    Created,
    /// Its step (or wakeup) is on the ready deque.
    Ready,
    /// It awaits a future of the loop, and its wakeup is that future's done-callback.
    Waiting(Label),
    /// It yielded without awaiting a future of this loop (it waits on some other waker).
    Suspended,
    /// Its coroutine finished: `result`, `exception` or `cancelled`.
    Done(&'static str),
}

/// A task at a step.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TaskView {
    /// What it is doing.
    pub state: TaskState,
    /// True if its step ran at this step.
    pub ran: bool,
    /// True once `cancel()` was called on it and it is not done yet.
    pub cancelling: bool,
}

/// The loop's state after one step.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Step {
    /// What the step is.
    pub kind: StepKind,
    /// The tick it belongs to; for an outside step, the ticks run before it (0 at first).
    pub tick: u64,
    /// Loop time at the end of the step, in nanoseconds.
    pub time: u64,
    /// The loop time the step began at, if the loop waited before it (on a virtual clock, the
    /// clock jumped from there).
    pub waited_from: Option<u64>,
    /// For a tick's step: the ready deque as the tick began, every entry with its turn.
    pub tick_ready: Vec<Queued>,
    /// The entry of `tick_ready` that runs (or is skipped) at this step.
    pub running: Option<usize>,
    /// The rest of the deque: what was scheduled since the tick began, for the next tick (for
    /// an outside step, the whole deque).
    pub later: Vec<Label>,
    /// The timer heap at the end of the step, soonest first.
    pub timers: Vec<Timer>,
    /// Every task created so far, in the order of [`Replay::tasks`].
    pub tasks: Vec<TaskView>,
    /// How many lines of [`Replay::output`] were printed by the end of the step.
    pub printed: usize,
    /// The lines of the trace's text this step covers: `first..=last`, counted from 0.
    pub first_line: usize,
    /// The last line the step covers.
    pub last_line: usize,
    /// The line that names the step: the handle's, the tick's, or the first outside action's.
    pub line: usize,
}

impl Step {
    /// The label of the handle this step runs, if it runs one.
    pub fn running_label(&self) -> Option<&Label> {
        self.running.map(|i| &self.tick_ready[i].label)
    }
}

/// Why a trace could not be replayed: the event, and what did not add up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplayError {
    /// The index of the event in the trace.
    pub event: usize,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for ReplayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the trace cannot be replayed at event {}: {} (was it recorded from the loop's \
             creation on?)",
            self.event, self.message
        )
    }
}

impl std::error::Error for ReplayError {}

impl Replay {
    /// Replays a trace.
    ///
    /// # Errors
    /// [`ReplayError`] where the events do not add up: a trace recorded from the middle of a
    /// run, or one not recorded by a loop.
    pub fn of(trace: &Trace) -> Result<Replay, ReplayError> {
        let lines = trace.lines();
        let mut first_line = vec![usize::MAX; trace.events().len()];
        let mut last_line = vec![0; trace.events().len()];
        for (number, (event, _)) in lines.iter().enumerate() {
            if let Some(event) = *event {
                first_line[event] = first_line[event].min(number);
                last_line[event] = number;
            }
        }
        let mut reader = Reader::default();
        for (index, event) in trace.events().iter().enumerate() {
            reader.index = index;
            // An "outside the loop" line belongs to the action under it, and begins a step.
            let heading = first_line[index] > 0 && lines[first_line[index] - 1].0.is_none();
            let first = first_line[index] - usize::from(heading);
            reader.read(event, heading, first, last_line[index])?;
            reader.names.learn(event);
        }
        reader.finish();
        Ok(Replay {
            lines: lines.into_iter().map(|(_, text)| text).collect(),
            output: reader.output,
            tasks: reader.tasks.into_iter().map(|task| task.info).collect(),
            steps: reader.steps,
            tick_starts: reader.tick_starts,
            names: reader.names,
        })
    }

    /// `label` as the trace names it at its end: a task (or its step) under the name it was
    /// given last, anything else as it is.
    ///
    /// # Examples
    /// ```
    /// use steploop::{replay::Replay, EventLoop};
    /// let lp = EventLoop::with_virtual_clock();
    /// lp.set_trace(true);
    /// let task = lp.create_task(async { Ok(()) });
    /// task.set_name("worker");
    /// lp.run_until_complete(task).unwrap();
    /// let replay = Replay::of(&lp.take_trace()).unwrap();
    /// let first = replay.steps().iter().find_map(|step| step.running_label()).unwrap();
    /// assert_eq!(first.to_string(), "Task-1.step");
    /// assert_eq!(replay.name(first), "worker.step");
    /// ```
    pub fn name(&self, label: &Label) -> String {
        self.names.text(label)
    }

    /// The trace's text, line by line: exactly what the trace's `Display` writes.
    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// Every line the program printed with `EventLoop::print`, in order.
    pub fn output(&self) -> &[String] {
        &self.output
    }

    /// Every task of the run, in creation order.
    pub fn tasks(&self) -> &[TaskInfo] {
        &self.tasks
    }

    /// The steps, in order.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// The ready deque and the timer heap as each tick began (after the due timers moved to
    /// the deque, before any handle ran), as the replay worked them out: what a tick observer
    /// sees, if the reading is right.
    pub fn tick_starts(&self) -> &[Queues] {
        &self.tick_starts
    }

    /// The replay as JSON, for the book's step-through viewer and other tools; `name` names
    /// the trace. Its shape is described in the book's chapter 14.
    pub fn to_json(&self, name: &str) -> String {
        json::write(self, name, None)
    }

    /// The replay as JSON, with where the run's ticks are in a timeline picture of it (the
    /// file `picture`, as the page links it): a viewer marks the tick it shows there.
    pub fn to_json_with_picture(&self, name: &str, picture: &str, marks: &TickMarks) -> String {
        json::write(self, name, Some((picture, marks)))
    }
}
