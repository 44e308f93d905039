//! The name table: what a trace's labels are called at each point of the trace.
//!
//! Events name a task by its number; its name comes from here. Whoever renders a trace (its
//! text, the timeline, the replay) reads the events in order and hands each to
//! [`Names::learn`], so that a task renamed halfway through the run is `Task-2` before its
//! [`Event::Rename`] and its new name after it, as the loop itself would have shown it.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use super::Event;
use crate::label::{step_name, Label};

/// The names of a trace's tasks, as far as the trace has been read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Names {
    /// Tasks renamed so far, by number; any other task is `Task-N`.
    renamed: BTreeMap<u64, Cow<'static, str>>,
}

impl Names {
    /// Takes in what `event` says about names.
    pub(crate) fn learn(&mut self, event: &Event) {
        if let Event::Rename { task, name } = event {
            if let Some(number) = task.task_number() {
                self.renamed.insert(number, name.clone());
            }
        }
    }

    /// `label` as the trace shows it at this point: a task (or its step) under its name.
    pub(crate) fn show<'a>(&'a self, label: &'a Label) -> Shown<'a> {
        Shown { names: self, label }
    }

    /// `label` shown, as a string.
    pub(crate) fn text(&self, label: &Label) -> String {
        self.show(label).to_string()
    }
}

/// A label shown under the names of a [`Names`]; see [`Names::show`].
pub(crate) struct Shown<'a> {
    names: &'a Names,
    label: &'a Label,
}

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let renamed = |task| self.names.renamed.get(&task);
        if let Some((task, wakeup)) = self.label.step_of() {
            return match renamed(task) {
                Some(name) => write!(f, "{name}.{}", step_name(wakeup)),
                None => write!(f, "Task-{task}.{}", step_name(wakeup)),
            };
        }
        // A task the trace did not see renamed keeps the name its label carries: it may have
        // been renamed before the recording began.
        match self.label.task_number().and_then(renamed) {
            Some(name) => f.write_str(name),
            None => fmt::Display::fmt(self.label, f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_task_is_shown_by_the_name_the_trace_gave_it_last() {
        let mut names = Names::default();
        let (task, step) = (Label::task(2), Label::step(2, false));
        assert_eq!(names.text(&task), "Task-2");
        assert_eq!(names.text(&step), "Task-2.step");
        names.learn(&Event::Rename {
            task: task.clone(),
            name: "worker".into(),
        });
        assert_eq!(names.text(&task), "worker");
        assert_eq!(names.text(&Label::step(2, true)), "worker.wakeup");
        assert_eq!(names.text(&Label::step(3, true)), "Task-3.wakeup");
        assert_eq!(names.text(&Label::new("hello")), "hello");
    }
}
