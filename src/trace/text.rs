//! A trace as text: one line per event, at three levels of indentation.

use std::fmt::{self, Write as _};

use super::{Event, Names, Trace};
use crate::label::Label;
use crate::nanos::Secs;

fn list(names: &Names, labels: &[Label]) -> String {
    let mut out = String::from("[");
    for (i, label) in labels.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "{}", names.show(label));
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
        let mut names = Names::default();
        for (index, (heading, event)) in self.headed().enumerate() {
            if heading {
                lines.push((None, OUTSIDE.to_string()));
            }
            text.clear();
            let _ = write_event(&mut text, &names, event);
            names.learn(event);
            // One line per event, unless a printed line itself holds line breaks.
            lines.extend(text.lines().map(|line| (Some(index), line.to_string())));
        }
        lines
    }
}

const OUTSIDE: &str = "outside the loop";

impl fmt::Display for Trace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names = Names::default();
        for (heading, event) in self.headed() {
            if heading {
                writeln!(f, "{OUTSIDE}")?;
            }
            write_event(f, &names, event)?;
            names.learn(event);
        }
        Ok(())
    }
}

/// Writes the line (or, for a multi-line print, the lines) that shows one event, with the
/// names the trace has given its tasks so far.
fn write_event(f: &mut dyn fmt::Write, names: &Names, event: &Event) -> fmt::Result {
    match event {
        Event::Tick {
            tick,
            time,
            due,
            ready,
        } => {
            write!(
                f,
                "tick {tick}  t={}  ready: {}",
                Secs(*time),
                list(names, ready)
            )?;
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
            writeln!(
                f,
                "… drop cancelled timer {} from the heap",
                names.show(label)
            )
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
        Event::Run(label) => writeln!(f, "  {}", names.show(label)),
        Event::SkipCancelled(label) => writeln!(f, "  {}  (cancelled: skipped)", names.show(label)),
        Event::CallSoon(label) => writeln!(f, "    call_soon {}", names.show(label)),
        Event::CallLater {
            label, delay, when, ..
        } => writeln!(
            f,
            "    call_later {} s → {} at t={}",
            Secs(*delay),
            names.show(label),
            Secs(*when)
        ),
        Event::CallAt { label, when, .. } => {
            writeln!(f, "    call_at t={} → {}", Secs(*when), names.show(label))
        }
        Event::CancelTimer { label, when, .. } => writeln!(
            f,
            "    cancel timer {} (was due at t={})",
            names.show(label),
            Secs(*when)
        ),
        Event::Print(line) => writeln!(f, "    print \"{line}\""),
        Event::Panicked { label, message } => writeln!(
            f,
            "    panicked in {}: \"{message}\" (reported to the exception handler)",
            names.show(label)
        ),
        Event::Stop => writeln!(f, "    stop"),
        Event::CreateTask { task, coroutine } => {
            writeln!(f, "    create {} {coroutine}", names.show(task))
        }
        Event::Await { task, future } => {
            let (task, future) = (names.show(task), names.show(future));
            writeln!(
                f,
                "    {task} awaits {future} → {future}.add_done_callback({task}.wakeup)"
            )
        }
        Event::FutureDone { future, outcome } => {
            writeln!(f, "    {} done: {outcome}", names.show(future))
        }
        Event::Cancel(task) => writeln!(f, "    cancel {}", names.show(task)),
        Event::Rename { task, name } => {
            writeln!(f, "    {}.set_name(\"{name}\")", names.show(task))
        }
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
            "    {} ran on {} from t={} to t={}",
            names.show(job),
            names.show(worker),
            Secs(*started),
            Secs(*finished)
        ),
        Event::Received(label) => writeln!(f, "… from another thread: {}", names.show(label)),
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
    fn a_task_is_shown_by_its_name_as_of_each_line() {
        let task = Label::task(2);
        let trace: Trace = [
            Event::Run(Label::step(2, false)),
            Event::Rename {
                task: task.clone(),
                name: "worker".into(),
            },
            Event::FutureDone {
                future: task,
                outcome: "result",
            },
        ]
        .into_iter()
        .collect();
        assert_eq!(
            trace.to_string(),
            "  Task-2.step\n    Task-2.set_name(\"worker\")\n    worker done: result\n"
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
