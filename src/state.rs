//! The loop's state: its parts, and their life — made together, closed together, and
//! dropped together (asyncio's `BaseEventLoop.__init__`, `close`, `__del__`).
//!
//! [`EventLoop`] is a facade over an `Rc<Inner>`. `Inner` holds the parts, each of which owns
//! its fields and exposes narrow methods: the scheduling part that futures and tasks hold
//! (`scheduler`: the ready deque, the task table, the trace), timers and the clock (`timers`,
//! `clock`), the reactor (`reactor`), what crosses threads (`remote`, `bridge`), and
//! diagnostics (`debug`); and the few cells that say where the loop is in its life.
//!
//! The way back from a part to the whole loop goes through `Inner` too: a future or a task
//! holds only the scheduling part, and finds its loop (`Future.get_loop()`, `Task.get_loop()`)
//! by asking the scheduler for its owner, this `Inner` (`EventLoop::of`).

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::{Rc, Weak};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::bridge::Bridges;
use crate::clock::ClockKind;
use crate::debug::Diagnostics;
use crate::exception_handler::{default_exception_handler, ExceptionContext};
use crate::executor::ThreadPoolExecutor;
use crate::reactor::Reactor;
use crate::remote::{Message, Remote};
use crate::scheduler::{LoopOwner, Scheduler};
use crate::task::AnyTask;
use crate::timers::id::TimerId;
use crate::timers::Timers;
use crate::trace::Event;
use crate::{Error, EventLoop, Future, Task};

/// The loop's state: the parts, each owning its fields, and the few cells that say where the
/// loop is in its life. Each part keeps its state in cells, so that a callback can schedule,
/// cancel and read the clock while the loop is in the middle of a tick: no part holds a borrow
/// while user code runs.
pub(crate) struct Inner {
    /// The ready deque, the task table, the trace, the loop's number and its closed flag:
    /// what futures and tasks hold of the loop.
    pub(crate) sched: Rc<Scheduler>,
    /// Timers waiting for their deadline (asyncio's `_scheduled`), and the clock.
    pub(crate) timers: Rc<Timers>,
    /// The loop's "select" and the sources registered with it (asyncio's selector and its map:
    /// `add_reader`, `add_writer`, and the sockets of `net`), which sockets hold weakly.
    pub(crate) reactor: Rc<Reactor>,
    /// What other threads send: wakeups, `call_soon_threadsafe` callbacks, completions.
    pub(crate) remote: Arc<Remote>,
    /// The messages of one drain, moved out of the remote queue under its lock. Kept between
    /// ticks so that neither this buffer nor the queue's reallocates once warmed up.
    pub(crate) inbox: Cell<Vec<Message>>,
    /// Loop futures waiting for work sent to other threads (`run_in_executor`,
    /// `wrap_future`): while there are any, an idle loop waits in its poll for their results,
    /// and a virtual clock stands still.
    pub(crate) bridges: Bridges,
    /// The executor `run_in_executor(None, ..)` uses, created on first use
    /// (asyncio's `_default_executor`).
    pub(crate) default_executor: RefCell<Option<Arc<ThreadPoolExecutor>>>,
    /// Set by `shutdown_default_executor`: `run_in_executor(None, ..)` is refused from then on
    /// (asyncio's `_executor_shutdown_called`).
    pub(crate) default_executor_shut_down: Cell<bool>,
    /// Debug mode, the exception handler, the tick observer.
    pub(crate) diagnostics: Diagnostics,
    /// True while `run_until_complete` runs the loop: then a live `LoopHandle` alone does not
    /// keep the loop waiting (see `tick.rs`).
    pub(crate) until_complete: Cell<bool>,
    /// Set by `stop()`: finish the current tick, then return from `run_forever`.
    pub(crate) stopping: Cell<bool>,
    pub(crate) running: Cell<bool>,
    /// Ticks run so far; the trace numbers ticks with it.
    pub(crate) ticks: Cell<u64>,
}

/// A weak reference to a loop, held by what belongs to a loop and needs the whole of it (a task
/// group, a socket, a timeout): the loop owns its tasks, and tasks own these.
#[derive(Clone)]
pub(crate) struct WeakLoop(Weak<Inner>);

impl WeakLoop {
    pub(crate) fn upgrade(&self) -> Option<EventLoop> {
        self.0.upgrade().map(|inner| EventLoop { inner })
    }
}

/// Gives every loop a number of its own, for wakers to name it.
static NEXT_LOOP_ID: AtomicU64 = AtomicU64::new(1);

impl Inner {
    /// A loop's state, every part empty, on the given clock.
    pub(crate) fn new(kind: ClockKind) -> Rc<Inner> {
        let id = NEXT_LOOP_ID.fetch_add(1, Ordering::Relaxed);
        let inner = Rc::new_cyclic(|me: &Weak<Inner>| {
            let sched = Rc::new(Scheduler::new(id, me.clone()));
            let remote = Arc::new(Remote::new(id));
            Inner {
                timers: Rc::new(Timers::new(kind, sched.clone())),
                reactor: Rc::new(Reactor::new(sched.clone(), remote.clone())),
                sched,
                remote,
                inbox: Cell::new(Vec::new()),
                bridges: Bridges::default(),
                until_complete: Cell::new(false),
                default_executor: RefCell::new(None),
                default_executor_shut_down: Cell::new(false),
                stopping: Cell::new(false),
                running: Cell::new(false),
                ticks: Cell::new(0),
                diagnostics: Diagnostics::default(),
            }
        });
        crate::scheduler::register_on_this_thread(&inner.sched);
        inner
    }
}

/// What the scheduler asks of the loop: futures and tasks know the scheduler, and reach the
/// whole loop only through it.
impl LoopOwner for Inner {
    fn call_exception_handler(self: Rc<Self>, context: &ExceptionContext) {
        EventLoop { inner: self }.call_exception_handler(context);
    }

    fn into_any(self: Rc<Self>) -> Rc<dyn Any> {
        self
    }

    fn timer_pending(&self, timer: TimerId) -> bool {
        self.timers.is_pending(timer)
    }
}

impl EventLoop {
    /// Closes every part: the work of [`close`](EventLoop::close).
    pub(crate) fn close_parts(&self) -> Result<(), Error> {
        if self.is_running() {
            return Err(Error::Runtime(
                "cannot close a running event loop: call stop() and close the loop after \
                 run_forever() has returned"
                    .into(),
            ));
        }
        if self.is_closed() {
            return Ok(());
        }
        // Other threads first, while the loop is still open: what they already delivered
        // (sent, or on the ready deque) reaches its futures; what is still in flight is
        // reported and cancelled.
        let sched = &self.inner.sched;
        let (delivered, dropped_calls) = sched.ready.close();
        self.close_remote(delivered, dropped_calls);
        sched.set_closed();
        // Take everything out before dropping it: dropping a callback runs the destructors of
        // whatever it captured, and those may touch the loop. The futures completed just now
        // may have scheduled callbacks: those are dropped too.
        sched.ready.close();
        let timers = self.inner.timers.take_all();
        let tasks = sched.tasks.take_all();
        let reactor = self.inner.reactor.close();
        // Dropped here, with nothing borrowed: closures may capture anything.
        drop(timers);
        for task in tasks {
            if task.destroy() {
                self.call_exception_handler(&destroyed_pending(&task));
            }
        }
        drop(reactor);
        Ok(())
    }

    /// The loop that `scheduler` is a part of.
    ///
    /// # Panics
    /// If the loop has been dropped.
    pub(crate) fn of(scheduler: &Scheduler) -> EventLoop {
        let inner = scheduler
            .owner()
            .and_then(|state| state.downcast::<Inner>().ok());
        EventLoop {
            inner: inner.expect(
                "the future's event loop was dropped: keep the EventLoop alive while its \
                 futures are in use",
            ),
        }
    }
}

impl Default for EventLoop {
    fn default() -> Self {
        EventLoop::new()
    }
}

impl Drop for EventLoop {
    /// asyncio's `BaseEventLoop.__del__`: when the last handle of a loop that nobody closed
    /// goes, the loop is closed, so that what [`close`](EventLoop::close) reports (callbacks
    /// other threads sent that never ran, work still out on other threads, tasks still
    /// pending) is reported here too, through the loop's exception handler.
    ///
    /// # Implementation notes
    /// A drop while the thread unwinds from a panic does not close: a second panic in an
    /// exception handler would abort the process. `Inner`'s drop still reports the tasks.
    fn drop(&mut self) {
        let last = Rc::strong_count(&self.inner) == 1;
        if last && !self.is_closed() && !self.is_running() && !std::thread::panicking() {
            // Cannot fail: the loop is not running.
            let _ = self.close();
        }
    }
}

/// The loop of a future or a task: found from its scheduling part, the only part of the loop
/// that futures and tasks hold.
impl<T: 'static> Future<T> {
    /// The loop the future belongs to (`Future.get_loop()`).
    ///
    /// # Panics
    /// If the loop has been dropped.
    pub fn get_loop(&self) -> EventLoop {
        EventLoop::of(&self.scheduler())
    }
}

impl<T: 'static> Task<T> {
    /// The loop the task runs on (`Task.get_loop()`).
    ///
    /// # Panics
    /// If the loop has been dropped.
    pub fn get_loop(&self) -> EventLoop {
        self.future().get_loop()
    }
}

/// What the parts of the crate share: the loop's number, the trace, the checks.
impl EventLoop {
    /// This loop's number, which its tasks carry too.
    pub(crate) fn id(&self) -> u64 {
        self.inner.sched.id
    }

    /// The loop's timers and clock.
    pub(crate) fn timers(&self) -> &Rc<Timers> {
        &self.inner.timers
    }

    /// The loop's scheduling part, which its futures and tasks hold.
    pub(crate) fn scheduler(&self) -> &Rc<Scheduler> {
        &self.inner.sched
    }

    /// The loop's reactor, which its sockets hold.
    pub(crate) fn reactor(&self) -> &Rc<Reactor> {
        &self.inner.reactor
    }

    /// Records the event that `event` builds, if tracing is on (see [`Tracer::record`]).
    #[inline(always)]
    pub(crate) fn record(&self, event: impl FnOnce() -> Event) {
        self.inner.sched.record(event);
    }

    /// True when events are being recorded.
    #[inline(always)]
    pub(crate) fn is_tracing(&self) -> bool {
        self.inner.sched.tracer.is_on()
    }

    /// Panics if the loop is closed: scheduling on a closed loop, or running it, is a
    /// programmer's error (asyncio's `RuntimeError('Event loop is closed')`; see
    /// [`Error`](crate::Error#what-panics-and-what-returns-err)). `what` names the call.
    #[track_caller]
    #[inline(always)]
    pub(crate) fn check_open(&self, what: &str) {
        self.inner.sched.check_open(what);
    }

    /// The location of the caller of a `#[track_caller]` function, kept in debug mode only.
    #[track_caller]
    pub(crate) fn caller_if_debug(&self) -> Option<&'static std::panic::Location<'static>> {
        self.inner.diagnostics.caller_if_debug()
    }

    pub(crate) fn downgrade(&self) -> WeakLoop {
        WeakLoop(Rc::downgrade(&self.inner))
    }

    pub(crate) fn remote(&self) -> Arc<Remote> {
        self.inner.remote.clone()
    }
}

fn destroyed_pending(task: &Rc<dyn AnyTask>) -> ExceptionContext {
    let context = ExceptionContext::new("Task was destroyed but it is pending!")
        .with_task(task.name().to_string());
    match task.created_at() {
        Some(location) => context.with_source_traceback(location),
        None => context,
    }
}

impl Drop for Inner {
    /// A loop dropped without `close()` still reports the tasks it leaves unfinished.
    fn drop(&mut self) {
        // Refuse what other threads send from now on: nobody would ever drain it.
        drop(self.remote.close());
        if let Some(executor) = self.default_executor.get_mut().take() {
            crate::bridge::dispose_executor(executor);
        }
        for task in self.sched.tasks.take_all() {
            if task.destroy() {
                default_exception_handler(&destroyed_pending(&task));
            }
        }
    }
}

/// A loop at a glance: its clock, whether it runs or is closed, and how full its queues are.
impl fmt::Debug for EventLoop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventLoop")
            .field("clock", &self.clock_kind())
            .field("running", &self.is_running())
            .field("closed", &self.is_closed())
            .field("ready", &self.inner.sched.ready.len())
            .field("scheduled", &self.inner.timers.len())
            .finish()
    }
}
