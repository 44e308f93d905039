//! Errors: the Rust side of asyncio's exceptions.
//!
//! asyncio signals failure by raising: `CancelledError`, `TimeoutError`, `InvalidStateError`,
//! `RuntimeError('Event loop is closed')`, or whatever a coroutine raised. steploop returns
//! `Result<T, Error>` instead, and `?` plays the part of letting an exception propagate.
//!
//! `Error` is `Clone` (its payloads sit behind `Arc`) because one outcome may be handed to many
//! receivers: every task awaiting the same future gets its own copy of the exception, as in
//! asyncio. It is `Send + Sync` so that outcomes can cross from worker threads to the loop.
//!
//! # No running loop
//! One rule for every function that needs a running loop on its thread and finds none: it
//! returns [`Error::Runtime`] with asyncio's `RuntimeError: no running event loop`, naming
//! itself and saying where to call it from; none panics. It does so when asyncio raises:
//! - a plain function, which starts its work when called, at the call: [`gather`](crate::gather),
//!   [`gather_return_exceptions`](crate::gather_return_exceptions), [`shield`](crate::shield),
//!   [`as_completed`](crate::as_completed), [`ensure_future`](crate::ensure_future),
//!   [`wrap_future`](crate::wrap_future), [`net::TcpListener::bind`](crate::net::TcpListener::bind);
//! - an `async fn` or a future (asyncio's `async def` and `async with`), when first polled:
//!   [`sleep`](crate::sleep), [`wait`](crate::wait), [`wait_for`](crate::wait_for),
//!   [`timeout`](crate::timeout), [`task_group`](crate::task_group),
//!   [`net::TcpStream::connect`](crate::net::TcpStream::connect).
//!
//! The methods of [`EventLoop`](crate::EventLoop) need no running loop: they are given one.
//!
//! # What panics, and what returns `Err`
//! One rule, for every function of the crate. What asyncio raises for a *permanent* misuse —
//! one that no later moment could make right, so that only a change to the program can — is a
//! programmer's error: steploop panics, with a message that says what to change, and the
//! function's documentation says when under `# Panics`:
//! - using a closed loop from its own thread: scheduling on it (`call_soon`, `call_later`,
//!   `call_at`, `create_task`, `add_reader`, `add_writer`, `wrap_future`, ...) or running it
//!   (`run_forever`, `run_once`, `run_until_complete`, [`run_with`](crate::run_with)) —
//!   asyncio's `RuntimeError('Event loop is closed')`;
//! - a pool of no workers (`ThreadPoolExecutor::new(0)`, `ProcessPoolExecutor::new(0)`),
//!   checked when the pool is made — asyncio's `ValueError`.
//!
//! Everything else returns `Err`: what awaited work ends with (`Cancelled`, `Timeout`, a job's
//! or a task's error, `Panicked`); what the machine refuses (`Io`, `BrokenProcessPool`); a loop
//! that could never finish (`Stalled`); and states that pass, which a program can meet and
//! handle: a loop already running on this thread (`AlreadyRunning`), closing a running loop
//! (`Runtime`), a future not done yet (`InvalidState`), and a loop that another thread closed
//! meanwhile, which that thread cannot know in advance (a [`LoopHandle`](crate::LoopHandle)
//! gets `Closed`). A panic inside user code — a callback, a task, a job — is never the
//! crate's: it is contained and reported (`Panicked`, or the exception handler).

use std::fmt;
use std::sync::Arc;

/// What went wrong. Each variant names the asyncio exception it stands for.
#[derive(Clone)]
#[non_exhaustive]
pub enum Error {
    /// `asyncio.CancelledError`: the future or task was cancelled, with the optional message
    /// given to `cancel`.
    Cancelled(Option<Arc<str>>),
    /// `TimeoutError`: a deadline passed before the awaited thing finished.
    Timeout,
    /// `asyncio.InvalidStateError`: an operation that the object's state does not allow, such
    /// as setting the result of a future twice. The text says what to do instead.
    InvalidState(Arc<str>),
    /// `RuntimeError('Event loop is closed')`: the loop was closed, as another thread or a
    /// future of the loop finds out. On the loop's own thread, using a closed loop panics
    /// instead (see [the rule](crate::Error#what-panics-and-what-returns-err)).
    Closed,
    /// `RuntimeError('This event loop is already running')`: a nested `run_*` call.
    AlreadyRunning,
    /// `RuntimeError(message)`: the loop cannot do this in its current state, for instance
    /// closing a loop that is running. The message says what to do instead.
    Runtime(Arc<str>),
    /// The loop was asked to run until something happens, but nothing is left that could make
    /// it happen: no ready callbacks, no timers, no I/O, no work from other threads. asyncio
    /// would block forever here; steploop reports it.
    Stalled(Arc<str>),
    /// `RuntimeError('cannot schedule new futures after shutdown')`: work was submitted to an
    /// executor that has been shut down.
    ExecutorShutdown,
    /// `concurrent.futures.process.BrokenProcessPool`: a worker process of a
    /// [`ProcessPoolExecutor`](crate::process::ProcessPoolExecutor) died (it aborted, exited or
    /// was killed by a signal) or broke the protocol. Its job, every job waiting in the pool,
    /// and every later `submit` fail with this error; the message says which process and how.
    BrokenProcessPool(Arc<str>),
    /// A callback, task or job panicked; the payload is the panic message.
    Panicked(Arc<str>),
    /// `ExceptionGroup(message, errors)`: several errors reported at once, as a
    /// [`task_group`](crate::task_group) reports every task that failed. The errors keep
    /// their order; a member may be a group itself (a group nested in a group).
    Group(Arc<ErrorGroup>),
    /// An operating-system error, as `OSError`.
    Io(Arc<std::io::Error>),
    /// Any other error raised by user code: `set_exception(ValueError(...))`.
    Other(Arc<dyn std::error::Error + Send + Sync>),
}

impl Error {
    /// An error carrying a plain message, like raising `Exception("message")`.
    pub fn msg(message: impl Into<String>) -> Error {
        Error::Other(Arc::new(Message(message.into())))
    }

    /// Wraps any error type, like raising a user-defined exception.
    pub fn new(error: impl std::error::Error + Send + Sync + 'static) -> Error {
        Error::Other(Arc::new(error))
    }

    /// True for `Error::Cancelled`, whatever its message.
    pub fn is_cancelled(&self) -> bool {
        matches!(self, Error::Cancelled(_))
    }

    /// The errors of an [`Error::Group`] (`ExceptionGroup.exceptions`); `None` for any
    /// other error.
    pub fn exceptions(&self) -> Option<&[Error]> {
        match self {
            Error::Group(group) => Some(group.errors()),
            _ => None,
        }
    }

    /// An [`Error::Group`] of `errors`.
    pub(crate) fn group(message: &str, errors: Vec<Error>) -> Error {
        Error::Group(Arc::new(ErrorGroup {
            message: message.into(),
            errors,
        }))
    }

    /// Turns the payload of a caught panic into `Error::Panicked` with its message.
    pub(crate) fn from_panic(payload: Box<dyn std::any::Any + Send>) -> Error {
        Error::Panicked(panic_message(&*payload).into())
    }
}

/// The message of a panic payload: the `&str` or `String` given to `panic!`, when it is one.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with a payload that is not a string".to_string()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Cancelled(None) => f.write_str("cancelled"),
            Error::Cancelled(Some(msg)) => write!(f, "cancelled: {msg}"),
            Error::Timeout => f.write_str("timed out"),
            Error::InvalidState(msg) => write!(f, "invalid state: {msg}"),
            Error::Closed => f.write_str(
                "the event loop is closed: a closed loop cannot run or schedule anything; \
                 create a new EventLoop",
            ),
            Error::AlreadyRunning => f.write_str(
                "an event loop is already running on this thread: a callback cannot run a loop; \
                 schedule the work with call_soon or create_task instead",
            ),
            Error::ExecutorShutdown => f.write_str(
                "cannot schedule new work after shutdown: create a new executor, or submit \
                 before calling shutdown",
            ),
            Error::BrokenProcessPool(msg) => write!(
                f,
                "broken process pool: {msg}; the pool accepts no more work: create a new \
                 ProcessPoolExecutor"
            ),
            Error::Runtime(msg) => f.write_str(msg),
            Error::Stalled(msg) => write!(f, "the loop stalled: {msg}"),
            Error::Panicked(msg) => write!(f, "panicked: {msg}"),
            Error::Group(group) => fmt::Display::fmt(group, f),
            Error::Io(e) => write!(f, "I/O error: {e}"),
            Error::Other(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(e) => f.debug_tuple("Io").field(e).finish(),
            Error::Other(e) => f.debug_tuple("Other").field(&e.to_string()).finish(),
            other => write!(f, "{other}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) => Some(&**e),
            Error::Other(e) => Some(&**e),
            _ => None,
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        Error::Io(Arc::new(e))
    }
}

/// The errors of an [`Error::Group`] and what they have in common (Python's
/// `ExceptionGroup`).
///
/// # Implementation notes
/// Behind one `Arc` in the error, so that a group costs `Error` no size: every
/// `Result<T, Error>` the loop moves around stays three words long.
#[derive(Debug)]
pub struct ErrorGroup {
    message: String,
    errors: Vec<Error>,
}

impl ErrorGroup {
    /// What the errors have in common: `unhandled errors in a TaskGroup`.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The errors, in the order they happened (`ExceptionGroup.exceptions`).
    pub fn errors(&self) -> &[Error] {
        &self.errors
    }
}

impl fmt::Display for ErrorGroup {
    /// Python's `str(ExceptionGroup)`, then each member.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors.len();
        let plural = if n == 1 { "" } else { "s" };
        write!(f, "{} ({n} sub-exception{plural})", self.message)?;
        for (i, error) in self.errors.iter().enumerate() {
            let sep = if i == 0 { ": " } else { "; " };
            write!(f, "{sep}{error}")?;
        }
        Ok(())
    }
}

/// The error of a function that needs a running loop and found none (see the module's
/// "No running loop").
pub(crate) fn no_running_loop(what: &str) -> Error {
    Error::Runtime(
        format!(
            "{what}() needs a running event loop (asyncio: RuntimeError: no running event \
             loop): call it from inside a task, for example in the coroutine given to \
             run_until_complete or steploop::run"
        )
        .into(),
    )
}

/// The payload of [`Error::msg`].
#[derive(Debug)]
struct Message(String);

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Message {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_say_what_to_do() {
        assert!(Error::Closed.to_string().contains("create a new EventLoop"));
        assert!(Error::AlreadyRunning.to_string().contains("call_soon"));
        assert_eq!(Error::msg("boom").to_string(), "boom");
        assert_eq!(
            Error::Cancelled(Some("bye".into())).to_string(),
            "cancelled: bye"
        );
    }

    #[test]
    fn error_crosses_threads() {
        fn assert_send_sync<T: Send + Sync + Clone>() {}
        assert_send_sync::<Error>();
    }

    #[test]
    fn an_error_is_three_words_long() {
        // Every Result<T, Error> the loop moves pays for the biggest variant.
        assert_eq!(
            std::mem::size_of::<Error>(),
            3 * std::mem::size_of::<usize>()
        );
    }
}
