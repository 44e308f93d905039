//! `Label`: how a handle, a timer, a task or a future is named in traces and reports.
//!
//! A label is never an address, so traces read the same on every run. Most labels are cheap
//! to make and formatted only when shown: a callback's type name is shortened, `Task-3` is a
//! number until displayed. A loop with tracing off makes labels only for what it reports.
//!
//! A task is named by its number wherever a trace mentions it (`Task-3`, its step
//! `Task-3.step`), so that a reader of the trace, such as the timeline, knows the task by its
//! number without parsing text; its name (`Task-3`, or what `set_name` gave it) is looked up
//! when the trace is rendered ([`trace`](crate::trace)'s name table).

use std::borrow::Cow;
use std::fmt;
use std::panic::Location;

use crate::nanos::{to_nanos, Secs};

/// The name a handle carries into traces: never an address, so traces are deterministic.
#[derive(Clone, PartialEq, Eq)]
pub struct Label(LabelText);

#[derive(Clone, PartialEq, Eq)]
enum LabelText {
    /// `std::any::type_name` of the callback, shortened only when displayed: shortening is
    /// string work that a loop with tracing off should not pay for on every `call_soon`.
    TypeName(&'static str),
    /// The type name of a coroutine, shown as its function's name: `say_after`.
    Coroutine(&'static str),
    /// `Task-N`, formatted only when displayed.
    Task(u64),
    /// A task renamed with `set_name`: its number, which traces know it by, and its name.
    Renamed(Box<(u64, Cow<'static, str>)>),
    /// The step (or wakeup) of task number `task` on the ready deque: `Task-N.step`.
    Step {
        task: u64,
        wakeup: bool,
    },
    /// `Future-N`, formatted only when displayed.
    Future(u64),
    /// `sleep(1.000)`, the future of a sleep.
    Sleep(u64),
    Given(Cow<'static, str>),
    /// A label and the line that created its future or task, in debug mode only: kept here,
    /// boxed, so that futures and tasks need no field of their own for it.
    Located(Box<(Label, &'static Location<'static>)>),
}

impl Label {
    /// A label given as text.
    pub fn new(text: impl Into<Cow<'static, str>>) -> Label {
        Label(LabelText::Given(text.into()))
    }

    /// A label in static memory, for a `static` item.
    pub(crate) const fn fixed(text: &'static str) -> Label {
        Label(LabelText::Given(Cow::Borrowed(text)))
    }

    /// The default label of a callback of type `F`: its function's name.
    pub(crate) fn of_type<F>() -> Label {
        Label(LabelText::TypeName(std::any::type_name::<F>()))
    }

    /// The label of a coroutine, from its type's name (`std::any::type_name`): the `async fn`
    /// (or the function holding the `async` block) it comes from.
    pub(crate) fn coroutine(type_name: &'static str) -> Label {
        Label(LabelText::Coroutine(type_name))
    }

    /// `Task-N`.
    pub(crate) fn task(number: u64) -> Label {
        Label(LabelText::Task(number))
    }

    /// Task number `number` renamed `name` (`Task.set_name()`).
    pub(crate) fn renamed(number: u64, name: Cow<'static, str>) -> Label {
        Label(LabelText::Renamed(Box::new((number, name))))
    }

    /// The step of task number `task` (`Task-N.step`), or its wakeup (`Task-N.wakeup`).
    pub(crate) fn step(task: u64, wakeup: bool) -> Label {
        Label(LabelText::Step { task, wakeup })
    }

    /// The number of the task this label names, if it names a task.
    pub(crate) fn task_number(&self) -> Option<u64> {
        match &self.0 {
            LabelText::Task(number) => Some(*number),
            LabelText::Renamed(renamed) => Some(renamed.0),
            LabelText::Located(located) => located.0.task_number(),
            _ => None,
        }
    }

    /// The task whose step (or wakeup, when the flag is set) this label names, if it does.
    pub(crate) fn step_of(&self) -> Option<(u64, bool)> {
        match self.0 {
            LabelText::Step { task, wakeup } => Some((task, wakeup)),
            _ => None,
        }
    }

    /// `Future-N`.
    pub(crate) fn future(number: u64) -> Label {
        Label(LabelText::Future(number))
    }

    /// `sleep(1.000)`.
    pub(crate) fn sleep(delay: std::time::Duration) -> Label {
        Label(LabelText::Sleep(to_nanos(delay)))
    }

    /// `sleep(delay)`, the delay in nanoseconds.
    pub(crate) fn sleep_nanos(delay: u64) -> Label {
        Label(LabelText::Sleep(delay))
    }

    /// The same label, noting where its future or task was created (debug mode).
    pub(crate) fn located(self, at: &'static Location<'static>) -> Label {
        let label = match self.0 {
            LabelText::Located(located) => located.0,
            text => Label(text),
        };
        Label(LabelText::Located(Box::new((label, at))))
    }

    /// Where the labelled future or task was created, if noted.
    pub(crate) fn created_at(&self) -> Option<&'static Location<'static>> {
        match &self.0 {
            LabelText::Located(located) => Some(located.1),
            _ => None,
        }
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            LabelText::Given(text) => f.write_str(text),
            LabelText::TypeName(name) => f.write_str(&short_type_name(name)),
            LabelText::Coroutine(name) => {
                let short = short_type_name(name);
                f.write_str(short.strip_suffix("::{closure}").unwrap_or(&short))
            }
            LabelText::Task(number) => write!(f, "Task-{number}"),
            LabelText::Renamed(renamed) => f.write_str(&renamed.1),
            LabelText::Step { task, wakeup } => write!(f, "Task-{task}.{}", step_name(*wakeup)),
            LabelText::Future(number) => write!(f, "Future-{number}"),
            LabelText::Sleep(nanos) => write!(f, "sleep({})", Secs(*nanos)),
            LabelText::Located(located) => fmt::Display::fmt(&located.0, f),
        }
    }
}

impl fmt::Debug for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// What a task's step is called on the ready deque: `step` for its first, `wakeup` for one a
/// done-callback (or a waker) scheduled.
pub(crate) fn step_name(wakeup: bool) -> &'static str {
    if wakeup {
        "wakeup"
    } else {
        "step"
    }
}

/// `my_crate::hello` → `hello`; `my_crate::main::{{closure}}` → `main::{closure}`; a type that
/// is not a path, such as a function pointer, keeps its shape with each path in it shortened:
/// `fn(&steploop::EventLoop)` → `fn(&EventLoop)`.
fn short_type_name(name: &str) -> String {
    if !name.starts_with(|c: char| c.is_alphabetic() || c == '_')
        || ["fn(", "unsafe ", "extern ", "dyn "]
            .iter()
            .any(|start| name.starts_with(start))
    {
        return shorten_paths(name);
    }
    // Generic arguments may contain `::` too; cut them off before splitting the path.
    let path = name.split('<').next().unwrap_or(name);
    let segments: Vec<&str> = path.split("::").collect();
    let closures = segments
        .iter()
        .rev()
        .take_while(|s| **s == "{{closure}}")
        .count();
    let function = segments
        .len()
        .checked_sub(closures + 1)
        .map_or(path, |i| segments[i]);
    if closures == 0 {
        function.to_string()
    } else {
        format!("{function}::{{closure}}")
    }
}

/// Every path in `name` shortened to its last segment, and lifetimes left out:
/// `fn(&'_ a::b::C)` → `fn(&C)`.
fn shorten_paths(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut word = String::new();
    for c in name.chars().chain(Some('\0')) {
        if c.is_alphanumeric() || matches!(c, '_' | ':' | '\'') {
            word.push(c);
            continue;
        }
        let lifetime = word.starts_with('\'');
        if !lifetime {
            out.push_str(word.rsplit("::").next().unwrap_or_default());
        }
        word.clear();
        // The end, or the space after a lifetime.
        if c != '\0' && !(lifetime && c == ' ') {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tasks_are_known_by_their_numbers() {
        let renamed = Label::renamed(2, "worker".into());
        assert_eq!(renamed.to_string(), "worker");
        assert_eq!(renamed.task_number(), Some(2));
        assert_eq!(Label::task(3).task_number(), Some(3));
        assert_eq!(Label::future(3).task_number(), None);
        let step = Label::step(2, true);
        assert_eq!(
            (step.to_string(), step.step_of()),
            ("Task-2.wakeup".into(), Some((2, true)))
        );
        // A handle carries a label: the task's labels must not make it any bigger than the
        // text it may hold.
        assert_eq!(
            std::mem::size_of::<Label>(),
            std::mem::size_of::<Cow<'static, str>>()
        );
    }

    #[test]
    fn type_names_are_shortened_for_readers() {
        assert_eq!(short_type_name("ch03::hello"), "hello");
        assert_eq!(
            short_type_name("ch03::main::{{closure}}"),
            "main::{closure}"
        );
        assert_eq!(
            short_type_name("ch03::main::{{closure}}::{{closure}}"),
            "main::{closure}"
        );
        assert_eq!(short_type_name("a::step<b::C>"), "step");
        assert_eq!(short_type_name("hello"), "hello");
        assert_eq!(
            short_type_name("fn(&steploop::event_loop::EventLoop)"),
            "fn(&EventLoop)"
        );
        assert_eq!(short_type_name("&a::B"), "&B");
        assert_eq!(short_type_name("fn(&'_ a::Loop)"), "fn(&Loop)");
    }
}
