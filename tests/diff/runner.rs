//! What a generated program needs of a loop, as traits that each loop implements: steploop in
//! `runners/steploop.rs`, each stage in `runners/*.rs` through `stages.rs`.
//!
//! The traits speak of values (`i64`), outcomes and states, never of a loop's own types, so
//! that one interpreter (`interpret.rs`) drives every loop. A loop offers the capabilities of
//! its chapter: a stage of chapter 4 has callbacks and timers, and answers `None` to the rest.

use std::any::Any;
use std::os::fd::RawFd;
use std::pin::Pin;
use std::rc::Rc;
use std::time::Duration;

/// An exception, as the programs see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// `CancelledError`.
    Cancelled,
    /// `TimeoutError` (from `wait_for`).
    Timeout,
    /// Any other exception, with its message.
    Exception(String),
}

/// What a coroutine or an await ends with.
pub type Outcome = Result<i64, Failure>;

/// A coroutine of the interpreter, or an awaitable of the loop, type-erased.
pub type Coroutine<T = Outcome> = Pin<Box<dyn std::future::Future<Output = T>>>;

/// The state of a future or a task, as a done-callback or the end of a run sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    Pending,
    Result(i64),
    Exception(String),
    Cancelled,
}

/// The loop stalled: nothing ready, nothing that could become ready.
#[derive(Debug)]
pub struct Stalled;

/// A loop under test.
pub trait Loop {
    fn callbacks(&self) -> &dyn Callbacks;
    fn timers(&self) -> Option<&dyn Timers> {
        None
    }
    fn futures(&self) -> Option<&dyn Futures> {
        None
    }
    fn tasks(&self) -> Option<&dyn Tasks> {
        None
    }
    fn combinators(&self) -> Option<&dyn Combinators> {
        None
    }
    fn io(&self) -> Option<&dyn Io> {
        None
    }
}

/// Chapter 3.
pub trait Callbacks {
    fn call_soon(&self, callback: Box<dyn FnOnce()>) -> Box<dyn Cancel>;
    fn stop(&self);
    /// One tick.
    fn run_once(&self) -> Result<(), Stalled>;
    /// Loop time (zero before chapter 4).
    fn time(&self) -> Duration;
}

/// A handle or a timer handle.
pub trait Cancel {
    fn cancel(&self);
}

/// Chapter 4.
pub trait Timers {
    fn call_later(&self, delay: Duration, callback: Box<dyn FnOnce()>) -> Box<dyn Cancel>;
    fn call_at(&self, when: Duration, callback: Box<dyn FnOnce()>) -> Box<dyn Cancel>;
}

/// Chapter 5.
pub trait Futures {
    fn create_future(&self) -> Rc<dyn Fut>;
}

/// A future of `i64`.
pub trait Fut {
    /// False if the future was already done.
    fn set_result(&self, value: i64) -> bool;
    fn set_exception(&self, message: String) -> bool;
    fn cancel(&self) -> bool;
    fn state(&self) -> State;
    /// The callback receives the state the future is in when the callback runs.
    fn add_done_callback(&self, callback: Box<dyn FnOnce(State)>) -> usize;
    fn remove_done_callback(&self, id: usize) -> bool;
    /// `await fut` (chapter 6).
    fn wait(&self) -> Coroutine;
}

/// Chapter 6.
pub trait Tasks {
    fn create_task(&self, coroutine: Coroutine) -> Rc<dyn TaskObject>;
    /// `sleep(delay)`, giving `Ok(0)`.
    fn sleep(&self, delay: Duration) -> Coroutine;
}

/// A task of `i64`.
pub trait TaskObject {
    fn cancel(&self) -> bool;
    fn state(&self) -> State;
    /// `await task`.
    fn wait(&self) -> Coroutine;
    /// For the loop's own combinators, which need their own task type back.
    fn as_any(&self) -> &dyn Any;
}

/// Chapter 7.
pub trait Combinators {
    /// Calls `gather` at once (it starts watching its children when called, as in asyncio)
    /// and returns its awaiting.
    fn gather(&self, tasks: &[Rc<dyn TaskObject>]) -> Coroutine<Result<Vec<i64>, Failure>>;
    fn wait_for(&self, task: &Rc<dyn TaskObject>, timeout: Duration) -> Coroutine;
}

/// Chapter 8: readers and writers, on file descriptors the test owns (asyncio's
/// `add_reader(fd, callback)`). Errors from the operating system fail the test at once.
pub trait Io {
    fn add_reader(&self, fd: RawFd, callback: Box<dyn Fn()>);
    fn remove_reader(&self, fd: RawFd) -> bool;
    fn add_writer(&self, fd: RawFd, callback: Box<dyn Fn()>);
    fn remove_writer(&self, fd: RawFd) -> bool;
}
