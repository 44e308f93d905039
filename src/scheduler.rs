//! The loop's scheduling part: what futures and tasks need of their loop, and nothing more —
//! the ready deque, the task table, the trace, the loop's number and whether it is closed.
//!
//! asyncio's `futures.py` and `tasks.py` import only `events.py`, and reach their loop through
//! `self._loop`: `call_soon` to schedule a done-callback or a step, `get_debug`,
//! `call_exception_handler`. The concrete loop (`base_events.py`) sits on top and imports them
//! all. steploop is layered the same way: a future or a task holds its loop's `Scheduler`, not
//! the loop, and the loop's facade ([`EventLoop`](crate::EventLoop)) holds the scheduler among
//! its other parts.
//!
//! # Implementation notes
//! A future holds a `Weak<Scheduler>`: the loop owns its tasks, tasks own futures, and a strong
//! reference back would keep a dropped loop alive. What only the whole loop can do — give
//! itself to `get_loop`, run the exception handler, which receives the loop — the scheduler
//! asks of its [`LoopOwner`], the loop's state, which it names only through that trait.

pub(crate) mod task_table;

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use crate::exception_handler::{default_exception_handler, ExceptionContext};
use crate::label::Label;
use crate::ready::{DoneCall, Notify, ReadyQueue, Runnable};
use crate::timers::id::TimerId;
use crate::trace::{Event, Tracer};
use task_table::{AnyTask, Stepped, TaskKey, TaskTable, Woken};

/// What the scheduler asks of the loop that owns it (the loop's state, `state.rs`).
pub(crate) trait LoopOwner {
    /// Reports through the loop's exception handler, which receives the loop.
    fn call_exception_handler(self: Rc<Self>, context: &ExceptionContext);
    /// The loop's state, for the facade to turn back into an `EventLoop` (`get_loop`).
    fn into_any(self: Rc<Self>) -> Rc<dyn Any>;
    /// True while timer `timer` has neither run nor been cancelled (a sleep's, whose task is
    /// being cancelled).
    fn timer_pending(&self, timer: TimerId) -> bool;
}

/// The part of a loop that futures and tasks schedule through.
pub(crate) struct Scheduler {
    /// Identifies the loop to wakers, which must not hold an `Rc` to it.
    pub(crate) id: u64,
    /// What runs on the next tick (asyncio's `_ready`).
    pub(crate) ready: ReadyQueue,
    /// Every task not yet done; the ready deque refers to them by key.
    pub(crate) tasks: TaskTable,
    /// Whether events are being recorded; every part records through it.
    pub(crate) tracer: Tracer,
    closed: Cell<bool>,
    /// The loop's state, which holds this scheduler.
    owner: Weak<dyn LoopOwner>,
}

impl Scheduler {
    pub(crate) fn new(id: u64, owner: Weak<dyn LoopOwner>) -> Scheduler {
        Scheduler {
            id,
            ready: ReadyQueue::default(),
            tasks: TaskTable::default(),
            tracer: Tracer::default(),
            closed: Cell::new(false),
            owner,
        }
    }

    /// Records the event that `event` builds, if tracing is on (see [`Tracer::record`]).
    #[inline(always)]
    pub(crate) fn record(&self, event: impl FnOnce() -> Event) {
        self.tracer.record(event);
    }

    #[inline(always)]
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.get()
    }

    /// Marks the loop closed: from now on, scheduling panics.
    pub(crate) fn set_closed(&self) {
        self.closed.set(true);
    }

    /// Panics if the loop is closed: scheduling on a closed loop, or running it, is a
    /// programmer's error (asyncio's `RuntimeError('Event loop is closed')`; see
    /// [`Error`](crate::Error#what-panics-and-what-returns-err)). `what` names the call.
    #[track_caller]
    #[inline(always)]
    pub(crate) fn check_open(&self, what: &str) {
        if self.is_closed() {
            closed(what);
        }
    }

    /// The loop's state, if the loop is still alive (see [`LoopOwner::into_any`]).
    pub(crate) fn owner(&self) -> Option<Rc<dyn Any>> {
        self.owner.upgrade().map(LoopOwner::into_any)
    }

    /// Reports through the loop's exception handler, or the default one once the loop is gone
    /// (asyncio's `self._loop.call_exception_handler`).
    pub(crate) fn call_exception_handler(&self, context: &ExceptionContext) {
        match self.owner.upgrade() {
            Some(owner) => owner.call_exception_handler(context),
            None => default_exception_handler(context),
        }
    }

    /// Schedules a future's done-callback (asyncio's `call_soon(callback, self)` in
    /// `__schedule_callbacks`).
    ///
    /// # Panics
    /// If the loop is closed.
    pub(crate) fn schedule_done(&self, call: Box<dyn DoneCall>) {
        self.check_open("call_soon");
        self.record(|| Event::CallSoon(call.label().clone()));
        self.ready.push(|| Runnable::Done(call));
    }

    /// Schedules a shared done-callback for the future at `index` (what `call_soon` of a
    /// done-callback is for the others), without a handle of its own.
    ///
    /// # Panics
    /// If the loop is closed.
    pub(crate) fn schedule_notify(&self, target: Rc<dyn Notify>, index: u32) {
        self.check_open("call_soon");
        self.record(|| Event::CallSoon(target.label()));
        self.ready.push(|| Runnable::Notify(target, index));
    }
}

/// The loop's side of tasks: the table that holds them and their steps on the ready deque.
impl Scheduler {
    /// The task with this key, if it is still pending.
    pub(crate) fn task(&self, key: TaskKey) -> Option<Rc<dyn AnyTask>> {
        self.tasks.get(key)
    }

    /// Runs one step of a task, then follows it up in the table: a task that suspends on a
    /// foreign waker is counted, a task that is done leaves. A key whose task has finished
    /// meanwhile is ignored.
    #[inline(always)]
    pub(crate) fn run_step(&self, key: TaskKey, wakeup: bool) {
        let Some(task) = self.task(key) else {
            return;
        };
        self.record(|| Event::Run(Label::step(key.id, wakeup)));
        match task.step() {
            Stepped::OnTheLoop => {}
            Stepped::Foreign => self.tasks.foreign_wait_started(),
            Stepped::Done => self.tasks.remove(key),
        }
    }

    /// True while timer `timer` has neither run nor been cancelled (see
    /// [`LoopOwner::timer_pending`]); false once the loop is gone.
    pub(crate) fn timer_pending(&self, timer: TimerId) -> bool {
        self.owner
            .upgrade()
            .is_some_and(|owner| owner.timer_pending(timer))
    }

    /// The timer of a sleep fired (asyncio's `_set_result_unless_cancelled` of the sleep's
    /// future): wakes the task in slot `task`, if it still sleeps on that timer.
    pub(crate) fn sleep_over(&self, task: usize, timer: TimerId) {
        let Some(Some((key, delay))) = self.tasks.with_slot(task, |task| {
            task.sleep_over(timer).map(|delay| (task.key(), delay))
        }) else {
            return;
        };
        self.record(|| Event::FutureDone {
            future: Label::sleep_nanos(delay),
            outcome: "result",
        });
        self.schedule_step(key, true);
    }

    // ANCHOR: schedule_step
    /// Puts a step of task `key` on the ready deque, unless one is already there: a task is
    /// either scheduled once, or waiting, never both. A future's wakeup of the task that
    /// awaits it is this call: the task's key, straight onto the ready deque.
    pub(crate) fn schedule_step(&self, key: TaskKey, wakeup: bool) {
        // None: finished, its slot empty or holding a newer task.
        let Some(wake) = self.tasks.with(key, |task| task.wake()) else {
            return;
        };
        match wake {
            Woken::Schedule => {}
            Woken::ScheduleLeavingForeignWait => self.tasks.foreign_wait_ended(),
            Woken::Nothing => return, // already scheduled, or done
        }
        self.push_step(key, wakeup);
    }

    /// Appends a step of task `key` to the ready deque.
    pub(crate) fn push_step(&self, key: TaskKey, wakeup: bool) {
        self.record(|| Event::CallSoon(Label::step(key.id, wakeup)));
        self.ready.push(|| Runnable::Step { task: key, wakeup });
    }
    // ANCHOR_END: schedule_step
}

#[cold]
#[track_caller]
fn closed(what: &str) -> ! {
    panic!(
        "{what} on a closed event loop: a closed loop never runs anything again; do the work \
         before close(), or create a new EventLoop"
    );
}

thread_local! {
    /// The scheduler of the loop running on this thread, if any: what a waker, or a task's
    /// await, finds its loop's tasks through (see `running.rs`, which sets it).
    static RUNNING: RefCell<Option<Rc<Scheduler>>> = const { RefCell::new(None) };
}

/// Marks `scheduler`'s loop as running on this thread (called by `running::enter`).
pub(crate) fn enter(scheduler: Rc<Scheduler>) {
    RUNNING.with(|running| *running.borrow_mut() = Some(scheduler));
}

/// No loop runs on this thread any more (called by `running::leave`).
pub(crate) fn leave() {
    let left = RUNNING.with(|running| running.borrow_mut().take());
    drop(left);
}

/// The scheduler of the loop running on this thread, if it is the loop numbered `id`.
pub(crate) fn running_with_id(id: u64) -> Option<Rc<Scheduler>> {
    RUNNING
        .try_with(|running| {
            let running = running.borrow();
            running.as_ref().filter(|s| s.id == id).cloned()
        })
        .ok()
        .flatten()
}

thread_local! {
    /// The schedulers of the loops created on this thread and not yet dropped, to find one by
    /// its loop's number.
    static OF_THIS_THREAD: RefCell<Vec<Weak<Scheduler>>> = const { RefCell::new(Vec::new()) };
}

/// Notes a new loop's scheduler as belonging to this thread, forgetting loops dropped since.
pub(crate) fn register_on_this_thread(scheduler: &Rc<Scheduler>) {
    let _ = OF_THIS_THREAD.try_with(|schedulers| {
        let mut schedulers = schedulers.borrow_mut();
        schedulers.retain(|s| s.strong_count() > 0);
        schedulers.push(Rc::downgrade(scheduler));
    });
}

/// The scheduler of the loop numbered `id` if the loop belongs to this thread, running or not:
/// what `call_soon_threadsafe` looks for to put a callback straight on the ready deque.
pub(crate) fn of_this_thread(id: u64) -> Option<Rc<Scheduler>> {
    if let Some(running) = running_with_id(id) {
        return Some(running);
    }
    OF_THIS_THREAD
        .try_with(|schedulers| {
            let schedulers = schedulers.borrow();
            schedulers
                .iter()
                .filter_map(Weak::upgrade)
                .find(|s| s.id == id)
        })
        .ok()
        .flatten()
}
