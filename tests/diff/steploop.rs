//! steploop (`src/`) as a [`Loop`] for the differential test: every capability, on a
//! virtual clock.

use std::any::Any;
use std::cell::RefCell;
use std::os::fd::{AsRawFd, RawFd};
use std::rc::Rc;
use std::time::Duration;

use steploop::{CallbackId, Error, EventLoop, Future, FutureState, Handle, Task, TimerHandle};

use super::runner::{
    Callbacks, Cancel, Combinators, Coroutine, Failure, Fut, Futures, Io, Loop, Stalled, State,
    TaskObject, Tasks, Timers,
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
}

fn failure(error: Error) -> Failure {
    match error {
        Error::Cancelled(_) => Failure::Cancelled,
        Error::Timeout => Failure::Timeout,
        other => Failure::Exception(other.to_string()),
    }
}

fn error(failure: Failure) -> Error {
    match failure {
        Failure::Cancelled => Error::Cancelled(None),
        Failure::Timeout => Error::Timeout,
        Failure::Exception(message) => Error::msg(message),
    }
}

fn state(state: FutureState<i64>) -> State {
    match state {
        FutureState::Pending => State::Pending,
        FutureState::Finished(Ok(value)) => State::Result(value),
        FutureState::Finished(Err(e)) => State::Exception(e.to_string()),
        FutureState::Cancelled(_) => State::Cancelled,
    }
}

impl Cancel for Handle {
    fn cancel(&self) {
        Handle::cancel(self);
    }
}

impl Cancel for TimerHandle {
    fn cancel(&self) {
        TimerHandle::cancel(self);
    }
}

impl Callbacks for Steploop {
    fn call_soon(&self, callback: Box<dyn FnOnce()>) -> Box<dyn Cancel> {
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
    fn call_later(&self, delay: Duration, callback: Box<dyn FnOnce()>) -> Box<dyn Cancel> {
        Box::new(self.0.call_later(delay, move |_: &EventLoop| callback()))
    }
    fn call_at(&self, when: Duration, callback: Box<dyn FnOnce()>) -> Box<dyn Cancel> {
        Box::new(self.0.call_at(when, move |_: &EventLoop| callback()))
    }
}

/// A future, and the ids of the done-callbacks added to it, by position.
struct SteploopFuture {
    future: Future<i64>,
    ids: RefCell<Vec<CallbackId>>,
}

impl Futures for Steploop {
    fn create_future(&self) -> Rc<dyn Fut> {
        Rc::new(SteploopFuture {
            future: self.0.create_future(),
            ids: RefCell::new(Vec::new()),
        })
    }
}

impl Fut for SteploopFuture {
    fn set_result(&self, value: i64) -> bool {
        self.future.set_result(value).is_ok()
    }
    fn set_exception(&self, message: String) -> bool {
        self.future.set_exception(Error::msg(message)).is_ok()
    }
    fn cancel(&self) -> bool {
        self.future.cancel()
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
        Box::pin(async move { future.await.map_err(failure) })
    }
}

struct SteploopTask(Task<i64>);

impl Tasks for Steploop {
    fn create_task(&self, coroutine: Coroutine) -> Rc<dyn TaskObject> {
        let task = self
            .0
            .create_task(async move { coroutine.await.map_err(error) });
        Rc::new(SteploopTask(task))
    }
    fn sleep(&self, delay: Duration) -> Coroutine {
        Box::pin(async move {
            steploop::sleep(delay).await.map_err(failure)?;
            Ok(0)
        })
    }
}

impl TaskObject for SteploopTask {
    fn cancel(&self) -> bool {
        self.0.cancel()
    }
    fn state(&self) -> State {
        state(self.0.future().state())
    }
    fn wait(&self) -> Coroutine {
        let task = self.0.clone();
        Box::pin(async move { task.await.map_err(failure) })
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

fn task_of(task: &Rc<dyn TaskObject>) -> Task<i64> {
    let task = task.as_any().downcast_ref::<SteploopTask>();
    task.expect("a steploop task").0.clone()
}

impl Combinators for Steploop {
    fn gather(&self, tasks: &[Rc<dyn TaskObject>]) -> Coroutine<Result<Vec<i64>, Failure>> {
        let gathering = steploop::gather(tasks.iter().map(task_of));
        Box::pin(async move { gathering.map_err(failure)?.await.map_err(failure) })
    }
    fn wait_for(&self, task: &Rc<dyn TaskObject>, timeout: Duration) -> Coroutine {
        let task = task_of(task);
        Box::pin(async move { steploop::wait_for(task, timeout).await.map_err(failure) })
    }
}

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
