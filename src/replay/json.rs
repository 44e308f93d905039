//! A replay written as JSON, by hand: a few dozen lines do what a serialisation library would,
//! and the crate keeps its dependencies to the loop's own needs.
//!
//! The shape (format `steploop-replay/1`):
//!
//! ```text
//! { "format": "steploop-replay/1", "name": "ch06_say_after",
//!   "picture": {"file": "generated/ch06_say_after.svg", "width": 616, "height": 190,
//!               "top": 26, "bottom": 106, "ticks": [[1, 186], ...]},   (when there is one)
//!   "lines":  [every line of the trace's text],
//!   "output": [every printed line],
//!   "tasks":  [{"name": "Task-1", "coroutine": "main_coro"}, ...],
//!   "steps":  [{"kind": "outside" | "handle" | "empty-tick", "tick": 1, "time": "0.000",
//!               "waited": null | "1.000", "line": 5, "lines": [4, 11],
//!               "ready": [{"label": "Task-1.step", "due": false,
//!                          "turn": "ran" | "running" | "skipped" | "dropped" | "waiting"}],
//!               "running": 0 | null, "later": ["Task-2.step"],
//!               "timers": [{"when": "1.000", "seq": 0, "label": "...", "cancelled": false,
//!                           "set_by": "Task-2.step" | null}],
//!               "tasks": [{"state": "created" | "ready" | "waiting" | "suspended" | "done",
//!                          "on": "Task-2" | null, "outcome": "result" | null,
//!                          "ran": true, "cancelling": false}],
//!               "printed": 1}, ...] }
//! ```
//!
//! Labels are written as the trace names them at its end (a task renamed halfway is under its
//! new name throughout). Times are loop seconds with three decimals, as the trace's text writes them; line numbers
//! count from 0; a picture's coordinates are the SVG's pixels (where each tick begins, and the
//! run's panel from `top` to `bottom`). Text is escaped so that the document can sit inside an HTML `<script>`
//! element as it is.

use std::fmt::Write as _;

use super::{Queued, Replay, Step, StepKind, TaskState, Timer, Turn};
use crate::label::Label;
use crate::trace::Names;
// Coordinates are written as the picture writes them, so that a tick's x is the same text in
// both.
use crate::nanos::Secs;
use crate::timeline::{f as number, TickMarks};

pub(super) fn write(replay: &Replay, name: &str, picture: Option<(&str, &TickMarks)>) -> String {
    let names = &replay.names;
    let label = |l: &Label| label(names, l);
    let mut out = String::new();
    out.push_str("{\"format\": \"steploop-replay/1\",\n");
    let _ = writeln!(out, "\"name\": {},", string(name));
    if let Some((file, marks)) = picture {
        let ticks: Vec<String> = marks
            .ticks
            .iter()
            .map(|(tick, x)| format!("[{tick}, {}]", number(*x)))
            .collect();
        let _ = writeln!(
            out,
            "\"picture\": {{\"file\": {}, \"width\": {}, \"height\": {}, \"top\": {}, \
             \"bottom\": {}, \"ticks\": [{}]}},",
            string(file),
            number(marks.width),
            number(marks.height),
            number(marks.top),
            number(marks.bottom),
            ticks.join(", ")
        );
    }
    list(
        &mut out,
        "lines",
        replay.lines.iter().map(|line| string(line)),
    );
    list(
        &mut out,
        "output",
        replay.output.iter().map(|line| string(line)),
    );
    let tasks = replay.tasks.iter().map(|task| {
        format!(
            "{{\"name\": {}, \"coroutine\": {}}}",
            label(&task.name),
            label(&task.coroutine)
        )
    });
    list(&mut out, "tasks", tasks);
    out.push_str("\"steps\": [");
    for (i, step) in replay.steps.iter().enumerate() {
        out.push_str(if i == 0 { "\n" } else { ",\n" });
        write_step(&mut out, names, step);
    }
    out.push_str("\n]}\n");
    out
}

/// `"key": [` one item a line `],`
fn list(out: &mut String, key: &str, items: impl Iterator<Item = String>) {
    let _ = write!(out, "\"{key}\": [");
    for (i, item) in items.enumerate() {
        out.push_str(if i == 0 { "\n" } else { ",\n" });
        out.push_str(&item);
    }
    out.push_str("\n],\n");
}

fn write_step(out: &mut String, names: &Names, step: &Step) {
    let label = |l: &Label| label(names, l);
    let kind = match step.kind {
        StepKind::Outside => "outside",
        StepKind::Handle => "handle",
        StepKind::EmptyTick => "empty-tick",
    };
    let waited = step
        .waited_from
        .map_or("null".to_string(), |from| string(&secs(step.time - from)));
    let _ = write!(
        out,
        "{{\"kind\": \"{kind}\", \"tick\": {}, \"time\": {}, \"waited\": {waited}, \
         \"line\": {}, \"lines\": [{}, {}], ",
        step.tick,
        string(&secs(step.time)),
        step.line,
        step.first_line,
        step.last_line
    );
    let ready: Vec<String> = step.tick_ready.iter().map(|e| queued(names, e)).collect();
    let running = step.running.map_or("null".to_string(), |i| i.to_string());
    let later: Vec<String> = step.later.iter().map(label).collect();
    let _ = write!(
        out,
        "\"ready\": [{}], \"running\": {running}, \"later\": [{}], ",
        ready.join(", "),
        later.join(", ")
    );
    let timers: Vec<String> = step.timers.iter().map(|t| timer(names, t)).collect();
    let tasks: Vec<String> = step
        .tasks
        .iter()
        .map(|task| {
            let (state, on, outcome) = match &task.state {
                TaskState::Created => ("created", None, None),
                TaskState::Ready => ("ready", None, None),
                TaskState::Waiting(future) => ("waiting", Some(label(future)), None),
                TaskState::Suspended => ("suspended", None, None),
                TaskState::Done(outcome) => ("done", None, Some(string(outcome))),
            };
            format!(
                "{{\"state\": \"{state}\", \"on\": {}, \"outcome\": {}, \"ran\": {}, \
                 \"cancelling\": {}}}",
                on.unwrap_or_else(|| "null".into()),
                outcome.unwrap_or_else(|| "null".into()),
                task.ran,
                task.cancelling
            )
        })
        .collect();
    let _ = write!(
        out,
        "\"timers\": [{}], \"tasks\": [{}], \"printed\": {}}}",
        timers.join(", "),
        tasks.join(", "),
        step.printed
    );
}

fn queued(names: &Names, entry: &Queued) -> String {
    let turn = match entry.turn {
        Turn::Ran => "ran",
        Turn::Running => "running",
        Turn::Skipped => "skipped",
        Turn::Dropped => "dropped",
        Turn::Waiting => "waiting",
    };
    format!(
        "{{\"label\": {}, \"due\": {}, \"turn\": \"{turn}\"}}",
        label(names, &entry.label),
        entry.due
    )
}

fn timer(names: &Names, timer: &Timer) -> String {
    format!(
        "{{\"when\": {}, \"seq\": {}, \"label\": {}, \"cancelled\": {}, \"set_by\": {}}}",
        string(&secs(timer.when)),
        timer.seq,
        label(names, &timer.label),
        timer.cancelled,
        timer
            .set_by
            .as_ref()
            .map_or("null".to_string(), |by| label(names, by))
    )
}

fn secs(nanos: u64) -> String {
    Secs(nanos).to_string()
}

fn label(names: &Names, label: &Label) -> String {
    string(&names.text(label))
}

/// A JSON string. Besides what JSON requires, `<`, `>` and `&` are escaped too, so that no
/// `</script>` can end the element the document is embedded in.
fn string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_for_json_and_for_html() {
        assert_eq!(string("plain"), "\"plain\"");
        assert_eq!(string("a \"b\" \\ c"), r#""a \"b\" \\ c""#);
        assert_eq!(string("x\ny\u{1}"), r#""x\ny\u0001""#);
        assert_eq!(string("</script>"), r#""\u003c/script\u003e""#);
        assert_eq!(string("t → 1 …"), "\"t → 1 …\"");
    }

    #[test]
    fn coordinates_have_one_decimal_at_most() {
        assert_eq!(number(186.0), "186");
        assert_eq!(number(12.25), "12.3");
        assert_eq!(number(-1.5), "-1.5");
    }
}
