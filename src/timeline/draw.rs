//! Drawing a laid-out trace as SVG: lanes, bars, the time axis, the legend.
//!
//! Every number is written with at most one decimal ([`f`]), so that the same layout gives the
//! same bytes on every machine.

use std::fmt::Write as _;

use super::layout::{secs, Bar, Kind, Layout};

/// The widest the lane names' column gets: names longer than this are cut.
pub(super) const MAX_LEFT: f64 = 182.0;
pub(super) const RIGHT: f64 = 70.0;
pub(super) const LANE: f64 = 22.0;
const BAR: f64 = 14.0;
pub(super) const TITLE: f64 = 22.0;
/// The row above the lanes that holds the ticks' numbers.
pub(super) const NUMBERS: f64 = 14.0;
const AXIS: f64 = 30.0;
/// The size of every label, in pixels: the smallest text a reader should have to read.
pub(super) const FONT: f64 = 11.0;
/// The width of a character of the 11 px monospace font, near enough to fit labels in bars.
pub(super) const CHAR: f64 = 6.7;

const STEP_COLOUR: &str = "#3b7dd8";
const CALLBACK_COLOUR: &str = "#9aa3ad";
const BUSY_COLOUR: &str = "#d9534f";
const WAIT_COLOUR: &str = "#b8d0ee";
const JOB_COLOUR: &str = "#4cae4c";
const DUE_COLOUR: &str = "#e08a00";

impl Layout {
    /// Draws the panel with its top at `y`; returns the y below it.
    pub(super) fn draw(
        &self,
        out: &mut String,
        title: &str,
        y: f64,
        left: f64,
        plot_width: f64,
    ) -> f64 {
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
pub(super) struct Legend {
    kinds: Vec<Kind>,
    due: bool,
    done: bool,
}

impl Legend {
    pub(super) fn add(&mut self, layout: &Layout) {
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
    pub(super) fn draw(&self, out: &mut String, y: f64, width: f64) -> f64 {
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
    fn text_is_escaped() {
        assert_eq!(
            escape("main::{closure} <a & \"b\">"),
            "main::{closure} &lt;a &amp; &quot;b&quot;&gt;"
        );
    }
}
