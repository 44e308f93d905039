//! Where a task is in its life: [`TaskState`], one enum, and the header every task carries.
//!
//! asyncio states the task's invariant in a comment: "either `_fut_waiter` is None and
//! `__step` is scheduled, or the task waits on a future". Here it is a type. A task is in
//! exactly one of these states, and moves only along these arrows:
//!
//! ```text
//!  create_task                      a wake: the awaited future is done, the task's
//!      │                            waker was woken, or it must take a thrown error
//!      ▼        ┌──────────────────────────────────────────────────────┐
//!     New       │                                                      │
//!      │ step   ▼                                                      │
//!      │   Scheduled ── step ──▶ Running ── suspends on a steploop ──▶ Waiting
//!      │        ▲                 │ │ │     future (its wakeup is      │
//!      └────────┼──── step ───────┘ │ │     that future's callback)    │
//!               │                   │ │                                │
//!               ├─ suspends, with ──┘ └─ suspends on another ──▶ WaitingForeign
//!               │  a step scheduled      library's waker              │
//!               │  meanwhile (sleep(0))                               │
//!               └─────────────────────────── a wake ──────────────────┘
//!
//!   Running ── the coroutine returns, fails or panics (or New is cancelled) ──▶ Done
//! ```
//!
//! A sleep is a future that needs no block of its own (see `sleep.rs`), and has states of its
//! own beside the future's, with the same arrows: `RunningAsleep` (`Running`, the coroutine
//! asleep from this step on), `Sleeping` (`Waiting`, on the sleep's timer) and
//! `ScheduledFromSleep` (`Scheduled`, woken from `Sleeping`). Cancelling the sleep leaves them
//! for `Running` or `Scheduled`, the sleep forgotten.
//!
//! Beside the state, a task carries what may be asked of it at any time: a cancellation to
//! deliver at its next step (asyncio's `_must_cancel`), the error its running step throws into
//! the coroutine, and how many cancellations were requested (asyncio's
//! `_num_cancels_requested`). Those are in [`TaskHeader`] too, each in its own cell.
//!
//! # Implementation notes
//! The state sits in a `RefCell`, and a transition changes in place only what it changes: a
//! wake while running sets one flag. Moving the whole 24-byte state out of a `Cell` and back
//! would cost more than the borrow flag: the processor cannot forward the narrow stores of one
//! transition (a tag, a flag) to the wide load of the next, a few instructions later in the
//! same step, and waits for them to reach the cache (measured: a task's `sleep(0)` took a
//! third longer). No code runs while the state is borrowed: what a transition replaces is
//! dropped after the borrow ends, since dropping a future may run code that wakes this very
//! task, and cancelling what a task waits on works on a waiter cloned out first.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;

use crate::error::Error;
use crate::scheduler::task_table::{Awaited, SleepWait, TaskKey, Woken};
use crate::timers::id::TimerId;

// ANCHOR: waiter
/// What a task waits on (asyncio's `_fut_waiter`), as [`TaskHeader::waiter`] gives it.
#[derive(Clone)]
pub(crate) enum Waiter {
    /// A steploop future (or task), whose done-callbacks hold the task's wakeup.
    Future(Rc<dyn Awaited>),
    /// A [`sleep`](crate::sleep()), which has no future of its own: its timer wakes the task
    /// by key, and cancelling the task throws the cancellation in at the sleep.
    Sleep(SleepWait),
}
// ANCHOR_END: waiter

impl Waiter {
    /// Forgets the wakeup of task `key`: the task no longer waits here (it was woken another
    /// way). A sleep's timer asks the task what it waits on when it fires: nothing to forget.
    pub(crate) fn forget_wakeup(&self, key: TaskKey) {
        if let Waiter::Future(future) = self {
            future.forget_wakeup(key);
        }
    }
}

// ANCHOR: state
/// Where a task is in its life (see the module's diagram).
#[derive(Default)]
pub(crate) enum TaskState {
    /// Created: its first step is on the ready deque, and its coroutine was never polled.
    /// Entered by `create_task`; left when that step runs (to `Running`), or, if the task was
    /// cancelled meanwhile, straight to `Done`, its coroutine never run.
    New,
    /// A step is on the ready deque: after a `sleep(0)`, a wakeup, or a refused await.
    /// `waiter` is the future the task waited on, until that step drops its wakeup there
    /// (asyncio clears `_fut_waiter` at the start of `__step`): a task woken some other way
    /// no longer waits for it, and cancelling the task meanwhile still cancels it. Left when
    /// the step runs (to `Running`).
    Scheduled {
        /// The future the task waited on, if any.
        waiter: Option<Rc<dyn Awaited>>,
    },
    /// `Scheduled`, woken from `Sleeping`: the sleep stays what the task waits on until the
    /// step runs, as a future does.
    ScheduledFromSleep(SleepWait),
    /// Its step polls the coroutine. `waiter` is the steploop future the coroutine awaits
    /// from this step on (asyncio's `result.add_done_callback(self.__wakeup)`); `rescheduled`
    /// is true once a next step is on the ready deque (a `sleep(0)`, a refused await, its own
    /// waker woken). Left when the poll returns: to `Done` if the coroutine is finished,
    /// otherwise to `Scheduled` if rescheduled, to `Waiting` if it awaits a steploop future,
    /// to `WaitingForeign` if neither.
    Running {
        /// The future awaited from this step on, if any.
        waiter: Option<Rc<dyn Awaited>>,
        /// True once the next step is scheduled.
        rescheduled: bool,
    },
    /// `Running`, the coroutine asleep from this step on: left for `Sleeping`, or for
    /// `ScheduledFromSleep` if rescheduled.
    RunningAsleep { sleep: SleepWait, rescheduled: bool },
    /// Suspended on one steploop future, whose done-callback is the task's wakeup. Left by a
    /// wake (to `Scheduled`).
    Waiting(Rc<dyn Awaited>),
    /// Suspended on a sleep, whose timer wakes the task. Left by a wake (to
    /// `ScheduledFromSleep`), or by the sleep's cancellation (to `Scheduled`).
    Sleeping(SleepWait),
    /// Suspended on a waker that is not steploop's (a future of another library), which
    /// another thread may wake at any time: while any task is here, an idle loop waits for it
    /// instead of reporting a stall. Left by a wake (to `Scheduled`).
    WaitingForeign,
    /// Finished: its future holds the outcome, and its slot is free. Never left.
    #[default]
    Done,
}
// ANCHOR_END: state

// The waiter is inline in each state rather than an enum of its own, which would make every
// task eight bytes bigger.
const _: () = assert!(std::mem::size_of::<TaskState>() == 24);

/// What a step finds as it begins.
pub(crate) enum StepStart {
    /// The task's first step.
    First,
    /// A later step; the future the task waited on, whose wakeup the step drops.
    Again(Option<Waiter>),
    /// The task is done: the step has nothing to do.
    Done,
}

/// Where a step leaves a task whose coroutine is still pending.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Suspended {
    /// On a steploop future, or with its next step scheduled.
    OnTheLoop,
    /// On a foreign waker.
    Foreign,
}

// ANCHOR: header
/// The part of a task that does not depend on its result type.
pub(crate) struct TaskHeader {
    pub(crate) key: TaskKey,
    /// The number of the loop the task belongs to.
    pub(crate) loop_id: u64,
    /// The coroutine's type name, for `Debug` and traces: static memory, shortened when shown
    /// (a `&'static str` rather than a `Label`, which would take twice the room in every task).
    pub(crate) coroutine: &'static str,
    /// Where the task is in its life.
    state: RefCell<TaskState>,
    /// A cancellation requested while the task was not waiting on a future (asyncio's
    /// `_must_cancel` and `_cancel_message`): set by `cancel()` when the task is running or
    /// its step is scheduled. The next step throws it into the coroutine; a step that sets it
    /// and then suspends on a future cancels that future instead.
    pub(crate) must_cancel: Cell<Option<Option<Arc<str>>>>,
    /// What the running step throws into the coroutine (asyncio's `exc` argument of
    /// `__step`): the cancellation of `must_cancel`, or the error of an await the task was
    /// refused. The first steploop await the coroutine polls takes it and returns it as its
    /// error, as `coro.throw(exc)` raises at the `yield` where the coroutine is suspended.
    /// Boxed: it is rarely set, and a box keeps every task eight bytes bigger instead of 24.
    pub(crate) exc: Cell<Option<Box<Error>>>,
    /// How many cancellations were requested and not withdrawn (asyncio's
    /// `_num_cancels_requested`): `cancel()` adds one, `uncancel()` takes one away.
    pub(crate) cancel_requests: Cell<u32>,
    /// True while `cancel()` is passing the cancellation on to what the task waits on: a
    /// cancel that comes back round a cycle of awaits finds it set and stops.
    pub(crate) cancelling_now: Cell<bool>,
}
// ANCHOR_END: header

impl TaskHeader {
    /// The header of a new task, whose first step is about to be scheduled.
    pub(crate) fn new(key: TaskKey, loop_id: u64, coroutine: &'static str) -> TaskHeader {
        TaskHeader {
            key,
            loop_id,
            coroutine,
            state: RefCell::new(TaskState::New),
            must_cancel: Cell::new(None),
            exc: Cell::new(None),
            cancel_requests: Cell::new(0),
            cancelling_now: Cell::new(false),
        }
    }

    // ANCHOR: wake
    /// A step is wanted (asyncio's `call_soon(self.__step)` or `__wakeup`): says whether the
    /// loop must put one on the ready deque. A task is scheduled once, or waits, never both.
    #[inline]
    pub(crate) fn wake(&self) -> Woken {
        let mut state = self.state.borrow_mut();
        match &mut *state {
            TaskState::Running { rescheduled, .. }
            | TaskState::RunningAsleep { rescheduled, .. } => {
                if *rescheduled {
                    return Woken::Nothing;
                }
                *rescheduled = true;
                Woken::Schedule
            }
            TaskState::Waiting(_) => {
                if let TaskState::Waiting(waiter) = std::mem::take(&mut *state) {
                    *state = TaskState::Scheduled {
                        waiter: Some(waiter),
                    };
                }
                Woken::Schedule
            }
            TaskState::Sleeping(sleep) => {
                *state = TaskState::ScheduledFromSleep(*sleep);
                Woken::Schedule
            }
            TaskState::WaitingForeign => {
                *state = TaskState::Scheduled { waiter: None };
                Woken::ScheduleLeavingForeignWait
            }
            TaskState::New
            | TaskState::Scheduled { .. }
            | TaskState::ScheduledFromSleep(_)
            | TaskState::Done => Woken::Nothing,
        }
    }
    // ANCHOR_END: wake

    /// The step begins (asyncio's `__step`): the task is running from now on.
    #[inline]
    pub(crate) fn start_step(&self) -> StepStart {
        let mut state = self.state.borrow_mut();
        let start = match &mut *state {
            TaskState::New => StepStart::First,
            TaskState::Scheduled { waiter } => StepStart::Again(waiter.take().map(Waiter::Future)),
            TaskState::ScheduledFromSleep(sleep) => StepStart::Again(Some(Waiter::Sleep(*sleep))),
            TaskState::Done => return StepStart::Done,
            // A step runs only when scheduled.
            TaskState::Running { .. }
            | TaskState::RunningAsleep { .. }
            | TaskState::Waiting(_)
            | TaskState::Sleeping(_)
            | TaskState::WaitingForeign => {
                debug_assert!(false, "a step ran for a task that was not scheduled");
                let left = std::mem::take(&mut *state);
                *state = TaskState::Running {
                    waiter: None,
                    rescheduled: false,
                };
                drop(state);
                drop(left);
                return StepStart::Again(None);
            }
        };
        // What the old state held was moved out above: nothing is dropped here.
        *state = TaskState::Running {
            waiter: None,
            rescheduled: false,
        };
        start
    }

    /// The running coroutine awaits `target`: the task's wakeup is to be added to its
    /// done-callbacks. False if it already awaits this very future in this step (a repeated
    /// poll), which keeps a single registration.
    pub(crate) fn wait_on(&self, target: &Rc<dyn Awaited>) -> bool {
        let mut state = self.state.borrow_mut();
        let replaced = match &mut *state {
            TaskState::Running {
                waiter: Some(waiter),
                ..
            } if Rc::ptr_eq(waiter, target) => return false,
            TaskState::Running { waiter, .. } => waiter.replace(target.clone()),
            TaskState::RunningAsleep { rescheduled, .. } => {
                *state = TaskState::Running {
                    waiter: Some(target.clone()),
                    rescheduled: *rescheduled,
                };
                None
            }
            _ => {
                debug_assert!(false, "only a running task awaits");
                return false;
            }
        };
        drop(state);
        drop(replaced);
        true
    }

    /// The running coroutine sleeps: its timer wakes the task. False if it already sleeps on
    /// this very timer in this step (a repeated poll).
    pub(crate) fn wait_on_sleep(&self, sleep: SleepWait) -> bool {
        let mut state = self.state.borrow_mut();
        let replaced = match &mut *state {
            TaskState::RunningAsleep { sleep: current, .. } => {
                if current.timer == sleep.timer {
                    return false;
                }
                *current = sleep;
                None
            }
            TaskState::Running {
                waiter,
                rescheduled,
            } => {
                let replaced = waiter.take();
                *state = TaskState::RunningAsleep {
                    sleep,
                    rescheduled: *rescheduled,
                };
                replaced
            }
            _ => {
                debug_assert!(false, "only a running task sleeps");
                return false;
            }
        };
        drop(state);
        drop(replaced);
        true
    }

    /// The timer `timer` fired: the delay of the sleep it ends, if the task still waits on that
    /// sleep (it was not cancelled, and the task did not move on); the task is then to be
    /// woken.
    pub(crate) fn sleep_over(&self, timer: TimerId) -> Option<u64> {
        match &*self.state.borrow() {
            TaskState::Sleeping(sleep) | TaskState::ScheduledFromSleep(sleep)
                if sleep.timer == timer =>
            {
                Some(sleep.delay)
            }
            _ => None,
        }
    }

    /// The sleep the task waits on is cancelled: the task no longer waits on it, and its step
    /// is wanted, as a cancelled future's wakeup would ask. Says whether the loop must put the
    /// step on the ready deque.
    pub(crate) fn sleep_cancelled(&self) -> Woken {
        let mut state = self.state.borrow_mut();
        match &*state {
            TaskState::Sleeping(_) => {
                *state = TaskState::Scheduled { waiter: None };
                Woken::Schedule
            }
            TaskState::ScheduledFromSleep(_) => {
                *state = TaskState::Scheduled { waiter: None };
                Woken::Nothing
            }
            &TaskState::RunningAsleep { rescheduled, .. } => {
                *state = TaskState::Running {
                    waiter: None,
                    rescheduled: true,
                };
                if rescheduled {
                    Woken::Nothing
                } else {
                    Woken::Schedule
                }
            }
            _ => Woken::Nothing,
        }
    }

    /// The poll returned pending: the task waits, on the loop or on a foreign waker.
    #[inline]
    pub(crate) fn suspend(&self) -> Suspended {
        let mut state = self.state.borrow_mut();
        match &mut *state {
            // A step was scheduled meanwhile (a `sleep(0)`, say), the usual case, told apart
            // first by the waiter's pointer alone.
            TaskState::Running {
                waiter: None,
                rescheduled: true,
            } => *state = TaskState::Scheduled { waiter: None },
            TaskState::Running {
                waiter,
                rescheduled: true,
            } => {
                *state = TaskState::Scheduled {
                    waiter: waiter.take(),
                }
            }
            TaskState::Running {
                waiter,
                rescheduled: false,
            } => match waiter.take() {
                Some(waiter) => *state = TaskState::Waiting(waiter),
                None => {
                    *state = TaskState::WaitingForeign;
                    return Suspended::Foreign;
                }
            },
            &mut TaskState::RunningAsleep { sleep, rescheduled } => {
                *state = if rescheduled {
                    TaskState::ScheduledFromSleep(sleep)
                } else {
                    TaskState::Sleeping(sleep)
                };
            }
            _ => debug_assert!(false, "only a running task suspends"),
        }
        Suspended::OnTheLoop
    }

    /// The task is finished; nothing will schedule it again.
    pub(crate) fn finish(&self) {
        let left = self.state.replace(TaskState::Done);
        drop(left);
    }

    /// True if what the step throws is a cancellation already: a sleep's, cancelled with
    /// its own message.
    pub(crate) fn throws_cancellation(&self) -> bool {
        let thrown = self.exc.take();
        let cancellation = matches!(thrown.as_deref(), Some(Error::Cancelled(_)));
        self.exc.set(thrown);
        cancellation
    }

    /// The future (or sleep) the task waits on, if any: what cancelling the task cancels.
    pub(crate) fn waiter(&self) -> Option<Waiter> {
        match &*self.state.borrow() {
            TaskState::Waiting(waiter)
            | TaskState::Scheduled {
                waiter: Some(waiter),
            }
            | TaskState::Running {
                waiter: Some(waiter),
                ..
            } => Some(Waiter::Future(waiter.clone())),
            TaskState::Sleeping(sleep)
            | TaskState::ScheduledFromSleep(sleep)
            | TaskState::RunningAsleep { sleep, .. } => Some(Waiter::Sleep(*sleep)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Target;

    impl Awaited for Target {
        fn cancel_with_message(self: Rc<Self>, _: Option<Arc<str>>) -> bool {
            true
        }

        fn forget_wakeup(&self, _: TaskKey) {}
    }

    fn header() -> TaskHeader {
        TaskHeader::new(TaskKey { index: 0, id: 1 }, 1, "coroutine")
    }

    #[test]
    fn a_new_task_is_scheduled_once() {
        let task = header();
        assert_eq!(
            task.wake(),
            Woken::Nothing,
            "its first step is on the deque"
        );
        assert!(matches!(task.start_step(), StepStart::First));
        assert_eq!(task.suspend(), Suspended::Foreign);
        assert_eq!(task.wake(), Woken::ScheduleLeavingForeignWait);
        assert_eq!(task.wake(), Woken::Nothing);
    }

    #[test]
    fn a_task_waits_on_one_future_until_a_wake_and_forgets_it_at_its_next_step() {
        let task = header();
        task.start_step();
        let target: Rc<dyn Awaited> = Rc::new(Target);
        assert!(task.wait_on(&target));
        assert!(!task.wait_on(&target), "a repeated poll registers once");
        assert_eq!(task.suspend(), Suspended::OnTheLoop);
        assert!(task
            .waiter()
            .is_some_and(|w| matches!(w, Waiter::Future(w) if Rc::ptr_eq(&w, &target))));
        assert_eq!(task.wake(), Woken::Schedule);
        assert!(
            task.waiter().is_some(),
            "cancelling before the step still reaches it"
        );
        assert!(matches!(task.start_step(), StepStart::Again(Some(_))));
        assert!(task.waiter().is_none());
    }

    #[test]
    fn a_step_scheduled_while_running_is_scheduled_once() {
        let task = header();
        task.start_step();
        assert_eq!(task.wake(), Woken::Schedule);
        assert_eq!(task.wake(), Woken::Nothing);
        assert_eq!(task.suspend(), Suspended::OnTheLoop);
        assert!(matches!(task.start_step(), StepStart::Again(None)));
    }

    #[test]
    fn a_done_task_is_never_scheduled_again() {
        let task = header();
        task.start_step();
        task.finish();
        assert_eq!(task.wake(), Woken::Nothing);
        assert!(matches!(task.start_step(), StepStart::Done));
    }

    fn sleep(seq: u32) -> SleepWait {
        SleepWait {
            timer: TimerId::new(0, seq),
            delay: 1_000,
        }
    }

    #[test]
    fn a_sleeping_task_is_woken_by_its_own_timer_only() {
        let task = header();
        task.start_step();
        assert!(task.wait_on_sleep(sleep(7)));
        assert!(
            !task.wait_on_sleep(sleep(7)),
            "a repeated poll registers once"
        );
        assert_eq!(task.suspend(), Suspended::OnTheLoop);
        assert_eq!(task.sleep_over(sleep(8).timer), None, "another timer");
        assert_eq!(task.sleep_over(sleep(7).timer), Some(1_000));
        assert_eq!(task.wake(), Woken::Schedule);
        assert_eq!(
            task.sleep_over(sleep(7).timer),
            Some(1_000),
            "still its sleep until the step runs"
        );
        assert!(matches!(task.start_step(), StepStart::Again(Some(_))));
        assert_eq!(task.sleep_over(sleep(7).timer), None, "the step moved on");
    }

    #[test]
    fn a_cancelled_sleep_leaves_its_timer_nothing_to_wake() {
        let task = header();
        task.start_step();
        assert!(task.wait_on_sleep(sleep(7)));
        assert_eq!(task.suspend(), Suspended::OnTheLoop);
        assert_eq!(task.sleep_cancelled(), Woken::Schedule);
        assert_eq!(task.sleep_over(sleep(7).timer), None);
        assert!(
            task.waiter().is_none(),
            "a second cancel is delivered by the step"
        );
        assert_eq!(task.sleep_cancelled(), Woken::Nothing);
        assert!(matches!(task.start_step(), StepStart::Again(None)));
    }
}
