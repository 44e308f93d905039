//! `Handle`: a callback waiting in the loop's ready deque (asyncio's `events.Handle`).
//!
//! asyncio's loop never calls your function directly: `call_soon(cb)` wraps it in a `Handle`
//! and appends the handle to `_ready`; the next tick pops it and calls `handle._run()`. The same
//! handle is returned to you so that you can `cancel()` it before it runs. steploop does the
//! same: one heap allocation holds the callback, its cancelled flag and its label, and both the
//! ready deque and the caller hold a reference-counted pointer to it.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;
use std::panic::Location;
use std::rc::Rc;

use crate::EventLoop;

/// The callbacks the loop runs: a closure or function that receives the loop running it, so
/// that it can schedule more work without capturing a clone of the loop.
///
/// A callback's label in traces is its function's name (`hello`), or `main::{closure}` for a
/// closure; [`EventLoop::with_label`] chooses another (`count(2)`), as asyncio's `Handle` repr
/// shows the function and its arguments.
pub trait Callback: FnOnce(&EventLoop) + 'static {}

impl<F: FnOnce(&EventLoop) + 'static> Callback for F {}

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
        Label(LabelText::Sleep(crate::clock::to_nanos(delay)))
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
            LabelText::Sleep(nanos) => write!(f, "sleep({})", crate::trace::Secs(*nanos)),
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

/// The state a handle shares between the ready deque and its owner.
pub(crate) trait RawHandle {
    fn label(&self) -> &Label;
    fn is_cancelled(&self) -> bool;
    /// Marks the handle cancelled and drops its callback (releasing whatever the closure
    /// captured, as asyncio sets `_callback = None`).
    fn cancel(&self);
    /// Runs the callback, unless it was cancelled or has already run.
    fn run(&self, event_loop: &EventLoop);
}

// ANCHOR: handle_cell
/// One allocation per callback: the flags, the label and the closure itself.
struct HandleCell<F> {
    cancelled: Cell<bool>,
    label: Label,
    callback: Cell<Option<F>>,
}
// ANCHOR_END: handle_cell

impl<F: FnOnce(&EventLoop) + 'static> RawHandle for HandleCell<F> {
    fn label(&self) -> &Label {
        &self.label
    }

    fn is_cancelled(&self) -> bool {
        self.cancelled.get()
    }

    // ANCHOR: cancel_and_run
    fn cancel(&self) {
        if !self.cancelled.replace(true) {
            drop(self.callback.take());
        }
    }

    fn run(&self, event_loop: &EventLoop) {
        if let Some(callback) = self.callback.take() {
            callback(event_loop);
        }
    }
    // ANCHOR_END: cancel_and_run
}

/// A scheduled callback: what `call_soon` returns and what the ready deque holds
/// (asyncio's `asyncio.Handle`).
///
/// # Notes
/// Cancelling a handle that has already run, or cancelling twice, does nothing. A cancelled
/// handle stays in the deque until its tick comes and is skipped then, as in asyncio.
///
/// # Implementation notes
/// A `Handle` is an `Rc` of one heap block holding the callback, so `call_soon` costs one
/// allocation and the handle you get back costs a reference-count increment. `Handle` is
/// neither `Send` nor `Sync`: handles belong to the loop's thread.
///
/// # Examples
/// ```
/// use steploop::EventLoop;
/// let lp = EventLoop::new();
/// let handle = lp.call_soon(|_| unreachable!("cancelled before it could run"));
/// handle.cancel();
/// assert!(handle.cancelled());
/// lp.run_once().unwrap();
/// ```
#[derive(Clone)]
pub struct Handle {
    raw: Rc<dyn RawHandle>,
}

impl Handle {
    pub(crate) fn new(label: Label, function: impl Callback) -> Handle {
        Handle {
            raw: Rc::new(HandleCell {
                cancelled: Cell::new(false),
                label,
                callback: Cell::new(Some(function)),
            }),
        }
    }

    /// Cancels the callback: it will not run (`Handle.cancel()`).
    pub fn cancel(&self) {
        self.raw.cancel();
    }

    /// True once `cancel` was called (`Handle.cancelled()`).
    pub fn cancelled(&self) -> bool {
        self.raw.is_cancelled()
    }

    /// The label shown for this handle in traces and error reports.
    pub fn label(&self) -> &Label {
        self.raw.label()
    }

    pub(crate) fn run(&self, event_loop: &EventLoop) {
        self.raw.run(event_loop);
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.cancelled() { " cancelled" } else { "" };
        write!(f, "<Handle {}{state}>", self.label())
    }
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

    fn hello(_: &EventLoop) {}

    #[test]
    fn a_function_is_labelled_by_its_name() {
        let lp = EventLoop::new();
        assert_eq!(lp.call_soon(hello).label().to_string(), "hello");
        // A function pointer has no name: it is shown by its type, never by a piece of it.
        let pointer = hello as fn(&EventLoop);
        assert_eq!(lp.call_soon(pointer).label().to_string(), "fn(&EventLoop)");
        let timer = lp.call_later(std::time::Duration::from_secs(1), pointer);
        assert_eq!(timer.label().to_string(), "fn(&EventLoop)");
        let closure = lp.call_soon(|_| {});
        assert_eq!(
            closure.label().to_string(),
            "a_function_is_labelled_by_its_name::{closure}"
        );
    }
}
