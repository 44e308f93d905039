//! The CPython runner: each program as a Python function, a batch of them run by one python3
//! with the harness (`harness.py`), and the harness's output read back.

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::{Command, Stdio};

use super::interpret::MAX_TICKS;
use super::observed::Observed;
use super::program::{body_name, seconds, Catch, Entry, Kind, Op, Program, Slots};

/// The harness every batch starts with.
pub const HARNESS: &str = include_str!("harness.py");

/// The Python version whose asyncio steploop is compared with.
pub const VERSION: &str = "3.11";

/// A python3 to run programs with.
#[derive(Clone, Debug)]
pub struct CPython {
    python: String,
}

impl CPython {
    /// `$STEPLOOP_PYTHON`, or `python3`; it must be CPython 3.11, whose scheduling steploop
    /// follows.
    pub fn find() -> Result<CPython, String> {
        let python = std::env::var("STEPLOOP_PYTHON").unwrap_or_else(|_| "python3".into());
        let output = Command::new(&python)
            .args(["-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
            .output()
            .map_err(|e| {
                format!(
                    "cannot run {python} ({e}): the comparison with asyncio needs CPython \
                     {VERSION}; install it, or point STEPLOOP_PYTHON at one"
                )
            })?;
        let version = String::from_utf8_lossy(&output.stdout).trim().to_string();
        if version != VERSION {
            return Err(format!(
                "{python} is Python {version}, but the comparison is pinned to CPython \
                 {VERSION} (asyncio's scheduling changes between versions, wait_for in 3.12 for \
                 one); point STEPLOOP_PYTHON at a python{VERSION}"
            ));
        }
        Ok(CPython { python })
    }

    /// Runs every program on CPython's asyncio, all in one python3.
    pub fn run(&self, programs: &[&Program]) -> Result<Vec<Observed>, String> {
        let script = script(programs);
        let mut child = Command::new(&self.python)
            .arg("-")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", self.python))?;
        // Python reads the whole script before it runs any of it, so writing all of it first
        // cannot deadlock against its output.
        child
            .stdin
            .take()
            .expect("stdin is piped")
            .write_all(script.as_bytes())
            .map_err(|e| format!("cannot write to {}: {e}", self.python))?;
        let output = child
            .wait_with_output()
            .map_err(|e| format!("{} failed: {e}", self.python))?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() {
            return Err(format!(
                "the harness failed ({}):\n{}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        parse(&stdout, programs.len())
    }
}

impl super::Runner for CPython {
    fn name(&self) -> &str {
        "CPython"
    }

    fn run_all(&self, programs: &[&Program]) -> Result<Vec<Observed>, String> {
        self.run(programs)
    }
}

/// The harness, every program, and the call that runs them.
pub fn script(programs: &[&Program]) -> String {
    let mut out = String::from(HARNESS);
    for (number, program) in programs.iter().enumerate() {
        out.push_str("\n\n");
        out.push_str(&source(program, number));
    }
    out.push_str("\n\nrun_all([\n");
    for (number, program) in programs.iter().enumerate() {
        let coroutine = match program.entry {
            Entry::RunUntilComplete => "True",
            Entry::RunForever => "False",
        };
        let _ = writeln!(out, "    ({number}, program_{number}, {coroutine}),");
    }
    let _ = writeln!(out, "], max_ticks={MAX_TICKS})");
    out
}

fn parse(stdout: &str, expected: usize) -> Result<Vec<Observed>, String> {
    let mut lines = stdout.lines();
    match lines.next() {
        Some(line) if line == format!("python {VERSION}") => {}
        other => return Err(format!("the harness did not start as expected: {other:?}")),
    }
    let mut results = Vec::new();
    let mut current: Option<Vec<&str>> = None;
    for line in lines {
        if line.starts_with("program ") {
            current = Some(Vec::new());
        } else if line == "end" {
            let body = current.take().ok_or("`end` without `program`")?;
            results.push(Observed::parse(&body)?);
        } else {
            current
                .as_mut()
                .ok_or_else(|| format!("output outside a program: {line}"))?
                .push(line);
        }
    }
    if results.len() != expected {
        return Err(format!(
            "the harness reported {} programs of {expected}",
            results.len()
        ));
    }
    Ok(results)
}

/// The program as a Python function `program_{number}(P)`: for a coroutine main, it returns
/// `main`; otherwise it is the code run before `run_forever`.
pub fn source(program: &Program, number: usize) -> String {
    let slots = program.slots();
    let mut w = Writer {
        out: String::new(),
        slots: &slots,
        program,
    };
    w.line(0, &format!("def program_{number}(P):"));
    w.line(1, "L, S, log = P.loop, P.slots, P.log");
    w.defs(&program.main);
    if program.entry == Entry::RunUntilComplete {
        w.line(0, "");
        w.line(1, "async def main():");
        w.line(2, "log(\"main start\")");
        w.ops(2, "main", &program.main);
        w.line(2, "return 0");
        w.line(0, "");
        w.line(1, "return main");
    } else {
        w.line(0, "");
        w.ops(1, "main", &program.main);
    }
    w.out
}

struct Writer<'a> {
    out: String,
    slots: &'a Slots,
    program: &'a Program,
}

impl Writer<'_> {
    fn line(&mut self, depth: usize, text: &str) {
        if !text.is_empty() {
            self.out.push_str(&"    ".repeat(depth));
        }
        self.out.push_str(text);
        self.out.push('\n');
    }

    /// A `def` for every body in `ops`, nested ones included (in blocks too), at the
    /// program's top level.
    fn defs(&mut self, ops: &[Op]) {
        for op in ops {
            if let Some(block) = op.block() {
                self.defs(block);
            }
            let Some(body) = op.body() else { continue };
            let name = body_name(op);
            self.line(0, "");
            match op {
                Op::CreateTask { id, .. } | Op::CreateGroupTask { id, .. } => {
                    self.line(1, &format!("async def {name}():"));
                    self.line(2, &format!("log(\"{name} start\")"));
                    self.ops(2, &name, body);
                    self.line(2, &format!("return {id}"));
                }
                Op::AddDoneCallback { target, .. } => {
                    let target = self.slots.name(*target);
                    self.line(1, &format!("def {name}(fut):"));
                    self.line(2, &format!("log(f\"{name} {target}: {{state(fut)}}\")"));
                    self.ops(2, &name, body);
                }
                _ => {
                    self.line(1, &format!("def {name}():"));
                    self.line(2, &format!("log(\"{name}\")"));
                    self.ops(2, &name, body);
                }
            }
            self.defs(body);
        }
    }

    fn ops(&mut self, d: usize, who: &str, ops: &[Op]) {
        for op in ops {
            self.op(d, who, op);
        }
    }

    fn op(&mut self, d: usize, who: &str, op: &Op) {
        let slots = self.slots;
        match op {
            Op::CallSoon { id, .. } => self.line(d, &format!("S[{id}] = L.call_soon(cb{id})")),
            Op::CallSoonThreadsafe { id, .. } => {
                self.line(d, &format!("L.call_soon_threadsafe(cb{id})"))
            }
            Op::CallLater { id, delay, .. } => self.line(
                d,
                &format!("S[{id}] = L.call_later({}, cb{id})", seconds(*delay)),
            ),
            Op::CallAt { id, when, .. } => self.line(
                d,
                &format!("S[{id}] = L.call_at({}, cb{id})", seconds(*when)),
            ),
            Op::Cancel { target, msg } => match slots.kind(*target) {
                None => {}
                Some(Kind::Handle) => {
                    self.line(d, &format!("if {target} in S: S[{target}].cancel()"))
                }
                Some(_) => {
                    let name = slots.name(*target);
                    let msg = msg.map_or(String::new(), |m| format!("'m{m}'"));
                    self.line(d, &format!("if {target} in S:"));
                    self.line(
                        d + 1,
                        &format!("log(f\"{who}: cancel {name} -> {{S[{target}].cancel({msg})}}\")"),
                    );
                }
            },
            Op::Stop => self.line(d, "L.stop()"),
            Op::CreateFuture { id } => self.line(d, &format!("S[{id}] = L.create_future()")),
            Op::SetResult { target, value } => {
                let call = format!("set_result({value})");
                self.set(d, who, *target, &call, &call);
            }
            Op::SetException { target, error } => self.set(
                d,
                who,
                *target,
                &format!("set_exception(E(\"e{error}\"))"),
                &format!("set_exception(e{error})"),
            ),
            Op::AddDoneCallback { id, target, .. } => self.line(
                d,
                &format!("if {target} in S: S[{target}].add_done_callback(dcb{id})"),
            ),
            Op::RemoveDoneCallback { target, callback } => {
                if self.program.has_done_callback(*callback) {
                    let name = slots.name(*target);
                    self.line(d, &format!("if {target} in S:"));
                    self.line(
                        d + 1,
                        &format!(
                            "log(f\"{who}: {name}.remove_done_callback(dcb{callback}) -> \
                             {{S[{target}].remove_done_callback(dcb{callback})}}\")"
                        ),
                    );
                }
            }
            Op::CreateTask { id, .. } => {
                self.line(d, &format!("S[{id}] = L.create_task(task{id}())"))
            }
            Op::CreateGroupTask { group, id, .. } => {
                self.line(d, &format!("S[{id}] = tg{group}.create_task(task{id}())"))
            }
            Op::Timeout {
                delay,
                block,
                catch,
            } => {
                let delay = delay.map_or("None".to_string(), seconds);
                self.block(
                    d,
                    who,
                    &format!("async with asyncio.timeout({delay}):"),
                    block,
                    &format!("{who}: timeout {delay} -> "),
                    *catch,
                );
            }
            Op::TimeoutAt { when, block, catch } => {
                let when = seconds(*when);
                self.block(
                    d,
                    who,
                    &format!("async with asyncio.timeout_at({when}):"),
                    block,
                    &format!("{who}: timeout_at {when} -> "),
                    *catch,
                );
            }
            Op::TaskGroup { id, block, catch } => self.block(
                d,
                who,
                &format!("async with TaskGroup() as tg{id}:"),
                block,
                &format!("{who}: task_group tg{id} -> "),
                *catch,
            ),
            Op::Await { target, catch } => {
                let name = slots.name(*target);
                self.line(d, &format!("if {target} in S:"));
                self.attempt(
                    d + 1,
                    &format!("r = await S[{target}]"),
                    &format!("{who}: await {name} -> "),
                    "r",
                    *catch,
                    messages(slots.kind(*target)),
                );
            }
            Op::Sleep { delay, catch } => {
                let s = seconds(*delay);
                self.attempt(
                    d,
                    &format!("await asyncio.sleep({s})"),
                    &format!("{who}: sleep {s} -> "),
                    "'done'",
                    *catch,
                    true,
                );
            }
            Op::Raise { error } => self.line(d, &format!("raise E(\"e{error}\")")),
            Op::Gather {
                id,
                items,
                return_exceptions,
            } => {
                let exceptions = if *return_exceptions { "True" } else { "False" };
                self.line(
                    d,
                    &format!(
                        "S[{id}] = asyncio.gather(*[S[i] for i in {} if i in S], \
                         return_exceptions={exceptions})",
                        tuple(items)
                    ),
                );
            }
            Op::Shield { id, item } => self.line(
                d,
                &format!("if {item} in S: S[{id}] = asyncio.shield(S[{item}])"),
            ),
            Op::WaitFor {
                item,
                timeout,
                catch,
            } => {
                let name = slots.name(*item);
                let s = seconds(*timeout);
                self.line(d, &format!("if {item} in S:"));
                self.attempt(
                    d + 1,
                    &format!("r = await wait_for(S[{item}], {s})"),
                    &format!("{who}: wait_for {name} {s} -> "),
                    "r",
                    *catch,
                    messages(slots.kind(*item)),
                );
            }
            Op::AsCompleted {
                items,
                timeout,
                catch,
            } => self.as_completed(d, who, items, *timeout, *catch),
            Op::Wait {
                items,
                timeout,
                return_when,
                catch,
            } => {
                let timeout = timeout.map_or("None".to_string(), seconds);
                let return_when = return_when.python_name();
                self.line(
                    d,
                    &format!("fs = [S[i] for i in {} if i in S]", tuple(items)),
                );
                self.line(d, "if fs:");
                self.attempt(
                    d + 1,
                    &format!("done, pending = await wait(fs, {timeout}, asyncio.{return_when})"),
                    &format!("{who}: wait {} {return_when} -> ", slots.names(items)),
                    "f'{len(done)} done, {len(pending)} pending'",
                    *catch,
                    true,
                );
            }
        }
    }

    /// `for c in as_completed(...)`: one await per item, each printed.
    fn as_completed(
        &mut self,
        d: usize,
        who: &str,
        items: &[u32],
        timeout: Option<u32>,
        catch: Catch,
    ) {
        let timeout = timeout.map_or("None".to_string(), seconds);
        let names = self.slots.names(items);
        let messages = items.iter().all(|&i| messages(self.slots.kind(i)));
        self.line(
            d,
            &format!("fs = [S[i] for i in {} if i in S]", tuple(items)),
        );
        self.line(d, &format!("for c in as_completed(fs, {timeout}):"));
        self.attempt(
            d + 1,
            "r = await c",
            &format!("{who}: as_completed {names} -> "),
            "r",
            catch,
            messages,
        );
    }

    /// An `async with` around `block`, printing `done` or what it raised, and re-raising what
    /// `catch` does not catch.
    fn block(&mut self, d: usize, who: &str, head: &str, block: &[Op], text: &str, catch: Catch) {
        self.line(d, "try:");
        self.line(d + 1, head);
        let before = self.out.len();
        self.ops(d + 2, who, block);
        if self.out.len() == before {
            self.line(d + 2, "pass");
        }
        self.raised(d, text, catch, true);
        self.line(d, "else:");
        self.line(d + 1, &format!("log(\"{text}done\")"));
    }

    /// `S[target].call`, printing `invalid state` when the future is already done.
    fn set(&mut self, d: usize, who: &str, target: u32, call: &str, shown: &str) {
        let name = self.slots.name(target);
        self.line(d, &format!("if {target} in S:"));
        self.line(d + 1, "try:");
        self.line(d + 2, &format!("S[{target}].{call}"));
        self.line(d + 1, "except asyncio.InvalidStateError:");
        self.line(
            d + 2,
            &format!("log(\"{who}: {name}.{shown} -> invalid state\")"),
        );
    }

    /// An await that prints what it got, and re-raises what `catch` does not catch;
    /// `messages`: whether a CancelledError is printed with its message.
    fn attempt(
        &mut self,
        d: usize,
        statement: &str,
        text: &str,
        value: &str,
        catch: Catch,
        messages: bool,
    ) {
        let fmt = |x: &str| {
            if messages {
                format!("fmt({x})")
            } else {
                format!("fmt({x}, messages=False)")
            }
        };
        self.line(d, "try:");
        self.line(d + 1, statement);
        self.raised(d, text, catch, messages);
        self.line(d, "else:");
        let value = if value == "r" {
            fmt("r")
        } else {
            value.to_string()
        };
        self.line(d + 1, &format!("log(\"{text}\" + {value})"));
    }

    /// The `except` of a `try`: prints what was raised, and re-raises what `catch` does not
    /// catch.
    fn raised(&mut self, d: usize, text: &str, catch: Catch, messages: bool) {
        let e = if messages {
            "fmt(e)"
        } else {
            "fmt(e, messages=False)"
        };
        self.line(d, "except BaseException as e:");
        self.line(d + 1, &format!("log(\"{text}\" + {e})"));
        match catch {
            Catch::Nothing => self.line(d + 1, "raise"),
            Catch::Errors => self.line(
                d + 1,
                "if isinstance(e, asyncio.CancelledError): raise  # except Exception",
            ),
            Catch::All => {}
        }
    }
}

/// Whether a CancelledError from awaiting a slot of this kind is printed with its message:
/// only from a plain future (see `fmt` in harness.py for why).
pub fn messages(kind: Option<Kind>) -> bool {
    kind == Some(Kind::Future)
}

/// `(3, 4)`, `(3,)`: a Python tuple of ids.
fn tuple(items: &[u32]) -> String {
    match items {
        [one] => format!("({one},)"),
        _ => {
            let items: Vec<String> = items.iter().map(u32::to_string).collect();
            format!("({})", items.join(", "))
        }
    }
}
