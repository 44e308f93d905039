//! Timelines: a [`Trace`] drawn as a picture (SVG), one lane per actor.
//!
//! The text of a trace says exactly what happened, line by line; a timeline shows it at a
//! glance. It has a lane for the loop itself (its ticks, and each handle it ran), one lane per
//! task (when it ran, when it waited and on what, when it was done), and one lane per worker
//! thread that a trace names in [`Event::Job`] events (which job it ran, from when to when).
//!
//! # Reading the x axis
//! Time runs left to right, in loop time, at `px_per_second`, with one twist: on a virtual
//! clock every handle runs in no time at all, so a tick of five handles would be a single line.
//! Each handle the loop runs therefore gets a slot of a few pixels of its own, and handles that
//! run at the same moment are drawn side by side, pushing what follows to the right; the next
//! wait takes the push back, so that everything after it is on the scale again. A handle that
//! keeps the loop busy (on a virtual clock, [`EventLoop::advance_time`]) is as wide as the time
//! it took. The time labels under the lanes show where each moment falls. Panels drawn together
//! share one scale, so that they can be compared.
//!
//! A timeline is a pure function of its trace: the same trace always gives the same SVG, byte
//! for byte, so that a picture can be pinned like a snapshot.
//!
//! # Examples
//! ```
//! use std::time::Duration;
//! use steploop::{sleep, timeline::Timeline, EventLoop};
//!
//! let lp = EventLoop::with_virtual_clock();
//! lp.set_trace(true);
//! lp.run_until_complete(async {
//!     sleep(Duration::from_secs(1)).await?;
//!     Ok(())
//! })
//! .unwrap();
//! let svg = Timeline::new().panel("one sleep", &lp.take_trace()).to_svg();
//! assert!(svg.starts_with("<svg "));
//! assert!(svg.contains(">Task-1 "));
//! ```
//!
//! [`EventLoop::advance_time`]: crate::EventLoop::advance_time

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::trace::{Event, Trace};

/// The pixels each handle's slot adds to the x axis, unless set otherwise.
const SLOT: f64 = 10.0;
/// The narrowest slot [`Timeline::fit_width`] gives a handle.
const MIN_SLOT: f64 = 3.0;
/// The pixels a tick adds before its first handle, so that ticks stand apart.
const TICK_GAP: f64 = 4.0;
/// The widest the lane names' column gets: names longer than this are cut.
const MAX_LEFT: f64 = 182.0;
const RIGHT: f64 = 70.0;
const LANE: f64 = 22.0;
const BAR: f64 = 14.0;
const TITLE: f64 = 22.0;
/// The row above the lanes that holds the ticks' numbers.
const NUMBERS: f64 = 14.0;
const AXIS: f64 = 30.0;
/// The size of every label, in pixels: the smallest text a reader should have to read.
const FONT: f64 = 11.0;
/// The width of a character of the 11 px monospace font, near enough to fit labels in bars.
const CHAR: f64 = 6.7;

const STEP_COLOUR: &str = "#3b7dd8";
const CALLBACK_COLOUR: &str = "#9aa3ad";
const BUSY_COLOUR: &str = "#d9534f";
const WAIT_COLOUR: &str = "#b8d0ee";
const JOB_COLOUR: &str = "#4cae4c";
const DUE_COLOUR: &str = "#e08a00";

/// A picture of one or more traces, drawn on one time scale.
///
/// # Examples
/// ```
/// use steploop::{timeline::Timeline, EventLoop};
/// let lp = EventLoop::with_virtual_clock();
/// lp.set_trace(true);
/// lp.call_soon(|lp| lp.stop());
/// lp.run_forever().unwrap();
/// let trace = lp.take_trace();
/// let svg = Timeline::new().px_per_second(100.0).panel("stop", &trace).to_svg();
/// assert!(svg.ends_with("</svg>\n"));
/// ```
#[derive(Debug, Clone)]
pub struct Timeline<'a> {
    panels: Vec<(String, &'a Trace)>,
    px_per_second: f64,
    slot_px: f64,
    max_width: Option<f64>,
}

impl Default for Timeline<'_> {
    fn default() -> Self {
        Timeline::new()
    }
}

impl<'a> Timeline<'a> {
    /// An empty picture; 400 pixels per second of loop time.
    pub fn new() -> Timeline<'a> {
        Timeline {
            panels: Vec::new(),
            px_per_second: 400.0,
            slot_px: SLOT,
            max_width: None,
        }
    }

    /// The width of the book's column, in CSS pixels: the book's pictures are drawn no wider,
    /// so that a browser shows them at their own size, every label at 11 px.
    pub const BOOK_COLUMN: f64 = 720.0;

    /// Draws the picture no wider than `px`, so that it is shown at its own size where it is
    /// that wide (its labels keep their 11 px): fewer pixels per second than asked for, if it
    /// must, and then, if that is not enough, narrower slots (down to 3 pixels).
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// use steploop::{timeline::Timeline, EventLoop};
    /// let lp = EventLoop::with_virtual_clock();
    /// lp.set_trace(true);
    /// lp.call_later(Duration::from_secs(10), |lp| lp.stop());
    /// lp.run_forever().unwrap();
    /// let trace = lp.take_trace();
    /// // At 400 pixels per second, ten seconds would be 4,000 pixels wide.
    /// let svg = Timeline::new()
    ///     .fit_width(Timeline::BOOK_COLUMN)
    ///     .panel("ten seconds", &trace)
    ///     .to_svg();
    /// let width: f64 = svg.split(" width=\"").nth(1).unwrap().split('"').next().unwrap().parse().unwrap();
    /// assert!(width <= Timeline::BOOK_COLUMN);
    /// ```
    pub fn fit_width(mut self, px: f64) -> Timeline<'a> {
        self.max_width = Some(px);
        self
    }

    /// Sets the width of the slot each handle takes (10 pixels unless set): narrower slots
    /// keep a picture with many handles at one moment closer to its time scale.
    pub fn slot_px(mut self, px: f64) -> Timeline<'a> {
        self.slot_px = px;
        self
    }

    /// Sets how many pixels one second of loop time takes.
    pub fn px_per_second(mut self, px: f64) -> Timeline<'a> {
        self.px_per_second = px;
        self
    }

    /// Adds a panel: the trace's lanes under a title. Panels are stacked top to bottom.
    pub fn panel(mut self, title: impl Into<String>, trace: &'a Trace) -> Timeline<'a> {
        self.panels.push((title.into(), trace));
        self
    }

    /// The picture as an SVG document.
    pub fn to_svg(&self) -> String {
        self.render().0
    }

    /// Where each panel's ticks are drawn, panel by panel: for a viewer that marks the tick
    /// it shows on the picture (the book's step-through viewers do).
    ///
    /// # Examples
    /// ```
    /// use steploop::{timeline::Timeline, EventLoop};
    /// let lp = EventLoop::with_virtual_clock();
    /// lp.set_trace(true);
    /// lp.call_soon(|lp| lp.stop());
    /// lp.run_forever().unwrap();
    /// let trace = lp.take_trace();
    /// let marks = Timeline::new().panel("stop", &trace).tick_marks();
    /// assert_eq!(marks[0].ticks.len(), 1);
    /// assert!(marks[0].top < marks[0].bottom && marks[0].bottom < marks[0].height);
    /// ```
    pub fn tick_marks(&self) -> Vec<TickMarks> {
        self.render().1
    }

    /// The panels laid out at `px_per_second` and `slot`, and the width of the plot.
    fn layouts(&self, px_per_second: f64, slot: f64) -> (Vec<(&str, Layout)>, f64) {
        let panels: Vec<(&str, Layout)> = self
            .panels
            .iter()
            .map(|(title, trace)| {
                let layout = Layout::of(trace, px_per_second, slot);
                (title.as_str(), layout)
            })
            .collect();
        let plot_width = panels.iter().map(|(_, l)| l.end).fold(100.0, f64::max);
        (panels, plot_width)
    }

    /// The width of the lane names' column: room for the longest name, up to `MAX_LEFT`.
    fn left(panels: &[(&str, Layout)]) -> f64 {
        let longest = panels
            .iter()
            .flat_map(|(_, layout)| {
                let tasks = layout.lanes.iter().map(|lane| lane.name.chars().count());
                tasks.chain(layout.workers.keys().map(|name| name.chars().count()))
            })
            .max()
            .unwrap_or(0);
        (16.0 + longest as f64 * CHAR).ceil().min(MAX_LEFT)
    }

    /// The scale and slot to draw at: as asked, or, with [`Timeline::fit_width`], the largest
    /// that fit (found by halving the interval, a fixed number of times, so that the same
    /// traces always give the same picture).
    fn scale(&self) -> (f64, f64) {
        let asked = (self.px_per_second, self.slot_px);
        let Some(max) = self.max_width else {
            return asked;
        };
        let width = |pps: f64, slot: f64| {
            let (panels, plot) = self.layouts(pps, slot);
            Self::left(&panels) + plot + RIGHT
        };
        if width(asked.0, asked.1) <= max {
            return asked;
        }
        let fits_at = |slot: f64| {
            let (mut low, mut high) = (0.0, asked.0);
            for _ in 0..30 {
                let middle = (low + high) / 2.0;
                if width(middle, slot) <= max {
                    low = middle;
                } else {
                    high = middle;
                }
            }
            low
        };
        let slot = asked.1.min(SLOT);
        if width(0.0, slot) <= max {
            return (fits_at(slot).floor().max(1.0), slot);
        }
        // Too many handles at one instant for their slots: narrow the slots, then the scale.
        let (mut low, mut high) = (MIN_SLOT, slot);
        for _ in 0..20 {
            let middle = (low + high) / 2.0;
            if width(asked.0 / 4.0, middle) <= max {
                low = middle;
            } else {
                high = middle;
            }
        }
        let slot = (low * 10.0).floor() / 10.0;
        (fits_at(slot).floor().max(1.0), slot)
    }

    fn render(&self) -> (String, Vec<TickMarks>) {
        let (px_per_second, slot) = self.scale();
        let (panels, plot_width) = self.layouts(px_per_second, slot);
        let left = Self::left(&panels);
        let width = (left + plot_width + RIGHT).ceil();
        let mut used = Legend::default();
        let mut body = String::new();
        let mut y = 0.0;
        let mut marks = Vec::new();
        for (title, layout) in &panels {
            let top = y + TITLE + NUMBERS;
            marks.push(TickMarks {
                width,
                height: 0.0, // known once the legend is drawn
                top,
                bottom: top + layout.lane_count() as f64 * LANE,
                // As the picture writes them, to a tenth of a pixel.
                ticks: layout
                    .ticks
                    .iter()
                    .map(|&(n, x)| (n, ((left + x) * 10.0).round() / 10.0))
                    .collect(),
            });
            y = layout.draw(&mut body, title, y, left, plot_width);
            used.add(layout);
        }
        let legend_height = used.draw(&mut body, y + 6.0, width);
        let height = (y + 6.0 + legend_height).ceil();
        let mut svg = String::new();
        let _ = writeln!(
            svg,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
             viewBox=\"0 0 {width} {height}\" font-family=\"monospace\" font-size=\"{FONT}\">"
        );
        let _ = writeln!(
            svg,
            "<rect x=\"0\" y=\"0\" width=\"{width}\" height=\"{height}\" fill=\"#ffffff\"/>"
        );
        svg.push_str(&body);
        svg.push_str("</svg>\n");
        for mark in &mut marks {
            mark.height = height;
        }
        (svg, marks)
    }
}

/// Where one panel's ticks are drawn in a [`Timeline`]'s picture, in the SVG's own pixels.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct TickMarks {
    /// The width of the whole picture.
    pub width: f64,
    /// The height of the whole picture.
    pub height: f64,
    /// Where the panel's lanes begin, from the picture's top.
    pub top: f64,
    /// Where they end.
    pub bottom: f64,
    /// Each tick's number and the x at which it begins.
    pub ticks: Vec<(u64, f64)>,
}

/// What a bar stands for.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Kind {
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

#[derive(Debug)]
struct Bar {
    x0: f64,
    x1: f64,
    kind: Kind,
    /// The tooltip.
    title: String,
    /// Written inside the bar when it fits.
    text: Option<String>,
}

#[derive(Debug, Default)]
struct Lane {
    name: String,
    bars: Vec<Bar>,
    /// Deadlines of the timers the task set with `call_later` (its sleeps), in loop time.
    due: Vec<u64>,
    /// Where the task was done, and how.
    done: Option<(f64, &'static str)>,
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
    label: String,
    task: Option<String>,
    awaited: Option<String>,
    done: Option<&'static str>,
}

/// A trace laid out on the x axis.
#[derive(Debug, Default)]
struct Layout {
    /// (loop time, x) wherever time moved: the axis' map from time to pixels.
    points: Vec<(u64, f64)>,
    /// The loop's lane first, then the tasks', in creation order.
    lanes: Vec<Lane>,
    /// Worker lanes by name, with their jobs as (job, started, finished).
    workers: BTreeMap<String, Vec<(String, u64, u64)>>,
    /// Where each tick began: (number, x).
    ticks: Vec<(u64, f64)>,
    end: f64,
    px_per_ns: f64,
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
    tasks: BTreeMap<String, TaskState>,
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

    /// The task a step's label names: `Task-2` for `Task-2.step` or `Task-2.wakeup`.
    fn task_of(&self, label: &str) -> Option<String> {
        let (task, what) = label.rsplit_once('.')?;
        (matches!(what, "step" | "wakeup") && self.tasks.contains_key(task))
            .then(|| task.to_string())
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
                let label = label.to_string();
                let task = self.task_of(&label);
                if let Some(state) = task.as_ref().and_then(|t| self.tasks.get_mut(t)) {
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
                let task = self.run.as_ref().and_then(|r| r.task.clone());
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
                let name = task.to_string();
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
                self.tasks.insert(name, state);
            }
            Event::CallSoon(label) => {
                let label = label.to_string();
                if let Some(task) = self.task_of(&label) {
                    let x = self.x;
                    let state = self.tasks.get_mut(&task).expect("task_of found it");
                    if let Some((since, on)) = state.waiting.take() {
                        self.layout.lanes[state.lane].bars.push(Bar {
                            x0: since,
                            x1: x,
                            kind: Kind::Waiting,
                            title: format!("{task} waits on {on}"),
                            text: Some(on),
                        });
                    }
                    state.ready.get_or_insert(x);
                }
            }
            Event::CallLater { when, .. } => {
                let task = self.run.as_ref().and_then(|r| r.task.clone());
                if let Some(state) = task.and_then(|t| self.tasks.get(&t)) {
                    self.layout.lanes[state.lane].due.push(*when);
                }
            }
            Event::Await { task, future } => {
                if let Some(run) = self.run.as_mut() {
                    if run.task.as_deref() == Some(&task.to_string()) {
                        run.awaited = Some(future.to_string());
                    }
                }
            }
            Event::FutureDone { future, outcome } => {
                let name = future.to_string();
                if let Some(run) = self.run.as_mut() {
                    if run.task.as_deref() == Some(&name) {
                        run.done = Some(outcome);
                        return;
                    }
                }
                // A task done outside its own step: cancelled before it ever ran.
                if let Some(state) = self.tasks.get_mut(&name) {
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
                let jobs = self.layout.workers.entry(worker.to_string()).or_default();
                jobs.push((job.to_string(), *started, *finished));
            }
            _ => {}
        }
    }
}

impl Layout {
    fn of(trace: &Trace, px_per_second: f64, slot: f64) -> Layout {
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
            run: None,
        };
        for event in trace.events() {
            reader.read(event);
        }
        reader.close_run();
        // Lanes still waiting or ready at the end stay so to the right edge.
        let end = reader.x;
        for (task, state) in &reader.tasks {
            let lane = &mut reader.layout.lanes[state.lane];
            if let Some((since, on)) = &state.waiting {
                lane.bars.push(Bar {
                    x0: *since,
                    x1: end,
                    kind: Kind::Waiting,
                    title: format!("{task} waits on {on}"),
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
    fn x_of(&self, time: u64) -> f64 {
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

    fn lane_count(&self) -> usize {
        self.lanes.len() + self.workers.len()
    }

    /// Draws the panel with its top at `y`; returns the y below it.
    fn draw(&self, out: &mut String, title: &str, y: f64, left: f64, plot_width: f64) -> f64 {
        let _ = writeln!(
            out,
            "<text x=\"8\" y=\"{}\" font-size=\"13\" font-weight=\"bold\">{}</text>",
            f(y + 16.0),
            escape(title)
        );
        let top = y + TITLE + NUMBERS;
        let bottom = top + self.lane_count() as f64 * LANE;
        // Every other lane on a shaded band, under everything else.
        for i in (1..self.lane_count()).step_by(2) {
            let _ = writeln!(
                out,
                "<rect x=\"0\" y=\"{}\" width=\"{}\" height=\"{LANE}\" fill=\"#f4f6f8\"/>",
                f(top + i as f64 * LANE),
                f(left + plot_width + RIGHT)
            );
        }
        self.draw_axis(out, top, bottom, left, plot_width);
        for (i, lane) in self.lanes.iter().enumerate() {
            let lane_y = top + i as f64 * LANE;
            draw_lane_name(out, &lane.name, lane_y, left);
            // Busy stretches are drawn over the steps they belong to.
            let (busy, bars): (Vec<&Bar>, Vec<&Bar>) =
                lane.bars.iter().partition(|bar| bar.kind == Kind::Busy);
            for bar in bars.into_iter().chain(busy) {
                draw_bar(out, bar, lane_y, left);
            }
            for when in &lane.due {
                let x = left + self.x_of(*when);
                let (y0, y1) = (lane_y + 1.0, lane_y + 7.0);
                let _ = writeln!(
                    out,
                    "<path d=\"M{} {} L{} {} L{} {} Z\" fill=\"{DUE_COLOUR}\"><title>a timer \
                     it set is due at t={}</title></path>",
                    f(x - 4.0),
                    f(y0),
                    f(x + 4.0),
                    f(y0),
                    f(x),
                    f(y1),
                    secs(*when)
                );
            }
            if let Some((x, outcome)) = lane.done {
                let x = left + x;
                let _ = writeln!(
                    out,
                    "<rect x=\"{}\" y=\"{}\" width=\"2\" height=\"{}\" fill=\"#222222\"><title>done: \
                     {outcome}</title></rect>",
                    f(x),
                    f(lane_y + 2.0),
                    f(LANE - 4.0)
                );
                let _ = writeln!(
                    out,
                    "<text x=\"{}\" y=\"{}\" fill=\"#444444\">{outcome}</text>",
                    f(x + 5.0),
                    f(lane_y + 15.0)
                );
            }
        }
        // Each tick's number in the row above the lanes, unless it would run into the one
        // before: where ticks crowd, the first of them is numbered (the tooltip of every
        // tick's line says its number).
        let mut numbered_to = f64::MIN;
        for (ticks, x) in &self.ticks {
            let x = left + x;
            let _ = writeln!(
                out,
                "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#555555\" \
                 stroke-width=\"1\"><title>tick {ticks}</title></line>",
                f(x),
                f(top),
                f(x),
                f(top + LANE - 1.0)
            );
            if x >= numbered_to + 4.0 {
                let _ = writeln!(
                    out,
                    "<text x=\"{}\" y=\"{}\" fill=\"#555555\">{ticks}</text>",
                    f(x + 2.0),
                    f(top - 3.0)
                );
                numbered_to = x + 2.0 + ticks.to_string().len() as f64 * CHAR;
            }
        }
        for (i, (worker, jobs)) in self.workers.iter().enumerate() {
            let lane_y = top + (self.lanes.len() + i) as f64 * LANE;
            draw_lane_name(out, worker, lane_y, left);
            for (job, started, finished) in jobs {
                let bar = Bar {
                    x0: self.x_of(*started),
                    x1: self.x_of(*finished),
                    kind: Kind::Job,
                    title: format!(
                        "{job} on {worker}, t={} to t={}",
                        secs(*started),
                        secs(*finished)
                    ),
                    text: Some(job.clone()),
                };
                draw_bar(out, &bar, lane_y, left);
            }
        }
        bottom + AXIS
    }
}

fn draw_lane_name(out: &mut String, name: &str, lane_y: f64, left: f64) {
    {
        let max_chars = ((left - 12.0) / CHAR) as usize;
        let shown: String = if name.chars().count() > max_chars {
            let cut: String = name.chars().take(max_chars - 1).collect();
            format!("{cut}…")
        } else {
            name.to_string()
        };
        let _ = writeln!(
            out,
            "<text x=\"8\" y=\"{}\"><title>{}</title>{}</text>",
            f(lane_y + 15.0),
            escape(name),
            escape(&shown)
        );
    }
}

impl Layout {
    fn draw_axis(&self, out: &mut String, top: f64, bottom: f64, left: f64, plot_width: f64) {
        let t0 = self.points.first().map_or(0, |p| p.0);
        let t1 = self.points.last().map_or(0, |p| p.0);
        let step = nice_step(t1.saturating_sub(t0));
        let _ = writeln!(
            out,
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#888888\"/>",
            f(left),
            f(bottom + 2.0),
            f(left + plot_width),
            f(bottom + 2.0)
        );
        let mut time = t0.div_ceil(step) * step;
        let mut last_label = f64::MIN;
        while time <= t1 {
            let x = left + self.x_of(time);
            // Where handles crowd, the axis is squeezed: skip labels that would overlap.
            if x - last_label < 48.0 {
                time += step;
                continue;
            }
            last_label = x;
            let _ = writeln!(
                out,
                "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#dddddd\"/>",
                f(x),
                f(top),
                f(x),
                f(bottom + 6.0)
            );
            let _ = writeln!(
                out,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#555555\">{} s</text>",
                f(x),
                f(bottom + 18.0),
                trimmed_secs(time)
            );
            time += step;
        }
    }
}

fn draw_bar(out: &mut String, bar: &Bar, lane_y: f64, left: f64) {
    // Each bar stops a pixel short, so that neighbours stay apart.
    let width = (bar.x1 - bar.x0 - 1.0).max(1.0);
    let x = left + bar.x0;
    let (colour, y, height, dash) = match bar.kind {
        Kind::Step => (STEP_COLOUR, lane_y + 4.0, BAR, false),
        Kind::Callback => (CALLBACK_COLOUR, lane_y + 4.0, BAR, false),
        Kind::Busy => (BUSY_COLOUR, lane_y + 4.0, BAR, false),
        Kind::Job => (JOB_COLOUR, lane_y + 4.0, BAR, false),
        // As tall as a step, in a pale colour, so that the name of what it waits on fits in.
        Kind::Waiting => (WAIT_COLOUR, lane_y + 4.0, BAR, false),
        Kind::Ready => (STEP_COLOUR, lane_y + 11.0, 1.0, true),
        // Low in the loop's lane, under its label.
        Kind::Idle => ("#bbbbbb", lane_y + 18.0, 1.0, true),
    };
    if dash {
        let _ = writeln!(
            out,
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{colour}\" stroke-width=\"1.5\" \
             stroke-dasharray=\"2 2\"><title>{}</title></line>",
            f(x),
            f(y),
            f(x + width),
            f(y),
            escape(&bar.title)
        );
    } else {
        let _ = writeln!(
            out,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{colour}\"><title>{}</title></rect>",
            f(x),
            f(y),
            f(width),
            f(height),
            escape(&bar.title)
        );
    }
    if let Some(text) = &bar.text {
        let fits = text.chars().count() as f64 * CHAR + 6.0 <= width;
        if fits {
            let fill = match bar.kind {
                Kind::Waiting => "#1d3f6e",
                Kind::Idle => "#555555",
                _ => "#ffffff",
            };
            let _ = writeln!(
                out,
                "<text x=\"{}\" y=\"{}\" fill=\"{fill}\">{}</text>",
                f(x + 3.0),
                f(lane_y + 15.0),
                escape(text)
            );
        }
    }
}

/// Which kinds of bars a picture used, for its legend.
#[derive(Default)]
struct Legend {
    kinds: Vec<Kind>,
    due: bool,
    done: bool,
}

impl Legend {
    fn add(&mut self, layout: &Layout) {
        for lane in &layout.lanes {
            for bar in &lane.bars {
                if !self.kinds.contains(&bar.kind) {
                    self.kinds.push(bar.kind);
                }
            }
            self.due |= !lane.due.is_empty();
            self.done |= lane.done.is_some();
        }
        if !layout.workers.is_empty() && !self.kinds.contains(&Kind::Job) {
            self.kinds.push(Kind::Job);
        }
        self.kinds.sort();
    }

    /// Draws the legend from `y`, wrapping at `width`; returns its height.
    fn draw(&self, out: &mut String, y: f64, width: f64) -> f64 {
        let mut items: Vec<(&str, &str)> = self
            .kinds
            .iter()
            .map(|kind| match kind {
                Kind::Step => ("step", "a task's step runs"),
                Kind::Callback => ("callback", "another handle runs"),
                Kind::Busy => ("busy", "the thread is busy (simulated work)"),
                Kind::Waiting => ("waiting", "the task waits on a future"),
                Kind::Ready => ("ready", "ready, its step waits in the deque"),
                Kind::Job => ("job", "a worker thread runs a job"),
                Kind::Idle => ("idle", "the loop waits"),
            })
            .collect();
        if self.due {
            items.push(("due", "a timer the task set (a sleep) is due"));
        }
        if self.done {
            items.push(("done", "the task is done"));
        }
        let _ = writeln!(
            out,
            "<text x=\"8\" y=\"{}\" fill=\"#555555\">| tick</text>",
            f(y + 12.0)
        );
        let (mut x, mut row) = (70.0, 0.0);
        for (kind, text) in items {
            let item_width = 30.0 + text.chars().count() as f64 * CHAR + 16.0;
            if x + item_width > width {
                x = 70.0;
                row += 18.0;
            }
            let y = y + row;
            match kind {
                "ready" | "idle" => {
                    let colour = if kind == "ready" {
                        STEP_COLOUR
                    } else {
                        "#bbbbbb"
                    };
                    let _ = writeln!(
                        out,
                        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{colour}\" \
                         stroke-width=\"1.5\" stroke-dasharray=\"2 2\"/>",
                        f(x),
                        f(y + 8.0),
                        f(x + 22.0),
                        f(y + 8.0)
                    );
                }
                "due" => {
                    let _ = writeln!(
                        out,
                        "<path d=\"M{} {} L{} {} L{} {} Z\" fill=\"{DUE_COLOUR}\"/>",
                        f(x + 7.0),
                        f(y + 4.0),
                        f(x + 15.0),
                        f(y + 4.0),
                        f(x + 11.0),
                        f(y + 10.0)
                    );
                }
                "done" => {
                    let _ = writeln!(
                        out,
                        "<rect x=\"{}\" y=\"{}\" width=\"2\" height=\"12\" fill=\"#222222\"/>",
                        f(x + 10.0),
                        f(y + 2.0)
                    );
                }
                _ => {
                    let (colour, dy, height) = match kind {
                        "step" => (STEP_COLOUR, 2.0, BAR),
                        "callback" => (CALLBACK_COLOUR, 2.0, BAR),
                        "busy" => (BUSY_COLOUR, 2.0, BAR),
                        "waiting" => (WAIT_COLOUR, 2.0, BAR),
                        _ => (JOB_COLOUR, 2.0, BAR),
                    };
                    let _ = writeln!(
                        out,
                        "<rect x=\"{}\" y=\"{}\" width=\"22\" height=\"{}\" fill=\"{colour}\"/>",
                        f(x),
                        f(y + dy),
                        f(height)
                    );
                }
            }
            let _ = writeln!(
                out,
                "<text x=\"{}\" y=\"{}\">{}</text>",
                f(x + 28.0),
                f(y + 12.0),
                escape(text)
            );
            x += item_width;
        }
        row + 22.0
    }
}

/// A coordinate with one decimal: the same text on every run and every machine.
pub(crate) fn f(value: f64) -> String {
    let tenths = (value * 10.0).round() as i64;
    let sign = if tenths < 0 { "-" } else { "" };
    let tenths = tenths.abs();
    if tenths % 10 == 0 {
        format!("{sign}{}", tenths / 10)
    } else {
        format!("{sign}{}.{}", tenths / 10, tenths % 10)
    }
}

/// Seconds with three decimals, as the text of traces shows them.
fn secs(nanos: u64) -> String {
    crate::clock::Secs(nanos).to_string()
}

/// Seconds without trailing zeros: `0.5`, `1`, `0.25`.
fn trimmed_secs(nanos: u64) -> String {
    let text = secs(nanos);
    let text = text.trim_end_matches('0');
    text.trim_end_matches('.').to_string()
}

/// A round step for the time labels: about eight of them over `span`.
fn nice_step(span: u64) -> u64 {
    let target = span / 8;
    let mut unit = 1_000_000; // 1 ms
    loop {
        for factor in [1, 2, 5] {
            if unit * factor >= target {
                return unit * factor;
            }
        }
        unit *= 10;
    }
}

/// Escapes text for SVG.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn coordinates_are_written_with_at_most_one_decimal() {
        assert_eq!(f(12.0), "12");
        assert_eq!(f(12.25), "12.3");
        assert_eq!(f(-0.04), "0");
        assert_eq!(f(-1.5), "-1.5");
    }

    #[test]
    fn time_labels_are_round() {
        assert_eq!(nice_step(2_000_000_000), 500_000_000);
        assert_eq!(nice_step(1_200_000_000), 200_000_000);
        assert_eq!(nice_step(0), 1_000_000);
        assert_eq!(trimmed_secs(500_000_000), "0.5");
        assert_eq!(trimmed_secs(2_000_000_000), "2");
        assert_eq!(trimmed_secs(0), "0");
    }

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

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            escape("main::{closure} <a & \"b\">"),
            "main::{closure} &lt;a &amp; &quot;b&quot;&gt;"
        );
    }
}
