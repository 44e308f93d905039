//! The runner for steploop's real loop (`src/`): an interpreter of programs on a virtual clock.
//!
//! Every op does what its asyncio call does in the harness, through steploop's API of the same
//! name, and prints the same text. The tick of each print is read from the loop's own trace.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::future::Future as StdFuture;
use std::pin::Pin;
use std::rc::Rc;
use std::time::Duration;

use steploop::trace::Event as TraceEvent;
use steploop::{
    as_completed, gather, gather_return_exceptions, shield, sleep, wait, wait_for, CallbackId,
    Error, EventLoop, Future, Handle, ReturnWhen as StepReturnWhen, TimerHandle,
};

use super::observed::{time, Observed};
use super::program::{body_name, seconds, Catch, Id, Op, Program, ReturnWhen, Slots, MAIN};
use super::python::messages;
use super::Runner;

/// Runs programs on steploop's `EventLoop::with_virtual_clock()`.
#[derive(Clone, Copy, Debug, Default)]
pub struct RealLoop;

impl Runner for RealLoop {
    fn name(&self) -> &str {
        "steploop"
    }

    fn run_all(&self, programs: &[&Program]) -> Result<Vec<Observed>, String> {
        Ok(programs.iter().map(|p| run(p)).collect())
    }
}

/// What a slot holds on steploop.
#[derive(Clone)]
enum Slot {
    Handle(Handle),
    Timer(Rc<TimerHandle>),
    /// A future, a task's future, or a shield.
    Future(Future<i64>),
    Gather(Future<Vec<i64>>),
    GatherAll(Future<Vec<Result<i64, Error>>>),
}

/// One run: the loop, the program's slots, and what it printed.
struct Run {
    lp: EventLoop,
    kinds: Slots,
    slots: RefCell<BTreeMap<Id, Slot>>,
    observed: RefCell<Observed>,
    tick: Cell<u64>,
    /// Each done-callback added so far, by its op's id.
    done_callbacks: RefCell<BTreeMap<Id, CallbackId>>,
}

thread_local! {
    /// The run in progress, for callbacks sent with `call_soon_threadsafe`, which must be
    /// `Send` and so cannot hold the run themselves.
    static RUN: RefCell<Option<Rc<Run>>> = const { RefCell::new(None) };
    /// Set while a callback raises on purpose, so that the panic hook keeps quiet.
    static RAISING: Cell<bool> = const { Cell::new(false) };
}

/// A callback "raises" by panicking: the loop reports the panic to its exception handler, as
/// asyncio reports the exception. The panic is the program's, not a failure of the test, so
/// it is not printed.
fn raise_in_callback(error: u32) -> ! {
    static QUIET: std::sync::Once = std::sync::Once::new();
    QUIET.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !RAISING.with(|r| r.replace(false)) {
                previous(info);
            }
        }));
    });
    RAISING.with(|r| r.set(true));
    std::panic::panic_any(format!("e{error}"))
}

/// Runs one program on steploop.
pub fn run(program: &Program) -> Observed {
    let lp = EventLoop::with_virtual_clock();
    lp.set_trace(true);
    let run = Rc::new(Run {
        lp: lp.clone(),
        kinds: program.slots(),
        slots: RefCell::new(BTreeMap::new()),
        observed: RefCell::new(Observed::default()),
        tick: Cell::new(0),
        done_callbacks: RefCell::new(BTreeMap::new()),
    });
    RUN.with(|r| *r.borrow_mut() = Some(run.clone()));
    let weak = Rc::downgrade(&run);
    lp.set_exception_handler(move |_, context| {
        // As the harness: only errors in callbacks, never reports about what was dropped.
        if let (Some(run), Some(_), Some(error)) =
            (weak.upgrade(), &context.handle, &context.exception)
        {
            run.log(format!("callback error: {}", error_text(error, true)));
        }
    });

    let outcome = if program.level.main_is_coroutine() {
        let main = lp.create_task(coroutine(
            run.clone(),
            "main".into(),
            MAIN,
            program.main.clone(),
        ));
        run.insert(MAIN, Slot::Future(main.future()));
        let result = lp.run_until_complete(main.clone());
        if main.done() {
            format!("main {}", state_text(&main.future()))
        } else if matches!(result, Err(Error::Stalled(_))) {
            "stalled".to_string()
        } else {
            "stopped before main completed".to_string()
        }
    } else {
        run.exec_all("main", &program.main);
        match lp.run_forever() {
            Ok(()) => "stopped".to_string(),
            Err(Error::Stalled(_)) => "stalled".to_string(),
            Err(error) => format!("run_forever failed: {error}"),
        }
    };

    let mut observed = run.observed.take();
    observed.outcome = format!("{outcome} at {}", time(millis(&lp)));
    for (id, slot) in run.slots.borrow().iter() {
        let state = match slot {
            Slot::Handle(h) => cancelled_text(h.cancelled()),
            Slot::Timer(t) => cancelled_text(t.cancelled()),
            Slot::Future(f) => state_text(f),
            Slot::Gather(f) => state_text(f),
            Slot::GatherAll(f) => state_text(f),
        };
        observed.end_states.push((*id, state));
    }
    let _ = lp.close();
    // The slots hold tasks, whose coroutines hold the run: break the cycle.
    let slots = run.slots.take();
    drop(slots);
    RUN.with(|r| r.borrow_mut().take());
    observed
}

fn millis(lp: &EventLoop) -> u64 {
    (lp.time().as_nanos() / 1_000_000) as u64
}

fn cancelled_text(cancelled: bool) -> String {
    if cancelled {
        "cancelled"
    } else {
        "not cancelled"
    }
    .to_string()
}

fn eighths(n: u32) -> Duration {
    Duration::from_millis(125 * u64::from(n))
}

type Coroutine = Pin<Box<dyn StdFuture<Output = Result<i64, Error>>>>;

/// A task's coroutine: print, run the ops, return the task's id (or raise).
fn coroutine(run: Rc<Run>, who: String, id: Id, body: Vec<Op>) -> Coroutine {
    Box::pin(async move {
        run.log(format!("{who} start"));
        for op in &body {
            run.exec_async(&who, op).await?;
        }
        Ok(i64::from(id))
    })
}

impl Run {
    /// Prints `text` at the current tick and loop time.
    fn log(&self, text: String) {
        for event in self.lp.take_trace().events() {
            if let TraceEvent::Tick { tick, .. } = event {
                self.tick.set(*tick);
            }
        }
        let millis = millis(&self.lp);
        self.observed
            .borrow_mut()
            .log(self.tick.get(), millis, text);
    }

    fn insert(&self, id: Id, slot: Slot) {
        self.slots.borrow_mut().insert(id, slot);
    }

    fn slot(&self, id: Id) -> Option<Slot> {
        self.slots.borrow().get(&id).cloned()
    }

    fn future(&self, id: Id) -> Option<Future<i64>> {
        match self.slot(id) {
            Some(Slot::Future(f)) => Some(f),
            _ => None,
        }
    }

    /// The futures among `items` that exist, in order: `[S[i] for i in items if i in S]`.
    fn futures(&self, items: &[Id]) -> Vec<Future<i64>> {
        items.iter().filter_map(|&i| self.future(i)).collect()
    }

    fn exec_all(self: &Rc<Self>, who: &str, ops: &[Op]) {
        for op in ops {
            self.exec(who, op);
        }
    }

    /// A callback that prints its name and runs `op`'s body.
    fn callback(self: &Rc<Self>, op: &Op) -> impl FnOnce(&EventLoop) + 'static {
        let run = self.clone();
        let name = body_name(op);
        let body = op.body().expect("a callback op has a body").clone();
        move |_| {
            run.log(name.clone());
            run.exec_all(&name, &body);
        }
    }

    /// An op that does not await.
    fn exec(self: &Rc<Self>, who: &str, op: &Op) {
        let lp = &self.lp;
        match op {
            Op::CallSoon { id, .. } => {
                let handle = lp.call_soon(self.callback(op));
                self.insert(*id, Slot::Handle(handle));
            }
            Op::CallSoonThreadsafe { .. } => {
                let name = body_name(op);
                let body = op.body().expect("a callback op has a body").clone();
                let sent = lp.handle().call_soon_threadsafe(move |_| {
                    let run = RUN
                        .with(|r| r.borrow().clone())
                        .expect("a run is in progress");
                    run.log(name.clone());
                    run.exec_all(&name, &body);
                });
                sent.expect("the loop is open");
            }
            Op::CallLater { id, delay, .. } => {
                let timer = lp.call_later(eighths(*delay), self.callback(op));
                self.insert(*id, Slot::Timer(Rc::new(timer)));
            }
            Op::CallAt { id, when, .. } => {
                let timer = lp.call_at(eighths(*when), self.callback(op));
                self.insert(*id, Slot::Timer(Rc::new(timer)));
            }
            Op::Cancel { target, msg } => {
                let name = self.kinds.name(*target);
                let message = msg.map(|m| format!("m{m}"));
                let cancelled = match self.slot(*target) {
                    None => return,
                    Some(Slot::Handle(h)) => return h.cancel(),
                    Some(Slot::Timer(t)) => return t.cancel(),
                    Some(Slot::Future(f)) => cancel(&f, message),
                    Some(Slot::Gather(f)) => cancel(&f, message),
                    Some(Slot::GatherAll(f)) => cancel(&f, message),
                };
                let cancelled = if cancelled { "True" } else { "False" };
                self.log(format!("{who}: cancel {name} -> {cancelled}"));
            }
            Op::Stop => lp.stop(),
            Op::CreateFuture { id } => self.insert(*id, Slot::Future(lp.create_future())),
            Op::SetResult { target, value } => {
                if let Some(f) = self.future(*target) {
                    if let Err(error) = f.set_result(*value) {
                        let name = self.kinds.name(*target);
                        let error = error_text(&error, true);
                        self.log(format!("{who}: {name}.set_result({value}) -> {error}"));
                    }
                }
            }
            Op::SetException { target, error } => {
                if let Some(f) = self.future(*target) {
                    if let Err(failed) = f.set_exception(Error::msg(format!("e{error}"))) {
                        let name = self.kinds.name(*target);
                        let failed = error_text(&failed, true);
                        self.log(format!("{who}: {name}.set_exception(e{error}) -> {failed}"));
                    }
                }
            }
            Op::RemoveDoneCallback { target, callback } => {
                let Some(slot) = self.slot(*target) else {
                    return;
                };
                // Never added (not yet, or shrinking took the op away): nothing to remove.
                let id = self.done_callbacks.borrow().get(callback).copied();
                let removed = match (id, slot) {
                    (None, _) => false,
                    (Some(id), Slot::Future(f)) => f.remove_done_callback(id),
                    (Some(id), Slot::Gather(f)) => f.remove_done_callback(id),
                    (Some(id), Slot::GatherAll(f)) => f.remove_done_callback(id),
                    (Some(_), Slot::Handle(_) | Slot::Timer(_)) => return,
                };
                let name = self.kinds.name(*target);
                self.log(format!(
                    "{who}: {name}.remove_done_callback(dcb{callback}) -> {}",
                    u8::from(removed)
                ));
            }
            Op::AddDoneCallback { id, target, .. } => {
                let name = body_name(op);
                let target_name = self.kinds.name(*target);
                let body = op.body().expect("a callback op has a body").clone();
                let added = match self.slot(*target) {
                    Some(Slot::Future(f)) => self.add_done_callback(&f, name, target_name, body),
                    Some(Slot::Gather(f)) => self.add_done_callback(&f, name, target_name, body),
                    Some(Slot::GatherAll(f)) => self.add_done_callback(&f, name, target_name, body),
                    _ => return,
                };
                self.done_callbacks.borrow_mut().insert(*id, added);
            }
            Op::CreateTask { id, body } => {
                let who = body_name(op);
                let task = lp.create_task(coroutine(self.clone(), who, *id, body.clone()));
                self.insert(*id, Slot::Future(task.future()));
            }
            Op::Gather {
                id,
                items,
                return_exceptions,
            } => {
                let futures = self.futures(items);
                let slot = if *return_exceptions {
                    Slot::GatherAll(gather_return_exceptions(futures).expect("in a task"))
                } else {
                    Slot::Gather(gather(futures).expect("in a task"))
                };
                self.insert(*id, slot);
            }
            Op::Shield { id, item } => {
                if let Some(f) = self.future(*item) {
                    self.insert(*id, Slot::Future(shield(f).expect("in a task")));
                }
            }
            Op::Raise { error } => raise_in_callback(*error),
            Op::Await { .. }
            | Op::Sleep { .. }
            | Op::WaitFor { .. }
            | Op::Wait { .. }
            | Op::AsCompleted { .. } => {
                unreachable!("{op:?} is only generated in coroutines")
            }
        }
    }

    fn add_done_callback<T: Value>(
        self: &Rc<Self>,
        f: &Future<T>,
        name: String,
        target: String,
        body: Vec<Op>,
    ) -> CallbackId {
        let run = self.clone();
        f.add_done_callback(move |fut| {
            run.log(format!("{name} {target}: {}", state_text(fut)));
            run.exec_all(&name, &body);
        })
    }

    /// An op in a coroutine; `Err` is an exception the coroutine raises.
    async fn exec_async(self: &Rc<Self>, who: &str, op: &Op) -> Result<(), Error> {
        // `messages`: whether a cancellation is printed with its message (see `fmt` in
        // harness.py).
        let (text, outcome, catch, messages) = match op {
            Op::Await { target, catch } => {
                let outcome = match self.slot(*target) {
                    Some(Slot::Future(f)) => f.await.map(|v| v.text()),
                    Some(Slot::Gather(f)) => f.await.map(|v| v.text()),
                    // Its items are tasks' and gathers' outcomes: no messages.
                    Some(Slot::GatherAll(f)) => f.await.map(|v| v.text()),
                    _ => return Ok(()),
                };
                let name = self.kinds.name(*target);
                let messages = messages(self.kinds.kind(*target));
                (
                    format!("{who}: await {name} -> "),
                    outcome,
                    *catch,
                    messages,
                )
            }
            Op::Sleep { delay, catch } => {
                let outcome = sleep(eighths(*delay)).await.map(|()| "done".to_string());
                let text = format!("{who}: sleep {} -> ", seconds(*delay));
                (text, outcome, *catch, true)
            }
            Op::Raise { error } => return Err(Error::msg(format!("e{error}"))),
            Op::AsCompleted {
                items,
                timeout,
                catch,
            } => return self.as_completed(who, items, *timeout, *catch).await,
            Op::WaitFor {
                item,
                timeout,
                catch,
            } => {
                let Some(f) = self.future(*item) else {
                    return Ok(());
                };
                let outcome = wait_for(f, eighths(*timeout)).await.map(|v| v.text());
                let name = self.kinds.name(*item);
                let text = format!("{who}: wait_for {name} {} -> ", seconds(*timeout));
                let messages = messages(self.kinds.kind(*item));
                (text, outcome, *catch, messages)
            }
            Op::Wait {
                items,
                timeout,
                return_when,
                catch,
            } => {
                let futures = self.futures(items);
                if futures.is_empty() {
                    return Ok(());
                }
                let shown = return_when.python_name();
                let return_when = match return_when {
                    ReturnWhen::FirstCompleted => StepReturnWhen::FirstCompleted,
                    ReturnWhen::FirstException => StepReturnWhen::FirstException,
                    ReturnWhen::AllCompleted => StepReturnWhen::AllCompleted,
                };
                let outcome = wait(futures, timeout.map(eighths), return_when).await.map(
                    |(done, pending)| format!("{} done, {} pending", done.len(), pending.len()),
                );
                let names = self.kinds.names(items);
                (
                    format!("{who}: wait {names} {shown} -> "),
                    outcome,
                    *catch,
                    true,
                )
            }
            _ => {
                self.exec(who, op);
                return Ok(());
            }
        };
        self.outcome(text, outcome, catch, messages)
    }

    /// Prints what an await got, and gives back the error `catch` does not catch.
    fn outcome(
        &self,
        text: String,
        outcome: Result<String, Error>,
        catch: Catch,
        messages: bool,
    ) -> Result<(), Error> {
        match outcome {
            Ok(value) => {
                self.log(format!("{text}{value}"));
                Ok(())
            }
            Err(error) => {
                self.log(format!("{text}{}", error_text(&error, messages)));
                let caught = match catch {
                    Catch::Nothing => false,
                    Catch::Errors => !error.is_cancelled(),
                    Catch::All => true,
                };
                if caught {
                    Ok(())
                } else {
                    Err(error)
                }
            }
        }
    }
}

impl Run {
    /// `for c in as_completed(items, timeout): r = await c`, each result printed.
    async fn as_completed(
        self: &Rc<Self>,
        who: &str,
        items: &[Id],
        timeout: Option<u32>,
        catch: Catch,
    ) -> Result<(), Error> {
        let futures = self.futures(items);
        let names = self.kinds.names(items);
        let messages = items.iter().all(|&i| messages(self.kinds.kind(i)));
        let mut results = as_completed(futures, timeout.map(eighths)).expect("in a task");
        while let Some(outcome) = results.next().await {
            let text = format!("{who}: as_completed {names} -> ");
            self.outcome(text, outcome.map(|v| v.text()), catch, messages)?;
        }
        Ok(())
    }
}

fn cancel<T: 'static>(f: &Future<T>, message: Option<String>) -> bool {
    match message {
        Some(m) => f.cancel_with(m),
        None => f.cancel(),
    }
}

/// A result value as the harness's `fmt` prints it.
trait Value: Clone + 'static {
    fn text(&self) -> String;
}

impl Value for i64 {
    fn text(&self) -> String {
        self.to_string()
    }
}

impl Value for Vec<i64> {
    fn text(&self) -> String {
        let items: Vec<String> = self.iter().map(i64::to_string).collect();
        format!("[{}]", items.join(", "))
    }
}

impl Value for Vec<Result<i64, Error>> {
    fn text(&self) -> String {
        let items: Vec<String> = self
            .iter()
            .map(|r| match r {
                Ok(v) => v.to_string(),
                Err(e) => error_text(e, false),
            })
            .collect();
        format!("[{}]", items.join(", "))
    }
}

/// An exception as the harness's `fmt` prints it; `messages`: whether with a cancellation's
/// message.
fn error_text(error: &Error, messages: bool) -> String {
    match error {
        Error::Cancelled(_) if !messages => "cancelled".into(),
        Error::Cancelled(message) => format!("cancelled({})", message.as_deref().unwrap_or("")),
        Error::Timeout => "timeout".into(),
        Error::InvalidState(_) => "invalid state".into(),
        Error::Runtime(_) => "runtime error".into(),
        Error::Other(e) => e.to_string(),
        Error::Panicked(message) => message.to_string(),
        other => format!("{other:?}"),
    }
}

/// A future's state as the harness's `state` prints it.
fn state_text<T: Value>(f: &Future<T>) -> String {
    if !f.done() {
        "pending".into()
    } else if f.cancelled() {
        "cancelled".into()
    } else {
        match f.result() {
            Ok(value) => format!("result {}", value.text()),
            // Only a gather's exception can be a cancellation: no message (see `fmt`).
            Err(error) => format!("exception {}", error_text(&error, false)),
        }
    }
}
