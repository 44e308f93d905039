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
//! - `waiting` counts the reader and writer slots that hold a waiter. While it is not zero,
//!   something may still happen that no timer announces: the loop polls on every tick and
//!   waits in its poll instead of reporting a stall.
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
use std::task::Waker;
use std::time::Duration;

use slab::Slab;

use crate::label::Label;
use crate::state::WeakLoop;
use crate::task::{Awaited, TaskKey};
use crate::trace::{Event, IoReady};
use crate::{Error, EventLoop};

/// The token of the `mio::Waker` that other threads use to interrupt the poll. Slab keys
/// start at 0 and never come near it.
pub(crate) const REMOTE_TOKEN: mio::Token = mio::Token(usize::MAX);

/// Readiness for reading, as a bit of [`Registration::ready`].
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
/// One registered source: what the loop knows about its readiness, and who waits for it
/// (asyncio's `SelectorKey`, whose `data` is the `(reader, writer)` pair).
pub(crate) struct Registration {
    /// The readiness seen and not yet used up: `READ`, `WRITE`, `READ_CLOSED`, `WRITE_CLOSED`
    /// bits. Set by events; the awaitable level clears a direction's bits when the system
    /// call answers `WouldBlock`, and its `READ` or `WRITE` bit alone after a short read or
    /// write (which emptied or filled the buffer, but cannot undo an end of file).
    ready: u8,
    /// Who is woken when the source becomes readable.
    reader: Option<Waiter>,
    /// Who is woken when the source becomes writable.
    writer: Option<Waiter>,
    /// The raw descriptor, for the callback level, which finds registrations by descriptor.
    fd: Option<RawFd>,
}

/// Who waits on one direction of a registration.
pub(crate) enum Waiter {
    /// `add_reader(source, callback)`: scheduled on every readiness event until removed.
    Callback(Rc<IoCallback>),
    /// A task awaiting readiness (the awaitable level): the event ends the wait, once, which
    /// schedules the task's wakeup.
    Wait(Rc<IoWait>),
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

// ANCHOR: io_wait
/// One direction of a socket as tasks wait on it (what asyncio's `sock_recv` creates a future
/// for, with a reader that sets its result): made once per socket and direction, put in the
/// registration's slot by each wait, and taken out by the event that ends the wait. It is also
/// what cancelling the waiting task cancels (asyncio's `_fut_waiter`).
///
/// # Implementation notes
/// A future would do, and once did; but a wait needs less than a future, which keeps a label,
/// an outcome of any type and a list of done-callbacks, and schedules each of them. Here the
/// event finds the one waiter in the slot and schedules its task's wakeup directly, and a
/// socket waits again and again without allocating. Traces show the same events as for a
/// future named after the socket's token and the direction (`token 3 readable`).
pub(crate) struct IoWait {
    /// Weak, as a future's: the loop owns the registrations that hold this.
    event_loop: WeakLoop,
    token: usize,
    direction: u8,
    state: Cell<WaitState>,
}

/// Where a socket's wait in one direction is.
#[derive(Default)]
enum WaitState {
    /// No wait is under way: none began, or the last one's outcome was taken.
    #[default]
    Idle,
    /// In its slot until an event comes or the task is cancelled; who to wake then, once a
    /// poll has said.
    Waiting(Option<Wakeup>),
    /// The event came: the next try may succeed.
    Ready,
    /// The waiting task was cancelled, with this message.
    Cancelled(Option<Arc<str>>),
}

/// Who a wait wakes when it ends.
pub(crate) enum Wakeup {
    /// A steploop task, by key: its wakeup goes on the ready deque.
    Task(TaskKey),
    /// Anything else that polls the wait (a future run by another library).
    Waker(Waker),
}

impl IoWait {
    /// The wait of `direction` (`READ` or `WRITE`) of the source registered as `token`.
    pub(crate) fn new(event_loop: &EventLoop, token: usize, direction: u8) -> Rc<IoWait> {
        Rc::new(IoWait {
            event_loop: event_loop.downgrade(),
            token,
            direction,
            state: Cell::default(),
        })
    }

    /// Its name in traces and errors: `token 3 readable`, `token 3 writable`.
    pub(crate) fn label(&self) -> Label {
        let what = if self.direction == READ {
            "readable"
        } else {
            "writable"
        };
        Label::new(format!("token {} {what}", self.token))
    }

    /// Ends the wait with `outcome` (`Ready` or `Cancelled`) and wakes its waiter, if it is
    /// still waiting; false, changing nothing, otherwise.
    fn end(&self, event_loop: &EventLoop, outcome: WaitState) -> bool {
        let wakeup = match self.state.take() {
            WaitState::Waiting(wakeup) => wakeup,
            other => {
                self.state.set(other);
                return false;
            }
        };
        let word = match outcome {
            WaitState::Cancelled(_) => "cancelled",
            _ => "result",
        };
        self.state.set(outcome);
        event_loop.record(|| Event::FutureDone {
            future: self.label(),
            outcome: word,
        });
        match wakeup {
            Some(Wakeup::Task(key)) => event_loop.schedule_step(key, true),
            Some(Wakeup::Waker(waker)) => waker.wake(),
            None => {}
        }
        true
    }

    /// The outcome of a wait that has ended, taken: the wait is idle again. `None` while it
    /// still waits.
    pub(crate) fn take_outcome(&self) -> Option<Result<(), Error>> {
        match self.state.take() {
            WaitState::Idle | WaitState::Ready => Some(Ok(())),
            WaitState::Cancelled(message) => Some(Err(Error::Cancelled(message))),
            waiting @ WaitState::Waiting(_) => {
                self.state.set(waiting);
                None
            }
        }
    }

    /// Says who to wake when the wait ends (each poll that finds it waiting says it again).
    pub(crate) fn set_wakeup(&self, wakeup: Wakeup) {
        if let WaitState::Waiting(_) = self.state.take() {
            self.state.set(WaitState::Waiting(Some(wakeup)));
        }
    }

    /// The waiter gives up before the end (its task was dropped, or its await refused): the
    /// wait leaves its slot and is idle again.
    pub(crate) fn abandon(&self, event_loop: &EventLoop) {
        if let WaitState::Waiting(_) = self.state.take() {
            event_loop.io_unwait(self);
        }
    }
}

impl Awaited for IoWait {
    /// Cancelling the waiting task ends the wait, cancelled, and wakes the task, which
    /// returns `Err(Error::Cancelled)` from the await (asyncio's `sock_recv` cancels its
    /// future and removes its reader).
    fn cancel_with_message(self: Rc<Self>, message: Option<Arc<str>>) -> bool {
        let Some(event_loop) = self.event_loop.upgrade() else {
            return false;
        };
        let state = self.state.take();
        let waiting = matches!(state, WaitState::Waiting(_));
        self.state.set(state);
        if !waiting {
            return false;
        }
        event_loop.io_unwait(&self);
        self.end(&event_loop, WaitState::Cancelled(message))
    }

    fn forget_wakeup(&self, key: TaskKey) {
        let state = match self.state.take() {
            WaitState::Waiting(Some(Wakeup::Task(k))) if k == key => WaitState::Waiting(None),
            other => other,
        };
        self.state.set(state);
    }
}
// ANCHOR_END: io_wait

/// The loop's registrations: the slab, the descriptor map of the callback level, and the
/// count of waiters.
#[derive(Default)]
pub(crate) struct Registrations {
    slab: RefCell<Slab<Registration>>,
    /// Descriptor → slab key, for `remove_reader(source)` (asyncio's `_fd_to_key`).
    by_fd: RefCell<HashMap<RawFd, usize>>,
    /// Reader and writer slots that hold a waiter.
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

    /// Sets the waiter of one direction, counting it; gives back the one it replaces.
    fn set_waiter(&self, token: usize, direction: u8, waiter: Waiter) -> Option<Waiter> {
        let mut slab = self.slab.borrow_mut();
        let registration = &mut slab[token];
        let old = registration.slot(direction).replace(waiter);
        if old.is_none() {
            self.waiting.set(self.waiting.get() + 1);
        }
        old
    }

    /// Takes the waiter of one direction out, uncounting it.
    fn take_waiter(&self, token: usize, direction: u8) -> Option<Waiter> {
        let mut slab = self.slab.borrow_mut();
        let waiter = slab.get_mut(token)?.slot(direction).take();
        if waiter.is_some() {
            self.waiting.set(self.waiting.get() - 1);
        }
        waiter
    }

    /// Removes a registration from the slab, uncounting its waiters; returns them so that the
    /// caller drops them outside the borrow.
    fn remove(&self, token: usize) -> Option<Registration> {
        let removed = self.slab.borrow_mut().try_remove(token)?;
        let waiters = usize::from(removed.reader.is_some()) + usize::from(removed.writer.is_some());
        self.waiting.set(self.waiting.get() - waiters);
        if let Some(fd) = removed.fd {
            self.by_fd.borrow_mut().remove(&fd);
        }
        Some(removed)
    }

    /// Empties everything (the loop is closing); returns the registrations to drop.
    pub(crate) fn clear(&self) -> Slab<Registration> {
        self.by_fd.borrow_mut().clear();
        self.waiting.set(0);
        std::mem::take(&mut *self.slab.borrow_mut())
    }
}

impl Registration {
    fn slot(&mut self, direction: u8) -> &mut Option<Waiter> {
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
        if let Some(Waiter::Callback(old)) =
            self.inner
                .io
                .set_waiter(token, direction, Waiter::Callback(callback))
        {
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
        let removed = match self.inner.io.take_waiter(token, direction) {
            Some(Waiter::Callback(callback)) => {
                callback.removed.set(true);
                true
            }
            _ => false,
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
    /// Registers `source` for both directions; returns its token. Its readiness starts as
    /// "unknown", treated as ready: the first read or write simply tries.
    pub(crate) fn io_register<S>(&self, source: &mut S) -> Result<usize, Error>
    where
        S: mio::event::Source + ?Sized,
    {
        self.check_open("registering a socket");
        self.ensure_selector()?;
        let token = self.inner.io.slab.borrow_mut().insert(Registration {
            ready: READ | WRITE,
            reader: None,
            writer: None,
            fd: None,
        });
        let registered =
            self.with_registry(|registry| registry.register(source, mio::Token(token), both()));
        if let Err(error) = registered {
            self.inner.io.remove(token);
            return Err(error);
        }
        Ok(token)
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

    /// True if an event said `token` is ready in `direction` and no `WouldBlock` came since.
    pub(crate) fn io_is_ready(&self, token: usize, direction: u8) -> bool {
        let slab = self.inner.io.slab.borrow();
        let bits = direction | closed(direction);
        slab.get(token).is_some_and(|r| r.ready & bits != 0)
    }

    /// The system call said `WouldBlock`: wait for the next event before trying again.
    pub(crate) fn io_clear_ready(&self, token: usize, direction: u8) {
        self.io_clear_bits(token, direction | closed(direction));
    }

    /// A short read or write emptied or filled the buffer: forget `direction`'s readiness,
    /// but not an end of file or an error, which no new event would announce again.
    pub(crate) fn io_clear_ready_short(&self, token: usize, direction: u8) {
        self.io_clear_bits(token, direction);
    }

    fn io_clear_bits(&self, token: usize, bits: u8) {
        if let Some(registration) = self.inner.io.slab.borrow_mut().get_mut(token) {
            registration.ready &= !bits;
        }
    }

    /// Puts `wait` in its direction's slot of its registration: the next readiness event in
    /// that direction ends it.
    ///
    /// # Errors
    /// [`Error::Runtime`] if another task already waits in that direction (asyncio's
    /// "read() called while another coroutine is already waiting for incoming data").
    pub(crate) fn io_wait(&self, wait: &Rc<IoWait>) -> Result<(), Error> {
        let (token, direction) = (wait.token, wait.direction);
        let busy = {
            let slab = self.inner.io.slab.borrow();
            let Some(registration) = slab.get(token) else {
                return Err(Error::Runtime("the socket is no longer registered".into()));
            };
            if direction == READ {
                registration.reader.is_some()
            } else {
                registration.writer.is_some()
            }
        };
        if busy {
            let what = if direction == READ { "read" } else { "write" };
            return Err(Error::Runtime(
                format!(
                    "another task is already waiting to {what} on this socket: one task at a \
                     time may wait in each direction; await the other task, or share the \
                     socket through a single task"
                )
                .into(),
            ));
        }
        wait.state.set(WaitState::Waiting(None));
        self.inner
            .io
            .set_waiter(token, direction, Waiter::Wait(wait.clone()));
        Ok(())
    }

    /// Takes `wait` out of its slot, if it is still there (its task stopped waiting: it was
    /// cancelled, or dropped the wait).
    fn io_unwait(&self, wait: &IoWait) {
        let ours = {
            let mut slab = self.inner.io.slab.borrow_mut();
            slab.get_mut(wait.token).is_some_and(|r| {
                matches!(r.slot(wait.direction), Some(Waiter::Wait(w)) if std::ptr::eq(&**w, wait))
            })
        };
        if ours {
            let waiter = self.inner.io.take_waiter(wait.token, wait.direction);
            drop(waiter);
        }
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
        fired.sort_unstable();
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
            let waiters = {
                let mut slab = self.inner.io.slab.borrow_mut();
                let Some(registration) = slab.get_mut(token) else {
                    continue; // deregistered since
                };
                registration.ready |= ready;
                [READ, WRITE].map(|direction| {
                    if ready & direction == 0 {
                        return None;
                    }
                    match registration.slot(direction) {
                        // A callback stays registered: schedule a call of it.
                        Some(Waiter::Callback(callback)) => {
                            Some(Waiter::Callback(callback.clone()))
                        }
                        // A task's wait is over: take it out.
                        slot @ Some(Waiter::Wait(_)) => slot.take(),
                        None => None,
                    }
                })
            };
            for waiter in waiters.into_iter().flatten() {
                match waiter {
                    Waiter::Callback(callback) => self.schedule_io_callback(callback),
                    Waiter::Wait(wait) => {
                        self.inner.io.waiting.set(self.inner.io.waiting.get() - 1);
                        wait.end(self, WaitState::Ready);
                    }
                }
            }
        }
        self.inner.io.fired.replace(fired);
    }
    // ANCHOR_END: dispatch_io

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
