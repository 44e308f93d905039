//! The loops under test, steploop (`src/`) and the teaching stages (`stages/stageNN`), seen
//! through one set of traits, one per chapter's capability, so that the same code drives any
//! of them: the interpreter of generated programs (`programs/interpret.rs`) and the scripted
//! runs of chapters 8 to 11.
//!
//! The traits speak of values, outcomes and states, never of a loop's own types. A loop offers
//! the capabilities of its chapter: the stage of chapter 4 has callbacks and timers, and
//! answers `None` to the rest; steploop has them all.
//!
//! - `steploop`: steploop as a [`Loop`];
//! - `stages`, with the parts in `stage/`: each stage as a [`Loop`], built chapter by chapter
//!   as the stages are;
//! - `reactor`: chapter 8's scripted run of readers and writers over socket pairs;
//! - `threads`: chapters 9 to 11's scripts of pools and threads.

#![allow(dead_code)] // each test binary uses its own part of the module

pub mod reactor;
pub mod stages;
pub mod steploop;
pub mod threads;

use std::any::Any;
use std::cell::RefCell;
use std::os::fd::RawFd;
use std::pin::Pin;
use std::rc::Rc;
use std::time::Duration;

pub use crate::programs::program::ReturnWhen;

/// An exception, as the programs see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// `CancelledError`, with the message given to `cancel(msg)`, if any.
    Cancelled(Option<String>),
    /// `TimeoutError` (from `wait_for`, `wait`'s items, `as_completed` or a `timeout` block).
    Timeout,
    /// `InvalidStateError`.
    InvalidState,
    /// `RuntimeError` (a task awaiting itself, a task group that refuses a task).
    Runtime,
    /// Any other exception, as the programs print it: `e5`, `ExceptionGroup[e3, e5]`.
    Exception(String),
}

impl Failure {
    pub fn is_cancelled(&self) -> bool {
        matches!(self, Failure::Cancelled(_))
    }

    /// A task group's `ExceptionGroup` of `members`, as the programs print it.
    pub fn group(members: impl Iterator<Item = Failure>) -> Failure {
        let members: Vec<String> = members.map(|member| member.to_string()).collect();
        Failure::Exception(format!("ExceptionGroup[{}]", members.join(", ")))
    }
}

impl std::fmt::Display for Failure {
    /// As the harness's `fmt` prints an exception: `cancelled(message)`, `timeout`, `e5`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Cancelled(message) => {
                write!(f, "cancelled({})", message.as_deref().unwrap_or(""))
            }
            Failure::Timeout => f.write_str("timeout"),
            Failure::InvalidState => f.write_str("invalid state"),
            Failure::Runtime => f.write_str("runtime error"),
            Failure::Exception(text) => f.write_str(text),
        }
    }
}

/// What an await gives: a task's or a future's number, or a gather's list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Int(i64),
    /// A gather's results, in order; with `return_exceptions=True`, errors among them.
    List(Vec<Result<i64, Failure>>),
}

impl Value {
    /// The number, for what gives one (a task's coroutine returns its id).
    pub fn int(&self) -> i64 {
        match self {
            Value::Int(value) => *value,
            Value::List(_) => panic!("a number was expected, not a list: {self:?}"),
        }
    }
}

/// What a coroutine or an await ends with.
pub type Outcome = Result<Value, Failure>;

/// A coroutine of the interpreter, or an awaitable of the loop, type-erased.
pub type Coroutine<T = Outcome> = Pin<Box<dyn std::future::Future<Output = T>>>;

/// The block of an `async with`: it gives nothing, or raises.
pub type Block = Coroutine<Result<(), Failure>>;

/// What a task group runs: its block, made once the group exists.
pub type GroupBlock = Box<dyn FnOnce(Rc<dyn Group>) -> Block>;

/// The state of a future, task, gather or shield, as a done-callback or the end of a run sees
/// it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    Pending,
    /// A result or an exception. A gather that a child's cancellation ended holds a
    /// `CancelledError` as its exception.
    Done(Outcome),
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
    fn threadsafe(&self) -> Option<&dyn Threadsafe> {
        None
    }
    /// What only steploop has of asyncio: see [`Asyncio`].
    fn asyncio(&self) -> Option<&dyn Asyncio> {
        None
    }
}

/// Chapter 3.
pub trait Callbacks {
    fn call_soon(&self, callback: Box<dyn FnOnce()>) -> Box<dyn Handle>;
    fn stop(&self);
    /// One tick.
    fn run_once(&self) -> Result<(), Stalled>;
    /// Loop time (zero before chapter 4).
    fn time(&self) -> Duration;
}

/// A handle or a timer handle.
pub trait Handle {
    fn cancel(&self);
    fn cancelled(&self) -> bool;
}

/// Chapter 4.
pub trait Timers {
    fn call_later(&self, delay: Duration, callback: Box<dyn FnOnce()>) -> Box<dyn Handle>;
    fn call_at(&self, when: Duration, callback: Box<dyn FnOnce()>) -> Box<dyn Handle>;
}

/// Chapter 5.
pub trait Futures {
    fn create_future(&self) -> Rc<dyn Fut>;
}

/// What can be awaited: a future, a task, a gather, a shield.
pub trait Awaitable {
    /// `cancel()`, or `cancel(msg)`; false if it was already done.
    fn cancel(&self, message: Option<String>) -> bool;
    fn state(&self) -> State;
    /// The callback receives the state the awaitable is in when the callback runs; the id is
    /// for [`Awaitable::remove_done_callback`].
    fn add_done_callback(&self, callback: Box<dyn FnOnce(State)>) -> usize;
    /// `remove_done_callback`: true if the callback was still waiting to be called.
    fn remove_done_callback(&self, id: usize) -> bool;
    /// `await` it (chapter 6).
    fn wait(&self) -> Coroutine;
    /// For the loop's own combinators, which need their own types back.
    fn as_any(&self) -> &dyn Any;
}

/// A future of `i64` (`loop.create_future()`).
pub trait Fut {
    /// False if the future was already done (asyncio raises `InvalidStateError`).
    fn set_result(&self, value: i64) -> bool;
    fn set_exception(&self, message: String) -> bool;
    /// The future as an awaitable.
    fn awaitable(self: Rc<Self>) -> Rc<dyn Awaitable>;
}

/// Chapter 6.
pub trait Tasks {
    fn create_task(&self, coroutine: Coroutine) -> Rc<dyn Awaitable>;
    /// `await sleep(delay)`.
    fn sleep(&self, delay: Duration) -> Coroutine<Result<(), Failure>>;
}

/// Chapter 7, as far as the stage of chapter 7 goes: `gather` and `wait_for` of tasks, and
/// task groups.
pub trait Combinators {
    /// `gather(*items)`: called at once (it watches its items from then on, as in asyncio).
    fn gather(&self, items: &[Rc<dyn Awaitable>]) -> Rc<dyn Awaitable>;
    /// `await wait_for(item, timeout)`.
    fn wait_for(&self, item: &Rc<dyn Awaitable>, timeout: Duration) -> Coroutine;
    /// `async with TaskGroup() as tg: block(tg)`.
    fn task_group(&self, block: GroupBlock) -> Block;
}

/// Chapter 11: `call_soon_threadsafe`, called on the loop's own thread.
pub trait Threadsafe {
    fn call_soon_threadsafe(&self, callback: Box<dyn FnOnce()>);
}

/// A callback of a program.
type Callback = Box<dyn FnOnce()>;

thread_local! {
    /// Callbacks waiting for [`parked`]'s closures to run them.
    static PARKED: RefCell<Vec<Option<Callback>>> = const { RefCell::new(Vec::new()) };
}

/// `callback`, as a closure that is `Send`, for `call_soon_threadsafe`, which takes only
/// those: the callback waits on this thread, and the closure carries its number. It must run
/// on this thread, as a callback sent from the loop's own thread does.
pub fn parked(callback: Callback) -> impl FnOnce() + Send + 'static {
    let number = PARKED.with_borrow_mut(|parked| {
        parked.push(Some(callback));
        parked.len() - 1
    });
    move || {
        let callback = PARKED.with_borrow_mut(|parked| parked[number].take());
        callback.expect("a parked callback runs once, on the thread that parked it")();
    }
}

/// The rest of asyncio that the programs use and only steploop has: the rest of chapter 7,
/// and an exception handler (chapter 14). (A cancel message is the `message` of
/// [`Awaitable::cancel`], which the stages refuse.)
pub trait Asyncio {
    /// `loop.set_exception_handler(...)`, for callbacks that raise: `handler` receives each
    /// error, as the programs print it.
    fn set_exception_handler(&self, handler: Box<dyn Fn(Failure)>);
    /// A callback raises `E(error)`: the loop reports it to its exception handler.
    fn raise_in_callback(&self, error: String) -> !;
    /// `gather(*items, return_exceptions=True)`.
    fn gather_return_exceptions(&self, items: &[Rc<dyn Awaitable>]) -> Rc<dyn Awaitable>;
    /// `shield(item)`.
    fn shield(&self, item: &Rc<dyn Awaitable>) -> Rc<dyn Awaitable>;
    /// `done, pending = await wait(items, timeout, return_when)`: how many are in each.
    fn wait(
        &self,
        items: &[Rc<dyn Awaitable>],
        timeout: Option<Duration>,
        return_when: ReturnWhen,
    ) -> Coroutine<Result<(usize, usize), Failure>>;
    /// `for f in as_completed(items, timeout): each(await f)`, until `each` raises.
    fn as_completed(
        &self,
        items: &[Rc<dyn Awaitable>],
        timeout: Option<Duration>,
        each: Box<dyn FnMut(Outcome) -> Result<(), Failure>>,
    ) -> Block;
    /// `async with timeout(delay): block`, or `async with timeout_at(when): block`.
    fn timeout(&self, deadline: Deadline, block: Block) -> Block;
}

/// When a timeout expires.
#[derive(Clone, Copy, Debug)]
pub enum Deadline {
    /// `timeout(None)`: never.
    Never,
    /// `timeout(delay)`: this long after the block starts.
    After(Duration),
    /// `timeout_at(when)`: at this loop time.
    At(Duration),
}

/// A task group, in its block.
pub trait Group {
    /// `tg.create_task(coroutine)`: refused (`RuntimeError`) once the group shuts down.
    fn create_task(&self, coroutine: Coroutine) -> Result<Rc<dyn Awaitable>, Failure>;
}

/// Chapter 8: readers and writers, on file descriptors the test owns (asyncio's
/// `add_reader(fd, callback)`). Errors from the operating system fail the test at once.
pub trait Io {
    fn add_reader(&self, fd: RawFd, callback: Box<dyn Fn()>);
    fn remove_reader(&self, fd: RawFd) -> bool;
    fn add_writer(&self, fd: RawFd, callback: Box<dyn Fn()>);
    fn remove_writer(&self, fd: RawFd) -> bool;
}
