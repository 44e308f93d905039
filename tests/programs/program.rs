//! What a generated program is: a tree of bodies (callbacks and coroutines) made of ops, each
//! op one asyncio call. Nothing here knows about any particular loop.

use super::features::Level;

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

/// The number of an op that creates something (a handle, a future, a task, a gather): the
/// *slot* the program keeps it in, and the number in its name (`h3`, `f4`, `t5`, `g6`). Ids are
/// given once, when the program is generated, and never renumbered: deleting an op while
/// shrinking leaves every other name as it was.
pub type Id = u32;

/// What an `await` catches: it always prints what it got, then re-raises unless caught.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Catch {
    /// No `try`: every exception propagates, and the task ends with it.
    Nothing,
    /// `except Exception`: errors are caught, a cancellation propagates.
    Errors,
    /// `except BaseException`: the cancellation is swallowed too, and the task goes on.
    All,
}

/// `asyncio.wait`'s `return_when`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReturnWhen {
    FirstCompleted,
    FirstException,
    AllCompleted,
}

impl ReturnWhen {
    /// asyncio's name for it: `FIRST_COMPLETED`, ...
    pub fn python_name(self) -> &'static str {
        match self {
            ReturnWhen::FirstCompleted => "FIRST_COMPLETED",
            ReturnWhen::FirstException => "FIRST_EXCEPTION",
            ReturnWhen::AllCompleted => "ALL_COMPLETED",
        }
    }
}

/// One statement of a body. Times are in eighths of a second, which binary floating point holds
/// exactly, so that float rounding cannot reorder timers in CPython.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// `S[id] = loop.call_soon(cb{id})`.
    CallSoon { id: Id, body: Vec<Op> },
    /// `loop.call_soon_threadsafe(cb{id})`, from the loop's own thread.
    CallSoonThreadsafe { id: Id, body: Vec<Op> },
    /// `S[id] = loop.call_later(delay / 8, cb{id})`.
    CallLater { id: Id, delay: u32, body: Vec<Op> },
    /// `S[id] = loop.call_at(when / 8, cb{id})`.
    CallAt { id: Id, when: u32, body: Vec<Op> },
    /// `S[target].cancel()`, or `cancel("m{msg}")`: a handle, timer, future, task or gather.
    /// Futures print what `cancel` returned.
    Cancel { target: Id, msg: Option<u32> },
    /// `loop.stop()`.
    Stop,
    /// `S[id] = loop.create_future()`.
    CreateFuture { id: Id },
    /// `S[target].set_result(value)`; prints `invalid state` if the future is done.
    SetResult { target: Id, value: i64 },
    /// `S[target].set_exception(E("e{error}"))`.
    SetException { target: Id, error: u32 },
    /// `S[target].add_done_callback(dcb{id})`; the callback prints the future's state.
    AddDoneCallback { id: Id, target: Id, body: Vec<Op> },
    /// `S[target].remove_done_callback(dcb{callback})`, printing how many it removed.
    RemoveDoneCallback { target: Id, callback: Id },
    /// `S[id] = loop.create_task(task{id}())`; the coroutine returns `id` unless it raises.
    CreateTask { id: Id, body: Vec<Op> },
    /// `S[id] = tg{group}.create_task(task{id}())`, in the block of the task group `group`
    /// (`TaskGroup.create_task`); the coroutine returns `id` unless it raises.
    CreateGroupTask { group: Id, id: Id, body: Vec<Op> },
    /// `await S[target]` (a future, task, shield or gather), printing the outcome.
    Await { target: Id, catch: Catch },
    /// `await asyncio.sleep(delay / 8)`.
    Sleep { delay: u32, catch: Catch },
    /// `raise E("e{error}")`: ends the coroutine, or the callback (whose error goes to the
    /// loop's exception handler, which prints `callback error: e{error}`).
    Raise { error: u32 },
    /// `S[id] = asyncio.gather(*items, return_exceptions=...)`.
    Gather {
        id: Id,
        items: Vec<Id>,
        return_exceptions: bool,
    },
    /// `S[id] = asyncio.shield(S[item])`.
    Shield { id: Id, item: Id },
    /// `await asyncio.wait_for(S[item], timeout / 8)`.
    WaitFor {
        item: Id,
        timeout: u32,
        catch: Catch,
    },
    /// `done, pending = await asyncio.wait(items, timeout=..., return_when=...)`.
    Wait {
        items: Vec<Id>,
        timeout: Option<u32>,
        return_when: ReturnWhen,
        catch: Catch,
    },
    /// `for f in asyncio.as_completed(items, timeout=...): r = await f`, printing each.
    AsCompleted {
        items: Vec<Id>,
        timeout: Option<u32>,
        catch: Catch,
    },
    /// `async with asyncio.timeout(delay / 8):` around `block` (`asyncio.timeout(None)`
    /// never expires), printing how the block ended: `done`, or what it raised (`timeout`
    /// when the deadline cut it short).
    Timeout {
        delay: Option<u32>,
        block: Vec<Op>,
        catch: Catch,
    },
    /// `async with asyncio.timeout_at(when / 8):` around `block`: a deadline at a loop time.
    TimeoutAt {
        when: u32,
        block: Vec<Op>,
        catch: Catch,
    },
    /// `async with asyncio.TaskGroup() as tg{id}:` around `block`, whose
    /// [`Op::CreateGroupTask`]s start the group's tasks; leaving it waits for them all, and
    /// prints `done`, or what it raised (an `ExceptionGroup` of the tasks' errors).
    TaskGroup {
        id: Id,
        block: Vec<Op>,
        catch: Catch,
    },
}

/// What a slot holds, known from the op that fills it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Handle,
    Future,
    Task,
    Gather,
    Shield,
}

impl Kind {
    fn prefix(self) -> &'static str {
        match self {
            Kind::Handle => "h",
            Kind::Future => "f",
            Kind::Task => "t",
            Kind::Gather => "g",
            Kind::Shield => "s",
        }
    }

    /// Whether it is a future (it can be awaited, and `cancel` returns whether it worked).
    pub fn is_future(self) -> bool {
        self != Kind::Handle
    }
}

/// How a program's main body runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    /// Main is plain code, run before `loop.run_forever()`; a callback ends the program with
    /// `stop()`.
    RunForever,
    /// Main is a coroutine, run as the task `t0` with `loop.run_until_complete(main())`.
    RunUntilComplete,
}

/// A generated program: its seed and level (which say where it came from), how main runs,
/// and main's ops.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    pub seed: u64,
    pub level: Level,
    pub entry: Entry,
    pub main: Vec<Op>,
}

/// The id of main's task: `t0`.
pub const MAIN: Id = 0;

impl Op {
    /// The body this op schedules, runs as a callback or starts as a task, if any: code that
    /// runs later, on its own.
    pub fn body(&self) -> Option<&Vec<Op>> {
        match self {
            Op::CallSoon { body, .. }
            | Op::CallSoonThreadsafe { body, .. }
            | Op::CallLater { body, .. }
            | Op::CallAt { body, .. }
            | Op::AddDoneCallback { body, .. }
            | Op::CreateTask { body, .. }
            | Op::CreateGroupTask { body, .. } => Some(body),
            _ => None,
        }
    }

    /// The block of an `async with`, if this op is one: code that runs in place, in the
    /// coroutine that runs the op.
    pub fn block(&self) -> Option<&Vec<Op>> {
        match self {
            Op::Timeout { block, .. }
            | Op::TimeoutAt { block, .. }
            | Op::TaskGroup { block, .. } => Some(block),
            _ => None,
        }
    }

    /// The ops inside this op: its body or its block.
    pub fn inner(&self) -> Option<&Vec<Op>> {
        self.body().or(self.block())
    }

    pub fn inner_mut(&mut self) -> Option<&mut Vec<Op>> {
        match self {
            Op::CallSoon { body, .. }
            | Op::CallSoonThreadsafe { body, .. }
            | Op::CallLater { body, .. }
            | Op::CallAt { body, .. }
            | Op::AddDoneCallback { body, .. }
            | Op::CreateTask { body, .. }
            | Op::CreateGroupTask { body, .. } => Some(body),
            Op::Timeout { block, .. }
            | Op::TimeoutAt { block, .. }
            | Op::TaskGroup { block, .. } => Some(block),
            _ => None,
        }
    }

    /// Whether this op's body is a coroutine (a task's), which can await.
    pub fn starts_task(&self) -> bool {
        matches!(self, Op::CreateTask { .. } | Op::CreateGroupTask { .. })
    }

    /// The slot this op fills, and what it holds.
    pub fn creates(&self) -> Option<(Id, Kind)> {
        match *self {
            Op::CallSoon { id, .. } | Op::CallLater { id, .. } | Op::CallAt { id, .. } => {
                Some((id, Kind::Handle))
            }
            Op::CreateFuture { id } => Some((id, Kind::Future)),
            Op::CreateTask { id, .. } | Op::CreateGroupTask { id, .. } => Some((id, Kind::Task)),
            Op::Gather { id, .. } => Some((id, Kind::Gather)),
            Op::Shield { id, .. } => Some((id, Kind::Shield)),
            _ => None,
        }
    }
}

/// The name a body prints as it starts, and in front of what it prints.
pub fn body_name(op: &Op) -> String {
    match op {
        Op::CreateTask { id, .. } | Op::CreateGroupTask { id, .. } => format!("task{id}"),
        Op::AddDoneCallback { id, .. } => format!("dcb{id}"),
        Op::CallSoon { id, .. }
        | Op::CallSoonThreadsafe { id, .. }
        | Op::CallLater { id, .. }
        | Op::CallAt { id, .. } => format!("cb{id}"),
        _ => unreachable!("only ops with a body have a body name"),
    }
}

impl Program {
    /// Every slot the program can fill, with its kind; main's task is `t0`.
    pub fn slots(&self) -> Slots {
        fn walk(ops: &[Op], kinds: &mut BTreeMap<Id, Kind>) {
            for op in ops {
                if let Some((id, kind)) = op.creates() {
                    kinds.insert(id, kind);
                }
                if let Some(inner) = op.inner() {
                    walk(inner, kinds);
                }
            }
        }
        let mut kinds = BTreeMap::new();
        if self.entry == Entry::RunUntilComplete {
            kinds.insert(MAIN, Kind::Task);
        }
        walk(&self.main, &mut kinds);
        Slots(kinds)
    }

    /// Whether the program has the op `AddDoneCallback { id, .. }` (shrinking may have taken it
    /// away, and with it the callback's `def` in Python).
    pub fn has_done_callback(&self, id: Id) -> bool {
        fn find(ops: &[Op], id: Id) -> bool {
            ops.iter().any(|op| {
                matches!(op, Op::AddDoneCallback { id: i, .. } if *i == id)
                    || op.inner().is_some_and(|b| find(b, id))
            })
        }
        find(&self.main, id)
    }

    /// How many ops the program has, counting nested ones.
    pub fn size(&self) -> usize {
        fn count(ops: &[Op]) -> usize {
            ops.iter()
                .map(|op| 1 + op.inner().map_or(0, |b| count(b)))
                .sum()
        }
        count(&self.main)
    }
}

/// The kinds of a program's slots.
#[derive(Clone, Debug)]
pub struct Slots(pub BTreeMap<Id, Kind>);

impl Slots {
    pub fn kind(&self, id: Id) -> Option<Kind> {
        self.0.get(&id).copied()
    }

    /// `f3`, `t5`, ...; `?7` for a slot whose creating op is gone (shrinking removed it).
    pub fn name(&self, id: Id) -> String {
        match self.kind(id) {
            Some(kind) => format!("{}{id}", kind.prefix()),
            None => format!("?{id}"),
        }
    }

    /// The names of a list of items, as `[t3, f4]`.
    pub fn names(&self, items: &[Id]) -> String {
        let names: Vec<String> = items.iter().map(|&i| self.name(i)).collect();
        format!("[{}]", names.join(", "))
    }
}

/// Eighths of a second as Python writes them: `0.375`, `2.0`.
pub fn seconds(eighths: u32) -> String {
    let s = format!("{}", eighths as f64 / 8.0);
    if s.contains('.') {
        s
    } else {
        format!("{s}.0")
    }
}

/// The program as a Rust expression, to paste into a regression test.
impl fmt::Display for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        writeln!(
            out,
            "Program {{ seed: {}, level: Level::{:?}, entry: Entry::{:?}, main: vec![",
            self.seed, self.level, self.entry
        )?;
        write_ops(&mut out, &self.main, 1)?;
        out.push_str("] }");
        f.write_str(&out)
    }
}

fn write_ops(out: &mut String, ops: &[Op], depth: usize) -> fmt::Result {
    let pad = "    ".repeat(depth);
    for op in ops {
        let head = match op {
            Op::CallSoon { id, .. } => format!("Op::CallSoon {{ id: {id}, body: vec!["),
            Op::CallSoonThreadsafe { id, .. } => {
                format!("Op::CallSoonThreadsafe {{ id: {id}, body: vec![")
            }
            Op::CallLater { id, delay, .. } => {
                format!("Op::CallLater {{ id: {id}, delay: {delay}, body: vec![")
            }
            Op::CallAt { id, when, .. } => {
                format!("Op::CallAt {{ id: {id}, when: {when}, body: vec![")
            }
            Op::AddDoneCallback { id, target, .. } => {
                format!("Op::AddDoneCallback {{ id: {id}, target: {target}, body: vec![")
            }
            Op::CreateTask { id, .. } => format!("Op::CreateTask {{ id: {id}, body: vec!["),
            Op::CreateGroupTask { group, id, .. } => {
                format!("Op::CreateGroupTask {{ group: {group}, id: {id}, body: vec![")
            }
            Op::Timeout { delay, catch, .. } => {
                format!("Op::Timeout {{ delay: {delay:?}, catch: Catch::{catch:?}, block: vec![")
            }
            Op::TimeoutAt { when, catch, .. } => {
                format!("Op::TimeoutAt {{ when: {when}, catch: Catch::{catch:?}, block: vec![")
            }
            Op::TaskGroup { id, catch, .. } => {
                format!("Op::TaskGroup {{ id: {id}, catch: Catch::{catch:?}, block: vec![")
            }
            Op::Gather {
                id,
                items,
                return_exceptions,
            } => format!(
                "Op::Gather {{ id: {id}, items: vec!{items:?}, return_exceptions: \
                 {return_exceptions} }},"
            ),
            Op::AsCompleted {
                items,
                timeout,
                catch,
            } => format!(
                "Op::AsCompleted {{ items: vec!{items:?}, timeout: {timeout:?}, catch: \
                 Catch::{catch:?} }},"
            ),
            Op::Wait {
                items,
                timeout,
                return_when,
                catch,
            } => format!(
                "Op::Wait {{ items: vec!{items:?}, timeout: {timeout:?}, return_when: \
                 ReturnWhen::{return_when:?}, catch: Catch::{catch:?} }},"
            ),
            Op::Await { target, catch } => {
                format!("Op::Await {{ target: {target}, catch: Catch::{catch:?} }},")
            }
            Op::Sleep { delay, catch } => {
                format!("Op::Sleep {{ delay: {delay}, catch: Catch::{catch:?} }},")
            }
            Op::WaitFor {
                item,
                timeout,
                catch,
            } => format!(
                "Op::WaitFor {{ item: {item}, timeout: {timeout}, catch: Catch::{catch:?} }},"
            ),
            // The rest print as their Debug form, which is already Rust.
            other => format!("Op::{other:?},"),
        };
        writeln!(out, "{pad}{head}")?;
        if let Some(inner) = op.inner() {
            write_ops(out, inner, depth + 1)?;
            writeln!(out, "{pad}]}},")?;
        }
    }
    Ok(())
}
