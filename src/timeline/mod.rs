//! Timelines: a [`Trace`] drawn as a picture (SVG), one lane per actor.
//!
//! The text of a trace says exactly what happened, line by line; a timeline shows it at a
//! glance. It has a lane for the loop itself (its ticks, and each handle it ran), one lane per
//! task (when it ran, when it waited and on what, when it was done), and one lane per worker
//! thread that a trace names in [`Event::Job`](crate::trace::Event::Job) events (which job it
//! ran, from when to when).
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
//! # Implementation notes
//! Two steps: `layout` reads the events onto the x axis (it knows tasks by their numbers, as
//! the events name them, and looks their names up as it goes); `draw` writes the SVG.
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

mod draw;
mod layout;

use std::fmt::Write as _;

use crate::trace::Trace;
pub(crate) use draw::f;
use draw::{Legend, CHAR, FONT, LANE, MAX_LEFT, NUMBERS, RIGHT, TITLE};
use layout::{Layout, MIN_SLOT, SLOT};

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
