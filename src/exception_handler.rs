//! The loop's exception handler: where errors that no caller can receive are reported.
//!
//! A panic inside a callback has nobody to propagate to: the caller of `call_soon` is long gone.
//! asyncio catches such exceptions and calls `loop.call_exception_handler(context)`, whose
//! default logs the context. steploop does the same, through the `log` crate, so the loop keeps
//! running and nothing is lost silently.

use std::fmt;
use std::panic::Location;

use crate::Error;

// ANCHOR: context
/// What happened, for the exception handler (asyncio's `context` dict).
///
/// asyncio's context is a dict with keys such as `message`, `exception`, `handle`, `future` and
/// `task`; here they are fields, `None` when they do not apply.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct ExceptionContext {
    /// What went wrong, in a sentence: "Exception in callback greet".
    pub message: String,
    /// The error, when there is one.
    pub exception: Option<Error>,
    /// The future concerned, by its label.
    pub future: Option<String>,
    /// The handle whose callback failed, as `<Handle label>`.
    pub handle: Option<String>,
    /// Where the future or task concerned was created: `created at src/main.rs:12:18`, known
    /// in debug mode (asyncio's `source_traceback`).
    pub source_traceback: Option<String>,
    /// The task concerned, by its name.
    pub task: Option<String>,
}
// ANCHOR_END: context

impl ExceptionContext {
    /// A context with only a message.
    pub fn new(message: impl Into<String>) -> ExceptionContext {
        ExceptionContext {
            message: message.into(),
            ..ExceptionContext::default()
        }
    }

    /// Adds the error.
    pub fn with_exception(mut self, exception: Error) -> ExceptionContext {
        self.exception = Some(exception);
        self
    }

    /// Adds the handle description.
    pub fn with_handle(mut self, handle: impl Into<String>) -> ExceptionContext {
        self.handle = Some(handle.into());
        self
    }

    /// Adds the future's label.
    pub fn with_future(mut self, future: impl Into<String>) -> ExceptionContext {
        self.future = Some(future.into());
        self
    }

    /// Adds where the object concerned was created.
    pub fn with_source_traceback(mut self, location: &Location<'_>) -> ExceptionContext {
        self.source_traceback = Some(format!("created at {location}"));
        self
    }

    /// Adds the task's name.
    pub fn with_task(mut self, task: impl Into<String>) -> ExceptionContext {
        self.task = Some(task.into());
        self
    }
}

/// Renders as asyncio's default handler logs it: the message first, then the other keys in
/// sorted order, one per line.
impl fmt::Display for ExceptionContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(exception) = &self.exception {
            write!(f, "\nexception: {exception}")?;
        }
        if let Some(future) = &self.future {
            write!(f, "\nfuture: {future}")?;
        }
        if let Some(handle) = &self.handle {
            write!(f, "\nhandle: {handle}")?;
        }
        if let Some(source_traceback) = &self.source_traceback {
            write!(f, "\nsource_traceback: {source_traceback}")?;
        }
        if let Some(task) = &self.task {
            write!(f, "\ntask: {task}")?;
        }
        Ok(())
    }
}

/// The handler used when none is set (`loop.default_exception_handler`): logs the context at
/// error level through the `log` crate.
///
/// # Examples
/// A handler that counts reports and still logs them as usual:
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use steploop::{default_exception_handler, EventLoop};
///
/// let lp = EventLoop::new();
/// let reports = Rc::new(Cell::new(0));
/// let count = reports.clone();
/// lp.set_exception_handler(move |_, context| {
///     count.set(count.get() + 1);
///     default_exception_handler(context); // or lp.default_exception_handler(context)
/// });
/// lp.call_soon(|_| panic!("boom"));
/// lp.run_once().unwrap();
/// assert_eq!(reports.get(), 1);
/// ```
pub fn default_exception_handler(context: &ExceptionContext) {
    log::error!("{context}");
}
