//! `sleep`: a future that a timer completes (asyncio's `asyncio.sleep`).
//!
//! The seed's reading of asyncio's source, step by step: `sleep(delay)` creates a future, asks
//! the loop to `call_later(delay, _set_result_unless_cancelled, future)`, and awaits the
//! future; when the timer fires, the future's result is set, which schedules the waiting task's
//! wakeup. `sleep(0)` is different: it creates nothing and simply yields once, so that the task
//! steps again on the next tick and everything else ready runs first.
//!
//! # Implementation notes
//! A task's sleep allocates no future: the future would have one waiter, the task, and one
//! job, to wake it. The timer names the task's slot instead, and the task's state says which
//! timer it sleeps on ([`Waiter::Sleep`](crate::task_state::Waiter::Sleep)); cancelling the
//! task throws the cancellation in at the sleep, as the cancelled future's wakeup would. The
//! trace still shows asyncio's future (`sleep(1.000)`, its await and its completion), and a
//! million sleeping tasks are a million timers, not also a million futures. A sleep polled
//! outside the loop's tasks has a future of its own ([`SleepTimer`]), which wakes its waker.

use std::fmt;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::future::{Future, FutureCell, FutureHost};
use crate::label::Label;
use crate::nanos::to_nanos;
use crate::running::running_loop;
use crate::running_task;
use crate::scheduler::task_table::{Awaited, SleepWait, TaskKey};
use crate::scheduler::Scheduler;
use crate::timers::{sleep_label, TimerRef};
use crate::{Error, EventLoop};

// ANCHOR: sleep
/// Waits for `delay` of loop time (`asyncio.sleep(delay)`); `sleep(Duration::ZERO)` yields to
/// the loop once.
///
/// The returned future must be polled by a task on a running loop.
///
/// # Errors
/// `Error::Cancelled` if the task is cancelled while sleeping (the timer is then cancelled
/// too); `Error::Runtime` when awaited with no loop running.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use steploop::{sleep, EventLoop};
/// let lp = EventLoop::with_virtual_clock();
/// lp.run_until_complete(async {
///     sleep(Duration::from_secs(2)).await?;
///     Ok(())
/// })
/// .unwrap();
/// assert_eq!(lp.time(), Duration::from_secs(2));
/// ```
pub fn sleep(delay: Duration) -> Sleep {
    Sleep {
        delay,
        state: SleepState::Start,
    }
}
// ANCHOR_END: sleep

/// The future returned by [`sleep`].
#[must_use = "futures do nothing unless awaited"]
pub struct Sleep {
    delay: Duration,
    state: SleepState,
}

enum SleepState {
    Start,
    /// `sleep(0)`: the task's next step is scheduled.
    Yielded,
    /// Asleep in a task: the timer wakes the task.
    Asleep {
        timer: TimerRef,
    },
    /// Polled outside the loop's tasks: waiting for the timer to set the future's result.
    Waiting {
        cell: Rc<SleepTimer>,
        timer: TimerRef,
    },
    Done,
}

impl std::future::Future for Sleep {
    type Output = Result<(), Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        match &this.state {
            SleepState::Start => this.start(cx),
            SleepState::Yielded => {
                this.state = SleepState::Done;
                // The step after a bare `yield`: what it throws (a cancellation requested
                // meanwhile) is raised here.
                match running_task::take_thrown() {
                    Some(thrown) => Poll::Ready(Err(thrown)),
                    None => Poll::Ready(Ok(())),
                }
            }
            SleepState::Asleep { timer } => {
                // The step after the wakeup: what it throws (the task's cancellation) is
                // raised here.
                if let Some(thrown) = running_task::take_thrown() {
                    this.finish();
                    return Poll::Ready(Err(thrown));
                }
                if !timer.is_pending() {
                    this.state = SleepState::Done;
                    return Poll::Ready(Ok(()));
                }
                this.sleep_again(cx)
            }
            SleepState::Waiting { cell, .. } => {
                let polled = cell.await_in(cx);
                if polled.is_ready() {
                    this.finish();
                }
                polled
            }
            SleepState::Done => Poll::Ready(Ok(())),
        }
    }
}

impl Sleep {
    fn start(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        if let Some(thrown) = running_task::take_thrown() {
            self.state = SleepState::Done;
            return Poll::Ready(Err(thrown));
        }
        let event_loop = match running_loop("sleep") {
            Ok(event_loop) => event_loop,
            Err(error) => {
                self.state = SleepState::Done;
                return Poll::Ready(Err(error));
            }
        };
        if self.delay.is_zero() {
            // A bare `yield`: step again on the next tick, after everything ready now.
            match running_task::current_key(event_loop.id()) {
                Some(key) => event_loop.scheduler().schedule_step(key, false),
                None => cx.waker().wake_by_ref(),
            }
            self.state = SleepState::Yielded;
            return Poll::Pending;
        }
        if let Some(key) = running_task::current_key(event_loop.id()) {
            let timer = event_loop.timers().sleep(self.delay, key.index);
            running_task::await_sleep(event_loop.scheduler(), key, self.wait(&timer));
            self.state = SleepState::Asleep { timer };
            return Poll::Pending;
        }
        let delay = self.delay;
        self.wait_on_future(event_loop.scheduler(), cx, |cell| {
            event_loop
                .timers()
                .later(sleep_label(), delay, move |_: &EventLoop| cell.fire())
        })
    }

    fn wait(&self, timer: &TimerRef) -> SleepWait {
        SleepWait {
            timer: timer.id(),
            delay: to_nanos(self.delay),
        }
    }

    /// Polled again before its timer fired: the task was woken another way (the coroutine
    /// awaits more than the sleep), or this is another poll in the same step. The task that
    /// polls it now sleeps on it.
    fn sleep_again(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let SleepState::Asleep { timer } = &self.state else {
            unreachable!("only an asleep sleep sleeps again");
        };
        let event_loop = match running_loop("sleep") {
            Ok(event_loop) if timer.belongs_to(event_loop.timers()) => event_loop,
            Ok(_) => {
                self.finish();
                return Poll::Ready(Err(Error::Runtime(
                    "a sleep started on one loop was awaited on another: a sleep belongs to \
                     the loop that started it; await a new sleep on this loop"
                        .into(),
                )));
            }
            Err(error) => {
                self.finish();
                return Poll::Ready(Err(error));
            }
        };
        match running_task::current_key(event_loop.id()) {
            Some(key) => {
                // Usually the same task; a sleep may also have moved to another one.
                timer.set_sleeper(key.index);
                running_task::await_sleep(event_loop.scheduler(), key, self.wait(timer));
            }
            // Started in a task, polled outside one: its timer wakes tasks, not wakers. From
            // now on it waits as a sleep polled outside the loop's tasks does, on a future that
            // a timer completes, due when the first one was.
            None => {
                let when = timer.when();
                timer.cancel();
                return self.wait_on_future(event_loop.scheduler(), cx, |cell| {
                    event_loop
                        .timers()
                        .at(sleep_label(), when, move |_: &EventLoop| cell.fire())
                });
            }
        }
        Poll::Pending
    }

    /// Waits on a future of its own that the timer `schedule` makes will complete (a sleep
    /// polled outside the loop's tasks).
    fn wait_on_future(
        &mut self,
        scheduler: &Rc<Scheduler>,
        cx: &mut Context<'_>,
        schedule: impl FnOnce(Rc<SleepTimer>) -> TimerRef,
    ) -> Poll<Result<(), Error>> {
        let cell = Rc::new_cyclic(|me| SleepTimer {
            future: FutureCell::new(scheduler, Label::sleep(self.delay), false),
            me: me.clone(),
        });
        let timer = schedule(cell.clone());
        let polled = cell.await_in(cx);
        self.state = SleepState::Waiting { cell, timer };
        polled
    }

    /// The sleep is over (or was cancelled): a timer still pending has nothing left to do.
    fn finish(&mut self) {
        // Looked at in place, not moved out: a sleep that was a bare `yield` has just been
        // set to `Done`, and reading the whole state back so soon would wait for that store
        // (see `task_state.rs`'s notes).
        match &self.state {
            SleepState::Asleep { timer } | SleepState::Waiting { timer, .. } => timer.cancel(),
            SleepState::Start | SleepState::Yielded | SleepState::Done => return,
        }
        self.state = SleepState::Done;
    }
}

// ANCHOR: sleep_timer
/// A sleep's future and what its timer's callback needs in one allocation: the future that
/// `sleep` awaits, which the timer's callback holds. Firing the timer is asyncio's
/// `futures._set_result_unless_cancelled(future, None)`.
///
/// # Implementation notes
/// asyncio allocates a future and a `TimerHandle` around a `partial`; a million sleeping tasks
/// make that a million of each. Here the two share a block, and the trace still shows both:
/// the future as `sleep(1.000)`, the timer as `set_result_unless_cancelled`.
pub(crate) struct SleepTimer {
    future: FutureCell<()>,
    /// This very block, to hand the future to its done-callbacks when the timer fires.
    me: Weak<SleepTimer>,
}
// ANCHOR_END: sleep_timer

impl SleepTimer {
    /// The timer fired: the sleep is over, unless its future was cancelled meanwhile. The timer
    /// heap calls this at most once, since firing takes the timer out of its slot.
    pub(crate) fn fire(&self) {
        if let Some(me) = self.me.upgrade() {
            let future = me.future();
            if !future.done() {
                let _ = future.set_result(());
            }
        }
    }

    /// The future, as the task awaiting it sees it.
    fn future(self: &Rc<Self>) -> Future<()> {
        Future::from_host(self.clone())
    }

    fn await_in(self: &Rc<Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let target: Rc<dyn Awaited> = self.clone();
        self.future().poll_await(cx, &target)
    }
}

impl FutureHost<()> for SleepTimer {
    fn cell(&self) -> &FutureCell<()> {
        &self.future
    }
}

impl Awaited for SleepTimer {
    fn cancel_with_message(self: Rc<Self>, message: Option<Arc<str>>) -> bool {
        self.future().cancel_future(message)
    }

    fn forget_wakeup(&self, key: TaskKey) {
        self.future.forget_wakeup(key);
    }
}

impl Drop for Sleep {
    /// A sleep abandoned halfway (its task dropped it) cancels its timer.
    fn drop(&mut self) {
        self.finish();
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sleep({:?})", self.delay)
    }
}
