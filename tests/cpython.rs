//! steploop against CPython's asyncio: seeded generated programs run on both, each on a virtual
//! clock, must print the same lines in the same ticks at the same loop times, and leave every
//! future, task and handle in the same state.
//!
//! The programs come from `programs/` (the same generator drives the stages' tests in
//! `stages.rs`, at each stage's reach): one test per level, from callbacks alone to gather,
//! shield, wait_for, wait, as_completed, and last TaskGroup, timeout and timeout_at. asyncio
//! runs in one python3 per batch, with the harness `programs/harness.py`; see there for the
//! virtual clock and for the orders it fixes where asyncio leaves them to chance (timers with
//! equal deadlines run in FIFO order, an aborting TaskGroup cancels its tasks in the order they
//! were created). steploop runs under the interpreter of `programs/interpret.rs`.
//!
//! # Running more programs
//! - `STEPLOOP_CPYTHON_PROGRAMS=5000` runs that many programs per level (default: 730 in all,
//!   so that `cargo test` stays quick; with the hundred of the stages' reach and chapter 7's
//!   three that `stages.rs` runs on CPython, 833).
//! - `STEPLOOP_CPYTHON_SEED=N` starts from another seed (default 0); programs are numbered
//!   from it, so a seed in a report reproduces its program.
//! - `STEPLOOP_CPYTHON_PENDING=all` also generates the constructs in [`PENDING`] (while there
//!   are any); or name some of them: `STEPLOOP_CPYTHON_PENDING=AwaitSelf,WaitForDone`.
//! - `STEPLOOP_PYTHON` names the interpreter (default `python3`; it must be CPython 3.11).
//!
//! On a difference, the test shrinks the program to the smallest one that still differs and
//! prints it as Rust and as Python, with both runs side by side; the Python form is also
//! written, with the harness, to a file that python3 runs on its own.

mod loops;
mod programs;

use std::time::Instant;

use programs::compare::check;
use programs::python::CPython;
use programs::{
    compare, generate, report, shrink, Catch, Construct, Entry, Features, Level, Op, Program,
    ReturnWhen, Runner,
};

use loops::steploop::STEPLOOP;

/// A construct on which steploop differs, or differed, from asyncio: how, and the smallest
/// program that shows it.
struct Found {
    construct: Construct,
    reason: &'static str,
    program: fn() -> Vec<Op>,
    level: Level,
}

impl Found {
    /// The program, with main a coroutine from the level of futures on.
    fn program(&self) -> Program {
        Program {
            seed: 0,
            level: self.level,
            entry: if self.level >= Level::Futures {
                Entry::RunUntilComplete
            } else {
                Entry::RunForever
            },
            main: (self.program)(),
        }
    }
}

/// Constructs left out until steploop is fixed (none, today). When a fix lands,
/// `left_out_differences_still_differ` fails: move the entry to [`FIXED`], and the generated
/// programs cover the construct from then on.
const PENDING: &[Found] = &[];

/// Differences this comparison found, since fixed: their smallest programs must keep agreeing
/// (the generated programs meet them only now and then).
const FIXED: &[Found] = &[
    Found {
        construct: Construct::Sleep,
        // asyncio: the sleep's future, cancelled by the first cancel(), gives its own
        // CancelledError; the second only sets _must_cancel.
        reason: "a task cancelled in its step, then again before it resumed, left its sleep \
                 with the later message",
        level: Level::Combinators,
        program: || {
            vec![
                Op::CallSoon {
                    id: 1,
                    body: vec![Op::Cancel {
                        target: 0,
                        msg: Some(2),
                    }],
                },
                Op::Cancel {
                    target: 0,
                    msg: None,
                },
                Op::Sleep {
                    delay: 3,
                    catch: Catch::Nothing,
                },
            ]
        },
    },
    Found {
        construct: Construct::Sleep,
        // asyncio: a sleep whose timer fired is done; cancel() only sets _must_cancel, and the
        // last message given is thrown in.
        reason: "a task cancelled after its sleep's timer fired, before it resumed, cancelled \
                 the sleep with the first message",
        level: Level::Tasks,
        program: || {
            vec![
                Op::CallLater {
                    id: 1,
                    delay: 0,
                    body: vec![Op::CallLater {
                        id: 2,
                        delay: 1,
                        body: vec![
                            Op::Cancel {
                                target: 0,
                                msg: None,
                            },
                            Op::Cancel {
                                target: 0,
                                msg: Some(4),
                            },
                        ],
                    }],
                },
                Op::Sleep {
                    delay: 1,
                    catch: Catch::Nothing,
                },
            ]
        },
    },
    Found {
        construct: Construct::CancelRunningTask,
        // asyncio: cancel() of the running task only sets _must_cancel; __step cancels the
        // future the task next suspends on, and the task resumes one iteration later.
        reason: "a cancel() that reached the running task was delivered at its next await, \
                 not at its next suspension",
        level: Level::Tasks,
        program: || {
            vec![
                Op::Cancel {
                    target: 0,
                    msg: None,
                },
                Op::Sleep {
                    delay: 0,
                    catch: Catch::Nothing,
                },
            ]
        },
    },
    Found {
        construct: Construct::CancelWokenTask,
        // asyncio resumes the task with the awaited future's own CancelledError; steploop
        // with the later cancel()'s message.
        reason: "a task cancelled again after its awaited future was cancelled, before it \
                 resumed, got the later message",
        level: Level::Tasks,
        program: || {
            vec![
                Op::CreateFuture { id: 1 },
                Op::CreateTask {
                    id: 2,
                    body: vec![Op::Await {
                        target: 1,
                        catch: Catch::Nothing,
                    }],
                },
                Op::Sleep {
                    delay: 0,
                    catch: Catch::Nothing,
                },
                Op::Cancel {
                    target: 2,
                    msg: None,
                },
                Op::Cancel {
                    target: 2,
                    msg: Some(3),
                },
            ]
        },
    },
    Found {
        construct: Construct::WaitDuplicates,
        // asyncio.wait makes a set of its awaitables; steploop's done and pending are Vecs in
        // argument order and keep a repeat twice.
        reason: "wait counted an awaitable given twice twice",
        level: Level::Combinators,
        program: || {
            vec![
                Op::CreateTask {
                    id: 1,
                    body: vec![],
                },
                Op::Wait {
                    items: vec![1, 1],
                    timeout: None,
                    return_when: ReturnWhen::FirstCompleted,
                    catch: Catch::Nothing,
                },
            ]
        },
    },
    Found {
        construct: Construct::AsCompletedDuplicates,
        // asyncio.as_completed makes a set of its awaitables; steploop's hands a repeat out
        // twice (its documentation says so).
        reason: "as_completed handed out an awaitable given twice twice",
        level: Level::Combinators,
        program: || {
            vec![
                Op::CreateTask {
                    id: 1,
                    body: vec![],
                },
                Op::AsCompleted {
                    items: vec![1, 1],
                    timeout: None,
                    catch: Catch::Nothing,
                },
            ]
        },
    },
    Found {
        construct: Construct::AsCompletedCancelled,
        // asyncio: each result is awaited through a coroutine of its own, and a cancelled one
        // uses up its turn, so the loop ends one result short; steploop's next() consumes
        // nothing when cancelled and hands the result out later.
        reason: "a cancelled await of as_completed's next result lost no result",
        level: Level::Combinators,
        program: || {
            vec![
                Op::CreateFuture { id: 1 },
                Op::CreateTask {
                    id: 2,
                    body: vec![Op::AsCompleted {
                        items: vec![1],
                        timeout: None,
                        catch: Catch::All,
                    }],
                },
                Op::Sleep {
                    delay: 0,
                    catch: Catch::Nothing,
                },
                Op::Cancel {
                    target: 2,
                    msg: None,
                },
                Op::SetResult {
                    target: 1,
                    value: 7,
                },
                Op::Sleep {
                    delay: 0,
                    catch: Catch::Nothing,
                },
                Op::Sleep {
                    delay: 0,
                    catch: Catch::Nothing,
                },
            ]
        },
    },
    Found {
        construct: Construct::WaitForDone,
        // asyncio 3.11 waits for the done future's callback (two more iterations); steploop
        // returns at once, as 3.12 does.
        reason: "wait_for of a future already done, with a timeout, returned at once",
        level: Level::Combinators,
        program: || {
            vec![
                Op::CreateFuture { id: 1 },
                Op::SetResult {
                    target: 1,
                    value: 7,
                },
                Op::WaitFor {
                    item: 1,
                    timeout: 4,
                    catch: Catch::Nothing,
                },
            ]
        },
    },
    Found {
        construct: Construct::AwaitSelf,
        // asyncio raises RuntimeError('Task cannot await on itself'), one iteration later.
        reason: "a task awaiting itself was not detected",
        level: Level::Tasks,
        program: || {
            vec![Op::Await {
                target: 0,
                catch: Catch::Nothing,
            }]
        },
    },
    Found {
        construct: Construct::CallSoonThreadsafe,
        // asyncio appends to the ready deque at call time; steploop takes thread-safe callbacks
        // in at the start of the next tick.
        reason: "call_soon_threadsafe was not FIFO with call_soon",
        level: Level::Callbacks,
        program: || {
            vec![
                Op::CallSoonThreadsafe {
                    id: 1,
                    body: vec![],
                },
                Op::CallSoon {
                    id: 2,
                    body: vec![Op::Stop],
                },
            ]
        },
    },
];

/// Constructs on which steploop differs from asyncio on purpose, as its documentation says:
/// never generated, and `left_out_differences_still_differ` keeps each entry honest.
const DELIBERATE: &[Found] = &[
    Found {
        construct: Construct::AsCompletedAbandoned,
        // asyncio leaves as_completed's done-callbacks and timeout timer in place when the loop
        // over it is left early; steploop removes them when the AsCompleted is dropped (its
        // documentation says so). The timer that still fires costs asyncio a tick.
        reason: "a loop over as_completed left early takes its timer with it",
        level: Level::Combinators,
        program: || {
            vec![
                Op::CreateFuture { id: 1 },
                Op::SetException {
                    target: 1,
                    error: 2,
                },
                Op::CreateFuture { id: 3 },
                Op::CreateTask {
                    id: 4,
                    body: vec![Op::AsCompleted {
                        items: vec![3, 1],
                        timeout: Some(4),
                        catch: Catch::Nothing,
                    }],
                },
                Op::Sleep {
                    delay: 8,
                    catch: Catch::Nothing,
                },
            ]
        },
    },
    Found {
        construct: Construct::AsCompletedAbandoned,
        // The same, where the loop ends at its last turn: a cancelled await of as_completed's
        // next result used up a turn (as steploop's does too), and the loop ends with an
        // awaitable still watched. (Found by the generated programs of task groups, where the
        // group's cancellation reached such an await.)
        reason: "a loop over as_completed that a cancellation ended early takes its timer with it",
        level: Level::Combinators,
        program: || {
            vec![
                Op::CreateFuture { id: 1 },
                Op::CreateTask {
                    id: 2,
                    body: vec![Op::AsCompleted {
                        items: vec![1],
                        timeout: Some(1),
                        catch: Catch::All,
                    }],
                },
                Op::Sleep {
                    delay: 0,
                    catch: Catch::Nothing,
                },
                Op::Cancel {
                    target: 2,
                    msg: None,
                },
                Op::Sleep {
                    delay: 2,
                    catch: Catch::Nothing,
                },
            ]
        },
    },
];

/// Programs per test run in one python3.
const BATCH: usize = 500;

fn env_number(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(text) => text
            .parse()
            .unwrap_or_else(|_| panic!("{name}={text}: expected a whole number")),
        Err(_) => default,
    }
}

/// Everything up to `level`, without the [`DELIBERATE`] constructs, and without the [`PENDING`]
/// ones that
/// `STEPLOOP_CPYTHON_PENDING` does not name (`all`, or names such as `CancelRunningTask,AwaitSelf`).
fn features(level: Level) -> Features {
    let wanted = std::env::var("STEPLOOP_CPYTHON_PENDING").unwrap_or_default();
    let wanted: Vec<&str> = wanted.split(',').map(str::trim).collect();
    let known: Vec<String> = PENDING
        .iter()
        .map(|p| format!("{:?}", p.construct))
        .collect();
    for name in &wanted {
        assert!(
            name.is_empty() || *name == "all" || known.iter().any(|k| k == name),
            "STEPLOOP_CPYTHON_PENDING names {name}, which is not one of all, {}",
            known.join(", ")
        );
    }
    let mut features = Features::up_to(level);
    for deliberate in DELIBERATE {
        features = features.without(deliberate.construct);
    }
    for pending in PENDING {
        let name = format!("{:?}", pending.construct);
        if !wanted.iter().any(|w| *w == "all" || *w == name) {
            features = features.without(pending.construct);
        }
    }
    features
}

/// Runs `default` programs of `level` (or `STEPLOOP_CPYTHON_PROGRAMS`) on CPython and on
/// steploop; panics with a shrunk report at the first difference.
fn agree_with_cpython(level: Level, default: u64) {
    let cpython = CPython::find().unwrap_or_else(|e| panic!("{e}"));
    let features = features(level);
    let count = env_number("STEPLOOP_CPYTHON_PROGRAMS", default);
    let first = env_number("STEPLOOP_CPYTHON_SEED", 0);
    let started = Instant::now();
    let checked = check(&cpython, &STEPLOOP, &features, first..first + count, BATCH)
        .unwrap_or_else(|mismatch| {
            let path = write_reproduction(&mismatch.smallest.program, level);
            panic!(
                "{mismatch}\nRun it on CPython alone: python3 {}\n",
                path.display()
            )
        });
    eprintln!(
        "{level:?}: {} programs agree (seeds {first}..{}), {:?} set aside, in {:.1?}",
        checked.compared,
        first + count,
        checked.set_aside,
        started.elapsed()
    );
    // Most programs must be compared: a test that sets everything aside proves nothing.
    assert!(
        checked.compared as u64 >= count * 9 / 10,
        "only {} of {count} programs were compared; set aside: {:?}",
        checked.compared,
        checked.set_aside
    );
}

/// The program with the harness, as a script python3 runs on its own.
fn write_reproduction(program: &Program, level: Level) -> std::path::PathBuf {
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("cpython-difference-{level:?}.py").to_lowercase());
    std::fs::write(&path, programs::python::script(&[program]))
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    path
}

#[test]
fn callbacks_agree_with_cpython() {
    agree_with_cpython(Level::Callbacks, 70);
}

#[test]
fn timers_agree_with_cpython() {
    agree_with_cpython(Level::Timers, 70);
}

#[test]
fn futures_agree_with_cpython() {
    agree_with_cpython(Level::Futures, 110);
}

#[test]
fn tasks_agree_with_cpython() {
    agree_with_cpython(Level::Tasks, 130);
}

#[test]
fn combinators_agree_with_cpython() {
    agree_with_cpython(Level::Combinators, 150);
}

#[test]
fn task_groups_and_timeouts_agree_with_cpython() {
    agree_with_cpython(Level::Structured, 200);
}

/// Each construct left out still shows its difference. When a pending one no longer does, its
/// fix has landed: its entry moves from `PENDING` to `FIXED`, and the generated programs cover
/// it. Likewise for a deliberate one that steploop no longer makes.
#[test]
fn left_out_differences_still_differ() {
    let found: Vec<(&Found, &str)> = PENDING
        .iter()
        .map(|p| (p, "PENDING"))
        .chain(DELIBERATE.iter().map(|d| (d, "DELIBERATE")))
        .collect();
    let agreeing = check_found(&found, false);
    assert!(
        agreeing.is_empty(),
        "steploop now agrees with asyncio on these, left out in tests/cpython.rs: move their \
         entries to FIXED, so that generated programs cover them:\n  {}",
        agreeing.join("\n  ")
    );
}

/// The smallest programs of the differences found and fixed still agree.
#[test]
fn fixed_differences_stay_fixed() {
    let found: Vec<(&Found, &str)> = FIXED.iter().map(|f| (f, "FIXED")).collect();
    let differing = check_found(&found, true);
    assert!(
        differing.is_empty(),
        "steploop differs from asyncio again on these, in FIXED in tests/cpython.rs:\n  {}",
        differing.join("\n  ")
    );
}

/// Runs the programs of `found` on both loops, and lists those that agree (or, with
/// `differing`, those that differ), each with what was found and the two runs.
fn check_found(found: &[(&Found, &str)], differing: bool) -> Vec<String> {
    let cpython = CPython::find().unwrap_or_else(|e| panic!("{e}"));
    let programs: Vec<Program> = found.iter().map(|(f, _)| f.program()).collect();
    let everything = Features::up_to(Level::Structured);
    let comparison =
        compare(&cpython, &STEPLOOP, &programs, &everything).unwrap_or_else(|e| panic!("{e}"));
    found
        .iter()
        .zip(&programs)
        .filter_map(|((found, list), program)| {
            let difference = comparison
                .differences
                .iter()
                .find(|d| d.program == *program);
            match (difference, differing) {
                (None, false) => Some(format!("{list}: {:?} ({})", found.construct, found.reason)),
                (Some(d), true) => Some(format!(
                    "{list}: {:?} ({})\n{}",
                    found.construct,
                    found.reason,
                    report(d, cpython.name(), STEPLOOP.name())
                )),
                _ => None,
            }
        })
        .collect()
}

/// steploop with a bug put in on purpose: `call_at(when)` taken as `call_later(when)`.
struct CallAtAsCallLater;

impl Runner for CallAtAsCallLater {
    fn name(&self) -> &str {
        "steploop with call_at broken"
    }

    fn run_all(&self, programs: &[&Program]) -> Result<Vec<programs::Observed>, String> {
        fn break_call_at(ops: &mut [Op]) {
            for op in ops.iter_mut() {
                if let Op::CallAt { id, when, body } = op {
                    let body = std::mem::take(body);
                    *op = Op::CallLater {
                        id: *id,
                        delay: *when,
                        body,
                    };
                }
                if let Some(inner) = op.inner_mut() {
                    break_call_at(inner);
                }
            }
        }
        let broken: Vec<Program> = programs
            .iter()
            .map(|p| {
                let mut p = (*p).clone();
                break_call_at(&mut p.main);
                p
            })
            .collect();
        STEPLOOP.run_all(&broken.iter().collect::<Vec<_>>())
    }
}

/// The comparison catches a loop with a bug, and shrinks the first program that shows it to
/// the two ops that make it: a `call_at` made once the clock has moved, in a timer's callback.
/// The report is pinned: chapter 7 shows it. `-- --nocapture` prints it.
#[test]
fn a_broken_loop_is_caught_and_its_program_shrunk() {
    let cpython = CPython::find().unwrap_or_else(|e| panic!("{e}"));
    // A fixed set, whatever `PENDING` holds, so that the pinned report stays put.
    let features = Features::up_to(Level::Timers)
        .without(Construct::CallSoonThreadsafe)
        .without(Construct::CallbackRaise);
    let programs: Vec<Program> = (0..100).map(|seed| generate(seed, &features)).collect();
    let comparison = compare(&cpython, &CallAtAsCallLater, &programs, &features)
        .unwrap_or_else(|e| panic!("{e}"));
    let difference = comparison
        .differences
        .into_iter()
        .next()
        .expect("some program calls call_at after time has moved");
    let size = difference.program.size();
    let smallest = shrink(&cpython, &CallAtAsCallLater, difference, &features)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        matches!(
            smallest.program.main.as_slice(),
            [Op::CallLater { body, .. }] | [Op::CallAt { body, .. }]
                if matches!(body.as_slice(), [Op::CallAt { .. }])
        ),
        "shrunk from {size} ops to {}",
        smallest.program
    );
    let report = report(&smallest, cpython.name(), CallAtAsCallLater.name());
    eprintln!("{report}");
    insta::with_settings!({omit_expression => true, prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("cpython_broken_call_at", report);
    });
}
