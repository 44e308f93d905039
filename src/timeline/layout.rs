//! Reading a trace onto the x axis: which lane each event draws on, from where to where.
//!
//! The reader walks the events once, with a cursor at the loop time and x the picture has
//! reached, and knows each task by its number: a step's label names its task, an `Await` or a
//! `FutureDone` names the task by number too, so nothing is parsed out of text. Names (a
//! lane's title, a bar's tooltip) are looked up as each event is read.

use std::collections::BTreeMap;

use crate::label::Label;
use crate::trace::{Event, Names, Trace};

/// The pixels each handle's slot adds to the x axis, unless set otherwise.
pub(super) const SLOT: f64 = 10.0;
/// The narrowest slot [`Timeline::fit_width`](super::Timeline::fit_width) gives a handle.
pub(super) const MIN_SLOT: f64 = 3.0;
/// The pixels a tick adds before its first handle, so that ticks stand apart.
const TICK_GAP: f64 = 4.0;

/// What a bar stands for.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub(super) enum Kind {
    /// A task's step ran.
    Step,
    /// Some other handle ran.
    Callback,
    /// The loop's thread was busy (simulated work on a virtual clock).
    Busy,
    /// The task waited on a future.
    Waiting,
    /// The task was ready: its step was in the ready deque.
    Ready,
    /// A worker ran a job.
    Job,
    /// The loop waited for a timer (or for other threads).
    Idle,
}

/// A stretch of a lane.
#[derive(Debug)]
pub(super) struct Bar {
    pub(super) x0: f64,
    pub(super) x1: f64,
    pub(super) kind: Kind,
    /// The tooltip.
    pub(super) title: String,
    /// Written inside the bar when it fits.
    pub(super) text: Option<String>,
}

/// One row of the picture: the loop's, or a task's.
#[derive(Debug, Default)]
pub(super) struct Lane {
    pub(super) name: String,
    pub(super) bars: Vec<Bar>,
    /// Deadlines of the timers the task set with `call_later` (its sleeps), in loop time.
    pub(super) due: Vec<u64>,
    /// Where the task was done, and how.
    pub(super) done: Option<(f64, &'static str)>,
}

/// A task lane's state while the trace is read.
#[derive(Debug, Default)]
struct TaskState {
    lane: usize,
    /// Since when it waits, and on what.
    waiting: Option<(f64, String)>,
    /// Since when its step is in the ready deque.
    ready: Option<f64>,
}

/// The handle running at the cursor.
#[derive(Debug)]
struct OpenRun {
    x0: f64,
    /// Loop time when it began.
    t0: u64,
    /// The handle, as the trace names it.
    label: String,
    /// The number of the task whose step it is, if it is one.
    task: Option<u64>,
    /// What the task awaits now, as the trace names it.
    awaited: Option<String>,
    done: Option<&'static str>,
}

/// A trace laid out on the x axis.
#[derive(Debug, Default)]
pub(super) struct Layout {
    /// (loop time, x) wherever time moved: the axis' map from time to pixels.
    pub(super) points: Vec<(u64, f64)>,
    /// The loop's lane first, then the tasks', in creation order.
    pub(super) lanes: Vec<Lane>,
    /// Worker lanes by name, with their jobs as (job, started, finished).
    pub(super) workers: BTreeMap<String, Vec<(String, u64, u64)>>,
    /// Where each tick began: (number, x).
    pub(super) ticks: Vec<(u64, f64)>,
    /// Where the last thing drawn ends.
    pub(super) end: f64,
    pub(super) px_per_ns: f64,
}

/// Reads a trace and places everything on the x axis.
struct Reader {
    layout: Layout,
    x: f64,
    t: u64,
    /// The loop time at x = 0.
    t0: u64,
    /// The width of a handle's slot.
    slot: f64,
    /// The tasks by number.
    tasks: BTreeMap<u64, TaskState>,
    /// The names the trace has given its tasks so far.
    names: Names,
    run: Option<OpenRun>,
}

impl Reader {
    /// Moves the cursor to loop time `time`: to where that time falls on the axis, or, if
    /// the slots of handles run meanwhile pushed the cursor further, no further than that.
    fn advance_to(&mut self, time: u64) {
        if time > self.t {
            self.layout.points.push((self.t, self.x));
            let on_scale = (time - self.t0) as f64 * self.layout.px_per_ns;
            self.x = self.x.max(on_scale);
            self.t = time;
            self.layout.points.push((self.t, self.x));
        }
    }

    fn close_run(&mut self) {
        let Some(run) = self.run.take() else {
            return;
        };
        let x1 = self.x;
        let kind = if run.task.is_some() {
            Kind::Step
        } else {
            Kind::Callback
        };
        let title = format!("{} at t={}", run.label, secs(run.t0));
        self.layout.lanes[0].bars.push(Bar {
            x0: run.x0,
            x1,
            kind,
            title: title.clone(),
            text: None,
        });
        let Some(task) = run.task else {
            return;
        };
        let Some(state) = self.tasks.get_mut(&task) else {
            return;
        };
        let lane = &mut self.layout.lanes[state.lane];
        lane.bars.push(Bar {
            x0: run.x0,
            x1,
            kind: Kind::Step,
            title,
            text: None,
        });
        if let Some(outcome) = run.done {
            lane.done = Some((x1, outcome));
        } else if state.ready.is_none() {
            let on = run.awaited.unwrap_or_else(|| "a waker".to_string());
            state.waiting = Some((x1, on));
        }
    }

    /// The number of the task whose step (or wakeup) a label names, if the trace created it.
    fn task_of(&self, label: &Label) -> Option<u64> {
        let (task, _) = label.step_of()?;
        self.tasks.contains_key(&task).then_some(task)
    }

    /// A task's name as of this point in the trace.
    fn task_name(&self, task: u64) -> String {
        self.names.text(&Label::task(task))
    }

    fn read(&mut self, event: &Event) {
        match event {
            Event::Tick { tick, time, .. } => {
                self.close_run();
                self.advance_to(*time);
                self.layout.ticks.push((*tick, self.x));
                self.x += TICK_GAP;
            }
            Event::Wait { from, until, .. } => {
                self.close_run();
                let x0 = self.x;
                self.advance_to(*until);
                self.layout.lanes[0].bars.push(Bar {
                    x0,
                    x1: self.x,
                    kind: Kind::Idle,
                    title: format!("wait {} s", secs(until - from)),
                    text: Some(format!("wait {} s", secs(until - from))),
                });
            }
            Event::Run(label) => {
                self.close_run();
                let task = self.task_of(label);
                let label = self.names.text(label);
                if let Some(state) = task.and_then(|t| self.tasks.get_mut(&t)) {
                    if let Some(since) = state.ready.take() {
                        self.layout.lanes[state.lane].bars.push(Bar {
                            x0: since,
                            x1: self.x,
                            kind: Kind::Ready,
                            title: format!("{label} is ready, waiting for its turn"),
                            text: None,
                        });
                    }
                }
                self.run = Some(OpenRun {
                    x0: self.x,
                    t0: self.t,
                    label,
                    task,
                    awaited: None,
                    done: None,
                });
                self.x += self.slot;
            }
            Event::Busy { from, until } => {
                let x0 = self.x;
                self.advance_to(*until);
                let title = format!("busy {} s", secs(until - from));
                let task = self.run.as_ref().and_then(|r| r.task);
                let lanes =
                    std::iter::once(0).chain(task.and_then(|t| self.tasks.get(&t).map(|s| s.lane)));
                for lane in lanes.collect::<Vec<_>>() {
                    self.layout.lanes[lane].bars.push(Bar {
                        x0,
                        x1: self.x,
                        kind: Kind::Busy,
                        title: title.clone(),
                        text: None,
                    });
                }
            }
            Event::CreateTask { task, coroutine } => {
                let Some(number) = task.task_number() else {
                    return;
                };
                let name = self.names.text(task);
                let lane = self.layout.lanes.len();
                self.layout.lanes.push(Lane {
                    name: format!("{name} {coroutine}"),
                    ..Lane::default()
                });
                let state = TaskState {
                    lane,
                    waiting: None,
                    ready: Some(self.x),
                };
                self.tasks.insert(number, state);
            }
            Event::CallSoon(label) => {
                if let Some(task) = self.task_of(label) {
                    let x = self.x;
                    let name = self.task_name(task);
                    let state = self.tasks.get_mut(&task).expect("task_of found it");
                    if let Some((since, on)) = state.waiting.take() {
                        self.layout.lanes[state.lane].bars.push(Bar {
                            x0: since,
                            x1: x,
                            kind: Kind::Waiting,
                            title: format!("{name} waits on {on}"),
                            text: Some(on),
                        });
                    }
                    state.ready.get_or_insert(x);
                }
            }
            Event::CallLater { when, .. } => {
                let task = self.run.as_ref().and_then(|r| r.task);
                if let Some(state) = task.and_then(|t| self.tasks.get(&t)) {
                    self.layout.lanes[state.lane].due.push(*when);
                }
            }
            Event::Await { task, future } => {
                let future = self.names.text(future);
                if let Some(run) = self.run.as_mut() {
                    if run.task.is_some() && run.task == task.task_number() {
                        run.awaited = Some(future);
                    }
                }
            }
            Event::FutureDone { future, outcome } => {
                let Some(task) = future.task_number() else {
                    return;
                };
                if let Some(run) = self.run.as_mut() {
                    if run.task == Some(task) {
                        run.done = Some(outcome);
                        return;
                    }
                }
                // A task done outside its own step: cancelled before it ever ran.
                if let Some(state) = self.tasks.get_mut(&task) {
                    state.ready = None;
                    state.waiting = None;
                    self.layout.lanes[state.lane].done = Some((self.x, outcome));
                }
            }
            Event::Job {
                worker,
                job,
                started,
                finished,
            } => {
                let (worker, job) = (self.names.text(worker), self.names.text(job));
                let jobs = self.layout.workers.entry(worker).or_default();
                jobs.push((job, *started, *finished));
            }
            _ => {}
        }
    }
}

impl Layout {
    /// Reads `trace` and lays it out at `px_per_second`, each handle in a slot of `slot` px.
    pub(super) fn of(trace: &Trace, px_per_second: f64, slot: f64) -> Layout {
        // The axis starts where the loop's record does: its first tick, or the wait before it.
        let start = trace.events().iter().find_map(|e| match e {
            Event::Tick { time, .. } => Some(*time),
            Event::Wait { from, .. } => Some(*from),
            _ => None,
        });
        let t0 = start.unwrap_or(0);
        let mut reader = Reader {
            layout: Layout {
                px_per_ns: px_per_second / 1e9,
                points: vec![(t0, 0.0)],
                lanes: vec![Lane {
                    name: "loop".to_string(),
                    ..Lane::default()
                }],
                ..Layout::default()
            },
            x: 0.0,
            t: t0,
            t0,
            slot,
            tasks: BTreeMap::new(),
            names: Names::default(),
            run: None,
        };
        for event in trace.events() {
            reader.read(event);
            reader.names.learn(event);
        }
        reader.close_run();
        // Lanes still waiting or ready at the end stay so to the right edge.
        let end = reader.x;
        for (&task, state) in &reader.tasks {
            let name = reader.task_name(task);
            let lane = &mut reader.layout.lanes[state.lane];
            if let Some((since, on)) = &state.waiting {
                lane.bars.push(Bar {
                    x0: *since,
                    x1: end,
                    kind: Kind::Waiting,
                    title: format!("{name} waits on {on}"),
                    text: Some(on.clone()),
                });
            }
        }
        let mut layout = reader.layout;
        layout.points.push((reader.t, end));
        let last_job = layout.workers.values().flatten().map(|j| j.2).max();
        layout.end = match last_job {
            Some(finished) => end.max(layout.x_of(finished)),
            None => end,
        };
        layout
    }

    /// Where loop time `time` falls: the first x at which the loop reached it.
    pub(super) fn x_of(&self, time: u64) -> f64 {
        for pair in self.points.windows(2) {
            let ((t0, x0), (t1, x1)) = (pair[0], pair[1]);
            if time == t0 {
                return x0;
            }
            if t0 < time && time <= t1 {
                return x0 + (time - t0) as f64 / (t1 - t0) as f64 * (x1 - x0);
            }
        }
        match self.points.last() {
            Some(&(t, x)) if time > t => x + (time - t) as f64 * self.px_per_ns,
            Some(&(_, x)) if self.points.len() == 1 => x,
            _ => 0.0,
        }
    }

    /// The loop's lane, the tasks' and the workers'.
    pub(super) fn lane_count(&self) -> usize {
        self.lanes.len() + self.workers.len()
    }
}

/// Seconds with three decimals, as the text of traces shows them.
pub(super) fn secs(nanos: u64) -> String {
    crate::nanos::Secs(nanos).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeline::Timeline;
    use std::time::Duration;

    #[test]
    fn waits_are_on_scale_and_handles_at_one_instant_side_by_side() {
        let mut trace = Trace::default();
        let tick = |tick, time| Event::Tick {
            tick,
            time,
            due: vec![],
            ready: vec![],
        };
        trace.push(tick(1, 0));
        trace.push(Event::Run(crate::Label::new("a")));
        trace.push(Event::Run(crate::Label::new("b")));
        trace.push(Event::Wait {
            from: 0,
            until: 1_000_000_000,
            deadline: 1_000_000_000,
        });
        trace.push(tick(2, 1_000_000_000));
        trace.push(Event::Run(crate::Label::new("c")));
        let layout = Layout::of(&trace, 100.0, SLOT);
        // Two slots and a tick's gap at t=0, then one second at 100 px per second.
        assert_eq!(layout.ticks, [(1, 0.0), (2, 100.0)]);
        let runs: Vec<(f64, f64)> = layout.lanes[0]
            .bars
            .iter()
            .filter(|bar| bar.kind == Kind::Callback)
            .map(|bar| (bar.x0, bar.x1))
            .collect();
        assert_eq!(runs, [(4.0, 14.0), (14.0, 24.0), (104.0, 114.0)]);
        assert_eq!(layout.x_of(1_000_000_000), 100.0);
        assert_eq!(
            layout.x_of(500_000_000),
            62.0,
            "within the wait, on its stretch"
        );
    }

    #[test]
    fn a_wait_before_the_first_tick_is_on_the_axis() {
        let lp = crate::EventLoop::with_virtual_clock();
        lp.set_trace(true);
        lp.call_later(Duration::from_secs(1), |lp| lp.stop());
        lp.run_forever().unwrap();
        let layout = Layout::of(&lp.take_trace(), 100.0, SLOT);
        assert_eq!(layout.ticks, [(1, 100.0)], "one second of waiting first");
    }

    #[test]
    fn a_busy_stretch_is_as_wide_as_its_time_and_jobs_get_lanes() {
        let lp = crate::EventLoop::with_virtual_clock();
        lp.set_trace(true);
        lp.call_soon(|lp| {
            lp.advance_time(std::time::Duration::from_millis(500))
                .unwrap();
            lp.trace_job(
                "worker-1",
                "job",
                Duration::ZERO,
                Duration::from_millis(500),
            );
        });
        lp.run_once().unwrap();
        let trace = lp.take_trace();
        let layout = Layout::of(&trace, 100.0, SLOT);
        let busy: Vec<_> = layout.lanes[0]
            .bars
            .iter()
            .filter(|bar| bar.kind == Kind::Busy)
            .collect();
        assert_eq!(busy.len(), 1);
        assert_eq!(
            (busy[0].x0, busy[0].x1),
            (14.0, 50.0),
            "pushed, then on scale"
        );
        assert_eq!(
            layout.workers["worker-1"],
            [("job".to_string(), 0, 500_000_000)]
        );
        let svg = Timeline::new()
            .px_per_second(100.0)
            .panel("p", &trace)
            .to_svg();
        assert!(svg.contains(">worker-1</text>"));
    }
}
