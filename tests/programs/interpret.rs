//! The runner of every loop but CPython: it runs a program on anything the `loops` traits
//! describe (steploop, a teaching stage), op by op through the loop's API of the same name,
//! and writes down what it shows as the CPython harness does for asyncio: the same texts, the
//! tick of each (the runner counts ticks itself, running the loop one `run_once` at a time),
//! the loop time, the end states and how the run ended.
//!
//! # Notes
//! - After [`MAX_TICKS`] ticks a run is reported as still running, as the harness reports it,
//!   instead of waited for: generated programs end in a few dozen ticks, so a loop that goes on
//!   has a bug.
//! - A loop that panics (a stage that breaks down) is a run that ended so, shrunk and reported
//!   like any other difference.
//!
//! # Implementation notes
//! Callbacks and coroutines hold the run weakly, and a coroutine holds it strongly only
//! between two awaits: once a run is over, dropping it drops the loop, and everything the
//! loop still holds with it.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::{Rc, Weak};
use std::time::Duration;

use crate::loops::{
    Awaitable, Block, Coroutine, Deadline, Failure, Fut, Group, Handle, Loop, State, Value,
};

use super::observed::{time, Observed};
use super::program::{body_name, seconds, Catch, Entry, Id, Op, Program, Slots, MAIN};
use super::python::messages;
use super::Runner;

/// Ticks after which a run is reported as still running (the harness stops asyncio at the same
/// count).
pub const MAX_TICKS: u64 = 100_000;

/// Makes a fresh loop on a virtual clock.
pub type MakeLoop = fn() -> Rc<dyn Loop>;

/// Runs programs on a loop that `make` makes, a fresh one for each.
#[derive(Clone, Copy)]
pub struct OnLoop {
    pub name: &'static str,
    pub make: MakeLoop,
}

impl Runner for OnLoop {
    fn name(&self) -> &str {
        self.name
    }

    /// Runs the programs on a thread of their own, [`PER_THREAD`] at a time: a stage keeps its
    /// pending tasks in a thread-local table (asyncio's `_all_tasks`), and they keep their loop,
    /// and its file descriptors, until the thread ends.
    fn run_all(&self, programs: &[&Program]) -> Result<Vec<Observed>, String> {
        let make = self.make;
        let mut observed = Vec::with_capacity(programs.len());
        for chunk in programs.chunks(PER_THREAD) {
            let ran = std::thread::scope(|scope| {
                let runs = scope.spawn(|| chunk.iter().map(|p| run_contained(p, make)).collect());
                runs.join()
            });
            let ran: Vec<Observed> = ran.map_err(|_| format!("{}'s runner panicked", self.name))?;
            observed.extend(ran);
        }
        Ok(observed)
    }
}

/// How many programs run on one thread (see [`OnLoop::run_all`]).
const PER_THREAD: usize = 500;

thread_local! {
    /// Set while a run's panics are caught and reported as its outcome: the panic hook keeps
    /// quiet on this thread, which shrinking would otherwise fill with hundreds of messages.
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// Runs `program` on a fresh loop; a panic is the run's outcome.
pub fn run_contained(program: &Program, make: MakeLoop) -> Observed {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.get() {
                default(info);
            }
        }));
    });
    QUIET.set(true);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(program, make())));
    QUIET.set(false);
    outcome.unwrap_or_else(|payload| {
        let message = payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        Observed {
            outcome: format!("panicked: {message}"),
            ..Observed::default()
        }
    })
}

/// What a slot holds.
#[derive(Clone)]
enum Slot {
    Handle(Rc<dyn Handle>),
    /// A future of `create_future`, which a program can also set.
    Future(Rc<dyn Fut>, Rc<dyn Awaitable>),
    /// A task, a gather, a shield.
    Awaitable(Rc<dyn Awaitable>),
}

/// One run: the loop, the program's slots, and what it printed.
struct Run {
    lp: Rc<dyn Loop>,
    program: Program,
    kinds: Slots,
    slots: RefCell<BTreeMap<Id, Slot>>,
    /// Each done-callback added so far, by its op's id: to which slot, and its loop id.
    done_callbacks: RefCell<BTreeMap<Id, (Id, usize)>>,
    /// The task groups whose blocks run.
    groups: RefCell<BTreeMap<Id, Rc<dyn Group>>>,
    observed: RefCell<Observed>,
    tick: Cell<u64>,
    stopped: Cell<bool>,
}

/// Runs one program on `lp`, a fresh loop.
pub fn run(program: &Program, lp: Rc<dyn Loop>) -> Observed {
    let run = Rc::new(Run {
        lp: lp.clone(),
        program: program.clone(),
        kinds: program.slots(),
        slots: RefCell::new(BTreeMap::new()),
        done_callbacks: RefCell::new(BTreeMap::new()),
        groups: RefCell::new(BTreeMap::new()),
        observed: RefCell::new(Observed::default()),
        tick: Cell::new(0),
        stopped: Cell::new(false),
    });
    if let Some(asyncio) = lp.asyncio() {
        let weak = Rc::downgrade(&run);
        asyncio.set_exception_handler(Box::new(move |error| {
            if let Some(run) = weak.upgrade() {
                run.log(format!("callback error: {error}"));
            }
        }));
    }
    let main = match program.entry {
        Entry::RunForever => {
            run.exec_all("main", &program.main);
            None
        }
        Entry::RunUntilComplete => {
            let tasks = lp
                .tasks()
                .expect("a main coroutine runs on a loop with tasks");
            let body = program.main.clone();
            let main = tasks.create_task(coroutine(&run, "main".into(), MAIN, body));
            run.insert(MAIN, Slot::Awaitable(main.clone()));
            // asyncio's `_run_until_complete_cb`: the first done-callback of main stops the loop.
            let weak = Rc::downgrade(&run);
            main.add_done_callback(Box::new(move |_| {
                if let Some(run) = weak.upgrade() {
                    run.stop();
                }
            }));
            Some(main)
        }
    };
    // `run_forever`, one tick at a time: after `stop()` the tick in progress finishes (a stop
    // before the loop runs still lets one tick run), then the run ends.
    let mut stalled = false;
    let mut runaway = false;
    loop {
        if run.tick.get() >= MAX_TICKS {
            runaway = true;
            break;
        }
        run.tick.set(run.tick.get() + 1);
        if lp.callbacks().run_once().is_err() {
            stalled = true;
            break;
        }
        if run.stopped.get() {
            break;
        }
    }
    let outcome = match &main {
        _ if runaway => format!("still running after {MAX_TICKS} ticks"),
        Some(main) if main.state() != State::Pending => {
            format!("main {}", state_text(&main.state()))
        }
        _ if stalled => "stalled".into(),
        Some(_) => "stopped before main completed".into(),
        None => "stopped".into(),
    };
    let mut observed = run.observed.take();
    observed.outcome = format!("{outcome} at {}", time(run.millis()));
    for (id, slot) in run.slots.borrow().iter() {
        let state = match slot {
            Slot::Handle(h) if h.cancelled() => "cancelled".into(),
            Slot::Handle(_) => "not cancelled".into(),
            Slot::Future(_, f) | Slot::Awaitable(f) => state_text(&f.state()),
        };
        observed.end_states.push((*id, state));
    }
    // The slots hold tasks, whose coroutines the loop holds: empty them, then the loop can go.
    run.slots.take();
    run.groups.take();
    observed
}

/// A task's coroutine: print, run the ops, return the task's id (or raise).
fn coroutine(run: &Rc<Run>, who: String, id: Id, body: Vec<Op>) -> Coroutine {
    let run = Rc::downgrade(run);
    Box::pin(async move {
        upgrade(&run)?.log(format!("{who} start"));
        exec_block(run, who, body).await?;
        Ok(Value::Int(i64::from(id)))
    })
}

/// The run, from a coroutine: once it is over, what is left of its coroutines ends.
fn upgrade(run: &Weak<Run>) -> Result<Rc<Run>, Failure> {
    run.upgrade()
        .ok_or_else(|| Failure::Exception("the run is over".into()))
}

/// Runs `ops` in a coroutine, awaiting where they await; `Err` is what the coroutine raises.
fn exec_block(run: Weak<Run>, who: String, ops: Vec<Op>) -> Block {
    Box::pin(async move {
        for op in &ops {
            exec_async(&run, &who, op).await?;
        }
        Ok(())
    })
}

/// An op in a coroutine. What it awaits is made while the run is held, and awaited after the
/// run is let go; then what it got is printed.
async fn exec_async(weak: &Weak<Run>, who: &str, op: &Op) -> Result<(), Failure> {
    let run = upgrade(weak)?;
    let lp = run.lp.clone();
    // What it awaits, what it prints in front of the outcome, what it catches, and whether a
    // cancellation prints its message (see `fmt` in harness.py).
    let (awaited, text, catch, messages): (Coroutine<Result<String, Failure>>, _, _, _) = match op {
        Op::Await { target, catch } => {
            let Some(awaitable) = run.awaitable(*target) else {
                return Ok(());
            };
            let waiting = awaitable.wait();
            let name = run.kinds.name(*target);
            (
                Box::pin(async move { waiting.await.map(|v| value_text(&v)) }),
                format!("{who}: await {name} -> "),
                *catch,
                messages(run.kinds.kind(*target)),
            )
        }
        Op::Sleep { delay, catch } => {
            let sleeping = lp
                .tasks()
                .expect("sleep is chapter 6's")
                .sleep(eighths(*delay));
            (
                Box::pin(async move { sleeping.await.map(|()| "done".to_string()) }),
                format!("{who}: sleep {} -> ", seconds(*delay)),
                *catch,
                true,
            )
        }
        Op::Raise { error } => return Err(Failure::Exception(format!("e{error}"))),
        Op::WaitFor {
            item,
            timeout,
            catch,
        } => {
            let Some(awaitable) = run.awaitable(*item) else {
                return Ok(());
            };
            let combinators = lp.combinators().expect("wait_for is chapter 7's");
            let waiting = combinators.wait_for(&awaitable, eighths(*timeout));
            let name = run.kinds.name(*item);
            (
                Box::pin(async move { waiting.await.map(|v| value_text(&v)) }),
                format!("{who}: wait_for {name} {} -> ", seconds(*timeout)),
                *catch,
                messages(run.kinds.kind(*item)),
            )
        }
        Op::Wait {
            items,
            timeout,
            return_when,
            catch,
        } => {
            let awaitables = run.awaitables(items);
            if awaitables.is_empty() {
                return Ok(());
            }
            let asyncio = lp.asyncio().expect("wait is steploop's");
            let waiting = asyncio.wait(&awaitables, timeout.map(eighths), *return_when);
            (
                Box::pin(async move {
                    let (done, pending) = waiting.await?;
                    Ok(format!("{done} done, {pending} pending"))
                }),
                format!(
                    "{who}: wait {} {} -> ",
                    run.kinds.names(items),
                    return_when.python_name()
                ),
                *catch,
                true,
            )
        }
        Op::AsCompleted {
            items,
            timeout,
            catch,
        } => {
            // Each result is printed as it comes: nothing is left to print at the end.
            let awaitables = run.awaitables(items);
            let text = format!("{who}: as_completed {} -> ", run.kinds.names(items));
            let messages = items.iter().all(|&i| messages(run.kinds.kind(i)));
            let (catch, each_run) = (*catch, weak.clone());
            let each = Box::new(move |outcome: Result<Value, Failure>| {
                let run = upgrade(&each_run)?;
                run.outcome(&text, outcome.map(|v| value_text(&v)), catch, messages)
            });
            let asyncio = lp.asyncio().expect("as_completed is steploop's");
            let looping = asyncio.as_completed(&awaitables, timeout.map(eighths), each);
            drop(run);
            return looping.await;
        }
        Op::Timeout {
            delay,
            block,
            catch,
        } => {
            let deadline = delay.map_or(Deadline::Never, |d| Deadline::After(eighths(d)));
            let shown = delay.map_or("None".to_string(), seconds);
            let block = exec_block(weak.clone(), who.to_string(), block.clone());
            let asyncio = lp.asyncio().expect("timeout is steploop's");
            let timing = asyncio.timeout(deadline, block);
            (
                Box::pin(async move { timing.await.map(|()| "done".to_string()) }),
                format!("{who}: timeout {shown} -> "),
                *catch,
                true,
            )
        }
        Op::TimeoutAt { when, block, catch } => {
            let block = exec_block(weak.clone(), who.to_string(), block.clone());
            let asyncio = lp.asyncio().expect("timeout_at is steploop's");
            let timing = asyncio.timeout(Deadline::At(eighths(*when)), block);
            (
                Box::pin(async move { timing.await.map(|()| "done".to_string()) }),
                format!("{who}: timeout_at {} -> ", seconds(*when)),
                *catch,
                true,
            )
        }
        Op::TaskGroup { id, block, catch } => {
            let (id, block_run, block_who) = (*id, weak.clone(), who.to_string());
            let block = block.clone();
            let body = Box::new(move |group: Rc<dyn Group>| {
                if let Some(run) = block_run.upgrade() {
                    run.groups.borrow_mut().insert(id, group);
                }
                exec_block(block_run, block_who, block)
            });
            let combinators = lp.combinators().expect("TaskGroup is chapter 7's");
            let grouping = combinators.task_group(body);
            (
                Box::pin(async move { grouping.await.map(|()| "done".to_string()) }),
                format!("{who}: task_group tg{id} -> "),
                *catch,
                true,
            )
        }
        Op::CreateGroupTask { group, id, body } => {
            let group = run.groups.borrow().get(group).cloned();
            let group = group.expect("a group's tasks are created in its block");
            let coroutine = coroutine(&run, body_name(op), *id, body.clone());
            let task = group.create_task(coroutine)?;
            run.insert(*id, Slot::Awaitable(task));
            return Ok(());
        }
        _ => {
            run.exec(who, op);
            return Ok(());
        }
    };
    drop(run);
    let outcome = awaited.await;
    upgrade(weak)?.outcome(&text, outcome, catch, messages)
}

impl Run {
    fn millis(&self) -> u64 {
        (self.lp.callbacks().time().as_nanos() / 1_000_000) as u64
    }

    /// Prints `text` at the current tick and loop time.
    fn log(&self, text: String) {
        let millis = self.millis();
        self.observed
            .borrow_mut()
            .log(self.tick.get(), millis, text);
    }

    fn stop(&self) {
        self.lp.callbacks().stop();
        self.stopped.set(true);
    }

    fn insert(&self, id: Id, slot: Slot) {
        self.slots.borrow_mut().insert(id, slot);
    }

    fn slot(&self, id: Id) -> Option<Slot> {
        self.slots.borrow().get(&id).cloned()
    }

    /// The awaitable in slot `id`, if it holds one.
    fn awaitable(&self, id: Id) -> Option<Rc<dyn Awaitable>> {
        match self.slot(id)? {
            Slot::Handle(_) => None,
            Slot::Future(_, f) | Slot::Awaitable(f) => Some(f),
        }
    }

    /// The awaitables among `items` that exist, in order: `[S[i] for i in items if i in S]`.
    fn awaitables(&self, items: &[Id]) -> Vec<Rc<dyn Awaitable>> {
        items.iter().filter_map(|&i| self.awaitable(i)).collect()
    }

    fn exec_all(self: &Rc<Self>, who: &str, ops: &[Op]) {
        for op in ops {
            self.exec(who, op);
        }
    }

    /// A callback that prints its name and runs `op`'s body.
    fn callback(self: &Rc<Self>, op: &Op) -> Box<dyn FnOnce()> {
        let run = Rc::downgrade(self);
        let name = body_name(op);
        let body = op.body().expect("a callback op has a body").clone();
        Box::new(move || {
            if let Some(run) = run.upgrade() {
                run.log(name.clone());
                run.exec_all(&name, &body);
            }
        })
    }

    /// An op that does not await.
    fn exec(self: &Rc<Self>, who: &str, op: &Op) {
        let lp = self.lp.clone();
        match op {
            Op::CallSoon { id, .. } => {
                let handle = lp.callbacks().call_soon(self.callback(op));
                self.insert(*id, Slot::Handle(handle.into()));
            }
            Op::CallSoonThreadsafe { .. } => {
                let threadsafe = lp
                    .threadsafe()
                    .expect("call_soon_threadsafe is chapter 11's");
                threadsafe.call_soon_threadsafe(self.callback(op));
            }
            Op::CallLater { id, delay, .. } => {
                let timers = lp.timers().expect("call_later is chapter 4's");
                let timer = timers.call_later(eighths(*delay), self.callback(op));
                self.insert(*id, Slot::Handle(timer.into()));
            }
            Op::CallAt { id, when, .. } => {
                let timers = lp.timers().expect("call_at is chapter 4's");
                let timer = timers.call_at(eighths(*when), self.callback(op));
                self.insert(*id, Slot::Handle(timer.into()));
            }
            Op::Cancel { target, msg } => {
                let cancelled = match self.slot(*target) {
                    None => return,
                    Some(Slot::Handle(h)) => return h.cancel(),
                    Some(Slot::Future(_, f) | Slot::Awaitable(f)) => {
                        f.cancel(msg.map(|m| format!("m{m}")))
                    }
                };
                let name = self.kinds.name(*target);
                let cancelled = if cancelled { "True" } else { "False" };
                self.log(format!("{who}: cancel {name} -> {cancelled}"));
            }
            Op::Stop => self.stop(),
            Op::CreateFuture { id } => {
                let futures = lp.futures().expect("create_future is chapter 5's");
                let future = futures.create_future();
                let awaitable = future.clone().awaitable();
                self.insert(*id, Slot::Future(future, awaitable));
            }
            Op::SetResult { target, value } => {
                if let Some(Slot::Future(f, _)) = self.slot(*target) {
                    if !f.set_result(*value) {
                        let name = self.kinds.name(*target);
                        self.log(format!(
                            "{who}: {name}.set_result({value}) -> invalid state"
                        ));
                    }
                }
            }
            Op::SetException { target, error } => {
                if let Some(Slot::Future(f, _)) = self.slot(*target) {
                    if !f.set_exception(format!("e{error}")) {
                        let name = self.kinds.name(*target);
                        self.log(format!(
                            "{who}: {name}.set_exception(e{error}) -> invalid state"
                        ));
                    }
                }
            }
            Op::AddDoneCallback { id, target, body } => {
                let Some(awaitable) = self.awaitable(*target) else {
                    return;
                };
                let run = Rc::downgrade(self);
                let name = body_name(op);
                let heading = format!("{name} {}: ", self.kinds.name(*target));
                let body = body.clone();
                let added = awaitable.add_done_callback(Box::new(move |state| {
                    if let Some(run) = run.upgrade() {
                        run.log(format!("{heading}{}", state_text(&state)));
                        run.exec_all(&name, &body);
                    }
                }));
                self.done_callbacks
                    .borrow_mut()
                    .insert(*id, (*target, added));
            }
            Op::RemoveDoneCallback { target, callback } => {
                // Where shrinking took the op that adds it away, Python has no `dcb` to name.
                if !self.program.has_done_callback(*callback) {
                    return;
                }
                let Some(awaitable) = self.awaitable(*target) else {
                    return;
                };
                // Added to this awaitable, or it is not there to remove (not yet, or elsewhere).
                let added = self.done_callbacks.borrow().get(callback).copied();
                let removed = match added {
                    Some((to, id)) if to == *target => awaitable.remove_done_callback(id),
                    _ => false,
                };
                let name = self.kinds.name(*target);
                self.log(format!(
                    "{who}: {name}.remove_done_callback(dcb{callback}) -> {}",
                    u8::from(removed)
                ));
            }
            Op::CreateTask { id, body } => {
                let tasks = lp.tasks().expect("create_task is chapter 6's");
                let task = tasks.create_task(coroutine(self, body_name(op), *id, body.clone()));
                self.insert(*id, Slot::Awaitable(task));
            }
            Op::Gather {
                id,
                items,
                return_exceptions,
            } => {
                let awaitables = self.awaitables(items);
                let gathered = if *return_exceptions {
                    let asyncio = lp.asyncio().expect("return_exceptions is steploop's");
                    asyncio.gather_return_exceptions(&awaitables)
                } else {
                    let combinators = lp.combinators().expect("gather is chapter 7's");
                    combinators.gather(&awaitables)
                };
                self.insert(*id, Slot::Awaitable(gathered));
            }
            Op::Shield { id, item } => {
                if let Some(awaitable) = self.awaitable(*item) {
                    let asyncio = lp.asyncio().expect("shield is steploop's");
                    self.insert(*id, Slot::Awaitable(asyncio.shield(&awaitable)));
                }
            }
            Op::Raise { error } => {
                let asyncio = lp.asyncio().expect("an exception handler is steploop's");
                asyncio.raise_in_callback(format!("e{error}"))
            }
            Op::Await { .. }
            | Op::Sleep { .. }
            | Op::WaitFor { .. }
            | Op::Wait { .. }
            | Op::AsCompleted { .. }
            | Op::Timeout { .. }
            | Op::TimeoutAt { .. }
            | Op::TaskGroup { .. }
            | Op::CreateGroupTask { .. } => {
                unreachable!("{op:?} is only generated in coroutines")
            }
        }
    }

    /// Prints what an await got, and gives back the error `catch` does not catch.
    fn outcome(
        &self,
        text: &str,
        outcome: Result<String, Failure>,
        catch: Catch,
        messages: bool,
    ) -> Result<(), Failure> {
        match outcome {
            Ok(value) => {
                self.log(format!("{text}{value}"));
                Ok(())
            }
            Err(failure) => {
                self.log(format!("{text}{}", error_text(&failure, messages)));
                let caught = match catch {
                    Catch::Nothing => false,
                    Catch::Errors => !failure.is_cancelled(),
                    Catch::All => true,
                };
                if caught {
                    Ok(())
                } else {
                    Err(failure)
                }
            }
        }
    }
}

fn eighths(n: u32) -> Duration {
    Duration::from_millis(125 * u64::from(n))
}

/// An exception as the harness's `fmt` prints it; `messages`: whether with a cancellation's
/// message.
fn error_text(failure: &Failure, messages: bool) -> String {
    match failure {
        Failure::Cancelled(_) if !messages => "cancelled".into(),
        other => other.to_string(),
    }
}

/// A value as the harness's `fmt` prints it (a gather's errors without messages).
fn value_text(value: &Value) -> String {
    match value {
        Value::Int(v) => v.to_string(),
        Value::List(items) => {
            let items: Vec<String> = items
                .iter()
                .map(|item| match item {
                    Ok(v) => v.to_string(),
                    Err(failure) => error_text(failure, false),
                })
                .collect();
            format!("[{}]", items.join(", "))
        }
    }
}

/// A state as the harness's `state` prints it. Only a gather's exception can be a
/// cancellation, printed without its message (see `fmt`).
fn state_text(state: &State) -> String {
    match state {
        State::Pending => "pending".into(),
        State::Cancelled => "cancelled".into(),
        State::Done(Ok(value)) => format!("result {}", value_text(value)),
        State::Done(Err(failure)) => format!("exception {}", error_text(failure, false)),
    }
}
