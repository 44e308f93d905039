//! `timeout` and `timeout_at`: a deadline over a block of awaits (asyncio's `asyncio.timeout`,
//! `asyncio.timeout_at` and `asyncio.Timeout`, Python 3.11).
//!
//! `wait_for` puts a deadline on one awaitable, which it wraps in a task of its own. A timeout
//! puts a deadline on a *block* of the current task, however many awaits it makes: when the
//! deadline comes, a timer cancels the task itself, so the block's current await returns
//! `Err(Error::Cancelled)`; the block lets it propagate (`?`), and at the block's end the
//! timeout turns that cancellation into `Err(Error::Timeout)`. No second task, no waiter.
//!
//! The hard part is telling *its* cancellation from anybody else's. A task may be cancelled
//! by the timeout and, in the same tick, by its caller; the timeout must then let the
//! cancellation through, or the caller's request would be lost. Python 3.11 added
//! [`Task::cancelling`](crate::Task::cancelling) and [`Task::uncancel`](crate::Task::uncancel)
//! for exactly this: the timeout notes the count when the block starts, and on the way out it
//! withdraws its own request; only if the count is back to where it was is the cancellation
//! its own, and only then does it become `Error::Timeout`.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future as StdFuture;
use std::rc::{Rc, Weak};
use std::time::Duration;

use crate::handle::Handle;
use crate::running::running_loop;
use crate::state::WeakLoop;
use crate::task::{current_task, TaskRef};
use crate::timers::TimerHandle;
use crate::{get_running_loop, Error};

// ANCHOR: timeout_fn
/// Runs `body` with a deadline `delay` from now; on expiry its current await is cancelled and
/// the result is `Err(Error::Timeout)` (`async with asyncio.timeout(delay):`).
///
/// `body` runs inside the current task, as the block of an `async with` does: it is not
/// made into a task of its own.
///
/// # Errors
/// - [`Error::Timeout`] if the deadline came first and the block let the cancellation
///   through.
/// - Whatever `body` returns otherwise, including its own errors, and `Error::Cancelled` when
///   the task was also cancelled by someone else (that cancellation is not swallowed).
/// - [`Error::Runtime`] when awaited outside a task.
///
/// # Notes
/// - A block that catches the cancellation and returns a value anyway wins: the value is
///   returned, as in asyncio, though [`Timeout::expired`] says the deadline passed.
/// - The deadline is counted from the moment the block starts, which is when asyncio
///   computes it in `async with asyncio.timeout(delay):`. A zero delay expires on the next
///   tick, at the block's first await.
/// - To move the deadline from inside the block, or ask afterwards whether it expired, make
///   the [`Timeout`] first and run the block with [`Timeout::scope`].
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use steploop::{sleep, timeout, Error, EventLoop};
///
/// let lp = EventLoop::with_virtual_clock();
/// let outcome = lp.run_until_complete(async {
///     timeout(Duration::from_secs(1), async {
///         sleep(Duration::from_millis(400)).await?; // done in time...
///         sleep(Duration::from_secs(10)).await?; // ...but not this one
///         Ok("finished")
///     })
///     .await
/// });
/// assert!(matches!(outcome, Err(Error::Timeout)));
/// assert_eq!(lp.time(), Duration::from_secs(1));
/// ```
pub async fn timeout<T>(
    delay: Duration,
    body: impl StdFuture<Output = Result<T, Error>>,
) -> Result<T, Error> {
    Timeout::after(delay).scope(body).await
}
// ANCHOR_END: timeout_fn

/// Runs `body` with a deadline at loop time `when` (`async with asyncio.timeout_at(when):`);
/// a deadline already past expires on the next tick. See [`timeout`].
///
/// # Errors
/// As [`timeout`].
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use steploop::{get_running_loop, sleep, timeout_at, Error, EventLoop};
///
/// let lp = EventLoop::with_virtual_clock();
/// let outcome = lp.run_until_complete(async {
///     let deadline = get_running_loop().unwrap().time() + Duration::from_secs(2);
///     timeout_at(deadline, sleep(Duration::from_secs(5))).await
/// });
/// assert!(matches!(outcome, Err(Error::Timeout)));
/// assert_eq!(lp.time(), Duration::from_secs(2));
/// ```
pub async fn timeout_at<T>(
    when: Duration,
    body: impl StdFuture<Output = Result<T, Error>>,
) -> Result<T, Error> {
    Timeout::at(when).scope(body).await
}

// ANCHOR: phase
/// Where a timeout is in its life (asyncio's `timeouts._State`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Made, not entered yet: `reschedule` is refused.
    Created,
    /// The block runs, and the handler waits for the deadline (asyncio's "active").
    Entered,
    /// The handler fired and cancelled the task; the block has not ended yet.
    Expiring,
    /// The block ended after the deadline.
    Expired,
    /// The block ended before the deadline (asyncio's "finished").
    Exited,
}
// ANCHOR_END: phase

impl Phase {
    /// asyncio's name of the state, as its repr and its error messages show it.
    fn name(self) -> &'static str {
        match self {
            Phase::Created => "created",
            Phase::Entered => "active",
            Phase::Expiring => "expiring",
            Phase::Expired => "expired",
            Phase::Exited => "finished",
        }
    }
}

/// The deadline: a loop time, none, or a delay not yet turned into a loop time because no
/// loop was running when the timeout was made.
#[derive(Clone, Copy, Debug)]
enum Deadline {
    Never,
    At(Duration),
    After(Duration),
}

/// What fires the timeout (asyncio's `_timeout_handler`): a timer, or, for a deadline
/// already past, a callback on the next tick.
enum Handler {
    At(TimerHandle),
    Soon(Handle),
}

impl Handler {
    fn cancel(&self) {
        match self {
            Handler::At(timer) => timer.cancel(),
            Handler::Soon(handle) => handle.cancel(),
        }
    }
}

// ANCHOR: state
/// The state behind a [`Timeout`] and its clones.
struct State {
    when: Cell<Deadline>,
    phase: Cell<Phase>,
    /// The timer (or callback) that will cancel the task, while one is scheduled.
    handler: RefCell<Option<Handler>>,
    /// The task the block runs in, from entry to exit.
    task: RefCell<Option<TaskRef>>,
    /// The task's loop, where `reschedule` schedules the handler, from any caller.
    event_loop: RefCell<Option<WeakLoop>>,
    /// `task.cancelling()` when the block started: at exit, a count back at this value
    /// means that no cancellation but the timeout's own is pending.
    cancelling: Cell<u32>,
}
// ANCHOR_END: state

/// A deadline over a block of awaits that can be moved and queried: asyncio's
/// `asyncio.Timeout`, what `async with asyncio.timeout(...) as cm` binds to `cm`.
///
/// Make one with [`after`](Timeout::after), [`at`](Timeout::at) or [`never`](Timeout::never),
/// run the block with [`scope`](Timeout::scope), and use the same value inside the block to
/// [`reschedule`](Timeout::reschedule), or afterwards to ask whether it
/// [`expired`](Timeout::expired). Clones are the same timeout. [`timeout`] and
/// [`timeout_at`] are the short forms for a deadline that never moves.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use steploop::{get_running_loop, sleep, Error, EventLoop, Timeout};
///
/// let lp = EventLoop::with_virtual_clock();
/// let cm = Timeout::never(); // async with asyncio.timeout(None) as cm:
/// let outcome = lp.run_until_complete({
///     let cm = cm.clone();
///     async move {
///         cm.scope(async {
///             let now = get_running_loop().unwrap().time();
///             cm.reschedule(Some(now + Duration::from_secs(3)))?; // we know the deadline now
///             sleep(Duration::from_secs(10)).await
///         })
///         .await
///     }
/// });
/// assert!(matches!(outcome, Err(Error::Timeout)));
/// assert!(cm.expired());
/// assert_eq!(lp.time(), Duration::from_secs(3));
/// ```
#[derive(Clone)]
pub struct Timeout {
    state: Rc<State>,
}

impl Timeout {
    fn new(when: Deadline) -> Timeout {
        Timeout {
            state: Rc::new(State {
                when: Cell::new(when),
                phase: Cell::new(Phase::Created),
                handler: RefCell::new(None),
                task: RefCell::new(None),
                event_loop: RefCell::new(None),
                cancelling: Cell::new(0),
            }),
        }
    }

    /// A timeout `delay` from now (`asyncio.timeout(delay)`).
    ///
    /// # Notes
    /// "Now" is the running loop's time when this is called, as in asyncio; made with no
    /// loop running, the deadline is counted from the moment the block starts instead, and
    /// [`when`](Timeout::when) is `None` until then.
    pub fn after(delay: Duration) -> Timeout {
        match get_running_loop() {
            Some(event_loop) => Timeout::at(event_loop.time().saturating_add(delay)),
            None => Timeout::new(Deadline::After(delay)),
        }
    }

    /// A timeout at loop time `when` (`asyncio.timeout_at(when)`).
    pub fn at(when: Duration) -> Timeout {
        Timeout::new(Deadline::At(when))
    }

    /// A timeout that never expires unless rescheduled (`asyncio.timeout(None)`).
    pub fn never() -> Timeout {
        Timeout::new(Deadline::Never)
    }

    /// The deadline in loop time, or `None` if there is none (`Timeout.when()`).
    pub fn when(&self) -> Option<Duration> {
        match self.state.when.get() {
            Deadline::At(when) => Some(when),
            Deadline::Never | Deadline::After(_) => None,
        }
    }

    /// True once the deadline has passed while the block ran (`Timeout.expired()`).
    pub fn expired(&self) -> bool {
        matches!(self.state.phase.get(), Phase::Expiring | Phase::Expired)
    }

    // ANCHOR: reschedule
    /// Moves the deadline to loop time `when`, or removes it with `None`
    /// (`Timeout.reschedule(when)`). A deadline already past expires on the next tick. It
    /// may be called from inside the block, or from anywhere on the loop's thread while the
    /// block runs.
    ///
    /// # Errors
    /// [`Error::Runtime`] unless the block is running and the deadline has not passed yet:
    /// before [`scope`](Timeout::scope) starts it ("has not been entered"), and once it has
    /// expired or ended, as asyncio refuses to change the state of an expiring, expired or
    /// finished timeout.
    pub fn reschedule(&self, when: Option<Duration>) -> Result<(), Error> {
        let state = &self.state;
        match state.phase.get() {
            Phase::Entered => {}
            Phase::Created => {
                return Err(Error::Runtime(
                    "Timeout has not been entered: reschedule it from inside the block that \
                     scope() runs"
                        .into(),
                ))
            }
            phase => {
                return Err(Error::Runtime(
                    format!(
                        "Cannot change state of {} Timeout: the block it timed has expired \
                         or ended; make a new Timeout for another block",
                        phase.name()
                    )
                    .into(),
                ))
            }
        }
        state.when.set(match when {
            Some(when) => Deadline::At(when),
            None => Deadline::Never,
        });
        if let Some(handler) = state.handler.borrow_mut().take() {
            handler.cancel();
        }
        let Some(when) = when else {
            return Ok(());
        };
        let Some(event_loop) = state
            .event_loop
            .borrow()
            .as_ref()
            .and_then(WeakLoop::upgrade)
        else {
            return Err(Error::Closed);
        };
        let weak = Rc::downgrade(state);
        let fire = move |_: &crate::EventLoop| on_timeout(&weak);
        let handler = if when <= event_loop.time() {
            Handler::Soon(event_loop.with_label("Timeout._on_timeout").call_soon(fire))
        } else {
            Handler::At(
                event_loop
                    .with_label("Timeout._on_timeout")
                    .call_at(when, fire),
            )
        };
        *state.handler.borrow_mut() = Some(handler);
        Ok(())
    }
    // ANCHOR_END: reschedule

    // ANCHOR: scope
    /// Runs `body` under this timeout (`async with cm:`): the block's current await is
    /// cancelled when the deadline comes, and that cancellation comes out as
    /// `Err(Error::Timeout)`.
    ///
    /// # Errors
    /// As [`timeout`]; and [`Error::Runtime`] if this timeout was entered before, since a
    /// timeout times one block.
    pub async fn scope<T>(
        &self,
        body: impl StdFuture<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        let _entered = self.enter()?; // __aenter__
        let outcome = body.await;
        self.exit(outcome) // __aexit__
    }
    // ANCHOR_END: scope

    // ANCHOR: enter
    /// asyncio's `Timeout.__aenter__`: note the task and its cancellation count, and
    /// schedule the handler. The guard cancels the handler if the block is dropped
    /// halfway (its task was destroyed).
    fn enter(&self) -> Result<Entered<'_>, Error> {
        let state = &self.state;
        if state.phase.get() != Phase::Created {
            return Err(Error::Runtime(
                "Timeout has already been entered: a Timeout times one block; make a new one"
                    .into(),
            ));
        }
        let event_loop = running_loop("timeout")?;
        let Some(task) = current_task() else {
            return Err(Error::Runtime(
                "Timeout should be used inside a task: it cancels the task that runs the \
                 block; await it from a coroutine run by create_task, run_until_complete or \
                 steploop::run"
                    .into(),
            ));
        };
        state.phase.set(Phase::Entered);
        state.cancelling.set(task.cancelling());
        *state.task.borrow_mut() = Some(task);
        *state.event_loop.borrow_mut() = Some(event_loop.downgrade());
        let when = match state.when.get() {
            Deadline::Never => None,
            Deadline::At(when) => Some(when),
            Deadline::After(delay) => Some(event_loop.time().saturating_add(delay)),
        };
        self.reschedule(when)?;
        Ok(Entered(state))
    }
    // ANCHOR_END: enter

    // ANCHOR: exit
    /// asyncio's `Timeout.__aexit__`: cancel the handler; if it fired, withdraw its
    /// cancellation, and if no other is pending, turn the block's `Error::Cancelled` into
    /// `Error::Timeout`.
    fn exit<T>(&self, outcome: Result<T, Error>) -> Result<T, Error> {
        let state = &self.state;
        if let Some(handler) = state.handler.borrow_mut().take() {
            handler.cancel();
        }
        let task = state.task.borrow_mut().take();
        match state.phase.get() {
            Phase::Expiring => {
                state.phase.set(Phase::Expired);
                let uncancelled = task.map_or(0, |task| task.uncancel());
                if uncancelled <= state.cancelling.get()
                    && matches!(&outcome, Err(error) if error.is_cancelled())
                {
                    // No other cancellation is pending: this one was ours.
                    return Err(Error::Timeout);
                }
            }
            Phase::Entered => state.phase.set(Phase::Exited),
            _ => {}
        }
        outcome
    }
    // ANCHOR_END: exit
}

// ANCHOR: on_timeout
/// The handler (asyncio's `Timeout._on_timeout`): cancel the task that runs the block.
fn on_timeout(state: &Weak<State>) {
    let Some(state) = state.upgrade() else {
        return;
    };
    if state.phase.get() != Phase::Entered {
        return;
    }
    if let Some(task) = state.task.borrow().as_ref() {
        task.cancel();
    }
    state.phase.set(Phase::Expiring);
    // Fired: nothing left to cancel at exit.
    state.handler.borrow_mut().take();
}
// ANCHOR_END: on_timeout

/// Cancels the handler of a block dropped before it ended.
struct Entered<'a>(&'a State);

impl Drop for Entered<'_> {
    fn drop(&mut self) {
        if let Some(handler) = self.0.handler.borrow_mut().take() {
            handler.cancel();
        }
    }
}

impl fmt::Debug for Timeout {
    /// asyncio's repr: `<Timeout [active] when=1.500>`, `<Timeout [expired]>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let phase = self.state.phase.get();
        write!(f, "<Timeout [{}]", phase.name())?;
        if phase == Phase::Entered {
            match self.when() {
                Some(when) => write!(f, " when={:.3}", when.as_secs_f64())?,
                None => f.write_str(" when=None")?,
            }
        }
        f.write_str(">")
    }
}
