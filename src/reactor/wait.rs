//! A socket's wait in one direction: what a task awaiting readiness waits on (asyncio's
//! `sock_recv` creates a future for it, with a reader that sets the future's result).
//!
//! Each socket of [`crate::net`] makes two, one for reading and one for writing, when it is
//! registered; its registration holds them too. The readiness events of the poll set their
//! readiness bits, and end the wait in progress, if any, by scheduling the waiting task's
//! wakeup.
//!
//! # Implementation notes
//! A future would do, and once did; but a wait needs less than a future, which keeps a label,
//! an outcome of any type and a list of done-callbacks, and schedules each of them. Here the
//! event finds the one waiter and schedules its task's wakeup by key; the readiness is read
//! and cleared without looking the socket up in the reactor's slab; and a socket waits again and
//! again without allocating. Traces show the same events as for a future named after the
//! socket's token and the direction (`token 3 readable`).

use std::cell::Cell;
use std::rc::{Rc, Weak};
use std::sync::Arc;
use std::task::Waker;

use super::{closed, Reactor, READ};
use crate::label::Label;
use crate::task::{Awaited, TaskKey};
use crate::trace::Event;
use crate::Error;

// ANCHOR: io_wait
/// One direction of a registered socket: its readiness, and the wait in progress.
pub(crate) struct IoWait {
    /// Weak, as a future's scheduler: the reactor owns the registrations that hold this.
    reactor: Weak<Reactor>,
    token: usize,
    /// `READ` or `WRITE`.
    direction: u8,
    /// The readiness seen and not used up: the direction's bit and its closed bit (`READ` and
    /// `READ_CLOSED`, say). Set by events; cleared when the system call answers `WouldBlock`,
    /// and the direction's bit alone after a short read or write (which emptied or filled the
    /// buffer, but cannot undo an end of file).
    ready: Cell<u8>,
    phase: Cell<Phase>,
    /// The steploop task to wake when the wait ends, once a poll has said.
    task: Cell<Option<TaskKey>>,
    /// Or the waker of whatever else polled the wait (a future run by another library).
    waker: Cell<Option<Waker>>,
    /// The message of the cancellation that ended the wait.
    message: Cell<Option<Arc<str>>>,
}

/// Where the wait is in its life: `Idle` → `Waiting` → `Ready` or `Cancelled` → `Idle`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Phase {
    /// No wait is under way: none began, or the last one's outcome was taken.
    Idle,
    /// Until an event comes or the waiting task is cancelled.
    Waiting,
    /// The event came: the next try may succeed.
    Ready,
    /// The waiting task was cancelled.
    Cancelled,
}
// ANCHOR_END: io_wait

impl IoWait {
    /// The wait of `direction` (`READ` or `WRITE`) of the source registered as `token`. Its
    /// readiness starts as "unknown", treated as ready: the first read or write simply tries.
    pub(super) fn new(reactor: &Rc<Reactor>, token: usize, direction: u8) -> Rc<IoWait> {
        Rc::new(IoWait {
            reactor: Rc::downgrade(reactor),
            token,
            direction,
            ready: Cell::new(direction),
            phase: Cell::new(Phase::Idle),
            task: Cell::new(None),
            waker: Cell::new(None),
            message: Cell::new(None),
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

    /// True if an event said the socket is ready in this direction (or closed) and no
    /// `WouldBlock` came since.
    #[inline]
    pub(crate) fn is_ready(&self) -> bool {
        self.ready.get() != 0
    }

    /// The system call said `WouldBlock`: wait for the next event before trying again.
    #[inline]
    pub(crate) fn clear_ready(&self) {
        self.ready.set(0);
    }

    /// A short read or write emptied or filled the buffer: forget the readiness, but not an
    /// end of file or an error, which no new event would announce again.
    #[inline]
    pub(crate) fn clear_ready_short(&self) {
        self.ready.set(self.ready.get() & !self.direction);
    }

    /// An event announced `bits` (of both directions): keeps this direction's. True if a wait
    /// is in progress, which the caller ends with [`end`](IoWait::end) once it has let go of
    /// the slab.
    pub(super) fn announce(&self, bits: u8) -> bool {
        let own = bits & (self.direction | closed(self.direction));
        self.ready.set(self.ready.get() | own);
        own != 0 && self.phase.get() == Phase::Waiting
    }

    /// Begins a wait: the next event in this direction ends it. `reactor`, the one the
    /// socket is registered with, counts it.
    ///
    /// # Errors
    /// [`Error::Runtime`] if another task already waits in this direction (asyncio's
    /// "read() called while another coroutine is already waiting for incoming data").
    pub(crate) fn start(&self, reactor: &Reactor) -> Result<(), Error> {
        if self.phase.get() != Phase::Idle {
            let what = if self.direction == READ {
                "read"
            } else {
                "write"
            };
            return Err(Error::Runtime(
                format!(
                    "another task is already waiting to {what} on this socket: one task at a \
                     time may wait in each direction; await the other task, or share the \
                     socket through a single task"
                )
                .into(),
            ));
        }
        self.phase.set(Phase::Waiting);
        reactor.count_waiting(1);
        Ok(())
    }

    /// The task to wake when the wait ends (each poll that finds it waiting says it again).
    pub(crate) fn wake_task(&self, key: TaskKey) {
        self.task.set(Some(key));
    }

    /// Or the waker to wake, when no steploop task polls the wait.
    pub(crate) fn wake_waker(&self, waker: &Waker) {
        self.task.set(None);
        let known = self.waker.take();
        self.waker.set(match known {
            Some(known) if known.will_wake(waker) => Some(known),
            _ => Some(waker.clone()),
        });
    }

    /// Ends the wait in progress as `phase` (`Ready` or `Cancelled`) and wakes its waiter;
    /// false, changing nothing, if no wait is in progress.
    fn end(&self, reactor: &Reactor, phase: Phase) -> bool {
        if self.phase.get() != Phase::Waiting {
            return false;
        }
        self.phase.set(phase);
        reactor.count_waiting(-1);
        reactor.sched.record(|| Event::FutureDone {
            future: self.label(),
            outcome: if phase == Phase::Ready {
                "result"
            } else {
                "cancelled"
            },
        });
        if let Some(key) = self.task.take() {
            reactor.sched.schedule_step(key, true);
        } else if let Some(waker) = self.waker.take() {
            waker.wake();
        }
        true
    }

    /// An event ended the wait.
    pub(super) fn end_ready(&self, reactor: &Reactor) {
        self.end(reactor, Phase::Ready);
    }

    /// The outcome of a wait that has ended, taken: the wait is idle again. `None` while it
    /// still waits.
    pub(crate) fn take_outcome(&self) -> Option<Result<(), Error>> {
        match self.phase.get() {
            Phase::Waiting => None,
            Phase::Idle | Phase::Ready => {
                self.phase.set(Phase::Idle);
                Some(Ok(()))
            }
            Phase::Cancelled => {
                self.phase.set(Phase::Idle);
                Some(Err(Error::Cancelled(self.message.take())))
            }
        }
    }

    /// The waiter gives up before taking the outcome (its task dropped the wait, or must
    /// raise something else): the wait is idle again, and a wait in progress stops counting.
    pub(crate) fn abandon(&self) {
        match self.reactor.upgrade() {
            Some(reactor) => self.stop(&reactor),
            None => self.forget(),
        }
    }

    /// As [`abandon`](IoWait::abandon), for the registrations themselves: a socket that is
    /// deregistered stops its waits.
    pub(super) fn stop(&self, reactor: &Reactor) {
        if self.phase.get() == Phase::Waiting {
            reactor.count_waiting(-1);
        }
        self.forget();
    }

    /// Back to idle, whoever waited: for [`abandon`](IoWait::abandon), and for a loop that
    /// closes, which stops counting every wait at once.
    pub(super) fn forget(&self) {
        self.phase.set(Phase::Idle);
        self.task.set(None);
        drop(self.waker.take());
        drop(self.message.take());
    }

    /// True while a wait is in progress.
    pub(super) fn is_waiting(&self) -> bool {
        self.phase.get() == Phase::Waiting
    }
}

impl Awaited for IoWait {
    /// Cancelling the waiting task ends the wait, cancelled, and wakes the task, whose await
    /// returns `Err(Error::Cancelled)` (asyncio's `sock_recv` cancels its future, which
    /// removes its reader).
    fn cancel_with_message(self: Rc<Self>, message: Option<Arc<str>>) -> bool {
        let Some(reactor) = self.reactor.upgrade() else {
            return false;
        };
        if !self.is_waiting() {
            return false;
        }
        self.message.set(message);
        self.end(&reactor, Phase::Cancelled)
    }

    fn forget_wakeup(&self, key: TaskKey) {
        if self.task.get() == Some(key) {
            self.task.set(None);
        }
    }
}
