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
use std::time::Duration;

use slab::Slab;

use crate::label::Label;
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
pub(crate) struct Selector {
    poll: mio::Poll,
    events: mio::Events,
}

// ANCHOR: registration
/// One registered source: who waits for it (asyncio's `SelectorKey`, whose `data` is the
/// `(reader, writer)` pair).
pub(crate) struct Registration {
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

/// The function of a reader or writer: called again on every event, hence `FnMut`.
type IoFunction = Box<dyn FnMut(&EventLoop)>;

/// The loop's registrations: the slab, the descriptor map of the callback level, and the
/// count of waiters.
#[derive(Default)]
pub(crate) struct Registrations {
    slab: RefCell<Slab<Registration>>,
    /// Descriptor → slab key, for `remove_reader(source)` (asyncio's `_fd_to_key`).
    by_fd: RefCell<HashMap<RawFd, usize>>,
    /// Readers and writers, and waits of the awaitable level in progress.
    waiting: Cell<usize>,
    /// The events of one poll as (token, readiness bits), sorted by token. Kept between polls
    /// so that it allocates only while warming up.
    fired: RefCell<Vec<(usize, u8)>>,
}

impl Registrations {
    /// True if some reader or writer waits: then I/O may still happen.
    pub(crate) fn is_waiting(&self) -> bool {
        self.waiting.get() > 0
    }

    /// How many sources are registered.
    pub(crate) fn len(&self) -> usize {
        self.slab.borrow().len()
    }

    /// Counts waiters in or out: readers, writers, and waits in progress.
    pub(crate) fn count_waiting(&self, change: isize) {
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

    /// Empties everything (the loop is closing); returns the registrations to drop. Waits
    /// in progress are forgotten: nothing will end them.
    pub(crate) fn clear(&self) -> Slab<Registration> {
        self.by_fd.borrow_mut().clear();
        self.waiting.set(0);
        let registrations = std::mem::take(&mut *self.slab.borrow_mut());
        for (_, registration) in &registrations {
            for wait in registration.waits.iter().flatten() {
                wait.forget();
            }
        }
        registrations
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
impl EventLoop {
    pub(crate) fn add_callback<S>(
        &self,
        source: &mut S,
        direction: u8,
        label: Label,
        function: IoFunction,
    ) -> Result<(), Error>
    where
        S: mio::event::Source + AsRawFd + ?Sized,
    {
        self.check_open(if direction == READ {
            "add_reader"
        } else {
            "add_writer"
        });
        let fd = source.as_raw_fd();
        let known = self.inner.io.by_fd.borrow().get(&fd).copied();
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
                let token = self.io_register(source)?;
                self.inner.io.slab.borrow_mut()[token].fd = Some(fd);
                self.inner.io.by_fd.borrow_mut().insert(fd, token);
                token
            }
        };
        let callback = Rc::new(IoCallback {
            label,
            removed: Cell::new(false),
            function: RefCell::new(function),
        });
        if let Some(old) = self.inner.io.set_callback(token, direction, callback) {
            old.removed.set(true);
        }
        Ok(())
    }

    pub(crate) fn remove_callback<S>(&self, source: &mut S, direction: u8) -> Result<bool, Error>
    where
        S: mio::event::Source + AsRawFd + ?Sized,
    {
        let fd = source.as_raw_fd();
        let Some(token) = self.inner.io.by_fd.borrow().get(&fd).copied() else {
            return Ok(false);
        };
        let removed = match self.inner.io.take_callback(token, direction) {
            Some(callback) => {
                callback.removed.set(true);
                true
            }
            None => false,
        };
        let idle = self.inner.io.slab.borrow()[token].writer.is_none()
            && self.inner.io.slab.borrow()[token].reader.is_none();
        if idle {
            self.io_deregister(source, token)?;
        }
        Ok(removed)
    }
}

/// The awaitable level's side of the registrations, used by [`crate::net`].
impl EventLoop {
    /// Registers `source` for both directions, without waits: for the callback level, which
    /// finds it again by its descriptor. Returns its token.
    pub(crate) fn io_register<S>(&self, source: &mut S) -> Result<usize, Error>
    where
        S: mio::event::Source + ?Sized,
    {
        self.register_source(source, false).map(|(token, _)| token)
    }

    /// Registers a socket of the awaitable level for both directions; returns its token and
    /// its waits for reading and for writing.
    pub(crate) fn io_register_socket<S>(&self, source: &mut S) -> Result<(usize, Waits), Error>
    where
        S: mio::event::Source + ?Sized,
    {
        let (token, waits) = self.register_source(source, true)?;
        Ok((token, waits.expect("made for a socket")))
    }

    fn register_source<S>(
        &self,
        source: &mut S,
        socket: bool,
    ) -> Result<(usize, Option<Waits>), Error>
    where
        S: mio::event::Source + ?Sized,
    {
        self.check_open("registering a socket");
        self.ensure_selector()?;
        let (token, waits) = {
            let mut slab = self.inner.io.slab.borrow_mut();
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
            self.inner.io.remove(token);
            return Err(error);
        }
        Ok((token, waits))
    }

    /// Removes the registration `token` of `source`, from the slab and from the poll.
    pub(crate) fn io_deregister<S>(&self, source: &mut S, token: usize) -> Result<(), Error>
    where
        S: mio::event::Source + ?Sized,
    {
        let Some(removed) = self.inner.io.remove(token) else {
            return Ok(()); // the loop was closed meanwhile: nothing left to undo
        };
        drop(removed);
        let has_selector = self.inner.selector.borrow().is_some();
        if has_selector {
            self.with_registry(|registry| registry.deregister(source))?;
        }
        Ok(())
    }

    fn with_registry<R>(
        &self,
        f: impl FnOnce(&mio::Registry) -> std::io::Result<R>,
    ) -> Result<R, Error> {
        let selector = self.inner.selector.borrow();
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

impl EventLoop {
    /// Creates the poll instance, with the waker other threads use, if it does not exist yet.
    pub(crate) fn ensure_selector(&self) -> Result<(), Error> {
        let mut selector = self.inner.selector.borrow_mut();
        if selector.is_none() {
            let poll = mio::Poll::new()?;
            let waker = mio::Waker::new(poll.registry(), REMOTE_TOKEN)?;
            self.inner.remote.set_waker(waker);
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
    /// the I/O events into handles on the ready deque.
    ///
    /// # Implementation notes
    /// The loop tells other threads that it is about to sleep (`enter_sleep`), so that only a
    /// sender who finds it asleep pays for the `mio::Waker` (an `eventfd` write), and only the
    /// first of them. Before a wait with no I/O to watch, it spins a moment for a message: a
    /// job on another core often answers within a microsecond or two, sooner than a sleep and
    /// a wake-up. With I/O registered it does not spin: what it waits for arrives through the
    /// poll, not through the queue. A look (zero timeout) with no I/O registered is no system
    /// call at all.
    pub(crate) fn poll(&self, timeout: Option<Duration>) -> Result<(), Error> {
        self.ensure_selector()?;
        let remote = &*self.inner.remote;
        let io = self.inner.io.is_waiting();
        let mut timeout = timeout;
        if timeout != Some(Duration::ZERO)
            && !io
            && crate::executor::spin_until(|| remote.has_pending())
        {
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
            let mut selector = self.inner.selector.borrow_mut();
            let selector = selector.as_mut().expect("created just above");
            // Debug mode times every wait that may block (asyncio: `timeout != 0`).
            let debug = self.inner.diagnostics.debug() && timeout != Some(Duration::ZERO);
            let started = debug.then(std::time::Instant::now);
            let polled = selector.poll.poll(&mut selector.events, timeout);
            if let Some(started) = started {
                let events = selector.events.iter().count();
                crate::debug::log_poll(timeout, started.elapsed(), events);
            }
            let mut fired = self.inner.io.fired.borrow_mut();
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
        let mut fired = self.inner.io.fired.take();
        if fired.is_empty() {
            self.inner.io.fired.replace(fired);
            return;
        }
        // One event per source and poll: the token alone orders them.
        fired.sort_unstable_by_key(|&(token, _)| token);
        self.record(|| {
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
        self.inner.io.fired.replace(fired);
    }
    // ANCHOR_END: dispatch_io

    /// One event of source `token`: a socket's waits keep the readiness, and the wait in
    /// progress ends; the callbacks of the directions that became ready are scheduled.
    fn dispatch_event(&self, token: usize, ready: u8) {
        // Whoever is woken is taken out of the slab first: a waker may run any code.
        let slab = self.inner.io.slab.borrow();
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

    /// Puts one call of a reader's or writer's callback on the ready deque.
    fn schedule_io_callback(&self, callback: Rc<IoCallback>) {
        let label = callback.label.clone();
        self.call_soon_labelled(label, move |lp: &EventLoop| {
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

impl std::fmt::Debug for IoCallback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IoCallback({})", self.label)
    }
}
