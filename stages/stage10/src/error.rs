//! What a future can fail with: asyncio's exceptions, as a Rust enum.

use std::fmt;

/// An exception (`CancelledError`, `InvalidStateError`, or any other). A future holds one,
/// and everyone who awaits the future gets a clone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// `CancelledError`: the future was cancelled.
    Cancelled,
    /// Any exception a program raises, with its message (`set_exception(Exception(...))`).
    Exception(String),
    /// `InvalidStateError`: a result set twice, or read before it is there.
    InvalidState(&'static str),
    /// `run_until_complete` ran out of work before its task was done: the task awaits
    /// something that nothing will complete.
    Stalled,
    /// `TimeoutError`: `wait_for` gave up.
    Timeout,
    /// `RuntimeError`: a task group refused a task.
    Runtime(&'static str),
    /// The errors of a task group's tasks, in the order they failed, and its block's last
    /// (`ExceptionGroup('unhandled errors in a TaskGroup', errors)`).
    Group(Vec<Error>),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Cancelled => f.write_str("cancelled"),
            Error::Exception(message) => f.write_str(message),
            Error::InvalidState(what) => write!(f, "invalid state: {what}"),
            Error::Stalled => f.write_str("the loop stalled before the task was done"),
            Error::Timeout => f.write_str("timed out"),
            Error::Runtime(what) => f.write_str(what),
            Error::Group(errors) => {
                let s = if errors.len() == 1 { "" } else { "s" };
                write!(
                    f,
                    "unhandled errors in a TaskGroup ({} sub-exception{s})",
                    errors.len()
                )
            }
        }
    }
}

impl std::error::Error for Error {}

// ANCHOR: os_error
/// An error of the operating system (asyncio's `OSError`: connection refused, reset by peer,
/// ...) is an exception like any other, with the system's message.
impl From<std::io::Error> for Error {
    fn from(error: std::io::Error) -> Error {
        Error::Exception(error.to_string())
    }
}
// ANCHOR_END: os_error
