//! steploop (`src/`) as a [`Loop`]: every capability, on a virtual clock. Each trait method is
//! the steploop call of the same name.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::os::fd::{AsRawFd, RawFd};
use std::rc::Rc;
use std::time::Duration;

use steploop::{CallbackId, Error, EventLoop, Future, FutureState, Task, TaskGroup, TimerHandle};

use crate::programs::OnLoop;

use super::{
    parked, Asyncio, Awaitable, Block, Callbacks, Combinators, Coroutine, Deadline, Failure, Fut,
    Futures, Group, GroupBlock, Handle, Io, Loop, Outcome, ReturnWhen, Stalled, State, Tasks,
    Threadsafe, Timers, Value,
};

/// steploop's runner of generated programs: the interpreter of `programs/interpret.rs` on
/// steploop.
pub const STEPLOOP: OnLoop = OnLoop {
    name: "steploop",
    make,
};

/// A fresh steploop loop on a virtual clock.
pub fn make() -> Rc<dyn Loop> {
    Rc::new(Steploop(EventLoop::with_virtual_clock()))
}

struct Steploop(EventLoop);

impl Loop for Steploop {
    fn callbacks(&self) -> &dyn Callbacks {
        self
    }
    fn timers(&self) -> Option<&dyn Timers> {
        Some(self)
    }
    fn futures(&self) -> Option<&dyn Futures> {
        Some(self)
    }
    fn tasks(&self) -> Option<&dyn Tasks> {
        Some(self)
    }
    fn combinators(&self) -> Option<&dyn Combinators> {
        Some(self)
    }
    fn io(&self) -> Option<&dyn Io> {
        Some(self)
    }
    fn threadsafe(&self) -> Option<&dyn Threadsafe> {
        Some(self)
    }
    fn asyncio(&self) -> Option<&dyn Asyncio> {
        Some(self)
    }
}

// ---------------------------------------------------------------------------------------
// Errors and values, both ways
// ---------------------------------------------------------------------------------------

fn failure(error: Error) -> Failure {
    match error {
        Error::Cancelled(message) => Failure::Cancelled(message.map(|m| m.to_string())),
        Error::Timeout => Failure::Timeout,
        Error::InvalidState(_) => Failure::InvalidState,
        Error::Runtime(_) => Failure::Runtime,
        Error::Panicked(message) => Failure::Exception(message.to_string()),
        Error::Group(group) => Failure::group(group.errors().iter().cloned().map(failure)),
        Error::Other(e) => Failure::Exception(e.to_string()),
        other => Failure::Exception(format!("{other:?}")),
    }
}

/// A failure as steploop's error. A group is a plain error then, whose text is the group's:
/// all a program does with it is print it and catch it as an `Exception`.
fn error(failure: Failure) -> Error {
    match failure {
        Failure::Cancelled(message) => Error::Cancelled(message.map(Into::into)),
        Failure::Timeout => Error::Timeout,
        Failure::InvalidState => Error::InvalidState("invalid state".into()),
        Failure::Runtime => Error::Runtime("runtime error".into()),
        Failure::Exception(text) => Error::msg(text),
    }
}

/// What a steploop future holds, as a [`Value`].
trait ToValue: Clone + 'static {
    /// Whether a future of it is a gather's.
    const GATHER: bool = false;
    fn value(self) -> Value;
}

impl ToValue for i64 {
    fn value(self) -> Value {
        Value::Int(self)
    }
}

impl ToValue for Vec<i64> {
    const GATHER: bool = true;
    fn value(self) -> Value {
        Value::List(self.into_iter().map(Ok).collect())
    }
}

impl ToValue for Vec<Result<i64, Error>> {
    const GATHER: bool = true;
    fn value(self) -> Value {
        Value::List(self.into_iter().map(|r| r.map_err(failure)).collect())
    }
}

/// A state as asyncio shows it. A gather that `cancel()` stopped ends cancelled on steploop,
/// and with a `CancelledError` as its exception in asyncio, whose gathers are never
/// `cancelled()`: a difference chapter 7 documents ("Cancelling a gather"), which this is
/// the one place to account for.
fn state<T: ToValue>(state: FutureState<T>) -> State {
    match state {
        FutureState::Pending => State::Pending,
        FutureState::Finished(outcome) => State::Done(outcome.map(T::value).map_err(failure)),
        FutureState::Cancelled(_) if T::GATHER => State::Done(Err(Failure::Cancelled(None))),
        FutureState::Cancelled(_) => State::Cancelled,
    }
}

// ---------------------------------------------------------------------------------------
// Chapters 3 and 4: callbacks and timers
// ---------------------------------------------------------------------------------------

impl Handle for steploop::Handle {
    fn cancel(&self) {
        steploop::Handle::cancel(self);
    }
    fn cancelled(&self) -> bool {
        steploop::Handle::cancelled(self)
    }
}

impl Handle for TimerHandle {
    fn cancel(&self) {
        TimerHandle::cancel(self);
    }
    fn cancelled(&self) -> bool {
        TimerHandle::cancelled(self)
    }
}

impl Callbacks for Steploop {
    fn call_soon(&self, callback: Box<dyn FnOnce()>) -> Box<dyn Handle> {
        Box::new(self.0.call_soon(move |_: &EventLoop| callback()))
    }
    fn stop(&self) {
        self.0.stop();
    }
    fn run_once(&self) -> Result<(), Stalled> {
        match self.0.run_once() {
            Ok(()) => Ok(()),
            Err(Error::Stalled(_)) => Err(Stalled),
            Err(other) => panic!("run_once failed: {other}"),
        }
    }
    fn time(&self) -> Duration {
        self.0.time()
    }
}

impl Timers for Steploop {
    fn call_later(&self, delay: Duration, callback: Box<dyn FnOnce()>) -> Box<dyn Handle> {
        Box::new(self.0.call_later(delay, move |_: &EventLoop| callback()))
    }
    fn call_at(&self, when: Duration, callback: Box<dyn FnOnce()>) -> Box<dyn Handle> {
        Box::new(self.0.call_at(when, move |_: &EventLoop| callback()))
    }
}

// ---------------------------------------------------------------------------------------
// Chapters 5 and 6: futures and tasks
// ---------------------------------------------------------------------------------------

/// A steploop future (a future, a task's, a gather's, a shield) as an [`Awaitable`], and the
/// ids of the done-callbacks added to it, by position.
struct Awaited<T: 'static> {
    future: Future<T>,
    ids: RefCell<Vec<CallbackId>>,
}

impl<T: 'static> Awaited<T> {
    fn new(future: Future<T>) -> Rc<Awaited<T>> {
        Rc::new(Awaited {
            future,
            ids: RefCell::new(Vec::new()),
        })
    }
}

impl<T: ToValue> Awaitable for Awaited<T> {
    fn cancel(&self, message: Option<String>) -> bool {
        match message {
            Some(message) => self.future.cancel_with(message),
            None => self.future.cancel(),
        }
    }
    fn state(&self) -> State {
        state(self.future.state())
    }
    fn add_done_callback(&self, callback: Box<dyn FnOnce(State)>) -> usize {
        let id = self
            .future
            .add_done_callback(move |future| callback(state(future.state())));
        let mut ids = self.ids.borrow_mut();
        ids.push(id);
        ids.len() - 1
    }
    fn remove_done_callback(&self, id: usize) -> bool {
        let id = self.ids.borrow()[id];
        self.future.remove_done_callback(id)
    }
    fn wait(&self) -> Coroutine {
        let future = self.future.clone();
        Box::pin(async move { future.await.map(T::value).map_err(failure) })
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl Fut for Awaited<i64> {
    fn set_result(&self, value: i64) -> bool {
        self.future.set_result(value).is_ok()
    }
    fn set_exception(&self, message: String) -> bool {
        self.future.set_exception(Error::msg(message)).is_ok()
    }
    fn awaitable(self: Rc<Self>) -> Rc<dyn Awaitable> {
        self
    }
}

impl Futures for Steploop {
    fn create_future(&self) -> Rc<dyn Fut> {
        Awaited::new(self.0.create_future::<i64>())
    }
}

/// A task's coroutine, on steploop's terms.
async fn task_coroutine(coroutine: Coroutine) -> Result<i64, Error> {
    coroutine.await.map(|value| value.int()).map_err(error)
}

fn task(task: Task<i64>) -> Rc<dyn Awaitable> {
    Awaited::new(task.future())
}

impl Tasks for Steploop {
    fn create_task(&self, coroutine: Coroutine) -> Rc<dyn Awaitable> {
        task(self.0.create_task(task_coroutine(coroutine)))
    }
    fn sleep(&self, delay: Duration) -> Coroutine<Result<(), Failure>> {
        Box::pin(async move { steploop::sleep(delay).await.map_err(failure) })
    }
}

// ---------------------------------------------------------------------------------------
// Chapter 7: combinators
// ---------------------------------------------------------------------------------------

/// steploop's future behind an awaitable that holds a number (a future, a task, a shield).
fn future_of(item: &Rc<dyn Awaitable>) -> Future<i64> {
    let awaited = item.as_any().downcast_ref::<Awaited<i64>>();
    awaited.expect("an awaitable of a number").future.clone()
}

fn futures_of(items: &[Rc<dyn Awaitable>]) -> Vec<Future<i64>> {
    items.iter().map(future_of).collect()
}

impl Combinators for Steploop {
    fn gather(&self, items: &[Rc<dyn Awaitable>]) -> Rc<dyn Awaitable> {
        Awaited::new(steploop::gather(futures_of(items)).expect("in a task"))
    }
    fn wait_for(&self, item: &Rc<dyn Awaitable>, timeout: Duration) -> Coroutine {
        let future = future_of(item);
        Box::pin(async move {
            steploop::wait_for(future, timeout)
                .await
                .map(Value::Int)
                .map_err(failure)
        })
    }
    fn task_group(&self, block: GroupBlock) -> Block {
        Box::pin(async move {
            let ended = steploop::task_group(move |group: TaskGroup| {
                let block = block(Rc::new(group));
                async move { block.await.map_err(error) }
            })
            .await;
            ended.map_err(failure)
        })
    }
}

impl Threadsafe for Steploop {
    fn call_soon_threadsafe(&self, callback: Box<dyn FnOnce()>) {
        let callback = parked(callback);
        let sent = self
            .0
            .handle()
            .call_soon_threadsafe(move |_: &EventLoop| callback());
        sent.expect("the loop is open");
    }
}

thread_local! {
    /// Set while a callback raises on purpose, so that the panic hook keeps quiet.
    static RAISING: Cell<bool> = const { Cell::new(false) };
}

impl Asyncio for Steploop {
    fn set_exception_handler(&self, handler: Box<dyn Fn(Failure)>) {
        self.0.set_exception_handler(move |_, context| {
            // Only errors in callbacks, never reports about what was dropped.
            if let (Some(_), Some(error)) = (&context.handle, &context.exception) {
                handler(failure(error.clone()));
            }
        });
    }

    /// A callback "raises" by panicking: the loop reports the panic to its exception handler,
    /// as asyncio reports the exception. The panic is the program's, not a failure of the
    /// test, so it is not printed.
    fn raise_in_callback(&self, error: String) -> ! {
        static QUIET: std::sync::Once = std::sync::Once::new();
        QUIET.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                if !RAISING.with(|r| r.replace(false)) {
                    previous(info);
                }
            }));
        });
        RAISING.with(|r| r.set(true));
        std::panic::panic_any(error)
    }

    fn gather_return_exceptions(&self, items: &[Rc<dyn Awaitable>]) -> Rc<dyn Awaitable> {
        let gathered = steploop::gather_return_exceptions(futures_of(items)).expect("in a task");
        Awaited::new(gathered)
    }

    fn shield(&self, item: &Rc<dyn Awaitable>) -> Rc<dyn Awaitable> {
        Awaited::new(steploop::shield(future_of(item)).expect("in a task"))
    }

    fn wait(
        &self,
        items: &[Rc<dyn Awaitable>],
        timeout: Option<Duration>,
        return_when: ReturnWhen,
    ) -> Coroutine<Result<(usize, usize), Failure>> {
        let futures = futures_of(items);
        let return_when = match return_when {
            ReturnWhen::FirstCompleted => steploop::ReturnWhen::FirstCompleted,
            ReturnWhen::FirstException => steploop::ReturnWhen::FirstException,
            ReturnWhen::AllCompleted => steploop::ReturnWhen::AllCompleted,
        };
        Box::pin(async move {
            let (done, pending) = steploop::wait(futures, timeout, return_when)
                .await
                .map_err(failure)?;
            Ok((done.len(), pending.len()))
        })
    }

    fn as_completed(
        &self,
        items: &[Rc<dyn Awaitable>],
        timeout: Option<Duration>,
        mut each: Box<dyn FnMut(Outcome) -> Result<(), Failure>>,
    ) -> Block {
        let futures = futures_of(items);
        Box::pin(async move {
            let mut results = steploop::as_completed(futures, timeout).map_err(failure)?;
            while let Some(outcome) = results.next().await {
                each(outcome.map(Value::Int).map_err(failure))?;
            }
            Ok(())
        })
    }

    fn timeout(&self, deadline: Deadline, block: Block) -> Block {
        let block = async move { block.await.map_err(error) };
        Box::pin(async move {
            let ended = match deadline {
                Deadline::Never => steploop::Timeout::never().scope(block).await,
                Deadline::After(delay) => steploop::timeout(delay, block).await,
                Deadline::At(when) => steploop::timeout_at(when, block).await,
            };
            ended.map_err(failure)
        })
    }
}

impl Group for TaskGroup {
    fn create_task(&self, coroutine: Coroutine) -> Result<Rc<dyn Awaitable>, Failure> {
        let created = TaskGroup::create_task(self, task_coroutine(coroutine));
        created.map(task).map_err(failure)
    }
}

// ---------------------------------------------------------------------------------------
// Chapter 8: the reactor
// ---------------------------------------------------------------------------------------

/// A file descriptor the test owns, lent to steploop, which registers a `mio` source.
struct Fd(RawFd);

impl AsRawFd for Fd {
    fn as_raw_fd(&self) -> RawFd {
        self.0
    }
}

impl mio::event::Source for Fd {
    fn register(
        &mut self,
        registry: &mio::Registry,
        token: mio::Token,
        interests: mio::Interest,
    ) -> std::io::Result<()> {
        mio::unix::SourceFd(&self.0).register(registry, token, interests)
    }
    fn reregister(
        &mut self,
        registry: &mio::Registry,
        token: mio::Token,
        interests: mio::Interest,
    ) -> std::io::Result<()> {
        mio::unix::SourceFd(&self.0).reregister(registry, token, interests)
    }
    fn deregister(&mut self, registry: &mio::Registry) -> std::io::Result<()> {
        mio::unix::SourceFd(&self.0).deregister(registry)
    }
}

impl Io for Steploop {
    fn add_reader(&self, fd: RawFd, callback: Box<dyn Fn()>) {
        let added = self
            .0
            .add_reader(&mut Fd(fd), move |_: &EventLoop| callback());
        added.expect("add_reader");
    }
    fn remove_reader(&self, fd: RawFd) -> bool {
        self.0.remove_reader(&mut Fd(fd)).expect("remove_reader")
    }
    fn add_writer(&self, fd: RawFd, callback: Box<dyn Fn()>) {
        let added = self
            .0
            .add_writer(&mut Fd(fd), move |_: &EventLoop| callback());
        added.expect("add_writer");
    }
    fn remove_writer(&self, fd: RawFd) -> bool {
        self.0.remove_writer(&mut Fd(fd)).expect("remove_writer")
    }
}
