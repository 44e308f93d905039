//! Reading a trace event by event, keeping the loop's state as the trace tells it.
//!
//! Tasks are known by their numbers, as the events name them: a step's label says whose step
//! it is, an `Await` or a `FutureDone` which task; nothing is parsed out of text.

use std::collections::VecDeque;

use super::{Queued, ReplayError, Step, StepKind, TaskInfo, TaskState, TaskView, Timer, Turn};
use crate::inspect::{Queues, ScheduledTimer};
use crate::label::Label;
use crate::trace::{Event, Names};

/// A task while the trace is read.
#[derive(Debug)]
pub(super) struct TaskRecord {
    /// Its number in its loop, which the events name it by.
    number: u64,
    pub(super) info: TaskInfo,
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
pub(super) struct Reader {
    /// The event being read.
    pub(super) index: usize,
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
    pub(super) tasks: Vec<TaskRecord>,
    pub(super) output: Vec<String>,
    /// The loop's own lines since the last step (a wait, dropped timers, the tick line): the
    /// next step begins with them.
    pending: Option<(usize, usize)>,
    waited_from: Option<u64>,
    open: Option<Open>,
    pub(super) steps: Vec<Step>,
    pub(super) tick_starts: Vec<Queues>,
    /// The names the trace has given its tasks so far.
    pub(super) names: Names,
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
    pub(super) fn read(
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
            Event::CreateTask { task, coroutine } => {
                let Some(number) = task.task_number() else {
                    return Err(self.error(format!("{task} is created, but it is not a task")));
                };
                self.tasks.push(TaskRecord {
                    number,
                    info: TaskInfo {
                        name: task.clone(),
                        coroutine: coroutine.clone(),
                    },
                    view: TaskView {
                        state: TaskState::Created,
                        ran: false,
                        cancelling: false,
                    },
                });
            }
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
            Event::Stop | Event::Panicked { .. } | Event::Job { .. } | Event::Rename { .. } => {}
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

    /// The task whose step or wakeup a handle's label names.
    fn task_of(&self, label: &Label) -> Option<usize> {
        self.task_numbered(label.step_of()?.0)
    }

    /// The task a label names, if it names one.
    fn task_named(&self, label: &Label) -> Option<usize> {
        self.task_numbered(label.task_number()?)
    }

    fn task_numbered(&self, number: u64) -> Option<usize> {
        self.tasks
            .iter()
            .rposition(|record| record.number == number)
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

    pub(super) fn finish(&mut self) {
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
