//! What a program may use: the chapters' levels, the constructs each adds, and sets of them.
//!
//! A loop is checked on what it implements: the teaching stage of chapter 5 on programs of the
//! futures level without the constructs it has not met yet (tasks, a main coroutine), steploop
//! and CPython on everything.

/// The teaching chapters, each adding constructs to the ones before: the *levels* a program can
/// be generated at. A loop that implements a chapter's stage can run that level's programs
/// (with the constructs the stage leaves out switched off: see [`Features::stage`]).
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
    /// Chapter 7's Python 3.11 part, where tasks and deadlines are scoped to a block:
    /// `TaskGroup`, `timeout`, `timeout_at`, drawn often, among everything before.
    Structured,
}

impl Level {
    /// Every level, in chapter order.
    pub const ALL: [Level; 6] = [
        Level::Callbacks,
        Level::Timers,
        Level::Futures,
        Level::Tasks,
        Level::Combinators,
        Level::Structured,
    ];
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
    /// Main is a coroutine, run as a task with `run_until_complete`; without it, main is plain
    /// code run before `run_forever`, and a callback ends the program with `stop()`.
    RunUntilComplete,
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
    /// `gather(..., return_exceptions=True)`.
    ReturnExceptions,
    /// Futures and shields as the awaitables of `gather`, `wait_for` and the others, not only
    /// tasks.
    CombineFutures,
    /// Done-callbacks on a gather or a shield, not only on futures and tasks.
    CombinedDoneCallback,
    Shield,
    WaitFor,
    Wait,
    /// `for f in asyncio.as_completed(items, timeout=...): await f`.
    AsCompleted,
    /// `async with asyncio.timeout(delay):` around a block of awaits.
    Timeout,
    /// `async with asyncio.timeout_at(when):` around a block of awaits.
    TimeoutAt,
    /// `async with asyncio.TaskGroup() as tg:` and `tg.create_task(...)` in its block.
    TaskGroup,
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
    pub const ALL: [(Construct, Level); 42] = [
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
        (Construct::RunUntilComplete, Level::Futures),
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
        (Construct::ReturnExceptions, Level::Combinators),
        (Construct::CombineFutures, Level::Combinators),
        (Construct::CombinedDoneCallback, Level::Combinators),
        (Construct::Shield, Level::Combinators),
        (Construct::WaitFor, Level::Combinators),
        (Construct::Wait, Level::Combinators),
        (Construct::AsCompleted, Level::Combinators),
        (Construct::Timeout, Level::Structured),
        (Construct::TimeoutAt, Level::Structured),
        (Construct::TaskGroup, Level::Structured),
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

    /// What the teaching stage of chapter `chapter` (3 to 11) implements: its chapter's level
    /// and the ones before, without what the stages leave to steploop (`src/`): a callback
    /// that raises (the exception handler, chapter 14), `call_soon_threadsafe` (chapter 11's
    /// stage takes it in a tick late), cancel messages, a self-await, a main coroutine before
    /// tasks exist, and of chapter 7 all but `gather` and `wait_for` of tasks and task groups.
    pub fn stage(chapter: u32) -> Features {
        use Construct as C;
        let level = match chapter {
            3 => Level::Callbacks,
            4 => Level::Timers,
            5 => Level::Futures,
            6 => Level::Tasks,
            7..=11 => Level::Structured,
            _ => panic!("the teaching stages are those of chapters 3 to 11, not {chapter}"),
        };
        let mut features = Features::up_to(level);
        let mut left_out = vec![
            C::CallbackRaise,
            C::CallSoonThreadsafe,
            C::CancelMessage,
            C::AwaitSelf,
            C::ReturnExceptions,
            C::CombineFutures,
            C::CombinedDoneCallback,
            C::Shield,
            C::Wait,
            C::AsCompleted,
            C::Timeout,
            C::TimeoutAt,
        ];
        if level < Level::Tasks {
            // Stage 5 has futures but no tasks to run a main coroutine in: its programs
            // watch futures through done-callbacks, as chapter 5 does.
            left_out.push(C::RunUntilComplete);
        }
        for construct in left_out {
            features = features.without(construct);
        }
        features
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
