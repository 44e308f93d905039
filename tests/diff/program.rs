//! The programs of the differential test: small scripts of loop operations, as data, so that
//! the same program can run on a teaching stage and on steploop, be generated at random, be
//! shrunk, and be printed.

use std::fmt;

/// What a program may use, one level per chapter: each level adds to the one before.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Chapter 3: `call_soon`, cancelling a handle, `stop`.
    Callbacks = 3,
    /// Chapter 4: `call_later`, `call_at`, cancelling a timer, the virtual clock.
    Timers = 4,
    /// Chapter 5: futures, `set_result`, `set_exception`, `cancel`, done-callbacks.
    Futures = 5,
    /// Chapter 6: tasks, `sleep`, awaiting futures and tasks, cancelling tasks.
    Tasks = 6,
    /// Chapter 7: `gather` and `wait_for`.
    Combinators = 7,
}

/// A program: what runs outside the loop before its first tick, and the bodies that run
/// inside it. A body only refers to bodies after it, so that every program ends.
#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    pub level: Level,
    /// Run outside the loop, before the first tick.
    pub main: Vec<Op>,
    /// Callbacks and coroutines; body `i` may schedule, create or add as a done-callback only
    /// bodies `j > i` (`main` may use any).
    pub bodies: Vec<Body>,
    /// How many futures exist from the start (`F0`, `F1`, …).
    pub futures: usize,
}

/// A callback (run by `call_soon`, a timer or a done-callback) or a coroutine (run as a task).
#[derive(Clone, Debug, PartialEq)]
pub struct Body {
    pub kind: Kind,
    pub ops: Vec<Op>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Callback,
    Coroutine,
}

/// Slots hold what an operation made, so that a later one can refer to it: handles and timers
/// in handle slots, tasks in task slots. A slot that is empty when an operation refers to it
/// makes the operation do nothing (and say so in the log).
pub const SLOTS: usize = 4;

/// One operation. Those after `Stop` need a later level; the awaiting ones run in coroutines
/// only.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    /// `call_soon(body)`, the handle kept in slot `slot`.
    CallSoon { body: usize, slot: usize },
    /// `handle.cancel()` on the handle or timer in slot `slot`.
    Cancel { slot: usize },
    /// `loop.stop()`.
    Stop,
    /// `call_later(ms, body)`.
    CallLater { ms: u64, body: usize, slot: usize },
    /// `call_at(ms, body)`: an absolute loop time.
    CallAt { ms: u64, body: usize, slot: usize },
    /// `F<future>.set_result(value)`.
    SetResult { future: usize, value: i64 },
    /// `F<future>.set_exception(…)`.
    SetException { future: usize },
    /// `F<future>.cancel()`.
    CancelFuture { future: usize },
    /// `F<future>.add_done_callback(body)`; `id` names it for `RemoveDoneCallback`.
    AddDoneCallback {
        future: usize,
        body: usize,
        id: usize,
    },
    /// `F<future>.remove_done_callback(…)` of the callback added with this `id`.
    RemoveDoneCallback { future: usize, id: usize },
    /// `create_task(body)`, the task kept in slot `slot`.
    CreateTask { body: usize, slot: usize },
    /// `task.cancel()` on the task in slot `slot`.
    CancelTask { slot: usize },
    /// `await sleep(ms)`; `sleep(0)` yields once.
    Sleep { ms: u64, catch: bool },
    /// `await F<future>`; `catch` catches what it raises instead of letting it end the task.
    AwaitFuture { future: usize, catch: bool },
    /// `await task` for the task in slot `slot` (skipped unless its body comes after ours).
    AwaitTask { slot: usize, catch: bool },
    /// The coroutine raises an exception here (its last operation).
    Raise,
    /// `await gather(tasks in these slots)`.
    Gather { slots: Vec<usize>, catch: bool },
    /// `await wait_for(task in slot, timeout)`.
    WaitFor { slot: usize, ms: u64, catch: bool },
}

impl Op {
    /// The level that introduces this operation.
    pub fn level(&self) -> Level {
        match self {
            Op::CallSoon { .. } | Op::Cancel { .. } | Op::Stop => Level::Callbacks,
            Op::CallLater { .. } | Op::CallAt { .. } => Level::Timers,
            Op::SetResult { .. }
            | Op::SetException { .. }
            | Op::CancelFuture { .. }
            | Op::AddDoneCallback { .. }
            | Op::RemoveDoneCallback { .. } => Level::Futures,
            Op::CreateTask { .. }
            | Op::CancelTask { .. }
            | Op::Sleep { .. }
            | Op::AwaitFuture { .. }
            | Op::AwaitTask { .. }
            | Op::Raise => Level::Tasks,
            Op::Gather { .. } | Op::WaitFor { .. } => Level::Combinators,
        }
    }

    /// True for operations that suspend the coroutine (allowed in coroutines only).
    pub fn awaits(&self) -> bool {
        matches!(
            self,
            Op::Sleep { .. }
                | Op::AwaitFuture { .. }
                | Op::AwaitTask { .. }
                | Op::Raise
                | Op::Gather { .. }
                | Op::WaitFor { .. }
        )
    }

    /// The body this operation schedules or creates, if any.
    pub fn target(&self) -> Option<usize> {
        match self {
            Op::CallSoon { body, .. }
            | Op::CallLater { body, .. }
            | Op::CallAt { body, .. }
            | Op::AddDoneCallback { body, .. }
            | Op::CreateTask { body, .. } => Some(*body),
            _ => None,
        }
    }

    pub(crate) fn target_mut(&mut self) -> Option<&mut usize> {
        match self {
            Op::CallSoon { body, .. }
            | Op::CallLater { body, .. }
            | Op::CallAt { body, .. }
            | Op::AddDoneCallback { body, .. }
            | Op::CreateTask { body, .. } => Some(body),
            _ => None,
        }
    }
}

fn secs(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let catch = |c: &bool| if *c { " (catching)" } else { "" };
        match self {
            Op::CallSoon { body, slot } => write!(f, "h{slot} = call_soon(b{body})"),
            Op::Cancel { slot } => write!(f, "h{slot}.cancel()"),
            Op::Stop => write!(f, "stop()"),
            Op::CallLater { ms, body, slot } => {
                write!(f, "h{slot} = call_later({}, b{body})", secs(*ms))
            }
            Op::CallAt { ms, body, slot } => write!(f, "h{slot} = call_at({}, b{body})", secs(*ms)),
            Op::SetResult { future, value } => write!(f, "F{future}.set_result({value})"),
            Op::SetException { future } => write!(f, "F{future}.set_exception(…)"),
            Op::CancelFuture { future } => write!(f, "F{future}.cancel()"),
            Op::AddDoneCallback { future, body, id } => {
                write!(f, "d{id} = F{future}.add_done_callback(b{body})")
            }
            Op::RemoveDoneCallback { future, id } => {
                write!(f, "F{future}.remove_done_callback(d{id})")
            }
            Op::CreateTask { body, slot } => write!(f, "t{slot} = create_task(b{body})"),
            Op::CancelTask { slot } => write!(f, "t{slot}.cancel()"),
            Op::Sleep { ms, catch: c } => write!(f, "await sleep({}){}", secs(*ms), catch(c)),
            Op::AwaitFuture { future, catch: c } => write!(f, "await F{future}{}", catch(c)),
            Op::AwaitTask { slot, catch: c } => write!(f, "await t{slot}{}", catch(c)),
            Op::Raise => write!(f, "raise"),
            Op::Gather { slots, catch: c } => {
                let slots: Vec<String> = slots.iter().map(|s| format!("t{s}")).collect();
                write!(f, "await gather({}){}", slots.join(", "), catch(c))
            }
            Op::WaitFor { slot, ms, catch: c } => {
                write!(f, "await wait_for(t{slot}, {}){}", secs(*ms), catch(c))
            }
        }
    }
}

impl fmt::Display for Program {
    /// The program as a reader would write it down: `main`, then each body.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = self.level;
        writeln!(
            f,
            "level {} ({level:?}), {} future(s)",
            level as u8, self.futures
        )?;
        writeln!(f, "main (outside the loop):")?;
        for op in &self.main {
            writeln!(f, "    {op}")?;
        }
        for (i, body) in self.bodies.iter().enumerate() {
            let kind = match body.kind {
                Kind::Callback => "callback",
                Kind::Coroutine => "coroutine",
            };
            writeln!(f, "b{i} ({kind}):")?;
            if body.ops.is_empty() {
                writeln!(f, "    pass")?;
            }
            for op in &body.ops {
                writeln!(f, "    {op}")?;
            }
        }
        Ok(())
    }
}
