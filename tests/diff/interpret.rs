//! Runs a [`Program`] on a [`Loop`] and writes down what it observes: every operation and
//! its outcome, with the tick it ran in and the loop time, and in the end the state of every
//! future and task.
//!
//! The driver runs the loop one tick at a time (`run_once`) and counts the ticks itself, so a
//! loop needs no tick counter of its own to be compared.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::rc::{Rc, Weak};
use std::time::Duration;

use super::program::{Kind, Op, Program, SLOTS};
use super::runner::{Cancel, Coroutine, Failure, Fut, Loop, Outcome, State, TaskObject};

/// One line of what a run observed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The tick it happened in, counted by the driver from 1; 0 is outside the loop.
    pub tick: u64,
    pub time: Duration,
    pub what: String,
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.time.as_millis();
        write!(
            f,
            "tick {:<3} t={}.{:03}  {}",
            self.tick,
            ms / 1000,
            ms % 1000,
            self.what
        )
    }
}

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// A callback called `stop()`: the run ends after that tick, as `run_forever` returns.
    Stopped,
    /// Nothing was ready and nothing could become ready.
    Stalled,
    /// More ticks than any generated program needs: a loop that never settles.
    TooLong,
    /// The loop panicked (the log's only line says with what).
    Panicked,
}

/// What a run observed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Run {
    pub log: Vec<Entry>,
    pub end: End,
    /// Constructs the run used that no operation names, seen only as it ran (see
    /// [`CANCEL_RUNNING_TASK`]).
    pub tags: BTreeSet<&'static str>,
}

/// A `cancel()` reached the task that was running: it cancelled itself, or a task that awaits
/// it (asyncio then sets `_must_cancel`, and the task hears of it at its next suspension).
pub const CANCEL_RUNNING_TASK: &str = "cancel_running_task";

/// `wait_for` was given a task already done, with a timeout above zero (asyncio 3.11 still
/// waits a tick for the task's done-callback; 3.12 returns at once).
pub const WAIT_FOR_DONE: &str = "wait_for_done";

/// More ticks than any program of the generator can take on a loop that behaves.
const MAX_TICKS: u64 = 5_000;

/// Runs `program` on `lp` (a fresh loop on a virtual clock).
pub fn run(program: &Program, lp: Rc<dyn Loop>) -> Run {
    let ctx = Rc::new(Ctx {
        program: program.clone(),
        lp: lp.clone(),
        tick: Cell::new(0),
        log: RefCell::new(Vec::new()),
        handles: RefCell::new((0..SLOTS).map(|_| None).collect()),
        futures: RefCell::new(Vec::new()),
        tasks: RefCell::new((0..SLOTS).map(|_| None).collect()),
        all_tasks: RefCell::new(Vec::new()),
        done_callbacks: RefCell::new(HashMap::new()),
        stopped: Cell::new(false),
        running: RefCell::new(None),
        waiting: RefCell::new(HashMap::new()),
        tags: RefCell::new(BTreeSet::new()),
    });
    if program.futures > 0 {
        let futures = lp
            .futures()
            .expect("a program with futures runs on a loop with futures");
        for _ in 0..program.futures {
            ctx.futures.borrow_mut().push(futures.create_future());
        }
    }
    for op in &program.main {
        ctx.exec("main", None, op);
    }
    // `run_forever`, one tick at a time: after `stop()` the tick in progress finishes (a stop
    // before the loop runs still lets one tick run), then the run ends.
    let end = loop {
        if ctx.tick.get() >= MAX_TICKS {
            break End::TooLong;
        }
        ctx.tick.set(ctx.tick.get() + 1);
        if lp.callbacks().run_once().is_err() {
            break End::Stalled;
        }
        if ctx.stopped.get() {
            break End::Stopped;
        }
    };
    for (i, future) in ctx.futures.borrow().iter().enumerate() {
        ctx.note(format!("end: F{i} {:?}", future.state()));
    }
    for (name, task) in ctx.all_tasks.borrow().iter() {
        ctx.note(format!("end: {name} {:?}", task.state()));
    }
    let log = ctx.log.take();
    let tags = ctx.tags.take();
    // What the loop still holds refers to the context weakly; emptying the tables drops the
    // futures and tasks the context holds.
    ctx.handles.take();
    ctx.futures.take();
    ctx.tasks.take();
    ctx.all_tasks.take();
    Run { log, end, tags }
}

/// A task in a slot: its name (`T<n>`, numbered in creation order) and its body.
struct TaskSlot {
    name: String,
    body: usize,
    task: Rc<dyn TaskObject>,
}

/// Everything a run keeps; callbacks and coroutines hold it weakly.
struct Ctx {
    program: Program,
    lp: Rc<dyn Loop>,
    tick: Cell<u64>,
    log: RefCell<Vec<Entry>>,
    handles: RefCell<Vec<Option<Box<dyn Cancel>>>>,
    futures: RefCell<Vec<Rc<dyn Fut>>>,
    tasks: RefCell<Vec<Option<TaskSlot>>>,
    all_tasks: RefCell<Vec<(String, Rc<dyn TaskObject>)>>,
    /// Done-callbacks by the program's id: their future, and the id the loop gave.
    done_callbacks: RefCell<HashMap<usize, (usize, usize)>>,
    stopped: Cell<bool>,
    /// The task whose coroutine runs now, if any.
    running: RefCell<Option<String>>,
    /// For each task that awaits tasks (one, or a gather's), their names.
    waiting: RefCell<HashMap<String, Vec<String>>>,
    tags: RefCell<BTreeSet<&'static str>>,
}

impl Ctx {
    /// Whether cancelling task `target` reaches the running task: `target` is it, or awaits
    /// a task that is it or reaches it.
    fn reaches_running(&self, target: &str) -> bool {
        let Some(running) = self.running.borrow().clone() else {
            return false;
        };
        let waiting = self.waiting.borrow();
        let mut todo = vec![target.to_string()];
        let mut seen = BTreeSet::new();
        while let Some(task) = todo.pop() {
            if task == running {
                return true;
            }
            if seen.insert(task.clone()) {
                todo.extend(waiting.get(&task).into_iter().flatten().cloned());
            }
        }
        false
    }

    /// Notes that task `name` now awaits these tasks.
    fn awaits(&self, name: &str, tasks: Vec<String>) {
        self.waiting.borrow_mut().insert(name.to_string(), tasks);
    }

    /// The task `name` is suspended (`Some(awaited)`: it awaits) or resumed (`None`).
    fn suspended(&self, name: &str, suspended: bool) {
        if suspended {
            self.running.take();
        } else {
            self.waiting.borrow_mut().remove(name);
            *self.running.borrow_mut() = Some(name.to_string());
        }
    }

    fn note(&self, what: String) {
        let entry = Entry {
            tick: self.tick.get(),
            time: self.lp.callbacks().time(),
            what,
        };
        self.log.borrow_mut().push(entry);
    }

    fn future(&self, index: usize) -> Rc<dyn Fut> {
        self.futures.borrow()[index].clone()
    }

    /// The task in `slot`, if it holds one whose body comes after `own` (awaiting only later
    /// bodies keeps programs free of cycles: no task awaits itself or one that awaits it).
    fn awaitable_task(&self, slot: usize, own: usize) -> Option<(String, Rc<dyn TaskObject>)> {
        let tasks = self.tasks.borrow();
        let held = tasks[slot].as_ref()?;
        (held.body > own).then(|| (held.name.clone(), held.task.clone()))
    }

    /// A callback that runs body `body`.
    fn callback(self: &Rc<Self>, body: usize) -> Box<dyn FnOnce()> {
        let ctx = Rc::downgrade(self);
        Box::new(move || {
            if let Some(ctx) = ctx.upgrade() {
                ctx.run_callback(body, None);
            }
        })
    }

    fn run_callback(self: &Rc<Self>, body: usize, done: Option<(usize, State)>) {
        // Callbacks run between steps, never inside a task.
        self.running.take();
        let who = format!("b{body}");
        match done {
            Some((future, state)) => self.note(format!("{who} runs: F{future} is {state:?}")),
            None => self.note(format!("{who} runs")),
        }
        let ops = self.program.bodies[body].ops.clone();
        for op in &ops {
            assert!(!op.awaits(), "a callback cannot await: {op}");
            self.exec(&who, Some(body), op);
        }
    }

    /// Runs one operation that does not suspend, and notes it with its outcome.
    fn exec(self: &Rc<Self>, who: &str, own: Option<usize>, op: &Op) {
        if let Some(target) = op.target() {
            assert!(
                own.is_none_or(|own| target > own),
                "{who} refers to b{target}, which does not come after it"
            );
        }
        let lp = &self.lp;
        let outcome = match op {
            Op::CallSoon { body, slot } => {
                let handle = lp.callbacks().call_soon(self.callback(*body));
                self.handles.borrow_mut()[*slot] = Some(handle);
                String::new()
            }
            Op::Cancel { slot } => {
                let handle = self.handles.borrow_mut()[*slot].take();
                match handle {
                    Some(handle) => {
                        handle.cancel();
                        self.handles.borrow_mut()[*slot] = Some(handle);
                        String::new()
                    }
                    None => " (empty slot)".into(),
                }
            }
            Op::Stop => {
                lp.callbacks().stop();
                self.stopped.set(true);
                String::new()
            }
            Op::CallLater { ms, body, slot } => {
                let timers = lp.timers().expect("timers");
                let handle = timers.call_later(Duration::from_millis(*ms), self.callback(*body));
                self.handles.borrow_mut()[*slot] = Some(handle);
                String::new()
            }
            Op::CallAt { ms, body, slot } => {
                let timers = lp.timers().expect("timers");
                let handle = timers.call_at(Duration::from_millis(*ms), self.callback(*body));
                self.handles.borrow_mut()[*slot] = Some(handle);
                String::new()
            }
            Op::SetResult { future, value } => {
                format!(" -> {}", self.future(*future).set_result(*value))
            }
            Op::SetException { future } => {
                let message = format!("{who} failed F{future}");
                format!(" -> {}", self.future(*future).set_exception(message))
            }
            Op::CancelFuture { future } => format!(" -> {}", self.future(*future).cancel()),
            Op::AddDoneCallback { future, body, id } => {
                let ctx = Rc::downgrade(self);
                let (future, body) = (*future, *body);
                let callback = Box::new(move |state: State| {
                    if let Some(ctx) = ctx.upgrade() {
                        ctx.run_callback(body, Some((future, state)));
                    }
                });
                let given = self.future(future).add_done_callback(callback);
                self.done_callbacks
                    .borrow_mut()
                    .insert(*id, (future, given));
                String::new()
            }
            Op::RemoveDoneCallback { future, id } => {
                let known = self.done_callbacks.borrow().get(id).copied();
                match known {
                    Some((added_to, given)) if added_to == *future => {
                        format!(" -> {}", self.future(*future).remove_done_callback(given))
                    }
                    _ => " (no such callback)".into(),
                }
            }
            Op::CreateTask { body, slot } => {
                assert_eq!(self.program.bodies[*body].kind, Kind::Coroutine);
                let number = self.all_tasks.borrow().len() + 1;
                let name = format!("T{number}");
                let coroutine = coroutine(Rc::downgrade(self), name.clone(), *body, number);
                let task = lp.tasks().expect("tasks").create_task(Box::pin(coroutine));
                self.all_tasks
                    .borrow_mut()
                    .push((name.clone(), task.clone()));
                self.tasks.borrow_mut()[*slot] = Some(TaskSlot {
                    name: name.clone(),
                    body: *body,
                    task,
                });
                format!(" -> {name}")
            }
            Op::CancelTask { slot } => {
                let task = self.tasks.borrow()[*slot]
                    .as_ref()
                    .map(|held| (held.name.clone(), held.task.clone()));
                match task {
                    Some((name, task)) => {
                        if self.reaches_running(&name) {
                            self.tags.borrow_mut().insert(CANCEL_RUNNING_TASK);
                        }
                        format!(" ({name}) -> {}", task.cancel())
                    }
                    None => " (empty slot)".into(),
                }
            }
            Op::Sleep { .. }
            | Op::AwaitFuture { .. }
            | Op::AwaitTask { .. }
            | Op::Raise
            | Op::Gather { .. }
            | Op::WaitFor { .. } => unreachable!("awaiting operations run in coroutines"),
        };
        self.note(format!("{who}: {op}{outcome}"));
    }
}

/// The coroutine of a task running body `body`: it returns its task's number.
async fn coroutine(ctx: Weak<Ctx>, name: String, body: usize, number: usize) -> Outcome {
    let outcome = coroutine_body(ctx.clone(), name, body, number).await;
    if let Some(strong) = ctx.upgrade() {
        strong.running.take();
    }
    outcome
}

async fn coroutine_body(ctx: Weak<Ctx>, name: String, body: usize, number: usize) -> Outcome {
    let Some(strong) = ctx.upgrade() else {
        return Err(Failure::Exception("the run is over".into()));
    };
    strong.note(format!("{name} (b{body}) starts"));
    strong.suspended(&name, false);
    let ops = strong.program.bodies[body].ops.clone();
    drop(strong);
    for op in &ops {
        let Some(strong) = ctx.upgrade() else {
            return Err(Failure::Exception("the run is over".into()));
        };
        if !op.awaits() {
            strong.exec(&name, Some(body), op);
            continue;
        }
        // What the coroutine awaits, giving the text of its value; `None`: nothing to await.
        let shown = |awaited: Coroutine| -> Coroutine<Result<String, Failure>> {
            Box::pin(async move { awaited.await.map(|value| value.to_string()) })
        };
        let (awaited, catch) = match op {
            Op::Raise => {
                strong.note(format!("{name}: raise"));
                return Err(Failure::Exception(format!("{name} raised")));
            }
            Op::Sleep { ms, catch } => {
                let tasks = strong.lp.tasks().expect("tasks");
                (Some(shown(tasks.sleep(Duration::from_millis(*ms)))), *catch)
            }
            Op::AwaitFuture { future, catch } => {
                (Some(shown(strong.future(*future).wait())), *catch)
            }
            Op::AwaitTask { slot, catch } => {
                let task = strong.awaitable_task(*slot, body);
                strong.awaits(&name, task.iter().map(|(name, _)| name.clone()).collect());
                (task.map(|(_, task)| shown(task.wait())), *catch)
            }
            Op::WaitFor { slot, ms, catch } => {
                let task = strong.awaitable_task(*slot, body);
                let done = task
                    .as_ref()
                    .is_some_and(|(_, t)| t.state() != State::Pending);
                if done && *ms > 0 {
                    strong.tags.borrow_mut().insert(WAIT_FOR_DONE);
                }
                strong.awaits(&name, task.iter().map(|(name, _)| name.clone()).collect());
                let combinators = strong.lp.combinators().expect("combinators");
                let timeout = Duration::from_millis(*ms);
                let waiting = task.map(|(_, task)| shown(combinators.wait_for(&task, timeout)));
                (waiting, *catch)
            }
            Op::Gather { slots, catch } => {
                let children: Vec<(String, Rc<dyn TaskObject>)> = slots
                    .iter()
                    .filter_map(|slot| strong.awaitable_task(*slot, body))
                    .collect();
                strong.awaits(
                    &name,
                    children.iter().map(|(name, _)| name.clone()).collect(),
                );
                let children: Vec<Rc<dyn TaskObject>> =
                    children.into_iter().map(|(_, task)| task).collect();
                // Called now: gather starts watching its children at once, as in asyncio.
                let gathering = strong
                    .lp
                    .combinators()
                    .expect("combinators")
                    .gather(&children);
                let shown: Coroutine<Result<String, Failure>> =
                    Box::pin(async move { gathering.await.map(|values| format!("{values:?}")) });
                (Some(shown), *catch)
            }
            _ => unreachable!("not an awaiting operation: {op}"),
        };
        let Some(awaited) = awaited else {
            strong.note(format!("{name}: {op} (skipped: no later task in the slot)"));
            continue;
        };
        strong.suspended(&name, true);
        drop(strong);
        let outcome = awaited.await;
        let Some(strong) = ctx.upgrade() else {
            return Err(Failure::Exception("the run is over".into()));
        };
        strong.suspended(&name, false);
        match outcome {
            Ok(value) => strong.note(format!("{name}: {op} -> Ok({value})")),
            Err(failure) if catch => strong.note(format!("{name}: {op} -> caught {failure:?}")),
            Err(failure) => {
                strong.note(format!("{name}: {op} -> raises {failure:?}"));
                return Err(failure);
            }
        }
    }
    if let Some(strong) = ctx.upgrade() {
        strong.note(format!("{name} returns {number}"));
    }
    Ok(number as i64)
}
