//! `EventLoop`: the ready deque, the timer heap, and the tick that drives them
//! (asyncio's `BaseEventLoop`).
//!
//! The whole loop is one idea repeated: a *tick* (asyncio's `_run_once`) takes the handles that
//! are ready, runs each once, and comes back for more. Everything else — timers, futures, tasks,
//! I/O, threads — ends up as a handle on the ready deque.
//!
//! Invariants, stated once:
//! - `ready` holds handles in the order they were scheduled; a tick runs exactly the handles
//!   that were in it when the tick began, so what they schedule waits for the next tick.
//! - `scheduled` holds every timer that has neither come due nor been dropped; cancelled timers
//!   may linger in it (they are counted, and dropped lazily or in bulk). A due timer leaves its
//!   heap but keeps its slot there until its turn on the ready deque comes.
//! - The loop never busy-waits: when nothing is ready it waits for the nearest deadline in
//!   `mio::Poll::poll` (or, on a virtual clock, jumps to it), and when nothing at all is left
//!   that could ever become ready it reports [`Error::Stalled`] instead of hanging.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::{Rc, Weak};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use slab::Slab;

use crate::bridge::{BridgeKey, Bridges};
use crate::clock::{to_nanos, Clock, ClockKind};
use crate::exception_handler::{default_exception_handler, ExceptionContext, ExceptionHandler};
use crate::executor::ThreadPoolExecutor;
use crate::future::Notify;
use crate::handle::{Callback, Handle};
use crate::inspect::TickObserver;
use crate::label::Label;
use crate::reactor::{Registrations, Selector};
use crate::remote::{Message, Remote, RemoteCall};
use crate::sleep::SleepTimer;
use crate::task::{AnyTask, TaskKey};
use crate::timers::{TimerHandle, TimerHeap, TimerId, TimerRef};
use crate::trace::{Event, Trace, Tracer};
use crate::Error;

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
/// lp.call_soon(|lp| {
///     println!("hello");
///     lp.stop();
/// });
/// lp.run_forever().unwrap();
/// lp.close().unwrap();
/// ```
#[derive(Clone)]
pub struct EventLoop {
    pub(crate) inner: Rc<Inner>,
}

/// The loop's state. Each piece sits in its own cell so that a callback can schedule, cancel
/// and read the clock while the loop is in the middle of a tick: the loop never holds a borrow
/// while user code runs.
pub(crate) struct Inner {
    /// Identifies the loop to wakers, which must not hold an `Rc` to it.
    pub(crate) id: u64,
    /// Handles ready to run, in order (asyncio's `_ready`).
    pub(crate) ready: RefCell<VecDeque<Runnable>>,
    /// Every task not yet done; the ready deque refers to them by key.
    pub(crate) tasks: RefCell<Slab<Rc<dyn AnyTask>>>,
    /// Tasks created so far: the next one is `Task-{tasks_created + 1}`.
    pub(crate) tasks_created: Cell<u64>,
    /// Futures created with `create_future`, for their names.
    pub(crate) futures_created: Cell<u64>,
    /// Tasks waiting on a waker that is not steploop's (a future of another library), which
    /// another thread may wake at any time: while there are any, an idle loop waits in its
    /// poll instead of reporting a stall.
    pub(crate) foreign_waits: Cell<usize>,
    /// What other threads send: wakeups, `call_soon_threadsafe` callbacks, completions.
    pub(crate) remote: Arc<Remote>,
    /// The messages of one drain, moved out of the remote queue under its lock. Kept between
    /// ticks so that neither this buffer nor the queue's reallocates once warmed up.
    pub(crate) inbox: Cell<Vec<Message>>,
    /// Loop futures waiting for work sent to other threads (`run_in_executor`,
    /// `wrap_future`): while there are any, an idle loop waits in its poll for their results,
    /// and a virtual clock stands still.
    pub(crate) bridges: Bridges,
    /// True while `run_until_complete` runs the loop: then a live `LoopHandle` alone does not
    /// keep the loop waiting (see `run_tick`).
    pub(crate) until_complete: Cell<bool>,
    /// The executor `run_in_executor(None, ..)` uses, created on first use
    /// (asyncio's `_default_executor`).
    pub(crate) default_executor: RefCell<Option<Arc<ThreadPoolExecutor>>>,
    /// Set by `shutdown_default_executor`: `run_in_executor(None, ..)` is refused from then on
    /// (asyncio's `_executor_shutdown_called`).
    pub(crate) default_executor_shut_down: Cell<bool>,
    /// Timers waiting for their deadline (asyncio's `_scheduled`).
    pub(crate) scheduled: RefCell<TimerHeap>,
    pub(crate) clock: Clock,
    /// Set by `stop()`: finish the current tick, then return from `run_forever`.
    pub(crate) stopping: Cell<bool>,
    pub(crate) running: Cell<bool>,
    pub(crate) closed: Cell<bool>,
    /// Ticks run so far; the trace numbers ticks with it.
    pub(crate) ticks: Cell<u64>,
    /// The loop's "select": created on first use, since a loop that never waits for a timer
    /// (or, later, for I/O) never needs the epoll instance.
    pub(crate) selector: RefCell<Option<Selector>>,
    /// The sources registered with the selector, in a slab whose keys are their `mio::Token`s
    /// (asyncio's selector map: `add_reader`, `add_writer`, and the sockets of `net`).
    pub(crate) io: Registrations,
    /// Whether events are being recorded; checked before building any event.
    pub(crate) tracer: Tracer,
    /// Called at the start of each traced tick with the loop's queues (`set_tick_observer`).
    pub(crate) tick_observer: RefCell<Option<Box<TickObserver>>>,
    pub(crate) exception_handler: RefCell<Option<Rc<ExceptionHandler>>>,
    /// Debug mode (`loop.set_debug(True)`): slow handles and polls are logged, and tasks and
    /// futures remember where they were created. Checked once per tick, never per handle.
    pub(crate) debug: Cell<bool>,
    /// In debug mode, a handle that runs at least this long is logged
    /// (`loop.slow_callback_duration`).
    pub(crate) slow_callback_duration: Cell<Duration>,
}

// ANCHOR: runnable
/// An entry of the ready deque: a callback's handle, a step of a task, or work that another
/// thread handed to the loop.
///
/// # Implementation notes
/// A task's step is its slab key, not a boxed closure: scheduling a step allocates nothing.
/// A due timer, likewise, is the key of its slot in the timer heap.
pub(crate) enum Runnable {
    Callback(Handle),
    /// A timer that came due: its key in the timer heap's slots, where its callback waits.
    Timer(u32),
    /// `wakeup` tells apart a first step or a yield (asyncio's `__step`) from a step because an
    /// awaited future is done (`__wakeup`); both poll the coroutine once.
    Step {
        task: TaskKey,
        wakeup: bool,
    },
    /// A done-callback shared by many futures (gather's), told which of them is done.
    Notify(Rc<dyn Notify>, u32),
    /// A callback another thread sent with `call_soon_threadsafe`.
    Remote(Box<dyn RemoteCall>),
    /// Work sent to another thread is done: copy its outcome into the loop future waiting for
    /// it (asyncio's `_set_state`, which `_chain_future` schedules with `call_soon_threadsafe`).
    Bridge(BridgeKey),
}
// ANCHOR_END: runnable

// The ready deque is the hottest structure of the loop: the two variants for other threads
// (a fat pointer, a key) must not make its entries any bigger than a task's step.
const _: () = assert!(std::mem::size_of::<Runnable>() == 24);

/// A weak reference to a loop, held by futures: the loop owns its tasks, and tasks own futures.
#[derive(Clone)]
pub(crate) struct WeakLoop(Weak<Inner>);

impl WeakLoop {
    pub(crate) fn upgrade(&self) -> Option<EventLoop> {
        self.0.upgrade().map(|inner| EventLoop { inner })
    }
}

/// Gives every loop a number of its own, for wakers to name it.
static NEXT_LOOP_ID: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// The loop running on this thread, if any (asyncio's `_running_loop`).
    static RUNNING_LOOP: RefCell<Option<EventLoop>> = const { RefCell::new(None) };
}

/// The loop running on the current thread, if one is running (`asyncio.get_running_loop()`).
///
/// # Examples
/// ```
/// use steploop::{get_running_loop, EventLoop};
/// assert!(get_running_loop().is_none());
/// let lp = EventLoop::new();
/// lp.call_soon(|lp| {
///     assert!(get_running_loop().is_some());
///     lp.stop();
/// });
/// lp.run_forever().unwrap();
/// ```
pub fn get_running_loop() -> Option<EventLoop> {
    RUNNING_LOOP.with(|running| running.borrow().clone())
}

/// The running loop, or the error every function that needs one gives when there is none
/// (see [`Error`](crate::Error#no-running-loop)): `what` names the function.
pub(crate) fn running_loop(what: &str) -> Result<EventLoop, Error> {
    get_running_loop().ok_or_else(|| crate::error::no_running_loop(what))
}

/// The loop running on this thread if it is the loop numbered `id`.
pub(crate) fn running_loop_with_id(id: u64) -> Option<EventLoop> {
    RUNNING_LOOP.with(|running| {
        let running = running.borrow();
        running.as_ref().filter(|lp| lp.inner.id == id).cloned()
    })
}

thread_local! {
    /// The loops created on this thread and not yet dropped, to find one by its number.
    static LOOPS_OF_THIS_THREAD: RefCell<Vec<WeakLoop>> = const { RefCell::new(Vec::new()) };
}

/// The loop numbered `id` if it belongs to this thread, running or not: what
/// `call_soon_threadsafe` looks for to put a callback straight on the ready deque.
pub(crate) fn loop_of_this_thread(id: u64) -> Option<EventLoop> {
    if let Some(running) = running_loop_with_id(id) {
        return Some(running);
    }
    LOOPS_OF_THIS_THREAD
        .try_with(|loops| {
            let loops = loops.borrow();
            loops
                .iter()
                .filter_map(WeakLoop::upgrade)
                .find(|lp| lp.inner.id == id)
        })
        .ok()
        .flatten()
}

/// Notes a new loop as belonging to this thread, forgetting loops dropped since.
fn register_on_this_thread(event_loop: &EventLoop) {
    let _ = LOOPS_OF_THIS_THREAD.try_with(|loops| {
        let mut loops = loops.borrow_mut();
        loops.retain(|lp| lp.0.strong_count() > 0);
        loops.push(event_loop.downgrade());
    });
}

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
        let id = NEXT_LOOP_ID.fetch_add(1, Ordering::Relaxed);
        let event_loop = EventLoop {
            inner: Rc::new(Inner {
                id,
                ready: RefCell::new(VecDeque::new()),
                tasks: RefCell::new(Slab::new()),
                tasks_created: Cell::new(0),
                futures_created: Cell::new(0),
                foreign_waits: Cell::new(0),
                remote: Arc::new(Remote::new(id)),
                inbox: Cell::new(Vec::new()),
                bridges: Bridges::default(),
                until_complete: Cell::new(false),
                default_executor: RefCell::new(None),
                default_executor_shut_down: Cell::new(false),
                scheduled: RefCell::new(TimerHeap::default()),
                clock: Clock::new(kind),
                stopping: Cell::new(false),
                running: Cell::new(false),
                closed: Cell::new(false),
                ticks: Cell::new(0),
                selector: RefCell::new(None),
                io: Registrations::default(),
                tracer: Tracer::default(),
                tick_observer: RefCell::new(None),
                exception_handler: RefCell::new(None),
                debug: Cell::new(crate::debug::debug_from_env()),
                slow_callback_duration: Cell::new(crate::debug::SLOW_CALLBACK_DURATION),
            }),
        };
        register_on_this_thread(&event_loop);
        event_loop
    }

    /// Which clock this loop runs on.
    pub fn clock_kind(&self) -> ClockKind {
        self.inner.clock.kind()
    }

    /// Schedules `callback` to run on the next tick, after the handles already ready
    /// (`loop.call_soon(callback)`).
    ///
    /// Callbacks run in the order they were scheduled. A callback scheduled while a tick is
    /// running waits for the next tick, so a callback that keeps rescheduling itself cannot
    /// starve the others.
    ///
    /// # Panics
    /// If the loop is closed: a closed loop will never run the callback.
    ///
    /// # Implementation notes
    /// One allocation (the handle, which holds the closure) and a push onto a `VecDeque`.
    ///
    /// # Examples
    /// ```
    /// use steploop::EventLoop;
    /// let lp = EventLoop::new();
    /// lp.call_soon(|_| println!("first"));
    /// lp.call_soon(|_| println!("second"));
    /// lp.run_once().unwrap(); // prints "first", then "second"
    /// ```
    // ANCHOR: call_soon
    pub fn call_soon<F: Callback>(&self, callback: F) -> Handle {
        self.call_soon_labelled(Label::of_type::<F>(), callback)
    }

    pub(crate) fn call_soon_labelled(&self, label: Label, callback: impl Callback) -> Handle {
        self.check_open("call_soon");
        let handle = Handle::new(label, callback);
        self.record(|| Event::CallSoon(handle.label().clone()));
        let runnable = Runnable::Callback(handle.clone());
        self.inner.ready.borrow_mut().push_back(runnable);
        handle
    }
    // ANCHOR_END: call_soon

    /// Schedules the next callback under a label of your choosing, shown in traces and error
    /// reports instead of the function's name — as asyncio's `Handle` repr shows the callback's
    /// arguments.
    ///
    /// # Examples
    /// ```
    /// use steploop::EventLoop;
    /// let lp = EventLoop::new();
    /// let n = 2;
    /// let handle = lp.with_label(format!("count({n})")).call_soon(move |_| println!("{n}"));
    /// assert_eq!(handle.label().to_string(), "count(2)");
    /// ```
    pub fn with_label(&self, label: impl Into<Cow<'static, str>>) -> Labelled<'_> {
        Labelled {
            event_loop: self,
            label: Label::new(label),
        }
    }

    /// The loop's current time, measured from the loop's creation (`loop.time()`).
    ///
    /// On a virtual clock this is the time the loop has jumped to; it does not move while
    /// callbacks run.
    pub fn time(&self) -> Duration {
        Duration::from_nanos(self.inner.clock.now())
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
        let inner = &*self.inner;
        if !matches!(inner.clock, Clock::Virtual { .. }) {
            return Err(Error::Runtime(
                "advance_time on a real clock: only a virtual clock can be moved; create the \
                 loop with EventLoop::with_virtual_clock() to simulate work"
                    .into(),
            ));
        }
        let from = inner.clock.now();
        let until = from.saturating_add(to_nanos(duration));
        inner.clock.advance_to(until);
        self.record(|| Event::Busy { from, until });
        Ok(())
    }

    /// Schedules `callback` to run once `delay` has passed (`loop.call_later(delay, callback)`).
    ///
    /// The deadline is `time() + delay`. Timers with the same deadline run in the order they
    /// were scheduled.
    ///
    /// # Panics
    /// If the loop is closed.
    ///
    /// # Implementation notes
    /// A clock read, a slot in a slab and a push onto a binary heap: O(log n) in the number of
    /// pending timers. The callback is boxed, which allocates nothing for a closure that
    /// captures nothing.
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
        let (delay, when) = self.deadline_after(delay);
        let id = self
            .inner
            .scheduled
            .borrow_mut()
            .push_callback(when, callback);
        self.record_call_later(Label::of_type::<F>, delay, when, id);
        self.timer_handle(id, when, Label::of_type::<F>())
    }

    fn call_later_labelled(&self, label: Label, delay: Duration, f: impl Callback) -> TimerHandle {
        let (delay, when) = self.deadline_after(delay);
        let id = self
            .inner
            .scheduled
            .borrow_mut()
            .push_labelled(when, label.clone(), f);
        self.record_call_later(|| label.clone(), delay, when, id);
        self.timer_handle(id, when, label)
    }

    /// `call_later` for a sleep, whose future is its own timer.
    pub(crate) fn call_later_sleep(&self, delay: Duration, sleep: Rc<SleepTimer>) -> TimerRef {
        let (delay, when) = self.deadline_after(delay);
        let id = self.inner.scheduled.borrow_mut().push_sleep(when, sleep);
        self.record_call_later(SleepTimer::timer_label, delay, when, id);
        TimerRef::new(id, when, Rc::downgrade(&self.inner))
    }

    /// The delay in nanoseconds and the deadline it makes, from now.
    fn deadline_after(&self, delay: Duration) -> (u64, u64) {
        self.check_open("call_later");
        let delay = to_nanos(delay);
        (delay, self.inner.clock.now().saturating_add(delay))
    }

    /// Records a `call_later` in the trace, once the timer is in the heap and has its number.
    fn record_call_later(&self, label: impl FnOnce() -> Label, delay: u64, when: u64, id: TimerId) {
        self.record(|| Event::CallLater {
            label: label(),
            delay,
            when,
            seq: id.seq(),
        });
    }

    /// Schedules `callback` to run at loop time `when` (`loop.call_at(when, callback)`).
    ///
    /// A deadline in the past makes the timer due on the next tick.
    ///
    /// # Panics
    /// If the loop is closed.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// use steploop::EventLoop;
    /// let lp = EventLoop::with_virtual_clock();
    /// let timer = lp.call_at(Duration::from_millis(2500), |lp| lp.stop());
    /// assert_eq!(timer.when(), Duration::from_millis(2500));
    /// lp.run_forever().unwrap();
    /// ```
    pub fn call_at<F: Callback>(&self, when: Duration, callback: F) -> TimerHandle {
        let when = self.deadline_at(when);
        let id = self
            .inner
            .scheduled
            .borrow_mut()
            .push_callback(when, callback);
        self.record_call_at(Label::of_type::<F>, when, id);
        self.timer_handle(id, when, Label::of_type::<F>())
    }

    fn call_at_labelled(&self, label: Label, when: Duration, f: impl Callback) -> TimerHandle {
        let when = self.deadline_at(when);
        let id = self
            .inner
            .scheduled
            .borrow_mut()
            .push_labelled(when, label.clone(), f);
        self.record_call_at(|| label.clone(), when, id);
        self.timer_handle(id, when, label)
    }

    /// The deadline `when` in nanoseconds.
    fn deadline_at(&self, when: Duration) -> u64 {
        self.check_open("call_at");
        to_nanos(when)
    }

    /// Records a `call_at` in the trace, once the timer is in the heap and has its number.
    fn record_call_at(&self, label: impl FnOnce() -> Label, when: u64, id: TimerId) {
        self.record(|| Event::CallAt {
            label: label(),
            when,
            seq: id.seq(),
        });
    }

    fn timer_handle(&self, id: TimerId, when: u64, label: Label) -> TimerHandle {
        TimerHandle::new(TimerRef::new(id, when, Rc::downgrade(&self.inner)), label)
    }

    /// Runs the loop until `stop()` is called (`loop.run_forever()`).
    ///
    /// # Errors
    /// - [`Error::Closed`] if the loop was closed; [`Error::AlreadyRunning`] if this loop, or
    ///   another, is already running on this thread.
    /// - [`Error::Stalled`] if nothing is ready and nothing could ever become ready (no timers,
    ///   no I/O, no work from other threads) while `stop()` has not been called: asyncio would
    ///   block forever here. The loop is left as it was and can be run again.
    /// - [`Error::Io`] if the operating system's poll fails.
    ///
    /// # Examples
    /// ```
    /// use steploop::EventLoop;
    /// let lp = EventLoop::new();
    /// lp.call_soon(|lp| lp.stop());
    /// lp.run_forever().unwrap();
    /// assert!(!lp.is_running());
    /// ```
    pub fn run_forever(&self) -> Result<(), Error> {
        let running = self.enter_running("run_forever")?;
        let result = loop {
            if let Err(error) = self.run_tick() {
                break Err(error);
            }
            if self.inner.stopping.get() {
                break Ok(());
            }
        };
        running.finish(result)
    }

    /// Runs exactly one tick: waits for the first handle to become ready if none is, then runs
    /// every handle that is ready (asyncio's `_run_once`, made public for teaching and testing).
    ///
    /// # Errors
    /// As [`run_forever`](EventLoop::run_forever).
    pub fn run_once(&self) -> Result<(), Error> {
        let running = self.enter_running("run_once")?;
        running.finish(self.run_tick())
    }

    /// Asks the loop to stop once the current tick is over (`loop.stop()`).
    ///
    /// Called before `run_forever`, it makes the next `run_forever` run one tick and return,
    /// as in asyncio.
    pub fn stop(&self) {
        self.inner.stopping.set(true);
        self.record(|| Event::Stop);
    }

    /// How many timers the heap holds, counting cancelled ones not dropped yet: at most about
    /// twice the live timers, since the heap is compacted when most of it is cancelled.
    pub fn scheduled_timers(&self) -> usize {
        self.inner.scheduled.borrow().len()
    }

    /// True while `run_forever` or `run_once` is running (`loop.is_running()`).
    pub fn is_running(&self) -> bool {
        self.inner.running.get()
    }

    /// True once the loop was closed (`loop.is_closed()`).
    pub fn is_closed(&self) -> bool {
        self.inner.closed.get()
    }

    /// Closes the loop: drops every pending handle and timer without running them, and
    /// releases the poll instance (`loop.close()`). Closing twice does nothing.
    ///
    /// Other threads are told too: results they already sent reach their loop futures; work
    /// still out (`run_in_executor`, `wrap_future`) is reported to the exception handler and
    /// its futures cancelled; callbacks sent with `call_soon_threadsafe` and not yet run are
    /// reported and dropped; from now on a `LoopHandle` gets [`Error::Closed`]. The default
    /// executor is shut down without waiting, as in asyncio. Dropping the last handle of a
    /// loop that was not closed closes it, with the same reports (asyncio's `__del__`).
    ///
    /// # Errors
    /// [`Error::Runtime`] if the loop is running: stop it, and close it once `run_forever`
    /// has returned.
    pub fn close(&self) -> Result<(), Error> {
        if self.is_running() {
            return Err(Error::Runtime(
                "cannot close a running event loop: call stop() and close the loop after \
                 run_forever() has returned"
                    .into(),
            ));
        }
        if self.inner.closed.get() {
            return Ok(());
        }
        // Other threads first, while the loop is still open: what they already delivered
        // reaches its futures; what is still in flight is reported and cancelled.
        self.close_remote();
        self.inner.closed.set(true);
        // Take everything out before dropping it: dropping a callback runs the destructors of
        // whatever it captured, and those may touch the loop.
        let ready = std::mem::take(&mut *self.inner.ready.borrow_mut());
        let mut scheduled = std::mem::take(&mut *self.inner.scheduled.borrow_mut());
        let tasks = std::mem::take(&mut *self.inner.tasks.borrow_mut());
        let selector = self.inner.selector.borrow_mut().take();
        let registrations = self.inner.io.clear();
        for runnable in ready {
            if let Runnable::Callback(handle) = runnable {
                handle.cancel();
            }
        }
        // Dropped here, with nothing borrowed: closures may capture anything.
        drop(scheduled.clear());
        for (_, task) in tasks {
            if task.destroy() {
                self.call_exception_handler(&destroyed_pending(&task));
            }
        }
        drop(registrations);
        drop(selector);
        Ok(())
    }

    /// Switches recording of the scheduling trace on or off for this loop.
    pub fn set_trace(&self, on: bool) {
        self.inner.tracer.set(on);
    }

    /// Returns what was recorded so far and starts a fresh recording.
    pub fn take_trace(&self) -> Trace {
        self.inner.tracer.take()
    }

    /// Prints a line to standard output and, when tracing, records it in the trace, so that a
    /// program's output and the loop's activity read as one story.
    pub fn print(&self, line: impl fmt::Display) {
        let line = line.to_string();
        println!("{line}");
        self.record(|| Event::Print(line));
    }

    /// Records, when tracing, that `job` ran on the worker thread `worker` from loop time
    /// `started` to `finished`; the timeline draws it on the worker's lane.
    ///
    /// The loop cannot see into other threads: whoever knows when a job ran (a simulated pool
    /// on the virtual clock, a pool that times its jobs) tells the trace, typically when the
    /// job's result is handed back.
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

    /// Sets the function that receives errors nobody else can receive, such as a panic in a
    /// callback (`loop.set_exception_handler(handler)`).
    pub fn set_exception_handler(&self, handler: impl Fn(&EventLoop, &ExceptionContext) + 'static) {
        *self.inner.exception_handler.borrow_mut() = Some(Rc::new(handler));
    }

    /// Goes back to the default handler, which logs (`loop.set_exception_handler(None)`).
    pub fn reset_exception_handler(&self) {
        *self.inner.exception_handler.borrow_mut() = None;
    }

    /// The handler set with [`set_exception_handler`](EventLoop::set_exception_handler), or
    /// `None` when the default one is in use (`loop.get_exception_handler()`).
    pub fn get_exception_handler(&self) -> Option<Rc<ExceptionHandler>> {
        self.inner.exception_handler.borrow().clone()
    }

    /// What the loop does with a report when no handler is set: logs it at error level
    /// through `log`, the message first, then the other keys sorted
    /// (`loop.default_exception_handler(context)`). A handler of your own can call it to
    /// keep the usual log line and do something more.
    ///
    /// # Examples
    /// ```
    /// use std::cell::Cell;
    /// use std::rc::Rc;
    /// use steploop::EventLoop;
    ///
    /// let lp = EventLoop::new();
    /// let reports = Rc::new(Cell::new(0));
    /// let count = reports.clone();
    /// lp.set_exception_handler(move |lp, context| {
    ///     count.set(count.get() + 1);
    ///     lp.default_exception_handler(context); // and log it as usual
    /// });
    /// lp.call_soon(|_| panic!("boom"));
    /// lp.run_once().unwrap();
    /// assert_eq!(reports.get(), 1);
    /// ```
    pub fn default_exception_handler(&self, context: &ExceptionContext) {
        default_exception_handler(context);
    }

    /// Reports an error to the loop's exception handler (`loop.call_exception_handler(context)`).
    ///
    /// A handler that panics is itself reported through the default handler, so a broken handler
    /// cannot lose the original report or take the loop down.
    pub fn call_exception_handler(&self, context: &ExceptionContext) {
        let handler = self.inner.exception_handler.borrow().clone();
        let Some(handler) = handler else {
            return default_exception_handler(context);
        };
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| handler(self, context))) {
            default_exception_handler(
                &ExceptionContext::new("Unhandled error in exception handler")
                    .with_exception(Error::from_panic(payload)),
            );
            default_exception_handler(context);
        }
    }

    pub(crate) fn check_open(&self, what: &str) {
        if self.is_closed() {
            panic!(
                "{what} on a closed event loop: the callback would never run; \
                 schedule it before close(), or create a new EventLoop"
            );
        }
    }

    /// Records the event that `event` builds, if tracing is on (see [`Tracer::record`]).
    #[inline(always)]
    pub(crate) fn record(&self, event: impl FnOnce() -> Event) {
        self.inner.tracer.record(event);
    }

    /// True when events are being recorded.
    #[inline(always)]
    pub(crate) fn is_tracing(&self) -> bool {
        self.inner.tracer.is_on()
    }

    pub(crate) fn downgrade(&self) -> WeakLoop {
        WeakLoop(Rc::downgrade(&self.inner))
    }

    pub(crate) fn remote(&self) -> Arc<Remote> {
        self.inner.remote.clone()
    }

    /// The checks `run_forever` makes, made before anything is created or scheduled.
    pub(crate) fn check_can_run(&self) -> Result<(), Error> {
        if self.is_closed() {
            return Err(Error::Closed);
        }
        if self.is_running() || get_running_loop().is_some() {
            return Err(Error::AlreadyRunning);
        }
        Ok(())
    }

    /// Marks the loop running on this thread until the guard is dropped.
    fn enter_running(&self, method: &'static str) -> Result<RunningGuard<'_>, Error> {
        if self.is_closed() {
            return Err(Error::Closed);
        }
        RUNNING_LOOP.with(|running| {
            let mut running = running.borrow_mut();
            if running.is_some() {
                return Err(Error::AlreadyRunning);
            }
            *running = Some(self.clone());
            Ok(())
        })?;
        self.inner.running.set(true);
        self.record(|| Event::Running(method));
        Ok(RunningGuard {
            event_loop: self,
            method,
            error: None,
        })
    }

    // ANCHOR: run_tick
    /// One tick (asyncio's `_run_once`): drop cancelled timers, wait until something is ready,
    /// move the timers that came due onto the ready deque, then run exactly the handles that are
    /// ready now.
    fn run_tick(&self) -> Result<(), Error> {
        let inner = &*self.inner;
        self.drop_cancelled_timers();
        self.take_remote_messages();

        // Wait only when there is nothing to do. A tick with ready handles and no I/O to watch
        // makes no system call and reads no clock: that keeps a chain of callbacks cheap. With
        // I/O to watch, it looks (a poll with timeout 0), so that busy callbacks cannot keep
        // sockets waiting.
        if inner.ready.borrow().is_empty() && !inner.stopping.get() {
            self.wait_for_work()?;
        } else if inner.io.is_waiting() {
            self.poll(Some(Duration::ZERO))?;
        }

        let due = self.move_due_timers();

        // Handles scheduled from now on land behind this count and wait for the next tick.
        let ntodo = inner.ready.borrow().len();
        let tick = inner.ticks.get() + 1;
        inner.ticks.set(tick);
        if inner.tracer.is_on() {
            self.record_tick(tick, due);
            self.observe_tick();
        }
        if inner.debug.get() {
            self.run_ready_timed(ntodo); // debug mode: each handle timed, slow ones logged
            return Ok(());
        }
        for _ in 0..ntodo {
            let Some(runnable) = inner.ready.borrow_mut().pop_front() else {
                break;
            };
            self.run_runnable(runnable);
        }
        Ok(())
    }
    // ANCHOR_END: run_tick

    /// Runs one entry of the ready deque.
    #[inline(always)]
    pub(crate) fn run_runnable(&self, runnable: Runnable) {
        match runnable {
            Runnable::Callback(handle) => self.run_handle(&handle),
            Runnable::Timer(key) => self.run_timer(key),
            Runnable::Notify(target, index) => self.run_notify(target, index),
            Runnable::Step { task, wakeup } => self.run_step(task, wakeup),
            Runnable::Remote(call) => self.run_remote(call),
            Runnable::Bridge(key) => self.run_bridge(key),
        }
    }

    // ANCHOR: wait_for_work
    /// Waits until a handle is ready or a timer is due, or reports a stall if nothing ever can
    /// be. The rule for I/O: a registered source with a reader or writer waiting (a callback
    /// from `add_reader`/`add_writer`, or a task awaiting a socket) may become ready at any
    /// time, so the loop waits in its poll, with the next timer's deadline as the timeout,
    /// instead of reporting a stall. A source registered with nobody waiting on it counts for
    /// nothing: no event of it could wake anyone. On a virtual clock, the loop first looks for
    /// I/O without waiting; if none came, virtual time jumps to the next deadline as usual (a
    /// timer wins against I/O that has not arrived yet), and with no timer it waits for I/O.
    /// The rule for other threads:
    /// - Work in flight in another thread (a task waiting on a foreign waker, an executor job
    ///   or a wrapped `ConcurrentFuture` whose result will come back) keeps the loop waiting
    ///   in its poll, and a virtual clock does not jump past a deadline meanwhile: the result
    ///   belongs to the present, not to some later time.
    /// - A live `LoopHandle` keeps `run_forever` (and `run_once`) waiting, since a thread
    ///   holding it may send a callback at any time: that is how a loop serves other threads.
    ///   It does not keep `run_until_complete` from reporting a stall: a future that only
    ///   another thread can complete is awaited through `wrap_future`, which is work in flight.
    fn wait_for_work(&self) -> Result<(), Error> {
        let inner = &*self.inner;
        loop {
            let next_deadline = inner.scheduled.borrow().next_deadline();
            let in_flight = inner.foreign_waits.get() > 0 || !inner.bridges.is_empty();
            if in_flight {
                self.wait_for_remote(next_deadline)?;
            } else if inner.io.is_waiting() {
                self.wait_for_io(next_deadline)?;
            } else if let Some(when) = next_deadline {
                self.wait_until(when)?;
            } else if !inner.until_complete.get() && inner.remote.handles() > 0 {
                self.poll(None)?;
            } else {
                return Err(stalled());
            }
            self.take_remote_messages();
            let due = next_deadline.is_some_and(|when| when <= inner.clock.now());
            if due || !inner.ready.borrow().is_empty() || inner.stopping.get() {
                return Ok(());
            }
        }
    }
    // ANCHOR_END: wait_for_work

    // ANCHOR: wait_for_io
    /// Waits for I/O, or for the next deadline: on a real clock one poll with the timer's
    /// timeout; on a virtual clock a look at the I/O, then a jump to the deadline if nothing
    /// came.
    fn wait_for_io(&self, next_deadline: Option<u64>) -> Result<(), Error> {
        let inner = &*self.inner;
        let now = inner.clock.now();
        match (&inner.clock, next_deadline) {
            (_, Some(when)) if when <= now => self.poll(Some(Duration::ZERO)),
            (Clock::Real { .. }, Some(when)) => self.poll(Some(Duration::from_nanos(when - now))),
            (Clock::Virtual { .. }, Some(when)) => {
                self.poll(Some(Duration::ZERO))?;
                if inner.ready.borrow().is_empty() && !inner.remote.has_pending() {
                    self.wait_until(when)?;
                }
                Ok(())
            }
            (_, None) => self.poll(None),
        }
    }
    // ANCHOR_END: wait_for_io

    /// Takes in what other threads sent since the last tick: wakeups, `call_soon_threadsafe`
    /// callbacks and completions of work sent to other threads.
    fn take_remote_messages(&self) {
        if self.inner.remote.has_pending() {
            self.receive_remote();
        }
    }

    /// Waits in the poll until another thread wakes the loop, or until the next deadline on a
    /// real clock. A virtual clock does not move while outside work is in flight.
    fn wait_for_remote(&self, next_deadline: Option<u64>) -> Result<(), Error> {
        self.ensure_selector()?;
        if self.inner.remote.has_pending() {
            return Ok(());
        }
        let now = self.inner.clock.now();
        let timeout = match (&self.inner.clock, next_deadline) {
            // A timer already due runs now, whatever the clock.
            (_, Some(when)) if when <= now => Some(Duration::ZERO),
            (Clock::Real { .. }, Some(when)) => Some(Duration::from_nanos(when - now)),
            // A virtual clock does not jump while outside work may still arrive.
            _ => None,
        };
        self.poll(timeout)
    }

    /// Takes in every message other threads have sent: wakeups schedule their task's step,
    /// callbacks and completions join the ready deque, in the order they were sent.
    fn receive_remote(&self) {
        let inner = &*self.inner;
        let mut inbox = inner.inbox.take();
        inner.remote.take_into(&mut inbox);
        for message in inbox.drain(..) {
            let runnable = match message {
                Message::Wake(key) => {
                    self.record(|| Event::Received(Label::new("wake")));
                    self.schedule_step(key, true);
                    continue;
                }
                Message::Bridge(key) => Runnable::Bridge(key),
                Message::Call(call) => Runnable::Remote(call),
            };
            self.record(|| Event::Received(self.runnable_label(&runnable)));
            inner.ready.borrow_mut().push_back(runnable);
        }
        inner.inbox.set(inbox);
    }

    fn record_tick(&self, tick: u64, due: Vec<Label>) {
        let inner = &*self.inner;
        let ready = inner.ready.borrow();
        let ready = ready.iter().map(|r| self.runnable_label(r)).collect();
        let time = inner.clock.now();
        self.record(|| Event::Tick {
            tick,
            time,
            due,
            ready,
        });
    }

    /// This loop's number, which its tasks carry too.
    pub(crate) fn id(&self) -> u64 {
        self.inner.id
    }

    /// Runs one handle, containing a panic so that one bad callback cannot stop the loop.
    fn run_handle(&self, handle: &Handle) {
        if handle.cancelled() {
            self.record(|| Event::SkipCancelled(handle.label().clone()));
            return;
        }
        self.record(|| Event::Run(handle.label().clone()));
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| handle.run(self))) {
            self.report_panic(handle.label(), payload, format!("{handle:?}"));
        }
    }

    /// Runs a timer that came due, unless it was cancelled since it joined the ready deque;
    /// contains a panic as `run_handle` does.
    fn run_timer(&self, key: u32) {
        let timer = self.inner.scheduled.borrow_mut().take(key);
        if timer.cancelled {
            self.record(|| Event::SkipCancelled(timer.label()));
            return;
        }
        self.record(|| Event::Run(timer.label()));
        // Taken out of the slot before it runs: it may schedule timers, or cancel its own
        // handle (which does nothing then, as for a timer that already ran).
        if let Err((label, payload)) = timer.run(self) {
            self.report_panic(&label, payload, format!("<Handle {label}>"));
        }
    }

    /// Puts a callback sent with `call_soon_threadsafe` from the loop's own thread straight on
    /// the ready deque, as asyncio's `call_soon_threadsafe` appends to `_ready`: it keeps its
    /// place among the `call_soon`s made before and after it.
    pub(crate) fn call_soon_from_handle(&self, call: Box<dyn RemoteCall>) -> Result<(), Error> {
        if self.is_closed() {
            return Err(Error::Closed);
        }
        self.record(|| Event::CallSoon(call.label()));
        self.inner
            .ready
            .borrow_mut()
            .push_back(Runnable::Remote(call));
        Ok(())
    }

    /// Schedules a shared done-callback for the future at `index` (what `call_soon` of a
    /// done-callback is for the others), without a handle of its own.
    pub(crate) fn schedule_notify(&self, target: Rc<dyn Notify>, index: u32) {
        self.check_open("call_soon");
        self.record(|| Event::CallSoon(target.label()));
        self.inner
            .ready
            .borrow_mut()
            .push_back(Runnable::Notify(target, index));
    }

    /// Runs a shared done-callback, containing a panic as `run_handle` does.
    fn run_notify(&self, target: Rc<dyn Notify>, index: u32) {
        // The callback consumes `target`; a panic report needs the label afterwards.
        let label = target.label();
        self.record(|| Event::Run(label.clone()));
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| target.notify(index as usize))) {
            self.report_panic(&label, payload, format!("<Handle {label}>"));
        }
    }

    /// Runs a callback sent by another thread, containing a panic as `run_handle` does.
    fn run_remote(&self, call: Box<dyn RemoteCall>) {
        let label = self.is_tracing().then(|| call.label());
        if let Some(label) = &label {
            self.record(|| Event::Run(label.clone()));
        }
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| call.call(self))) {
            let label = label.unwrap_or_else(|| Label::new("a call_soon_threadsafe callback"));
            let handle = format!("<Handle {label} (call_soon_threadsafe)>");
            self.report_panic(&label, payload, handle);
        }
    }

    /// Reports a panic in a callback to the trace and the exception handler.
    fn report_panic(&self, label: &Label, payload: Box<dyn std::any::Any + Send>, handle: String) {
        let error = Error::from_panic(payload);
        self.record(|| Event::Panicked {
            label: label.clone(),
            message: match &error {
                Error::Panicked(message) => message.to_string(),
                other => other.to_string(),
            },
        });
        let context = ExceptionContext::new(format!("Exception in callback {label}"))
            .with_exception(error)
            .with_handle(handle);
        self.call_exception_handler(&context);
    }

    /// Drops cancelled timers: all at once when they are most of the heap, otherwise only those
    /// that have reached the top (the only ones that would delay the next deadline).
    fn drop_cancelled_timers(&self) {
        let inner = &*self.inner;
        let mut scheduled = inner.scheduled.borrow_mut();
        if scheduled.needs_compaction() {
            let dropped = scheduled.compact();
            let left = scheduled.len();
            drop(scheduled);
            self.record(|| Event::CompactTimers { dropped, left });
            return;
        }
        while let Some(timer) = scheduled.pop_cancelled() {
            self.record(|| Event::DropCancelledTimer(timer.label()));
        }
    }

    // ANCHOR: wait_until
    /// Waits until loop time `when`: a virtual clock jumps there; a real clock blocks in
    /// `mio::Poll::poll` with that timeout (the loop's `select`).
    fn wait_until(&self, when: u64) -> Result<(), Error> {
        let inner = &*self.inner;
        let from = inner.clock.now();
        if when > from {
            match &inner.clock {
                Clock::Virtual { .. } => inner.clock.advance_to(when),
                Clock::Real { .. } => self.poll(Some(Duration::from_nanos(when - from)))?,
            }
        }
        // The clock is read again only for the trace.
        if self.is_tracing() {
            let until = inner.clock.now();
            if until > from {
                self.record(|| Event::Wait {
                    from,
                    until,
                    deadline: when,
                });
            }
        }
        Ok(())
    }
    // ANCHOR_END: wait_until

    /// Moves every timer due by now onto the ready deque, earliest first; returns their labels
    /// when tracing (an empty, unallocated `Vec` otherwise).
    fn move_due_timers(&self) -> Vec<Label> {
        let inner = &*self.inner;
        let mut due = Vec::new();
        let mut scheduled = inner.scheduled.borrow_mut();
        if scheduled.is_empty() {
            return due;
        }
        let now = inner.clock.now();
        let mut ready = inner.ready.borrow_mut();
        while let Some(popped) = scheduled.pop_due(now) {
            match popped {
                Ok(key) => {
                    if inner.tracer.is_on() {
                        due.push(scheduled.label(key));
                    }
                    ready.push_back(Runnable::Timer(key));
                }
                Err(cancelled) => self.record(|| Event::DropCancelledTimer(cancelled.label())),
            }
        }
        due
    }
}

impl Inner {
    /// Cancels a timer (`TimerHandle.cancel()`): counted and traced if it is still in the
    /// heap; skipped when its turn comes if it is on the ready deque; nothing if it already ran.
    pub(crate) fn cancel_timer(&self, id: TimerId, when: u64) {
        let mut scheduled = self.scheduled.borrow_mut();
        let cancelled = scheduled.cancel(id);
        // The label only when tracing: building one for nothing costs on every cancel.
        let traced = (cancelled.counted && self.tracer.is_on()).then(|| scheduled.label(id.key()));
        drop(scheduled);
        drop(cancelled.closure); // here, with the heap no longer borrowed
        if let Some(label) = traced {
            self.tracer.record(|| Event::CancelTimer {
                label,
                when,
                seq: id.seq(),
            });
        }
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

fn stalled() -> Error {
    Error::Stalled(
        "nothing is ready and nothing can become ready: no timers are pending, no socket is \
         awaited, no work is in flight in other threads, and no LoopHandle is left through which a thread could send \
         some, yet stop() was never called; schedule work first, or call stop() from the last \
         callback (or through a LoopHandle)"
            .into(),
    )
}

/// Clears the running state however `run_forever` ends, including by an error.
struct RunningGuard<'a> {
    event_loop: &'a EventLoop,
    method: &'static str,
    error: Option<String>,
}

impl RunningGuard<'_> {
    /// Passes `result` through, noting an error for the trace.
    fn finish(mut self, result: Result<(), Error>) -> Result<(), Error> {
        if let Err(error) = &result {
            self.error = Some(error.to_string());
        }
        result
    }
}

impl Drop for RunningGuard<'_> {
    fn drop(&mut self) {
        let event_loop = self.event_loop;
        let inner = &event_loop.inner;
        inner.running.set(false);
        inner.stopping.set(false);
        RUNNING_LOOP.with(|running| running.borrow_mut().take());
        let (method, error) = (self.method, self.error.take());
        event_loop.record(|| Event::Returned { method, error });
    }
}

/// A label waiting for the callback it names; made by [`EventLoop::with_label`].
#[derive(Debug)]
pub struct Labelled<'a> {
    event_loop: &'a EventLoop,
    label: Label,
}

impl Labelled<'_> {
    /// [`EventLoop::call_soon`] under this label.
    pub fn call_soon(self, callback: impl Callback) -> Handle {
        self.event_loop.call_soon_labelled(self.label, callback)
    }

    /// [`EventLoop::call_later`] under this label.
    pub fn call_later(self, delay: Duration, callback: impl Callback) -> TimerHandle {
        self.event_loop
            .call_later_labelled(self.label, delay, callback)
    }

    /// [`EventLoop::call_at`] under this label.
    pub fn call_at(self, when: Duration, callback: impl Callback) -> TimerHandle {
        self.event_loop.call_at_labelled(self.label, when, callback)
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
        if last && !self.inner.closed.get() && !self.is_running() && !std::thread::panicking() {
            // Cannot fail: the loop is not running.
            let _ = self.close();
        }
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
        for (_, task) in std::mem::take(self.tasks.get_mut()) {
            if task.destroy() {
                default_exception_handler(&destroyed_pending(&task));
            }
        }
    }
}

impl Default for EventLoop {
    fn default() -> Self {
        EventLoop::new()
    }
}

impl fmt::Debug for EventLoop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventLoop")
            .field("clock", &self.clock_kind())
            .field("running", &self.is_running())
            .field("closed", &self.is_closed())
            .field("ready", &self.inner.ready.borrow().len())
            .field("scheduled", &self.inner.scheduled.borrow().len())
            .finish()
    }
}
