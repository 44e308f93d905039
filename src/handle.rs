//! `Handle`: a callback waiting in the loop's ready deque (asyncio's `events.Handle`).
//!
//! asyncio's loop never calls your function directly: `call_soon(cb)` wraps it in a `Handle`
//! and appends the handle to `_ready`; the next tick pops it and calls `handle._run()`. The same
//! handle is returned to you so that you can `cancel()` it before it runs. steploop does the
//! same: one heap allocation holds the callback, its cancelled flag and its label, and both the
//! ready deque and the caller hold a reference-counted pointer to it.
//!
//! A handle is shown by its label: the callback's function name, or one of the caller's
//! choosing through [`Labelled`], which [`EventLoop::with_label`] returns.

use std::cell::Cell;
use std::fmt;
use std::rc::Rc;

use crate::label::Label;
use crate::ready::{Entry, Facade, Runnable};
use crate::scheduler::Scheduler;
use crate::trace::Event;
use crate::EventLoop;

/// The callbacks the loop runs: a closure or function that receives the loop running it, so
/// that it can schedule more work without capturing a clone of the loop.
///
/// A callback's label in traces is its function's name (`hello`), or `main::{closure}` for a
/// closure; [`EventLoop::with_label`] chooses another (`count(2)`), as asyncio's `Handle` repr
/// shows the function and its arguments.
pub trait Callback: FnOnce(&EventLoop) + 'static {}

impl<F: FnOnce(&EventLoop) + 'static> Callback for F {}

// ANCHOR: handle_cell
/// One allocation per callback: the flags, the label and the closure itself.
struct HandleCell<F> {
    cancelled: Cell<bool>,
    label: Label,
    callback: Cell<Option<F>>,
}
// ANCHOR_END: handle_cell

/// The state a handle shares between the ready deque, which holds it as an [`Entry`], and its
/// owner.
impl<F: FnOnce(&EventLoop) + 'static> Entry for HandleCell<F> {
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

    fn run(&self, event_loop: &Facade) {
        if let Some(callback) = self.callback.take() {
            callback(as_event_loop(event_loop));
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
    raw: Rc<dyn Entry>,
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

    /// How a handle is shown in reports: `<Handle hello>`, `<Handle hello cancelled>`.
    pub(crate) fn describe(entry: &dyn Entry) -> String {
        let state = if entry.is_cancelled() {
            " cancelled"
        } else {
            ""
        };
        format!("<Handle {}{state}>", entry.label())
    }
}

/// The loop, as an entry of the ready deque received it (see `ready.rs`'s notes).
#[inline(always)]
pub(crate) fn as_event_loop(event_loop: &Facade) -> &EventLoop {
    event_loop
        .downcast_ref::<EventLoop>()
        .expect("the ready deque's runner passes the EventLoop")
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&Handle::describe(&*self.raw))
    }
}

impl EventLoop {
    /// `call_soon` with a label of the caller's choosing: the handle goes on the ready deque.
    ///
    /// # Panics
    /// If the loop is closed.
    pub(crate) fn call_soon_labelled(&self, label: Label, callback: impl Callback) -> Handle {
        Handle::schedule(self.scheduler(), label, callback)
    }
}

impl Handle {
    /// `call_soon` on the loop whose scheduling part is `scheduler`: for the parts of the loop
    /// that schedule callbacks without going through the facade (the reactor's readers).
    ///
    /// # Panics
    /// If the loop is closed.
    #[inline]
    pub(crate) fn schedule(scheduler: &Scheduler, label: Label, callback: impl Callback) -> Handle {
        scheduler.check_open("call_soon");
        let handle = Handle::new(label, callback);
        scheduler.record(|| Event::CallSoon(handle.label().clone()));
        // Cloned before the push, not inside it: measured, a `call_soon` costs a fifth less so.
        let entry = handle.raw.clone();
        scheduler.ready.push(|| Runnable::Callback(entry));
        handle
    }
}

/// A label waiting for the callback it names; made by [`EventLoop::with_label`].
///
/// # Examples
/// ```
/// use steploop::EventLoop;
/// let lp = EventLoop::new();
/// let n = 2;
/// let handle = lp.with_label(format!("count({n})")).call_soon(move |_| println!("{n}"));
/// assert_eq!(handle.label().to_string(), "count(2)");
/// ```
///
/// # Implementation notes
/// Its timer methods, `call_later` and `call_at`, are with the timers (`timers.rs`).
#[derive(Debug)]
pub struct Labelled<'a> {
    pub(crate) event_loop: &'a EventLoop,
    pub(crate) label: Label,
}

impl Labelled<'_> {
    pub(crate) fn new(event_loop: &EventLoop, label: Label) -> Labelled<'_> {
        Labelled { event_loop, label }
    }

    /// [`EventLoop::call_soon`] under this label.
    pub fn call_soon(self, callback: impl Callback) -> Handle {
        self.event_loop.call_soon_labelled(self.label, callback)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
