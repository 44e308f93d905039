//! What a generated program is: a tree of bodies (callbacks and coroutines) made of ops, each
//! op one asyncio call. Nothing here knows about any particular loop.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

/// The number of an op that creates something (a handle, a future, a task, a gather): the
/// *slot* the program keeps it in, and the number in its name (`h3`, `f4`, `t5`, `g6`). Ids are
/// given once, when the program is generated, and never renumbered: deleting an op while
/// shrinking leaves every other name as it was.
pub type Id = u32;

/// The teaching chapters, each adding constructs to the ones before: the *levels* a program can
/// be generated at. A loop that implements a chapter's stage can run that level's programs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Chapter 3: `call_soon`, cancelling a handle, `stop`.
    Callbacks,
    /// Chapter 4: `call_later`, `call_at`, cancelling timers, equal deadlines.
    Timers,
    /// Chapter 5: futures, their done-callbacks (added and removed), and a main coroutine
    /// that awaits them.
    Futures,
    /// Chapter 6: tasks awaiting each other, `sleep` (also `sleep(0)`), cancellation with and
    /// without a message, errors caught and not.
    Tasks,
    /// Chapter 7: `gather`, `shield`, `wait_for`, `wait`, `as_completed`.
    Combinators,
}

impl Level {
    /// Every level, in chapter order.
    pub const ALL: [Level; 5] = [
        Level::Callbacks,
        Level::Timers,
        Level::Futures,
        Level::Tasks,
        Level::Combinators,
    ];

    /// From the Futures level on, the program's main body is a coroutine, run as a task with
    /// `run_until_complete`; below it, main is plain code run before `run_forever`, and a
    /// callback ends the program with `stop()`.
    pub fn main_is_coroutine(self) -> bool {
        self >= Level::Futures
    }
}

/// One kind of thing a program can do. The generator uses only the constructs a [`Features`]
/// set enables; a few are detected only while a program runs (see [`Construct::is_dynamic`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Construct {
    CallSoon,
    CancelHandle,
    Stop,
    /// `loop.call_soon_threadsafe(cb)`, called on the loop's own thread.
    CallSoonThreadsafe,
    /// A callback that raises: asyncio reports it to the loop's exception handler and goes on.
    CallbackRaise,
    CallLater,
    CallAt,
    CreateFuture,
    SetResult,
    SetException,
    CancelFuture,
    AddDoneCallback,
    RemoveDoneCallback,
    AwaitFuture,
    /// `except Exception` / `except BaseException` around an await.
    Catch,
    CreateTask,
    AwaitTask,
    /// A task awaiting itself (`await t` inside `t`).
    AwaitSelf,
    Sleep,
    CancelTask,
    /// `cancel(msg)` rather than `cancel()`.
    CancelMessage,
    Raise,
    Gather,
    Shield,
    WaitFor,
    Wait,
    /// `for f in asyncio.as_completed(items, timeout=...): await f`.
    AsCompleted,
    /// Found while running: a `cancel()` reached the task that is running (it cancelled itself,
    /// or something that awaits it).
    CancelRunningTask,
    /// Found while running: `wait_for` given a future that is already done, with a timeout.
    WaitForDone,
    /// Found while running: `cancel()` of a task whose awaited future was cancelled, before the
    /// task resumed (a second cancellation, usually with another message).
    CancelWokenTask,
    /// The same awaitable twice in one `asyncio.wait`: generated, or found while running
    /// (`shield` of a done future is that future).
    WaitDuplicates,
    /// The same awaitable twice in one `asyncio.as_completed`, likewise.
    AsCompletedDuplicates,
    /// Found while running: a loop over `as_completed` left before its end (an exception
    /// propagated out of it).
    AsCompletedAbandoned,
    /// Found while running: the task awaiting one of `as_completed`'s results was cancelled.
    AsCompletedCancelled,
    /// Found while running: `as_completed` of several awaitables already done, which asyncio
    /// hands out in the order of a set (of addresses): an order no loop can be compared on.
    AsCompletedDoneTogether,
}

impl Construct {
    /// Every construct, with the level that introduces it.
    pub const ALL: [(Construct, Level); 35] = [
        (Construct::CallSoon, Level::Callbacks),
        (Construct::CancelHandle, Level::Callbacks),
        (Construct::Stop, Level::Callbacks),
        (Construct::CallSoonThreadsafe, Level::Callbacks),
        (Construct::CallbackRaise, Level::Callbacks),
        (Construct::CallLater, Level::Timers),
        (Construct::CallAt, Level::Timers),
        (Construct::CreateFuture, Level::Futures),
        (Construct::SetResult, Level::Futures),
        (Construct::SetException, Level::Futures),
        (Construct::CancelFuture, Level::Futures),
        (Construct::AddDoneCallback, Level::Futures),
        (Construct::RemoveDoneCallback, Level::Futures),
        (Construct::AwaitFuture, Level::Futures),
        (Construct::Catch, Level::Futures),
        (Construct::CreateTask, Level::Tasks),
        (Construct::AwaitTask, Level::Tasks),
        (Construct::AwaitSelf, Level::Tasks),
        (Construct::Sleep, Level::Tasks),
        (Construct::CancelTask, Level::Tasks),
        (Construct::CancelMessage, Level::Tasks),
        (Construct::Raise, Level::Tasks),
        (Construct::CancelRunningTask, Level::Tasks),
        (Construct::CancelWokenTask, Level::Tasks),
        (Construct::Gather, Level::Combinators),
        (Construct::Shield, Level::Combinators),
        (Construct::WaitFor, Level::Combinators),
        (Construct::Wait, Level::Combinators),
        (Construct::AsCompleted, Level::Combinators),
        (Construct::WaitForDone, Level::Combinators),
        (Construct::WaitDuplicates, Level::Combinators),
        (Construct::AsCompletedDuplicates, Level::Combinators),
        (Construct::AsCompletedAbandoned, Level::Combinators),
        (Construct::AsCompletedCancelled, Level::Combinators),
        (Construct::AsCompletedDoneTogether, Level::Combinators),
    ];

    /// Constructs that no op names: whether a program uses them shows only when it runs, so
    /// the CPython runner reports them (a *tag*), and a program that used a construct left out
    /// is not compared.
    pub fn is_dynamic(self) -> bool {
        matches!(
            self,
            Construct::CancelRunningTask
                | Construct::WaitForDone
                | Construct::CancelWokenTask
                | Construct::WaitDuplicates
                | Construct::AsCompletedDuplicates
                | Construct::AsCompletedAbandoned
                | Construct::AsCompletedCancelled
                | Construct::AsCompletedDoneTogether
        )
    }

    /// Constructs whose outcome asyncio leaves to chance (the order of a set): never compared,
    /// so [`Features::up_to`] leaves them out.
    pub fn is_undefined(self) -> bool {
        self == Construct::AsCompletedDoneTogether
    }

    /// The name the CPython harness reports it by.
    pub fn tag(self) -> &'static str {
        match self {
            Construct::CancelRunningTask => "cancel_running_task",
            Construct::WaitForDone => "wait_for_done",
            Construct::CancelWokenTask => "cancel_woken_task",
            Construct::WaitDuplicates => "wait_duplicates",
            Construct::AsCompletedDuplicates => "as_completed_duplicates",
            Construct::AsCompletedAbandoned => "as_completed_abandoned",
            Construct::AsCompletedCancelled => "as_completed_cancelled",
            Construct::AsCompletedDoneTogether => "as_completed_done_together",
            _ => "",
        }
    }

    pub fn from_tag(tag: &str) -> Option<Construct> {
        Construct::ALL
            .iter()
            .map(|&(c, _)| c)
            .find(|c| c.is_dynamic() && c.tag() == tag)
    }
}

/// The constructs a generator may use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Features {
    pub level: Level,
    enabled: Vec<Construct>,
}

impl Features {
    /// Everything up to and including `level`'s chapter (but what asyncio leaves to chance).
    pub fn up_to(level: Level) -> Features {
        let enabled = Construct::ALL
            .iter()
            .filter(|(c, l)| *l <= level && !c.is_undefined())
            .map(|&(c, _)| c)
            .collect();
        Features { level, enabled }
    }

    /// The same, without `construct`.
    pub fn without(mut self, construct: Construct) -> Features {
        self.enabled.retain(|c| *c != construct);
        self
    }

    pub fn has(&self, construct: Construct) -> bool {
        self.enabled.contains(&construct)
    }
}

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

/// A generated program. Its main body is plain code run before `run_forever` below
/// [`Level::Futures`], and a coroutine run with `run_until_complete` from there on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    pub seed: u64,
    pub level: Level,
    pub main: Vec<Op>,
}

/// The id of main's task: `t0`.
pub const MAIN: Id = 0;

impl Op {
    /// The body this op schedules, if any.
    pub fn body(&self) -> Option<&Vec<Op>> {
        match self {
            Op::CallSoon { body, .. }
            | Op::CallSoonThreadsafe { body, .. }
            | Op::CallLater { body, .. }
            | Op::CallAt { body, .. }
            | Op::AddDoneCallback { body, .. }
            | Op::CreateTask { body, .. } => Some(body),
            _ => None,
        }
    }

    pub fn body_mut(&mut self) -> Option<&mut Vec<Op>> {
        match self {
            Op::CallSoon { body, .. }
            | Op::CallSoonThreadsafe { body, .. }
            | Op::CallLater { body, .. }
            | Op::CallAt { body, .. }
            | Op::AddDoneCallback { body, .. }
            | Op::CreateTask { body, .. } => Some(body),
            _ => None,
        }
    }

    /// The slot this op fills, and what it holds.
    pub fn creates(&self) -> Option<(Id, Kind)> {
        match *self {
            Op::CallSoon { id, .. } | Op::CallLater { id, .. } | Op::CallAt { id, .. } => {
                Some((id, Kind::Handle))
            }
            Op::CreateFuture { id } => Some((id, Kind::Future)),
            Op::CreateTask { id, .. } => Some((id, Kind::Task)),
            Op::Gather { id, .. } => Some((id, Kind::Gather)),
            Op::Shield { id, .. } => Some((id, Kind::Shield)),
            _ => None,
        }
    }
}

/// The name a body prints as it starts, and in front of what it prints.
pub fn body_name(op: &Op) -> String {
    match op {
        Op::CreateTask { id, .. } => format!("task{id}"),
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
                if let Some(body) = op.body() {
                    walk(body, kinds);
                }
            }
        }
        let mut kinds = BTreeMap::new();
        if self.level.main_is_coroutine() {
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
                    || op.body().is_some_and(|b| find(b, id))
            })
        }
        find(&self.main, id)
    }

    /// How many ops the program has, counting nested ones.
    pub fn size(&self) -> usize {
        fn count(ops: &[Op]) -> usize {
            ops.iter()
                .map(|op| 1 + op.body().map_or(0, |b| count(b)))
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
            "Program {{ seed: {}, level: Level::{:?}, main: vec![",
            self.seed, self.level
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
        if let Some(body) = op.body() {
            write_ops(out, body, depth + 1)?;
            writeln!(out, "{pad}]}},")?;
        }
    }
    Ok(())
}
