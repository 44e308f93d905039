// ANCHOR: struct
//! The event loop: the ready deque and the tick that runs it (asyncio's `BaseEventLoop`).

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::rc::Rc;
use std::time::{Duration, Instant};

use crate::clock::Clock;
use crate::handle::{Callback, Handle};
use crate::reactor::Reactor;
use crate::timers::TimerHeap;

/// An event loop (事件循环): callbacks wait in the ready deque, and each tick runs those that
/// were ready when it began.
///
/// Cloning an `EventLoop` gives another handle to the same loop (an `Rc` inside), so that
/// whatever needs the loop later can keep one.
#[derive(Clone)]
pub struct EventLoop {
    inner: Rc<Inner>,
}

struct Inner {
    /// asyncio's `_ready`: the handles waiting for their turn, oldest first.
    ready: RefCell<VecDeque<Rc<Handle>>>,
    /// asyncio's `_scheduled`: the handles waiting for their deadline.
    timers: RefCell<TimerHeap>,
    /// `loop.time()`.
    clock: Clock,
    /// asyncio's `_selector`: the poll, and who waits for which file descriptor.
    reactor: RefCell<Reactor>,
    /// asyncio's `_stopping`: set by `stop()`, read by `run_forever` after each tick.
    stopping: Cell<bool>,
    /// How many ticks have begun. asyncio keeps no such count; our programs print it, to
    /// show which tick runs what.
    ticks: Cell<u64>,
}
// ANCHOR_END: struct

// ANCHOR: new
impl EventLoop {
    /// A loop on the real clock, with nothing to do yet.
    pub fn new() -> EventLoop {
        EventLoop::with_clock(Clock::Real {
            start: Instant::now(),
        })
    }

    /// A loop on a virtual clock: time starts at 0 and jumps to the next deadline whenever
    /// nothing is ready.
    pub fn with_virtual_clock() -> EventLoop {
        EventLoop::with_clock(Clock::Virtual {
            now: Cell::new(Duration::ZERO),
        })
    }

    // ANCHOR: with_clock
    fn with_clock(clock: Clock) -> EventLoop {
        let inner = Inner {
            ready: RefCell::new(VecDeque::new()),
            timers: RefCell::new(TimerHeap::default()),
            clock,
            reactor: RefCell::new(Reactor::new()),
            stopping: Cell::new(false),
            ticks: Cell::new(0),
        };
        EventLoop {
            inner: Rc::new(inner),
        }
    }

    /// The reactor, for the methods of `reactor.rs`.
    pub(crate) fn reactor(&self) -> &RefCell<Reactor> {
        &self.inner.reactor
    }
    // ANCHOR_END: with_clock

    /// Loop time: how long since the loop was made (`loop.time()`).
    pub fn time(&self) -> Duration {
        self.inner.clock.now()
    }
}

/// `EventLoop::default()` is `EventLoop::new()`: the real clock.
impl Default for EventLoop {
    fn default() -> EventLoop {
        EventLoop::new()
    }
}
// ANCHOR_END: new

impl EventLoop {
    // ANCHOR: call_soon
    /// Schedules `callback` to run on a later tick, after every handle already waiting
    /// (`loop.call_soon(callback)`). Never now: the caller goes on first.
    pub fn call_soon(&self, callback: impl FnOnce(&EventLoop) + 'static) -> Rc<Handle> {
        let callback: Callback = Box::new(callback);
        let handle = Rc::new(Handle::new(callback));
        self.inner.ready.borrow_mut().push_back(handle.clone());
        handle
    }
    // ANCHOR_END: call_soon

    // ANCHOR: call_later
    /// Schedules `callback` to run `delay` from now (`loop.call_later(delay, callback)`).
    pub fn call_later(
        &self,
        delay: Duration,
        callback: impl FnOnce(&EventLoop) + 'static,
    ) -> Rc<Handle> {
        self.call_at(self.time() + delay, callback)
    }

    /// Schedules `callback` to run at loop time `when` (`loop.call_at(when, callback)`).
    /// The handle's `cancel()` keeps it from running; it stays in the heap until it reaches
    /// the top.
    pub fn call_at(
        &self,
        when: Duration,
        callback: impl FnOnce(&EventLoop) + 'static,
    ) -> Rc<Handle> {
        let callback: Callback = Box::new(callback);
        let handle = Rc::new(Handle::new(callback));
        self.inner.timers.borrow_mut().push(when, handle.clone());
        handle
    }
    // ANCHOR_END: call_later

    // ANCHOR: run_once
    /// Runs one tick (asyncio's `_run_once`): polls for I/O, waiting as long as nothing is
    /// ready and no timer is due; schedules the readers and writers of what became ready;
    /// moves the timers that came due onto the ready deque; then runs exactly the handles
    /// that are ready. Handles scheduled while it runs wait for the next tick.
    ///
    /// # Errors
    /// [`Stalled`] if nothing is ready, no timer is pending, no file descriptor is watched
    /// and `stop()` was not called: nothing could ever become ready.
    pub fn run_once(&self) -> Result<(), Stalled> {
        let inner = &self.inner;
        let idle = inner.ready.borrow().is_empty() && !inner.stopping.get();
        let next = inner.timers.borrow_mut().next_deadline();
        // How long the poll may wait: not at all if there is work to do; until the next
        // timer; or, with only file descriptors left to wait for, as long as they take.
        let timeout = match next {
            _ if !idle => Some(Duration::ZERO),
            Some(when) => Some(when.saturating_sub(inner.clock.now())),
            None if inner.reactor.borrow().is_watching() => None,
            None => return Err(Stalled),
        };
        // A virtual clock never waits for real time to pass: it only looks, and if nothing
        // came, jumps to the timer.
        if inner.clock.is_virtual() {
            self.select(timeout.map(|_| Duration::ZERO));
        } else {
            self.select(timeout);
        }
        if idle && inner.ready.borrow().is_empty() {
            if let Some(when) = next {
                inner.clock.jump_to(when);
            }
        }
        // The timers that came due join the ready deque, earliest first, behind what was
        // already ready.
        let now = inner.clock.now();
        loop {
            let due = inner.timers.borrow_mut().pop_due(now);
            let Some(handle) = due else { break };
            inner.ready.borrow_mut().push_back(handle);
        }
        inner.ticks.set(inner.ticks.get() + 1);
        // While the handles run, this is the running loop: `sleep` finds it there.
        let outer = RUNNING.replace(Some(self.clone()));
        // Count first: what the callbacks append from now on lands behind this count.
        let ntodo = inner.ready.borrow().len();
        for _ in 0..ntodo {
            // The deque's borrow ends with this statement: the callback may call_soon.
            let handle = inner.ready.borrow_mut().pop_front();
            if let Some(handle) = handle {
                handle.run(self);
            }
        }
        RUNNING.set(outer);
        Ok(())
    }
    // ANCHOR_END: run_once

    // ANCHOR: run_forever
    /// Runs ticks until `stop()` is called (`loop.run_forever()`).
    ///
    /// # Errors
    /// [`Stalled`], as [`run_once`](EventLoop::run_once).
    pub fn run_forever(&self) -> Result<(), Stalled> {
        let result = loop {
            if let Err(stalled) = self.run_once() {
                break Err(stalled);
            }
            if self.inner.stopping.get() {
                break Ok(());
            }
        };
        self.inner.stopping.set(false);
        result
    }

    /// Asks the loop to stop once the current tick is over (`loop.stop()`): the rest of the
    /// tick still runs.
    pub fn stop(&self) {
        self.inner.stopping.set(true);
    }

    /// The number of the tick running now, counted from 1.
    pub fn tick(&self) -> u64 {
        self.inner.ticks.get()
    }
}

/// What `run_once` and `run_forever` return when nothing is ready and nothing ever could
/// be: asyncio would wait in `select()` forever, this loop says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stalled;

impl fmt::Display for Stalled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("nothing is ready and nothing can become ready, yet stop() was not called")
    }
}

impl std::error::Error for Stalled {}
// ANCHOR_END: run_forever

// ANCHOR: running
thread_local! {
    /// The loop running on this thread, while it runs a tick (asyncio's `_running_loop`).
    static RUNNING: RefCell<Option<EventLoop>> = const { RefCell::new(None) };
}

/// The loop running on this thread (`asyncio.get_running_loop()`); `None` outside a tick.
pub fn get_running_loop() -> Option<EventLoop> {
    RUNNING.with_borrow(|running| running.clone())
}
// ANCHOR_END: running
