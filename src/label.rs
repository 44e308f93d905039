//! `Label`: how a handle, a timer, a task or a future is named in traces and reports.
//!
//! A label is never an address, so traces read the same on every run. Most labels are cheap
//! to make and formatted only when shown: a callback's type name is shortened, `Task-3` is a
//! number until displayed. A loop with tracing off makes labels only for what it reports.

use std::borrow::Cow;
use std::fmt;
use std::panic::Location;

use crate::clock::{to_nanos, Secs};

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

    /// `Future-N`.
    pub(crate) fn future(number: u64) -> Label {
        Label(LabelText::Future(number))
    }

    /// `sleep(1.000)`.
    pub(crate) fn sleep(delay: std::time::Duration) -> Label {
        Label(LabelText::Sleep(to_nanos(delay)))
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
