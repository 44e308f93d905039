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

use std::collections::VecDeque;
use std::fmt;

use crate::inspect::{Queues, ScheduledTimer};
use crate::label::Label;
use crate::timeline::TickMarks;
use crate::trace::{Event, Trace};

/// A trace replayed: its text, its output, its tasks, and the loop's state at each step.
#[derive(Clone, Debug)]
pub struct Replay {
    lines: Vec<String>,
    output: Vec<String>,
    tasks: Vec<TaskInfo>,
    steps: Vec<Step>,
    tick_starts: Vec<Queues>,
}

/// A task of the replayed run, as `create_task` named it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TaskInfo {
    /// `Task-N`.
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
        }
        reader.finish();
        Ok(Replay {
            lines: lines.into_iter().map(|(_, text)| text).collect(),
            output: reader.output,
            tasks: reader.tasks.into_iter().map(|task| task.info).collect(),
            steps: reader.steps,
            tick_starts: reader.tick_starts,
        })
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

/// A task while the trace is read.
#[derive(Debug)]
struct TaskRecord {
    info: TaskInfo,
    view: TaskView,
}

/// An entry of the deque while the trace is read.
#[derive(Clone, Debug)]
struct Entry {
    label: Label,
    due: bool,
}

/// The step being read.
#[derive(Debug)]
struct Open {
    kind: StepKind,
    first_line: usize,
    last_line: usize,
    line: usize,
    waited_from: Option<u64>,
}

/// Reads the events one by one, keeping the loop's state as the trace tells it.
#[derive(Debug, Default)]
struct Reader {
    /// The event being read.
    index: usize,
    /// The ready deque.
    deque: VecDeque<Entry>,
    /// The current tick's ready list, with each entry's turn so far.
    tick_ready: Vec<Queued>,
    /// How many entries of the current tick's ready list are still on the deque.
    tick_left: usize,
    running: Option<usize>,
    /// The timer heap, soonest first.
    heap: Vec<Timer>,
    time: u64,
    tick: u64,
    in_tick: bool,
    /// The handle running now, if any (whoever schedules a timer now sets it).
    handle: Option<Label>,
    tasks: Vec<TaskRecord>,
    output: Vec<String>,
    /// The loop's own lines since the last step (a wait, dropped timers, the tick line): the
    /// next step begins with them.
    pending: Option<(usize, usize)>,
    waited_from: Option<u64>,
    open: Option<Open>,
    steps: Vec<Step>,
    tick_starts: Vec<Queues>,
}

impl Reader {
    fn error(&self, message: String) -> ReplayError {
        ReplayError {
            event: self.index,
            message,
        }
    }

    /// Reads one event; `heading` is true for an action the text puts under a new "outside
    /// the loop" line, and `first..=last` are the event's lines.
    fn read(
        &mut self,
        event: &Event,
        heading: bool,
        first: usize,
        last: usize,
    ) -> Result<(), ReplayError> {
        if event.is_action() {
            if heading {
                self.begin(StepKind::Outside, first, last, first);
            }
            self.extend(first, last);
        }
        match event {
            Event::Tick {
                tick,
                time,
                due,
                ready,
            } => {
                self.close();
                self.end_tick();
                self.time = *time;
                self.tick = *tick;
                self.take_due(due)?;
                let held: Vec<String> = self.deque.iter().map(|e| e.label.to_string()).collect();
                let listed: Vec<String> = ready.iter().map(Label::to_string).collect();
                if held != listed {
                    return Err(self.error(format!(
                        "tick {tick} lists ready {listed:?}, but the deque holds {held:?}"
                    )));
                }
                self.tick_starts.push(Queues {
                    tick: *tick,
                    time: *time,
                    ready: self.deque.iter().map(|e| e.label.clone()).collect(),
                    timers: self.heap.iter().map(scheduled).collect(),
                });
                self.tick_ready = self
                    .deque
                    .iter()
                    .map(|entry| Queued {
                        label: entry.label.clone(),
                        due: entry.due,
                        turn: Turn::Waiting,
                    })
                    .collect();
                self.tick_left = self.tick_ready.len();
                self.in_tick = true;
                self.begin(StepKind::EmptyTick, first, last, first);
            }
            Event::Run(label) | Event::SkipCancelled(label) => {
                let skipped = matches!(event, Event::SkipCancelled(_));
                self.run(label, skipped, first, last)?;
            }
            Event::Wait { from, until, .. } => {
                self.loop_line(first, last);
                self.waited_from.get_or_insert(*from);
                self.time = *until;
            }
            Event::Busy { until, .. } => self.time = *until,
            Event::DropCancelledTimer(label) => {
                self.loop_line(first, last);
                let Some(at) = self.heap.iter().position(|timer| timer.cancelled) else {
                    return Err(self.error(format!(
                        "{label} is dropped as a cancelled timer, but no timer in the heap \
                         is cancelled"
                    )));
                };
                let timer = self.heap.remove(at);
                if timer.label.to_string() != label.to_string() {
                    return Err(self.error(format!(
                        "{label} is dropped as the earliest cancelled timer, but that is {}",
                        timer.label
                    )));
                }
            }
            Event::CompactTimers { dropped, left } => {
                self.loop_line(first, last);
                let before = self.heap.len();
                self.heap.retain(|timer| !timer.cancelled);
                if (before - self.heap.len(), self.heap.len()) != (*dropped, *left) {
                    return Err(self.error(format!(
                        "compaction dropped {dropped} and left {left}, but the heap held {} \
                         cancelled of {before}",
                        before - self.heap.len()
                    )));
                }
            }
            Event::Select(_) | Event::Running(_) => self.loop_line(first, last),
            Event::Received(label) => {
                self.loop_line(first, last);
                // A wake is followed by the `call_soon` of the step it schedules.
                if label.to_string() != "wake" {
                    self.push(label);
                }
            }
            Event::Returned { .. } => match &mut self.open {
                // The run's last line ends its last step.
                Some(open) => {
                    open.last_line = last;
                    self.close();
                    self.end_tick();
                }
                None => self.loop_line(first, last),
            },
            Event::CallSoon(label) => {
                self.push(label);
                if let Some(task) = self.task_of(label) {
                    let view = &mut self.tasks[task].view;
                    if !matches!(view.state, TaskState::Done(_)) {
                        view.state = TaskState::Ready;
                    }
                }
            }
            Event::CallLater {
                label, when, seq, ..
            }
            | Event::CallAt { label, when, seq } => {
                let timer = Timer {
                    when: *when,
                    seq: *seq,
                    label: label.clone(),
                    cancelled: false,
                    set_by: self.handle.clone(),
                };
                // After every timer due no later: equal deadlines keep their order.
                let at = self.heap.partition_point(|other| other.when <= *when);
                self.heap.insert(at, timer);
            }
            Event::CancelTimer { label, seq, .. } => {
                let Some(timer) = self.heap.iter_mut().find(|timer| timer.seq == *seq) else {
                    return Err(self.error(format!(
                        "timer {seq} ({label}) is cancelled, but it is not in the heap"
                    )));
                };
                timer.cancelled = true;
            }
            Event::Print(line) => self.output.push(line.clone()),
            Event::CreateTask { task, coroutine } => self.tasks.push(TaskRecord {
                info: TaskInfo {
                    name: task.clone(),
                    coroutine: coroutine.clone(),
                },
                view: TaskView {
                    state: TaskState::Created,
                    ran: false,
                    cancelling: false,
                },
            }),
            Event::Await { task, future } => {
                if let Some(task) = self.task_named(task) {
                    self.tasks[task].view.state = TaskState::Waiting(future.clone());
                }
            }
            Event::FutureDone { future, outcome } => {
                if let Some(task) = self.task_named(future) {
                    let view = &mut self.tasks[task].view;
                    view.state = TaskState::Done(outcome);
                    view.cancelling = false;
                }
            }
            Event::Cancel(task) => {
                if let Some(task) = self.task_named(task) {
                    self.tasks[task].view.cancelling = true;
                }
            }
            Event::Stop | Event::Panicked { .. } | Event::Job { .. } => {}
        }
        Ok(())
    }

    /// A handle's turn: it leaves the deque, runs (or is skipped), and opens a step.
    fn run(
        &mut self,
        label: &Label,
        skipped: bool,
        first: usize,
        last: usize,
    ) -> Result<(), ReplayError> {
        // A tick's first handle continues the step its tick line opened; any other closes
        // the step before it, whose state is the state before this handle's turn.
        let continues = matches!(&self.open, Some(o) if o.kind == StepKind::EmptyTick);
        if !continues {
            self.close();
        }
        let text = label.to_string();
        // Entries before it that have no line of their own were taken off silently: steps of
        // tasks that were done by then.
        let done = self.tick_ready.len() - self.tick_left;
        let Some(offset) = self.tick_ready[done..]
            .iter()
            .position(|queued| queued.label.to_string() == text)
        else {
            return Err(self.error(format!(
                "{text} runs, but it is not waiting its turn in tick {}",
                self.tick
            )));
        };
        for queued in &mut self.tick_ready[done..done + offset] {
            queued.turn = Turn::Dropped;
        }
        let at = done + offset;
        for _ in 0..=offset {
            self.deque.pop_front();
        }
        self.tick_left -= offset + 1;
        self.tick_ready[at].turn = if skipped {
            Turn::Skipped
        } else {
            Turn::Running
        };
        if continues {
            let open = self.open.as_mut().expect("checked");
            open.kind = StepKind::Handle;
            open.line = first;
            open.last_line = last;
        } else {
            self.begin(StepKind::Handle, first, last, first);
        }
        self.running = Some(at);
        self.handle = (!skipped).then(|| label.clone());
        if !skipped {
            if let Some(task) = self.task_of(label) {
                let view = &mut self.tasks[task].view;
                view.ran = true;
                // Until the step says otherwise (awaits, finishes, yields), it is suspended.
                view.state = TaskState::Suspended;
            }
        }
        Ok(())
    }

    /// Moves the timers that came due onto the deque, soonest first, as the tick line lists.
    fn take_due(&mut self, due: &[Label]) -> Result<(), ReplayError> {
        for label in due {
            match self.heap.first() {
                Some(timer) if !timer.cancelled && timer.label.to_string() == label.to_string() => {
                    let timer = self.heap.remove(0);
                    self.deque.push_back(Entry {
                        label: timer.label,
                        due: true,
                    });
                }
                Some(timer) => {
                    return Err(self.error(format!(
                        "{label} came due, but the soonest timer is {}{}",
                        timer.label,
                        if timer.cancelled { " (cancelled)" } else { "" }
                    )))
                }
                None => {
                    return Err(self.error(format!("{label} came due from an empty heap")));
                }
            }
        }
        Ok(())
    }

    fn push(&mut self, label: &Label) {
        self.deque.push_back(Entry {
            label: label.clone(),
            due: false,
        });
    }

    /// The task whose step or wakeup a handle's label names: `Task-2` for `Task-2.wakeup`.
    fn task_of(&self, label: &Label) -> Option<usize> {
        let text = label.to_string();
        let (task, what) = text.rsplit_once('.')?;
        if !matches!(what, "step" | "wakeup") {
            return None;
        }
        self.tasks
            .iter()
            .rposition(|record| record.info.name.to_string() == task)
    }

    fn task_named(&self, name: &Label) -> Option<usize> {
        let name = name.to_string();
        self.tasks
            .iter()
            .rposition(|record| record.info.name.to_string() == name)
    }

    /// A line of the loop's own, between ticks: it closes the step before it and belongs to
    /// the next one.
    fn loop_line(&mut self, first: usize, last: usize) {
        if self.open.is_some() {
            self.close();
        }
        self.end_tick();
        let pending = self.pending.get_or_insert((first, last));
        pending.1 = last;
    }

    /// Widens the open step to the event's lines; with no step open (actions that a select or
    /// a message from another thread caused, before the next tick), the lines wait for the next.
    fn extend(&mut self, first: usize, last: usize) {
        match &mut self.open {
            Some(open) => open.last_line = open.last_line.max(last),
            None => self.pending.get_or_insert((first, last)).1 = last,
        }
    }

    /// Opens a step, closing the one before; the loop's lines read since belong to it.
    fn begin(&mut self, kind: StepKind, first: usize, last: usize, line: usize) {
        if self.open.is_some() {
            self.close();
        }
        if kind == StepKind::Outside {
            self.end_tick();
        }
        let first = self.pending.take().map_or(first, |(from, _)| from);
        self.open = Some(Open {
            kind,
            first_line: first,
            last_line: last,
            line,
            waited_from: self.waited_from.take(),
        });
    }

    /// Closes the open step: a snapshot of the state at its end.
    fn close(&mut self) {
        let Some(open) = self.open.take() else {
            return;
        };
        let in_tick = open.kind != StepKind::Outside;
        let tick_ready = if in_tick {
            self.tick_ready.clone()
        } else {
            Vec::new()
        };
        let later_from = if in_tick { self.tick_left } else { 0 };
        self.steps.push(Step {
            kind: open.kind,
            tick: self.tick,
            time: self.time,
            waited_from: open.waited_from,
            tick_ready,
            running: if in_tick { self.running } else { None },
            later: self
                .deque
                .iter()
                .skip(later_from)
                .map(|e| e.label.clone())
                .collect(),
            timers: self.heap.clone(),
            tasks: self.tasks.iter().map(|task| task.view.clone()).collect(),
            printed: self.output.len(),
            first_line: open.first_line,
            last_line: open.last_line,
            line: open.line,
        });
        // What ran at this step has run at the next.
        if let Some(at) = self.running {
            if self.tick_ready[at].turn == Turn::Running {
                self.tick_ready[at].turn = Turn::Ran;
            }
        }
        for task in &mut self.tasks {
            task.view.ran = false;
        }
        self.handle = None;
    }

    /// The tick is over: the entries it did not run, had there been any left, are gone.
    fn end_tick(&mut self) {
        if !self.in_tick {
            return;
        }
        for _ in 0..self.tick_left {
            self.deque.pop_front();
        }
        self.tick_left = 0;
        self.running = None;
        self.in_tick = false;
    }

    fn finish(&mut self) {
        self.close();
        // The loop's lines after the last step (a run that returned an error) end it.
        if let Some((first, last)) = self.pending.take() {
            match self.steps.last_mut() {
                Some(step) => step.last_line = last,
                None => {
                    self.pending = Some((first, last));
                    self.begin(StepKind::Outside, first, last, first);
                    self.close();
                }
            }
        }
    }
}

fn scheduled(timer: &Timer) -> ScheduledTimer {
    ScheduledTimer {
        when: timer.when,
        seq: timer.seq,
        label: timer.label.clone(),
        cancelled: timer.cancelled,
    }
}
