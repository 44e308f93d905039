//! The reactor: the loop's `select` and the I/O registered with it (asyncio's
//! `self._selector.select(timeout)` in `_run_once`, and the selector loop's `add_reader`,
//! `remove_reader`, `add_writer`, `remove_writer`).
//!
//! One `mio::Poll` (an epoll instance on Linux) watches everything the loop waits for: the
//! `mio::Waker` through which other threads wake the loop (asyncio's self-pipe, under
//! [`REMOTE_TOKEN`]), and every registered socket, under the token that is its key in a
//! `slab::Slab` of [`Registration`]s. A readiness event becomes a handle on the ready deque:
//! a reader's callback (the callback level), or the wakeup of a task that awaits the socket
//! (the awaitable level, [`crate::net`], through an [`IoWait`]).
//!
//! [`Reactor`] is one of the loop's parts: it owns the poll and the registrations, and knows
//! the rest of the loop only through the two handles it is given — the scheduler, where events
//! become handles and task wakeups and are traced, and the queue of what other threads send
//! (asyncio's self-pipe), whose waker lives in the poll. The loop holds it as an `Rc`; a
//! socket, and each of its waits, hold it weakly, and reach it without going through the loop.
//!
//! Invariants:
//! - A source is registered with the poll exactly while its slab entry exists, under the
//!   entry's key as its token, for both directions at once (`READABLE | WRITABLE`): no
//!   `epoll_ctl` is ever needed to change what is watched, only to add and remove.
//! - `waiting` counts the readers and writers, and the awaitable level's waits in progress.
//!   While it is not zero, something may still happen that no timer announces: the loop
//!   polls on every tick and waits in its poll instead of reporting a stall.
//!
//! # Implementation notes
//! The poll is created on first use: a loop that never has to wait never makes the system
//! call. mio registers sources *edge-triggered*: an event says "this became readable", once,
//! not "this is readable" on every poll. So whoever is woken must read (or write) until the
//! system call says `WouldBlock`, or no further event will come for the bytes left behind.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::os::fd::{AsRawFd, RawFd};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use slab::Slab;

use crate::handle::Handle;
use crate::label::Label;
use crate::remote::Remote;
use crate::scheduler::Scheduler;
use crate::spin::spin_until;
use crate::trace::{Event, IoReady};
use crate::{Error, EventLoop};

mod wait;

pub(crate) use wait::IoWait;

/// A socket's waits: for reading, then for writing.
pub(crate) type Waits = [Rc<IoWait>; 2];

/// The token of the `mio::Waker` that other threads use to interrupt the poll. Slab keys
/// start at 0 and never come near it.
pub(crate) const REMOTE_TOKEN: mio::Token = mio::Token(usize::MAX);

/// Readiness for reading, as a bit of what an event announces (and an [`IoWait`] keeps).
pub(crate) const READ: u8 = 1;
/// Readiness for writing.
pub(crate) const WRITE: u8 = 2;
/// The read side is closed (end of file, or an error): every read returns at once from now
/// on, so this bit is never cleared by a short read, only by `WouldBlock`.
const READ_CLOSED: u8 = 4;
/// The write side is closed (the peer hung up, or an error).
const WRITE_CLOSED: u8 = 8;

/// The bit that says "closed" for a direction.
fn closed(direction: u8) -> u8 {
    if direction == READ {
        READ_CLOSED
    } else {
        WRITE_CLOSED
    }
}

/// The poll instance and its event buffer.
struct Selector {
    poll: mio::Poll,
    events: mio::Events,
}

// ANCHOR: registration
/// One registered source: who waits for it (asyncio's `SelectorKey`, whose `data` is the
/// `(reader, writer)` pair).
struct Registration {
    /// The callback called when the source becomes readable (`add_reader`).
    reader: Option<Rc<IoCallback>>,
    /// The callback called when the source becomes writable (`add_writer`).
    writer: Option<Rc<IoCallback>>,
    /// A socket of the awaitable level instead: its waits for reading and for writing, which
    /// keep its readiness and wake the task that waits.
    waits: Option<Waits>,
    /// The raw descriptor, for the callback level, which finds registrations by descriptor.
    fd: Option<RawFd>,
}
// ANCHOR_END: registration

/// The callback of `add_reader` or `add_writer`, shared by the slab and the handles it schedules.
pub(crate) struct IoCallback {
    label: Label,
    /// Set by `remove_reader`/`remove_writer`: a handle already scheduled does not run it.
    removed: Cell<bool>,
    function: RefCell<IoFunction>,
}

/// The function of a reader or writer: called again on every event, hence `FnMut`. It
/// receives the loop, as every callback on the ready deque does.
pub(crate) type IoFunction = Box<dyn FnMut(&EventLoop)>;

/// The loop's reactor: the poll instance, the sources registered with it, and the count of
/// waiters (asyncio's `self._selector` and its map).
pub(crate) struct Reactor {
    /// Where events become handles and task wakeups, and are traced.
    sched: Rc<Scheduler>,
    /// What other threads send: its waker is registered with the poll, and a poll that may
    /// block tells it first.
    remote: Arc<Remote>,
    /// The loop's "select": created on first use, since a loop that never waits (for a timer,
    /// for I/O or for another thread) never needs the epoll instance.
    selector: RefCell<Option<Selector>>,
    /// The registered sources, whose keys are their `mio::Token`s.
    slab: RefCell<Slab<Registration>>,
    /// Descriptor → slab key, for `remove_reader(source)` (asyncio's `_fd_to_key`).
    by_fd: RefCell<HashMap<RawFd, usize>>,
    /// Readers and writers, and waits of the awaitable level in progress.
    waiting: Cell<usize>,
    /// The events of one poll as (token, readiness bits), sorted by token. Kept between polls
    /// so that it allocates only while warming up.
    fired: RefCell<Vec<(usize, u8)>>,
}

/// What a closed reactor leaves behind, for the loop to drop once it borrows nothing: the
/// callbacks it held may capture anything, and their destructors may touch the loop.
pub(crate) struct Closed {
    _registrations: Slab<Registration>,
    _selector: Option<Selector>,
}

impl Reactor {
    /// An empty reactor, without a poll instance yet, scheduling through `sched`; `remote`'s
    /// waker is registered with the poll once it exists.
    pub(crate) fn new(sched: Rc<Scheduler>, remote: Arc<Remote>) -> Reactor {
        Reactor {
            sched,
            remote,
            selector: RefCell::new(None),
            slab: RefCell::default(),
            by_fd: RefCell::default(),
            waiting: Cell::new(0),
            fired: RefCell::default(),
        }
    }

    /// The scheduling part the reactor wakes tasks through: for the awaitable level, whose
    /// waits are awaited as futures are.
    pub(crate) fn scheduler(&self) -> &Scheduler {
        &self.sched
    }

    /// True if some reader or writer waits: then I/O may still happen.
    pub(crate) fn is_waiting(&self) -> bool {
        self.waiting.get() > 0
    }

    /// How many sources are registered.
    pub(crate) fn len(&self) -> usize {
        self.slab.borrow().len()
    }

    /// Counts waiters in or out: readers, writers, and waits in progress.
    fn count_waiting(&self, change: isize) {
        let count = self.waiting.get().checked_add_signed(change);
        debug_assert!(
            count.is_some(),
            "a waiter is counted out only once counted in"
        );
        self.waiting.set(count.unwrap_or(0));
    }

    /// Sets the callback of one direction, counting it; gives back the one it replaces.
    fn set_callback(
        &self,
        token: usize,
        direction: u8,
        callback: Rc<IoCallback>,
    ) -> Option<Rc<IoCallback>> {
        let mut slab = self.slab.borrow_mut();
        let registration = &mut slab[token];
        let old = registration.slot(direction).replace(callback);
        if old.is_none() {
            self.count_waiting(1);
        }
        old
    }

    /// Takes the callback of one direction out, uncounting it.
    fn take_callback(&self, token: usize, direction: u8) -> Option<Rc<IoCallback>> {
        let mut slab = self.slab.borrow_mut();
        let callback = slab.get_mut(token)?.slot(direction).take();
        if callback.is_some() {
            self.count_waiting(-1);
        }
        callback
    }

    /// Removes a registration from the slab, uncounting its waiters; returns it so that the
    /// caller drops it outside the borrow.
    fn remove(&self, token: usize) -> Option<Registration> {
        let removed = self.slab.borrow_mut().try_remove(token)?;
        for wait in removed.waits.iter().flatten() {
            wait.stop(self);
        }
        for callback in [&removed.reader, &removed.writer] {
            if callback.is_some() {
                self.count_waiting(-1);
            }
        }
        if let Some(fd) = removed.fd {
            self.by_fd.borrow_mut().remove(&fd);
        }
        Some(removed)
    }

    /// Empties everything (the loop is closing) and gives back what it held, to drop. Waits
    /// in progress are forgotten: nothing will end them.
    pub(crate) fn close(&self) -> Closed {
        let selector = self.selector.borrow_mut().take();
        self.by_fd.borrow_mut().clear();
        self.waiting.set(0);
        let registrations = std::mem::take(&mut *self.slab.borrow_mut());
        for (_, registration) in &registrations {
            for wait in registration.waits.iter().flatten() {
                wait.forget();
            }
        }
        Closed {
            _registrations: registrations,
            _selector: selector,
        }
    }
}

impl Registration {
    fn slot(&mut self, direction: u8) -> &mut Option<Rc<IoCallback>> {
        if direction == READ {
            &mut self.reader
        } else {
            &mut self.writer
        }
    }
}

/// The callback level: asyncio's `add_reader`, `remove_reader`, `add_writer`, `remove_writer`.
///
/// # Notes
/// Ownership: as in asyncio, where the loop keeps only the file descriptor, **you own the
/// source** and lend it to the loop for each call (`&mut source`, which mio needs to register
/// it). The loop finds the registration again by the source's descriptor. Remove the reader
/// and writer before you drop the source: the kernel forgets a closed descriptor, but the loop
/// would keep the callbacks and keep waiting. The awaitable level ([`crate::net`]) owns its
/// sockets and deregisters them when they are dropped.
impl Reactor {
    /// Sets the reader (`direction` is `READ`) or the writer of `source`, registering the
    /// source if it is new, and replacing the callback it had.
    ///
    /// # Panics
    /// If the loop is closed.
    pub(crate) fn add_callback<S>(
        self: &Rc<Self>,
        source: &mut S,
        direction: u8,
        label: Label,
        function: IoFunction,
    ) -> Result<(), Error>
    where
        S: mio::event::Source + AsRawFd + ?Sized,
    {
        self.sched.check_open(if direction == READ {
            "add_reader"
        } else {
            "add_writer"
        });
        let fd = source.as_raw_fd();
        let known = self.by_fd.borrow().get(&fd).copied();
        let token = match known {
            Some(token) => {
                // Re-arm: epoll reports the current readiness again, so that a reader added
                // to a source that is already readable hears about it.
                self.with_registry(|registry| {
                    registry.reregister(source, mio::Token(token), both())
                })?;
                token
            }
            None => {
                let (token, _) = self.register_source(source, false)?;
                self.slab.borrow_mut()[token].fd = Some(fd);
                self.by_fd.borrow_mut().insert(fd, token);
                token
            }
        };
        let callback = Rc::new(IoCallback {
            label,
            removed: Cell::new(false),
            function: RefCell::new(function),
        });
        if let Some(old) = self.set_callback(token, direction, callback) {
            old.removed.set(true);
        }
        Ok(())
    }

    /// Removes the reader or the writer of `source`; true if it had one. A source left with
    /// neither is deregistered.
    pub(crate) fn remove_callback<S>(&self, source: &mut S, direction: u8) -> Result<bool, Error>
    where
        S: mio::event::Source + AsRawFd + ?Sized,
    {
        let fd = source.as_raw_fd();
        let Some(token) = self.by_fd.borrow().get(&fd).copied() else {
            return Ok(false);
        };
        let removed = match self.take_callback(token, direction) {
            Some(callback) => {
                callback.removed.set(true);
                true
            }
            None => false,
        };
        let idle = self.slab.borrow()[token].writer.is_none()
            && self.slab.borrow()[token].reader.is_none();
        if idle {
            self.deregister(source, token)?;
        }
        Ok(removed)
    }
}

/// The awaitable level's side of the registrations, used by [`crate::net`].
impl Reactor {
    /// Registers a socket of the awaitable level for both directions; returns its token and
    /// its waits for reading and for writing.
    ///
    /// # Panics
    /// If the loop is closed.
    pub(crate) fn register_socket<S>(
        self: &Rc<Self>,
        source: &mut S,
    ) -> Result<(usize, Waits), Error>
    where
        S: mio::event::Source + ?Sized,
    {
        let (token, waits) = self.register_source(source, true)?;
        Ok((token, waits.expect("made for a socket")))
    }

    /// Registers `source` for both directions, with waits if it is a `socket` of the
    /// awaitable level (the callback level finds its sources again by their descriptors).
    fn register_source<S>(
        self: &Rc<Self>,
        source: &mut S,
        socket: bool,
    ) -> Result<(usize, Option<Waits>), Error>
    where
        S: mio::event::Source + ?Sized,
    {
        self.sched.check_open("registering a socket");
        self.ensure_selector()?;
        let (token, waits) = {
            let mut slab = self.slab.borrow_mut();
            let entry = slab.vacant_entry();
            let token = entry.key();
            let waits =
                socket.then(|| [READ, WRITE].map(|direction| IoWait::new(self, token, direction)));
            entry.insert(Registration {
                reader: None,
                writer: None,
                waits: waits.clone(),
                fd: None,
            });
            (token, waits)
        };
        let registered =
            self.with_registry(|registry| registry.register(source, mio::Token(token), both()));
        if let Err(error) = registered {
            self.remove(token);
            return Err(error);
        }
        Ok((token, waits))
    }

    /// Removes the registration `token` of `source`, from the slab and from the poll.
    pub(crate) fn deregister<S>(&self, source: &mut S, token: usize) -> Result<(), Error>
    where
        S: mio::event::Source + ?Sized,
    {
        let Some(removed) = self.remove(token) else {
            return Ok(()); // the loop was closed meanwhile: nothing left to undo
        };
        drop(removed);
        let has_selector = self.selector.borrow().is_some();
        if has_selector {
            self.with_registry(|registry| registry.deregister(source))?;
        }
        Ok(())
    }

    fn with_registry<R>(
        &self,
        f: impl FnOnce(&mio::Registry) -> std::io::Result<R>,
    ) -> Result<R, Error> {
        let selector = self.selector.borrow();
        let selector = selector
            .as_ref()
            .expect("the selector exists once I/O is registered");
        Ok(f(selector.poll.registry())?)
    }
}

/// Both directions: every source is registered for both, once.
fn both() -> mio::Interest {
    mio::Interest::READABLE | mio::Interest::WRITABLE
}

impl Reactor {
    /// Creates the poll instance, with the waker other threads use, if it does not exist yet.
    pub(crate) fn ensure_selector(&self) -> Result<(), Error> {
        let mut selector = self.selector.borrow_mut();
        if selector.is_none() {
            let poll = mio::Poll::new()?;
            let waker = mio::Waker::new(poll.registry(), REMOTE_TOKEN)?;
            self.remote.set_waker(waker);
            *selector = Some(Selector {
                poll,
                events: mio::Events::with_capacity(1024),
            });
        }
        Ok(())
    }

    // ANCHOR: poll
    /// Blocks in the poll instance for at most `timeout` (the loop's `select(timeout)`), or
    /// only looks (a zero timeout) if another thread has sent something meanwhile; then turns
    /// the I/O events into handles on the ready deque. `debug` (the loop's debug mode) logs
    /// how long each wait that may block took.
    ///
    /// # Implementation notes
    /// The loop tells other threads that it is about to sleep (`enter_sleep`), so that only a
    /// sender who finds it asleep pays for the `mio::Waker` (an `eventfd` write), and only the
    /// first of them. Before a wait with no I/O to watch, it spins a moment for a message: a
    /// job on another core often answers within a microsecond or two, sooner than a sleep and
    /// a wake-up. With I/O registered it does not spin: what it waits for arrives through the
    /// poll, not through the queue. A look (zero timeout) with no I/O registered is no system
    /// call at all.
    pub(crate) fn poll(&self, timeout: Option<Duration>, debug: bool) -> Result<(), Error> {
        self.ensure_selector()?;
        let remote = &*self.remote;
        let io = self.is_waiting();
        let mut timeout = timeout;
        if timeout != Some(Duration::ZERO) && !io && spin_until(|| remote.has_pending()) {
            return Ok(());
        }
        let sleeping = timeout != Some(Duration::ZERO) && remote.enter_sleep();
        if !sleeping {
            if !io {
                return Ok(());
            }
            timeout = Some(Duration::ZERO);
        }
        let polled = {
            let mut selector = self.selector.borrow_mut();
            let selector = selector.as_mut().expect("created just above");
            // Debug mode times every wait that may block (asyncio: `timeout != 0`).
            let debug = debug && timeout != Some(Duration::ZERO);
            let started = debug.then(std::time::Instant::now);
            let polled = selector.poll.poll(&mut selector.events, timeout);
            if let Some(started) = started {
                let events = selector.events.iter().count();
                log_poll(timeout, started.elapsed(), events);
            }
            let mut fired = self.fired.borrow_mut();
            fired.clear();
            for event in selector.events.iter() {
                if event.token() != REMOTE_TOKEN {
                    fired.push((event.token().0, readiness(event)));
                }
            }
            polled
        };
        if sleeping {
            remote.leave_sleep();
        }
        match polled {
            // A signal cut the wait short: the tick simply finds nothing due yet.
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            result => result?,
        }
        self.dispatch_io();
        Ok(())
    }
    // ANCHOR_END: poll

    // ANCHOR: dispatch_io
    /// Turns the events of one poll into handles, in token order (so that traces, and the
    /// order of the ready deque, do not depend on the order epoll happened to list them in).
    fn dispatch_io(&self) {
        let mut fired = self.fired.take();
        if fired.is_empty() {
            self.fired.replace(fired);
            return;
        }
        // One event per source and poll: the token alone orders them.
        fired.sort_unstable_by_key(|&(token, _)| token);
        self.sched.record(|| {
            Event::Select(
                fired
                    .iter()
                    .map(|&(token, ready)| IoReady {
                        token,
                        readable: ready & READ != 0,
                        writable: ready & WRITE != 0,
                        closed: ready & (READ_CLOSED | WRITE_CLOSED) != 0,
                    })
                    .collect(),
            )
        });
        for &(token, ready) in &fired {
            self.dispatch_event(token, ready);
        }
        self.fired.replace(fired);
    }
    // ANCHOR_END: dispatch_io

    /// One event of source `token`: a socket's waits keep the readiness, and the wait in
    /// progress ends; the callbacks of the directions that became ready are scheduled.
    fn dispatch_event(&self, token: usize, ready: u8) {
        // Whoever is woken is taken out of the slab first: a waker may run any code.
        let slab = self.slab.borrow();
        let Some(registration) = slab.get(token) else {
            return; // deregistered since
        };
        if let Some([reading, writing]) = &registration.waits {
            let reading = reading.announce(ready).then(|| reading.clone());
            let writing = writing.announce(ready).then(|| writing.clone());
            drop(slab);
            if let Some(wait) = reading {
                wait.end_ready(self);
            }
            if let Some(wait) = writing {
                wait.end_ready(self);
            }
            return;
        }
        // A callback stays registered: schedule a call of it.
        let reader = registration
            .reader
            .as_ref()
            .filter(|_| ready & READ != 0)
            .cloned();
        let writer = registration
            .writer
            .as_ref()
            .filter(|_| ready & WRITE != 0)
            .cloned();
        drop(slab);
        if let Some(callback) = reader {
            self.schedule_io_callback(callback);
        }
        if let Some(callback) = writer {
            self.schedule_io_callback(callback);
        }
    }

    /// Puts one call of a reader's or writer's callback on the ready deque (a `call_soon`
    /// with the callback's label).
    fn schedule_io_callback(&self, callback: Rc<IoCallback>) {
        let label = callback.label.clone();
        Handle::schedule(&self.sched, label, move |lp: &EventLoop| {
            if !callback.removed.get() {
                (callback.function.borrow_mut())(lp);
            }
        });
    }
}

/// The readiness bits of one event. An error or a hang-up counts as both: the next read or
/// write reports it (connection refused, reset by peer) or returns end of file.
fn readiness(event: &mio::event::Event) -> u8 {
    let mut ready = 0;
    if event.is_readable() {
        ready |= READ;
    }
    if event.is_writable() {
        ready |= WRITE;
    }
    if event.is_read_closed() || event.is_error() {
        ready |= READ | READ_CLOSED;
    }
    if event.is_write_closed() || event.is_error() {
        ready |= WRITE | WRITE_CLOSED;
    }
    ready
}

/// Debug mode's log of one wait in the poll, as asyncio's `_run_once` logs its
/// `select(timeout)` in debug mode: at `info` level when it took a second or more, `debug`
/// otherwise; a wait that timed out is logged only when it took that second.
fn log_poll(timeout: Option<Duration>, took: Duration, events: usize) {
    let level = if took >= Duration::from_secs(1) {
        log::Level::Info
    } else {
        log::Level::Debug
    };
    let took_ms = took.as_secs_f64() * 1e3;
    match timeout {
        None => log::log!(level, "poll took {took_ms:.3} ms: {events} events"),
        Some(timeout) if events > 0 => log::log!(
            level,
            "poll {:.3} ms took {took_ms:.3} ms: {events} events",
            timeout.as_secs_f64() * 1e3
        ),
        Some(timeout) if took >= Duration::from_secs(1) => log::log!(
            level,
            "poll {:.3} ms took {took_ms:.3} ms: timeout",
            timeout.as_secs_f64() * 1e3
        ),
        Some(_) => {}
    }
}

impl std::fmt::Debug for IoCallback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IoCallback({})", self.label)
    }
}
