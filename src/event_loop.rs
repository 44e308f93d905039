//! `EventLoop`: the loop as its users see it, one facade over the parts that do the work
//! (asyncio's `AbstractEventLoop` and `BaseEventLoop`).
//!
//! The whole loop is one idea repeated: a *tick* (asyncio's `_run_once`, in `tick.rs`) takes
//! the handles that are ready, runs each once, and comes back for more. Everything else —
//! timers, futures, tasks, I/O, threads — ends up as an entry on the ready deque.
//!
//! This file holds the loop's whole public API, in the sections of asyncio's
//! `AbstractEventLoop` (one `impl` block each). Each method is a short delegation to the part
//! that owns the state, whose module docs say how it works:
//!
//! | part | state it owns | module |
//! |---|---|---|
//! | the ready deque and its runner | `_ready` | `ready` |
//! | timers and the clock | `_scheduled`, `time()` | `timers`, `clock` |
//! | the task table | `_all_tasks`, the names `Task-N`, `Future-N` | `scheduler/task_table` |
//! | the reactor | the selector and its map | `reactor` |
//! | what crosses threads | the self-pipe, `_chain_future`, the default executor | `remote`, `bridge`, `threadsafe` |
//! | diagnostics | `_debug`, the exception handler, the tick observer | `debug`, `exception_handler` |
//! | the parts together | their life: `close`, `__del__`, `Future.get_loop()` | `state` |
//!
//! Invariants, stated once:
//! - the ready deque holds entries in the order they were scheduled; a tick runs exactly the
//!   entries that were in it when the tick began, so what they schedule waits for the next tick.
//! - the timer heap holds every timer that has neither come due nor been dropped; cancelled
//!   timers may linger in it (they are counted, and dropped lazily or in bulk). A due timer
//!   leaves its heap but keeps its slot there until its turn on the ready deque comes.
//! - The loop never busy-waits: when nothing is ready it waits for the nearest deadline in
//!   `mio::Poll::poll` (or, on a virtual clock, jumps to it), and when nothing at all is left
//!   that could ever become ready it reports [`Error::Stalled`] instead of hanging.

use std::borrow::Cow;
use std::fmt;
use std::future::Future as StdFuture;
use std::os::fd::AsRawFd;
use std::rc::Rc;
use std::time::Duration;

use crate::debug::ExceptionHandler;
use crate::exception_handler::{default_exception_handler, ExceptionContext};
use crate::executor::{ConcurrentFuture, ThreadPoolExecutor};
use crate::handle::{Callback, Handle, Labelled};
use crate::inspect::Queues;
use crate::label::Label;
use crate::reactor::{READ, WRITE};
use crate::run::Awaitable;
use crate::state::Inner;
use crate::task::{Task, TaskRef};
use crate::threadsafe::LoopHandle;
use crate::timers::TimerHandle;
use crate::trace::{Event, Trace};
use crate::{clock::ClockKind, nanos::to_nanos};
use crate::{Error, Future};

/// An event loop: callbacks, timers and (in later chapters) futures, tasks and I/O, run one tick
/// at a time on the current thread (asyncio's `asyncio.AbstractEventLoop`).
///
/// `EventLoop` is a cheap, clonable reference to one loop (an `Rc`): clones are the same loop.
/// It is neither `Send` nor `Sync`; a loop belongs to the thread that created it, and using it
/// from another thread does not compile (other threads use a [`LoopHandle`](crate::LoopHandle)):
///
/// ```compile_fail
/// let lp = steploop::EventLoop::new();
/// std::thread::spawn(move || lp.call_soon(|_| ())); // error: `Rc<Inner>` cannot be sent
/// ```
///
/// # Examples
/// ```
/// use steploop::EventLoop;
/// let lp = EventLoop::new();
/// lp.call_soon(|lp| lp.print("first"));
/// lp.call_soon(|lp| lp.stop()); // once this tick is over
/// lp.call_soon(|lp| lp.print("second"));
/// lp.run_forever().unwrap(); // prints "first", then "second": callbacks run in order
/// lp.close().unwrap();
/// ```
#[derive(Clone)]
pub struct EventLoop {
    pub(crate) inner: Rc<Inner>,
}

/// # Creating a loop
///
/// `asyncio.new_event_loop()`, on the real clock or on a virtual one.
impl EventLoop {
    /// A new loop on the real monotonic clock (`asyncio.new_event_loop()`).
    pub fn new() -> EventLoop {
        EventLoop::with_clock(ClockKind::Real)
    }

    /// A new loop on a virtual clock: time starts at 0, stands still while callbacks run, and
    /// jumps to the next deadline when nothing is ready. Timer programs run instantly and print
    /// the same times on every run.
    pub fn with_virtual_clock() -> EventLoop {
        EventLoop::with_clock(ClockKind::Virtual)
    }

    /// A new loop on the given clock.
    pub fn with_clock(kind: ClockKind) -> EventLoop {
        EventLoop {
            inner: Inner::new(kind),
        }
    }
}

/// # Running and stopping
///
/// asyncio's `run_forever`, `run_until_complete`, `stop`, `is_running`, `is_closed`, `close`,
/// `shutdown_default_executor`; and `run_once`, one tick, for teaching and testing.
impl EventLoop {
    /// Runs the loop until `stop()` is called (`loop.run_forever()`).
    ///
    /// # Errors
    /// - [`Error::AlreadyRunning`] if this loop, or another, is already running on this thread.
    /// - [`Error::Stalled`] if nothing is ready and nothing could ever become ready (no timers,
    ///   no I/O, no work from other threads) while `stop()` has not been called: asyncio would
    ///   block forever here. The loop is left as it was and can be run again.
    /// - [`Error::Io`] if the operating system's poll fails.
    ///
    /// # Panics
    /// If the loop is closed.
    #[track_caller]
    pub fn run_forever(&self) -> Result<(), Error> {
        self.run_ticks("run_forever", true)
    }

    /// Runs the loop until `awaitable` is done and returns its result
    /// (`loop.run_until_complete(future)`). A coroutine is wrapped in a task first.
    ///
    /// # Errors
    /// The awaitable's own error; [`Error::Stalled`] if it can never finish because nothing is
    /// left that could complete it; [`Error::Runtime`] if `stop()` was called first, or if
    /// the future or task belongs to another loop (asyncio's `ValueError`; the loop does not
    /// run); and the errors of [`run_forever`](EventLoop::run_forever).
    ///
    /// # Panics
    /// If the loop is closed.
    #[track_caller]
    pub fn run_until_complete<T: Clone + 'static>(
        &self,
        awaitable: impl Awaitable<T>,
    ) -> Result<T, Error> {
        crate::run::run_until_complete(self, awaitable)
    }

    /// Runs exactly one tick: waits for the first handle to become ready if none is, then runs
    /// every handle that is ready (asyncio's `_run_once`, made public for teaching and testing).
    ///
    /// # Errors
    /// As [`run_forever`](EventLoop::run_forever).
    ///
    /// # Panics
    /// If the loop is closed.
    #[track_caller]
    pub fn run_once(&self) -> Result<(), Error> {
        self.run_ticks("run_once", false)
    }

    /// Asks the loop to stop once the current tick is over (`loop.stop()`). Called before
    /// `run_forever`, it makes the next `run_forever` run one tick and return, as in asyncio.
    pub fn stop(&self) {
        self.inner.stopping.set(true);
        self.record(|| Event::Stop);
    }

    /// True while `run_forever` or `run_once` is running (`loop.is_running()`).
    pub fn is_running(&self) -> bool {
        self.inner.running.get()
    }

    /// True once the loop was closed (`loop.is_closed()`).
    pub fn is_closed(&self) -> bool {
        self.inner.sched.is_closed()
    }

    /// Closes the loop: drops every pending handle and timer without running them, and
    /// releases the poll instance (`loop.close()`). Closing twice does nothing.
    ///
    /// Nothing goes unreported: results other threads already sent reach their futures; work
    /// still out (its futures cancelled), `call_soon_threadsafe` callbacks never run and tasks
    /// still pending are reported to the exception handler; a `LoopHandle` gets
    /// [`Error::Closed`] from now on. The default executor is shut down without waiting. The
    /// last clone of a loop nobody closed closes it when dropped (asyncio's `__del__`).
    ///
    /// # Errors
    /// [`Error::Runtime`] if the loop is running: stop it, and close it once `run_forever`
    /// has returned.
    pub fn close(&self) -> Result<(), Error> {
        self.close_parts()
    }

    /// Shuts the default executor down and returns a future that is done once every job it
    /// had has finished (`loop.shutdown_default_executor()`). As in asyncio, the waiting
    /// happens in a separate thread, so that the loop keeps running meanwhile: a job may still
    /// need it, for instance to `call_soon_threadsafe`. [`run`](crate::run) calls this before
    /// it closes the loop. Without a default executor the future is done at once.
    pub fn shutdown_default_executor(&self) -> Future<()> {
        crate::bridge::shutdown_default_executor(self)
    }
}

/// # Scheduling callbacks
///
/// asyncio's `call_soon`; other threads use [`LoopHandle::call_soon_threadsafe`].
impl EventLoop {
    /// Schedules `callback` to run on the next tick, after the handles already ready
    /// (`loop.call_soon(callback)`).
    ///
    /// Callbacks run in the order they were scheduled (see the example of [`EventLoop`]). A
    /// callback scheduled while a tick is running waits for the next tick, so a callback that
    /// keeps rescheduling itself cannot starve the others.
    ///
    /// # Panics
    /// If the loop is closed: a closed loop will never run the callback.
    pub fn call_soon<F: Callback>(&self, callback: F) -> Handle {
        self.call_soon_labelled(Label::of_type::<F>(), callback)
    }

    /// Schedules the next callback under a label of your choosing, shown in traces and error
    /// reports instead of the function's name — as asyncio's `Handle` repr shows the callback's
    /// arguments. Example: [`Labelled`].
    pub fn with_label(&self, label: impl Into<Cow<'static, str>>) -> Labelled<'_> {
        Labelled::new(self, Label::new(label))
    }
}

/// # Timers and the clock
///
/// asyncio's `call_later`, `call_at`, `time`; and steploop's virtual clock.
impl EventLoop {
    /// Schedules `callback` to run once `delay` has passed (`loop.call_later(delay, callback)`).
    /// The deadline is `time() + delay`. Timers with the same deadline run in the order they
    /// were scheduled.
    ///
    /// # Panics
    /// If the loop is closed.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// use steploop::EventLoop;
    /// let lp = EventLoop::with_virtual_clock();
    /// lp.call_later(Duration::from_secs(3), |lp| lp.stop());
    /// lp.run_forever().unwrap();
    /// assert_eq!(lp.time(), Duration::from_secs(3)); // and no real time passed
    /// ```
    pub fn call_later<F: Callback>(&self, delay: Duration, callback: F) -> TimerHandle {
        self.inner.timers.call_later(delay, callback)
    }

    /// Schedules `callback` to run at loop time `when` (`loop.call_at(when, callback)`). A
    /// deadline in the past makes the timer due on the next tick.
    ///
    /// # Panics
    /// If the loop is closed.
    pub fn call_at<F: Callback>(&self, when: Duration, callback: F) -> TimerHandle {
        self.inner.timers.call_at(when, callback)
    }

    /// The loop's current time, measured from the loop's creation (`loop.time()`). On a
    /// virtual clock, the time the loop has jumped to; it does not move while callbacks run.
    pub fn time(&self) -> Duration {
        Duration::from_nanos(self.inner.timers.now())
    }

    /// Moves a virtual clock forward by `duration` at once, as if the running callback had
    /// kept the loop's thread busy that long (asyncio's `test_utils.TestLoop.advance_time`).
    ///
    /// This is how a program on the virtual clock simulates CPU-heavy work: nothing else runs
    /// meanwhile, and timers that come due while it "runs" are taken in late, on the next
    /// tick, exactly as after a real busy callback. The trace records it as `busy`.
    ///
    /// # Errors
    /// [`Error::Runtime`] on a real clock, which no program can move.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// use steploop::EventLoop;
    /// let lp = EventLoop::with_virtual_clock();
    /// lp.advance_time(Duration::from_millis(200)).unwrap();
    /// assert_eq!(lp.time(), Duration::from_millis(200));
    /// assert!(EventLoop::new().advance_time(Duration::from_secs(1)).is_err());
    /// ```
    pub fn advance_time(&self, duration: Duration) -> Result<(), Error> {
        self.inner.timers.advance(duration)
    }

    /// Which clock this loop runs on.
    pub fn clock_kind(&self) -> ClockKind {
        self.inner.timers.clock().kind()
    }

    /// How many timers the heap holds, counting cancelled ones not dropped yet: at most about
    /// twice the live timers, since the heap is compacted when most of it is cancelled.
    pub fn scheduled_timers(&self) -> usize {
        self.inner.timers.len()
    }
}

/// # Futures and tasks
///
/// asyncio's `create_future`, `create_task`, `all_tasks`. (`Future.get_loop()` and
/// `Task.get_loop()`, the way back from a future to its loop, are in `state.rs`.)
impl EventLoop {
    /// Creates a pending future on this loop (`loop.create_future()`), named `Future-N` (the
    /// first one `Future-1`), numbered per loop in creation order.
    #[track_caller]
    pub fn create_future<T: 'static>(&self) -> Future<T> {
        let n = self.inner.sched.tasks.next_future_number();
        let future = Future::new(self.scheduler(), Label::future(n));
        future.set_created_at(self.caller_if_debug());
        future
    }

    /// Wraps a coroutine in a task and schedules its first step (`loop.create_task(coro)`).
    /// The task is named `Task-N`, numbered per loop in creation order. In debug mode it
    /// remembers the line that called `create_task`, which reports about it show
    /// ([`Task::created_at`]).
    ///
    /// # Panics
    /// If the loop is closed.
    #[track_caller]
    pub fn create_task<T, F>(&self, coroutine: F) -> Task<T>
    where
        T: 'static,
        F: StdFuture<Output = Result<T, Error>> + 'static,
    {
        self.check_open("create_task");
        let created_at = self.caller_if_debug();
        crate::task::create_task(self.scheduler(), &self.inner.remote, created_at, coroutine)
    }

    /// The tasks of this loop that are not done yet (`asyncio.all_tasks()`), oldest first.
    pub fn all_tasks(&self) -> Vec<TaskRef> {
        self.inner
            .sched
            .tasks
            .all()
            .into_iter()
            .map(TaskRef::new)
            .collect()
    }
}

/// # Threads and executors
///
/// asyncio's `run_in_executor`, `set_default_executor`, `wrap_future`; a handle for
/// `call_soon_threadsafe`; and a process pool over pipes. How a loop future receives what
/// another thread completes: see `bridge.rs`.
impl EventLoop {
    /// Runs `job` in `executor`, or in the loop's default executor for `None`, and returns a
    /// loop future for its result (`loop.run_in_executor(executor, func)`). The loop goes on
    /// running other handles meanwhile; `.await` on the future gives the job's value, or
    /// `Error::Panicked` if it panicked, or `Error::Cancelled`.
    ///
    /// # Notes
    /// - The default executor is a [`ThreadPoolExecutor`] with Python's default number of
    ///   workers, named `steploop-default-1`, ..., created on first use; replace it with
    ///   [`set_default_executor`](EventLoop::set_default_executor).
    /// - Where asyncio raises at once, the future is already failed and nothing is
    ///   submitted: `Error::ExecutorShutdown` for an executor that was shut down, or for
    ///   `None` after [`shutdown_default_executor`](EventLoop::shutdown_default_executor).
    /// - Extra arguments, which asyncio passes after `func`, are captured by the closure. A
    ///   job that returns a `Result` is [`run_in_executor_fallible`](Self::run_in_executor_fallible).
    ///
    /// # Panics
    /// If the loop is closed, as `call_soon` does: the job never runs, and no default executor
    /// is created.
    ///
    /// # Examples
    /// ```
    /// use steploop::{get_running_loop, run};
    /// let squared = run(async {
    ///     let lp = get_running_loop().unwrap();
    ///     lp.run_in_executor(None, || 12 * 12).await
    /// });
    /// assert_eq!(squared.unwrap(), 144);
    /// ```
    pub fn run_in_executor<T, F>(&self, executor: Option<&ThreadPoolExecutor>, job: F) -> Future<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.submit_and_chain(executor, |executor| executor.submit(job))
    }

    /// [`run_in_executor`](Self::run_in_executor) for a job that can fail: its `Err` becomes
    /// the future's error, so that awaiting gives one `Result`, not a `Result` of a `Result`
    /// (as [`ThreadPoolExecutor::submit_fallible`] does for the pool).
    ///
    /// # Panics
    /// If the loop is closed.
    pub fn run_in_executor_fallible<T, E, F>(
        &self,
        executor: Option<&ThreadPoolExecutor>,
        job: F,
    ) -> Future<T>
    where
        F: FnOnce() -> Result<T, E> + Send + 'static,
        E: Into<Error>,
        T: Send + 'static,
    {
        self.submit_and_chain(executor, |executor| executor.submit_fallible(job))
    }

    /// Runs the job registered as `job` in a worker process of `pool`, with `args`, and
    /// returns a loop future for its result bytes: `loop.run_in_executor(pool, func, *args)`
    /// with a `ProcessPoolExecutor`.
    ///
    /// It behaves as [`run_in_executor`](EventLoop::run_in_executor) does, and its future may
    /// also fail with `Error::BrokenProcessPool` if the job's worker died; cancelling it
    /// cancels the job if no worker has taken it yet. It is a method of its own because a
    /// process pool runs only jobs registered by name, with bytes for arguments (see
    /// [`crate::process`]).
    ///
    /// # Panics
    /// If the loop is closed.
    pub fn run_in_process_pool(
        &self,
        pool: &crate::process::ProcessPoolExecutor,
        job: &str,
        args: impl AsRef<[u8]>,
    ) -> Future<Vec<u8>> {
        pool.submit_for(self, job, args.as_ref())
    }

    /// Makes `executor` the one `run_in_executor(None, ..)` uses
    /// (`loop.set_default_executor(executor)`). A default executor it replaces is shut down
    /// without waiting: its jobs finish, in the background. Its threads are named as it says
    /// ([`ThreadPoolExecutor::with_thread_name_prefix`]).
    pub fn set_default_executor(&self, executor: ThreadPoolExecutor) {
        crate::bridge::set_default_executor(self, executor);
    }

    /// Wraps a [`ConcurrentFuture`] in a loop future that a task can await
    /// (`asyncio.wrap_future(future, loop=loop)`). When `future` completes, in whatever
    /// thread, its outcome is copied into the loop future on the loop's thread: the value (a
    /// clone, so that `future.result()` still works), the error, or the cancellation.
    ///
    /// # Notes
    /// Cancelling the loop future cancels `future` too, which stops its job if the job has not
    /// started (a running job cannot be stopped). Until `future` completes, an idle loop waits
    /// for it rather than report a stall, and a virtual clock does not move: a future that no
    /// thread ever completes keeps the loop waiting forever, as in asyncio.
    ///
    /// # Panics
    /// If the loop is closed.
    ///
    /// # Examples
    /// ```
    /// use steploop::{executor::ThreadPoolExecutor, EventLoop};
    /// let future = ThreadPoolExecutor::new(1).submit(|| 6 * 7).unwrap();
    /// let lp = EventLoop::new();
    /// assert_eq!(lp.run_until_complete(lp.wrap_future(future.clone())).unwrap(), 42);
    /// assert_eq!(future.result().unwrap(), 42); // still readable
    /// ```
    pub fn wrap_future<T: Clone + Send + 'static>(&self, future: ConcurrentFuture<T>) -> Future<T> {
        self.chain(future, ConcurrentFuture::result)
    }

    /// A handle through which other threads can reach this loop: `Send`, `Sync` and `Clone`.
    pub fn handle(&self) -> LoopHandle {
        LoopHandle::new(self.remote())
    }
}

/// # I/O
///
/// asyncio's `add_reader`, `remove_reader`, `add_writer`, `remove_writer`; the sockets of
/// [`net`](crate::net) register themselves. How the selector works: see `reactor.rs`.
impl EventLoop {
    /// Calls `callback` whenever `source` becomes readable, until [`remove_reader`] is called
    /// (`loop.add_reader(fd, callback)`). A reader already set for this source is replaced.
    ///
    /// # Notes
    /// asyncio's selector is level-triggered: its callback runs on every tick while data is
    /// waiting. mio is edge-triggered: the callback runs once when the source *becomes*
    /// readable (and once right after registration if it already is). Read until the system
    /// call returns `WouldBlock`, or the bytes left behind will not announce themselves again.
    ///
    /// # Errors
    /// [`Error::Io`] if the operating system refuses the registration.
    ///
    /// # Panics
    /// If the loop is closed.
    ///
    /// # Implementation notes
    /// One `epoll_ctl` (`ADD` with a slab entry, or `MOD` to re-arm a source already watched,
    /// so that epoll reports its readiness again); each event schedules one handle.
    ///
    /// # Examples
    /// The four methods of this section at work:
    /// ```
    /// use std::io::Write;
    /// use steploop::EventLoop;
    /// let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// let mut a = mio::net::UnixStream::from_std(a);
    /// b.write_all(b"ping").unwrap();
    /// let lp = EventLoop::new();
    /// lp.add_reader(&mut a, |lp| lp.stop()).unwrap(); // "ping" is waiting: readable now
    /// lp.run_forever().unwrap();
    /// assert!(lp.remove_reader(&mut a).unwrap());
    /// assert!(!lp.remove_reader(&mut a).unwrap()); // no reader any more
    ///
    /// lp.add_writer(&mut a, |lp| lp.stop()).unwrap(); // a fresh socket has room to write
    /// lp.run_forever().unwrap();
    /// assert!(lp.remove_writer(&mut a).unwrap());
    /// assert_eq!(lp.registered_sources(), 0);
    /// ```
    ///
    /// [`remove_reader`]: EventLoop::remove_reader
    pub fn add_reader<S, F>(&self, source: &mut S, callback: F) -> Result<(), Error>
    where
        S: mio::event::Source + AsRawFd + ?Sized,
        F: FnMut(&EventLoop) + 'static,
    {
        let label = Label::of_type::<F>();
        self.reactor()
            .add_callback(source, READ, label, Box::new(callback))
    }

    /// Stops watching `source` for reading (`loop.remove_reader(fd)`). Returns whether a
    /// reader was set. A handle already scheduled for it does not run.
    ///
    /// # Errors
    /// [`Error::Io`] if the operating system refuses to deregister the source.
    pub fn remove_reader<S>(&self, source: &mut S) -> Result<bool, Error>
    where
        S: mio::event::Source + AsRawFd + ?Sized,
    {
        self.reactor().remove_callback(source, READ)
    }

    /// Calls `callback` whenever `source` becomes writable, until [`remove_writer`] is called
    /// (`loop.add_writer(fd, callback)`).
    ///
    /// # Notes
    /// Edge-triggered, as [`add_reader`](EventLoop::add_reader), whose example shows both: it
    /// runs when the source becomes writable (at once, for a connected socket with room in its
    /// buffer), and again only after a write has met a full buffer and room came back.
    ///
    /// # Errors
    /// [`Error::Io`] if the operating system refuses the registration.
    ///
    /// # Panics
    /// If the loop is closed.
    ///
    /// [`remove_writer`]: EventLoop::remove_writer
    pub fn add_writer<S, F>(&self, source: &mut S, callback: F) -> Result<(), Error>
    where
        S: mio::event::Source + AsRawFd + ?Sized,
        F: FnMut(&EventLoop) + 'static,
    {
        let label = Label::of_type::<F>();
        self.reactor()
            .add_callback(source, WRITE, label, Box::new(callback))
    }

    /// Stops watching `source` for writing (`loop.remove_writer(fd)`). Returns whether a
    /// writer was set.
    ///
    /// # Errors
    /// [`Error::Io`] if the operating system refuses to deregister the source.
    pub fn remove_writer<S>(&self, source: &mut S) -> Result<bool, Error>
    where
        S: mio::event::Source + AsRawFd + ?Sized,
    {
        self.reactor().remove_callback(source, WRITE)
    }

    /// How many sources are registered with the loop's selector (both levels), as
    /// `len(loop._selector.get_map())` is in asyncio. A loop that has closed every socket it
    /// opened is back to zero.
    pub fn registered_sources(&self) -> usize {
        self.reactor().len()
    }
}

/// # Error handling
///
/// asyncio's `set_exception_handler`, `get_exception_handler`, `default_exception_handler`,
/// `call_exception_handler`.
impl EventLoop {
    /// Sets the function that receives errors nobody else can receive, such as a panic in a
    /// callback (`loop.set_exception_handler(handler)`).
    pub fn set_exception_handler(&self, handler: impl Fn(&EventLoop, &ExceptionContext) + 'static) {
        self.inner
            .diagnostics
            .set_exception_handler(Some(Rc::new(handler)));
    }

    /// The handler set with [`set_exception_handler`](EventLoop::set_exception_handler), or
    /// `None` when the default one is in use (`loop.get_exception_handler()`).
    pub fn get_exception_handler(&self) -> Option<Rc<ExceptionHandler>> {
        self.inner.diagnostics.exception_handler()
    }

    /// Goes back to the default handler, which logs (`loop.set_exception_handler(None)`).
    pub fn reset_exception_handler(&self) {
        self.inner.diagnostics.set_exception_handler(None);
    }

    /// What the loop does with a report when no handler is set: logs it at error level
    /// through `log`, the message first, then the other keys sorted
    /// (`loop.default_exception_handler(context)`). A handler of your own can call it to keep
    /// the usual log line and do something more, as the example of
    /// [`default_exception_handler`](crate::default_exception_handler) does.
    pub fn default_exception_handler(&self, context: &ExceptionContext) {
        default_exception_handler(context);
    }

    /// Reports an error to the loop's exception handler (`loop.call_exception_handler(context)`).
    /// A handler that panics is itself reported through the default handler, so a broken
    /// handler cannot lose the original report or take the loop down.
    pub fn call_exception_handler(&self, context: &ExceptionContext) {
        self.inner.diagnostics.call_exception_handler(self, context);
    }
}

/// # Debug mode, traces and inspection
///
/// asyncio's `set_debug`, `get_debug`, `slow_callback_duration`; and steploop's trace and
/// view of its queues. What debug mode logs and what it costs: see `debug.rs`; the queues:
/// [`inspect`](crate::inspect).
impl EventLoop {
    /// Switches debug mode on or off for this loop (`loop.set_debug(enabled)`).
    ///
    /// In debug mode the loop logs each handle that ran [`slow_callback_duration`] or longer
    /// (timed on the real clock, even on a virtual-clock loop) and each wait in its selector;
    /// and `create_task`, `create_future`, `run_until_complete` and `run` keep the line that
    /// called them, which [`Task::created_at`](crate::Task::created_at) returns and reports
    /// show as `source_traceback`. `STEPLOOP_DEBUG` set to anything but empty or `0` turns it
    /// on for every new loop (asyncio's `PYTHONASYNCIODEBUG`).
    ///
    /// [`slow_callback_duration`]: EventLoop::slow_callback_duration
    pub fn set_debug(&self, enabled: bool) {
        self.inner.diagnostics.set_debug(enabled);
    }

    /// True in debug mode (`loop.get_debug()`).
    pub fn get_debug(&self) -> bool {
        self.inner.diagnostics.debug()
    }

    /// How long a handle may run before debug mode logs it as slow
    /// (`loop.slow_callback_duration`); 100 ms unless set.
    pub fn slow_callback_duration(&self) -> Duration {
        self.inner.diagnostics.slow_callback_duration()
    }

    /// Sets the threshold of [`slow_callback_duration`](EventLoop::slow_callback_duration).
    pub fn set_slow_callback_duration(&self, duration: Duration) {
        self.inner.diagnostics.set_slow_callback_duration(duration);
    }

    /// Switches recording of the scheduling trace on or off for this loop.
    pub fn set_trace(&self, on: bool) {
        self.inner.sched.tracer.set(on);
    }

    /// Returns what was recorded so far and starts a fresh recording.
    pub fn take_trace(&self) -> Trace {
        self.inner.sched.tracer.take()
    }

    /// Prints a line to standard output and, when tracing, records it in the trace, so that a
    /// program's output and the loop's activity read as one story.
    pub fn print(&self, line: impl fmt::Display) {
        let line = line.to_string();
        println!("{line}");
        self.record(|| Event::Print(line));
    }

    /// Records, when tracing, that `job` ran on the worker thread `worker` from loop time
    /// `started` to `finished`; the timeline draws it on the worker's lane. The loop cannot
    /// see into other threads: whoever knows when a job ran (a simulated pool on the virtual
    /// clock, a pool that times its jobs) tells the trace, typically as it hands the result back.
    pub fn trace_job(
        &self,
        worker: impl Into<Cow<'static, str>>,
        job: impl Into<Cow<'static, str>>,
        started: Duration,
        finished: Duration,
    ) {
        self.record(|| Event::Job {
            worker: Label::new(worker),
            job: Label::new(job),
            started: to_nanos(started),
            finished: to_nanos(finished),
        });
    }

    /// A snapshot of the ready deque and the timer heap, as the loop holds them now. A due
    /// timer that has moved to the ready deque is listed there, not in `timers`.
    pub fn queues(&self) -> Queues {
        self.snapshot_queues()
    }

    /// Calls `observer` at the start of every tick while tracing is on, with the queues as the
    /// tick found them (after the due timers moved to the ready deque, before any handle runs:
    /// the moment the trace's `tick` line describes); replaces any observer set before. For
    /// tests and tools that check a reading of the trace against the loop itself; it cannot
    /// change the queues. Example: [`TickObserver`](crate::inspect::TickObserver).
    pub fn set_tick_observer(&self, observer: impl FnMut(&Queues) + 'static) {
        self.inner
            .diagnostics
            .set_tick_observer(Some(Box::new(observer)));
    }

    /// Removes the tick observer, if one is set.
    pub fn clear_tick_observer(&self) {
        self.inner.diagnostics.set_tick_observer(None);
    }
}
