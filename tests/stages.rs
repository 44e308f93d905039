//! The teaching stages (`stages/stageNN`), one per chapter: each prints what its chapter
//! shows, and each behaves as steploop does, on the chapter's programs and on thousands of
//! generated ones, the first of which also run on CPython 3.11's asyncio: the programs of
//! `programs/` at the stage's reach (`Features::stage`), run on the stages as `loops/` sees
//! them. From chapter 8 on, scripts check what programs do not reach: readers and writers,
//! pools, threads.
//!
//! Environment: `STEPLOOP_DIFF_PROGRAMS=N` runs N generated programs per stage (default
//! 2000), `STEPLOOP_DIFF_SEED=S` starts from another seed (default 0).

#[macro_use]
mod capture;
mod loops;
mod programs;

#[path = "../stages/stage03/src/main.rs"]
mod stage03_main;
#[path = "../stages/stage04/src/main.rs"]
mod stage04_main;
#[path = "../stages/stage05/src/main.rs"]
mod stage05_main;
#[path = "../stages/stage06/src/main.rs"]
mod stage06_main;
#[path = "../stages/stage07/src/main.rs"]
mod stage07_main;
#[path = "../stages/stage08/src/main.rs"]
mod stage08_main;
#[path = "../stages/stage09/src/main.rs"]
mod stage09_main;
#[path = "../stages/stage10/src/main.rs"]
mod stage10_main;
#[path = "../stages/stage11/src/main.rs"]
mod stage11_main;

#[path = "../examples/ch08_echo.rs"]
mod ch08_echo;

use loops::{stages, steploop, Callbacks, Handle, Loop, Stalled};
use programs::compare::check;
use programs::python::CPython;
use programs::{compare, report, Catch, Entry, Features, Level, OnLoop, Op, Program};

use loops::steploop::STEPLOOP;

/// How many of a stage's generated programs also run on CPython 3.11 (see [`generated`]).
const ON_CPYTHON: u64 = 20;

/// Runs a chapter's program on the stage and on steploop, which must agree.
fn same(program: &Program, chapter: u32, stage: OnLoop) {
    let comparison = compare(
        &STEPLOOP,
        &stage,
        std::slice::from_ref(program),
        &Features::stage(chapter),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    if let Some(difference) = comparison.differences.first() {
        panic!("{}", report(difference, STEPLOOP.name, stage.name));
    }
}

/// Runs the generated programs of the stage's reach on the stage and on steploop, which must
/// agree on all; and the first [`ON_CPYTHON`] of the same programs on CPython 3.11's asyncio
/// and on steploop, which must agree too: on those, stage ≡ steploop ≡ CPython. (A stage
/// whose reach is its predecessor's, as those of chapters 8 to 10 are 7's, has the same
/// programs, already run on CPython.)
fn generated(chapter: u32, stage: OnLoop) {
    let features = Features::stage(chapter);
    let count = env_number("STEPLOOP_DIFF_PROGRAMS", 2000);
    let first = env_number("STEPLOOP_DIFF_SEED", 0);
    let checked = check(
        &STEPLOOP,
        &stage,
        &features,
        first..first + count,
        count as usize,
    )
    .unwrap_or_else(|mismatch| {
        panic!(
            "{mismatch}\n(STEPLOOP_DIFF_SEED={} STEPLOOP_DIFF_PROGRAMS=1 replays it)",
            mismatch.seed
        )
    });
    assert!(
        checked.compared as u64 == count,
        "every program is compared: {checked:?}"
    );
    if chapter > 7 && features == Features::stage(chapter - 1) {
        return;
    }
    let cpython = CPython::find().unwrap_or_else(|e| panic!("{e}"));
    let count = count.min(ON_CPYTHON);
    let checked = check(
        &cpython,
        &STEPLOOP,
        &features,
        first..first + count,
        count as usize,
    )
    .unwrap_or_else(|mismatch| panic!("{mismatch}"));
    assert!(
        checked.compared as u64 * 10 >= count * 9,
        "only {} of {count} programs were compared on CPython: {:?} set aside",
        checked.compared,
        checked.set_aside
    );
}

fn env_number(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(text) => text
            .parse()
            .unwrap_or_else(|_| panic!("{name}={text}: expected a whole number")),
        Err(_) => default,
    }
}

/// A chapter's program: its main as plain code run before `run_forever`, or as a coroutine.
fn program(level: Level, entry: Entry, main: Vec<Op>) -> Program {
    Program {
        seed: 0,
        level,
        entry,
        main,
    }
}

/// A body that does nothing but print its name.
fn nothing() -> Vec<Op> {
    Vec::new()
}

// ---------------------------------------------------------------------------------------
// Chapter 3: the ready deque
// ---------------------------------------------------------------------------------------

const STAGE03: OnLoop = OnLoop {
    name: "stage03",
    make: stages::stage03::make,
};

#[test]
fn stage03_prints_what_chapter_3_shows() {
    insta::assert_snapshot!("stage03", capture::output_of(stage03_main::main));
}

/// Chapter 3's program: `hello` schedules `world`; `oops` is cancelled; `count` counts to
/// three and stops the loop.
fn chapter3_program() -> Program {
    use Op::*;
    program(
        Level::Callbacks,
        Entry::RunForever,
        vec![
            // hello → world
            CallSoon {
                id: 1,
                body: vec![CallSoon {
                    id: 2,
                    body: nothing(),
                }],
            },
            // oops
            CallSoon {
                id: 3,
                body: nothing(),
            },
            // count(1) → count(2) → count(3)
            CallSoon {
                id: 4,
                body: vec![CallSoon {
                    id: 5,
                    body: vec![CallSoon {
                        id: 6,
                        body: vec![Stop],
                    }],
                }],
            },
            Cancel {
                target: 3,
                msg: None,
            },
        ],
    )
}

#[test]
fn stage03_runs_chapter_3_program_as_steploop_does() {
    same(&chapter3_program(), 3, STAGE03);
}

#[test]
fn stage03_runs_generated_programs_as_steploop_does() {
    generated(3, STAGE03);
}

/// Stage 3 with a bug that would hang a test: when nothing is ready, its tick says nothing,
/// and the loop goes on waiting for ever.
struct NeverStalls(std::rc::Rc<dyn Loop>);

impl Loop for NeverStalls {
    fn callbacks(&self) -> &dyn Callbacks {
        self
    }
}

impl Callbacks for NeverStalls {
    fn call_soon(&self, callback: Box<dyn FnOnce()>) -> Box<dyn Handle> {
        self.0.callbacks().call_soon(callback)
    }
    fn stop(&self) {
        self.0.callbacks().stop();
    }
    fn run_once(&self) -> Result<(), Stalled> {
        let _ = self.0.callbacks().run_once();
        Ok(())
    }
    fn time(&self) -> std::time::Duration {
        self.0.callbacks().time()
    }
}

const NEVER_STALLS: OnLoop = OnLoop {
    name: "stage03 that never stalls",
    make: || std::rc::Rc::new(NeverStalls(stages::stage03::make())),
};

/// A run that would never end is stopped after `MAX_TICKS` ticks and fails the test with a
/// clear report, whether one loop runs for ever or both do.
#[test]
fn a_run_that_never_ends_is_stopped_and_reported() {
    // No stop(): the loop has nothing left to do after tick 2.
    let forever = program(
        Level::Callbacks,
        Entry::RunForever,
        vec![Op::CallSoon {
            id: 1,
            body: nothing(),
        }],
    );
    let features = Features::stage(3);
    let programs = std::slice::from_ref(&forever);
    let comparison = compare(&STAGE03, &NEVER_STALLS, programs, &features).unwrap();
    let difference = comparison.differences.first().expect("the runs differ");
    let text = report(difference, STAGE03.name, NEVER_STALLS.name);
    assert!(
        text.contains("outcome: stalled at t=0.000")
            && text.contains("outcome: still running after 100000 ticks"),
        "{text}"
    );
    let comparison = compare(&NEVER_STALLS, &NEVER_STALLS, programs, &features).unwrap();
    let difference = comparison
        .differences
        .first()
        .expect("running for ever fails");
    let text = report(difference, NEVER_STALLS.name, NEVER_STALLS.name);
    assert!(
        text.starts_with("A program that runs for ever on both"),
        "{text}"
    );
}

// ---------------------------------------------------------------------------------------
// Chapter 4: time
// ---------------------------------------------------------------------------------------

const STAGE04: OnLoop = OnLoop {
    name: "stage04",
    make: stages::stage04::make,
};

#[test]
fn stage04_prints_what_chapter_4_shows() {
    insta::assert_snapshot!("stage04", capture::output_of(stage04_main::main));
}

/// Chapter 4's program: a heartbeat each second, a watchdog at t=5 that the third beat
/// cancels, and two timers due at t=2. (Times are in eighths of a second.)
fn chapter4_program() -> Program {
    use Op::*;
    program(
        Level::Timers,
        Entry::RunForever,
        vec![
            // the watchdog
            CallAt {
                id: 1,
                when: 40,
                body: vec![Stop],
            },
            // heartbeat(1) → heartbeat(2) → heartbeat(3)
            CallLater {
                id: 2,
                delay: 8,
                body: vec![CallLater {
                    id: 3,
                    delay: 8,
                    body: vec![CallLater {
                        id: 4,
                        delay: 8,
                        body: vec![
                            Cancel {
                                target: 1,
                                msg: None,
                            },
                            Stop,
                        ],
                    }],
                }],
            },
            // first at 2, second at 2
            CallAt {
                id: 5,
                when: 16,
                body: nothing(),
            },
            CallAt {
                id: 6,
                when: 16,
                body: nothing(),
            },
        ],
    )
}

#[test]
fn stage04_runs_chapter_4_program_as_steploop_does() {
    same(&chapter4_program(), 4, STAGE04);
}

#[test]
fn stage04_runs_generated_programs_as_steploop_does() {
    generated(4, STAGE04);
}

// ---------------------------------------------------------------------------------------
// Chapter 5: futures
// ---------------------------------------------------------------------------------------

const STAGE05: OnLoop = OnLoop {
    name: "stage05",
    make: stages::stage05::make,
};

#[test]
fn stage05_prints_what_chapter_5_shows() {
    insta::assert_snapshot!("stage05", capture::output_of(stage05_main::main));
}

/// Chapter 5's program: a future that a timer completes after a second, two done-callbacks
/// added before, and one added by the first when the future is already done.
fn chapter5_program() -> Program {
    use Op::*;
    program(
        Level::Futures,
        Entry::RunForever,
        vec![
            CreateFuture { id: 1 },
            // on_done, which adds late
            AddDoneCallback {
                id: 2,
                target: 1,
                body: vec![AddDoneCallback {
                    id: 3,
                    target: 1,
                    body: vec![Stop],
                }],
            },
            // callback(2)
            AddDoneCallback {
                id: 4,
                target: 1,
                body: nothing(),
            },
            // the timer
            CallLater {
                id: 5,
                delay: 8,
                body: vec![SetResult {
                    target: 1,
                    value: 42,
                }],
            },
        ],
    )
}

#[test]
fn stage05_runs_chapter_5_program_as_steploop_does() {
    same(&chapter5_program(), 5, STAGE05);
}

#[test]
fn stage05_runs_generated_programs_as_steploop_does() {
    generated(5, STAGE05);
}

// ---------------------------------------------------------------------------------------
// Chapter 6: tasks
// ---------------------------------------------------------------------------------------

const STAGE06: OnLoop = OnLoop {
    name: "stage06",
    make: stages::stage06::make,
};

#[test]
fn stage06_prints_what_chapter_6_shows() {
    insta::assert_snapshot!("stage06", capture::output_of(stage06_main::main));
}

/// `await asyncio.sleep(eighths / 8)`, catching what `catch` says.
fn sleep(eighths: u32, catch: Catch) -> Op {
    Op::Sleep {
        delay: eighths,
        catch,
    }
}

/// The seed's walkthrough: `main()` creates two `say_after` tasks, sleeping one and two
/// seconds, and awaits them in turn.
fn say_after_program() -> Program {
    use Op::*;
    program(
        Level::Tasks,
        Entry::RunUntilComplete,
        vec![
            CreateTask {
                id: 1,
                body: vec![sleep(8, Catch::Nothing)],
            },
            CreateTask {
                id: 2,
                body: vec![sleep(16, Catch::Nothing)],
            },
            Await {
                target: 1,
                catch: Catch::Nothing,
            },
            Await {
                target: 2,
                catch: Catch::Nothing,
            },
        ],
    )
}

/// Three workers, cancelled at t=1.5: one done by then, one that lets the cancellation end it,
/// one that catches it and cleans up for half a second.
fn cancel_program() -> Program {
    use Op::*;
    let cancel = |target| Cancel { target, msg: None };
    let join = |target| Await {
        target,
        catch: Catch::All,
    };
    program(
        Level::Tasks,
        Entry::RunUntilComplete,
        vec![
            CreateTask {
                id: 1,
                body: vec![sleep(8, Catch::Nothing)],
            },
            CreateTask {
                id: 2,
                body: vec![sleep(16, Catch::Nothing)],
            },
            CreateTask {
                id: 3,
                body: vec![sleep(24, Catch::All), sleep(4, Catch::Nothing)],
            },
            sleep(12, Catch::Nothing),
            cancel(1),
            cancel(2),
            cancel(3),
            join(1),
            join(2),
            join(3),
        ],
    )
}

#[test]
fn stage06_runs_chapter_6_programs_as_steploop_does() {
    for program in [say_after_program(), cancel_program()] {
        same(&program, 6, STAGE06);
    }
}

#[test]
fn stage06_runs_generated_programs_as_steploop_does() {
    generated(6, STAGE06);
}

// ---------------------------------------------------------------------------------------
// Chapter 7: composing tasks
// ---------------------------------------------------------------------------------------

const STAGE07: OnLoop = OnLoop {
    name: "stage07",
    make: stages::stage07::make,
};

#[test]
fn stage07_prints_what_chapter_7_shows() {
    insta::assert_snapshot!("stage07", capture::output_of(stage07_main::main));
}

/// Seed 001's jobs, of 5, 2, 4 and 3 seconds, gathered.
fn gather_program() -> Program {
    use Op::*;
    let job = |id, seconds: u32| CreateTask {
        id,
        body: vec![sleep(seconds * 8, Catch::Nothing)],
    };
    program(
        Level::Combinators,
        Entry::RunUntilComplete,
        vec![
            job(1, 5),
            job(2, 2),
            job(3, 4),
            job(4, 3),
            Gather {
                id: 5,
                items: vec![1, 2, 3, 4],
                return_exceptions: false,
            },
            Await {
                target: 5,
                catch: Catch::Nothing,
            },
        ],
    )
}

/// A job of three seconds that cleans up for half a second when cancelled, under a deadline
/// of one second.
fn wait_for_program() -> Program {
    use Op::*;
    program(
        Level::Combinators,
        Entry::RunUntilComplete,
        vec![
            CreateTask {
                id: 1,
                body: vec![
                    sleep(24, Catch::All),
                    sleep(4, Catch::Nothing),
                    Raise { error: 2 },
                ],
            },
            WaitFor {
                item: 1,
                timeout: 8,
                catch: Catch::All,
            },
        ],
    )
}

/// Three jobs of one, two and three seconds in a task group, the second failing, while the
/// block sleeps five seconds.
fn task_group_program() -> Program {
    use Op::*;
    let job = |id, seconds: u32, fails: bool| CreateGroupTask {
        group: 1,
        id,
        body: [sleep(seconds * 8, Catch::Nothing)]
            .into_iter()
            .chain(fails.then_some(Raise { error: 5 }))
            .collect(),
    };
    program(
        Level::Structured,
        Entry::RunUntilComplete,
        vec![TaskGroup {
            id: 1,
            block: vec![
                job(2, 1, false),
                job(3, 2, true),
                job(4, 3, false),
                sleep(40, Catch::All),
            ],
            catch: Catch::All,
        }],
    )
}

#[test]
fn stage07_runs_chapter_7_programs_as_steploop_does() {
    for program in [gather_program(), wait_for_program(), task_group_program()] {
        same(&program, 7, STAGE07);
    }
}

/// The chapter's programs run on CPython 3.11 as on steploop, hence as on the stage.
#[test]
fn chapter_7_programs_run_on_cpython_as_on_steploop() {
    let cpython = CPython::find().unwrap_or_else(|e| panic!("{e}"));
    let programs = [gather_program(), wait_for_program(), task_group_program()];
    let comparison = compare(&cpython, &STEPLOOP, &programs, &Features::stage(7))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(comparison.compared, programs.len(), "{comparison:?}");
    if let Some(difference) = comparison.differences.first() {
        panic!("{}", report(difference, "CPython", STEPLOOP.name));
    }
}

#[test]
fn stage07_runs_generated_programs_as_steploop_does() {
    generated(7, STAGE07);
}

// ---------------------------------------------------------------------------------------
// Chapter 8: the reactor
// ---------------------------------------------------------------------------------------

const STAGE08: OnLoop = OnLoop {
    name: "stage08",
    make: stages::stage08::make,
};

#[test]
fn stage08_prints_what_chapter_8_shows() {
    insta::assert_snapshot!("stage08", capture::output_of(stage08_main::main));
}

/// The paragraphs of an output, split at blank lines.
fn paragraphs(output: &str) -> Vec<String> {
    output.split("\n\n").map(|p| p.trim().to_string()).collect()
}

/// The tick, the timers and what came before run on the new tick as they did: the chapters'
/// programs of chapters 6 and 7, and generated programs.
#[test]
fn stage08_runs_the_earlier_chapters_programs_as_steploop_does() {
    for program in [
        say_after_program(),
        cancel_program(),
        gather_program(),
        wait_for_program(),
    ] {
        same(&program, 8, STAGE08);
    }
}

#[test]
fn stage08_runs_generated_programs_as_steploop_does() {
    generated(8, STAGE08);
}

/// Readers, writers, timers and callbacks over socket pairs: the same events in the same
/// ticks at the same loop times.
#[test]
fn stage08_runs_readers_and_writers_as_steploop_does() {
    let stage = loops::reactor::run(stages::stage08::make());
    let real = loops::reactor::run(steploop::make());
    assert_eq!(stage, real, "stage08 and steploop differ");
    // The scenario went all the way: the reader set again at t=3 found the bytes.
    assert_eq!(
        stage.last().map(String::as_str),
        Some("tick 7  t=3.000  R1 removed: true"),
        "{stage:#?}"
    );
}

/// The echo exchange: the stage's server and clients, and steploop's (`ch08_echo`, on
/// `steploop::net`), hear the same.
#[test]
fn stage08_echoes_as_steploop_does() {
    let stage = paragraphs(&capture::output_of(stage08_main::main));
    let real = capture::output_of(ch08_echo::main);
    assert_eq!(stage[1], real.trim());
}

// ---------------------------------------------------------------------------------------
// Chapter 9: a thread pool
// ---------------------------------------------------------------------------------------

const STAGE09: OnLoop = OnLoop {
    name: "stage09",
    make: stages::stage09::make,
};

#[test]
fn stage09_prints_what_chapter_9_shows() {
    insta::assert_snapshot!("stage09", capture::output_of(stage09_main::main));
}

#[test]
fn stage09_runs_generated_programs_as_steploop_does() {
    generated(9, STAGE09);
}

/// The pool alone: one worker, jobs held back by a gate, a job cancelled in the queue, a
/// job that panics, twenty jobs on four workers, `shutdown`.
#[test]
fn stage09_pool_runs_jobs_as_steploop_s_does() {
    let stage = pool_script!(
        stage09::ConcurrentFuture<i64>,
        stage09::ThreadPoolExecutor::new,
        |p: &stage09::ThreadPoolExecutor, wait| p.shutdown(wait)
    );
    let real = pool_script!(
        ::steploop::ConcurrentFuture<i64>,
        ::steploop::ThreadPoolExecutor::new,
        |p: &::steploop::ThreadPoolExecutor, wait| p.shutdown(wait, false)
    );
    assert_eq!(stage, real);
    insta::assert_snapshot!("stage09_pool_script", stage.join("\n"));
}

// ---------------------------------------------------------------------------------------
// Chapter 10: offloading blocking work
// ---------------------------------------------------------------------------------------

const STAGE10: OnLoop = OnLoop {
    name: "stage10",
    make: stages::stage10::make,
};

#[test]
fn stage10_prints_what_chapter_10_shows() {
    insta::assert_snapshot!("stage10", capture::output_of(stage10_main::main));
}

#[test]
fn stage10_runs_generated_programs_as_steploop_does() {
    generated(10, STAGE10);
}

/// `run_in_executor` on one worker: the order in which the loop hears of the jobs, their
/// outcomes, a job cancelled from the loop while queued, and virtual time standing still
/// while jobs are out.
#[test]
fn stage10_hears_of_jobs_as_steploop_does() {
    let stage = executor_script!(
        stage10::EventLoop::with_virtual_clock(),
        stage10::ThreadPoolExecutor::new,
        |lp: &stage10::EventLoop, pool, job| lp.run_in_executor(pool, job),
        |lp: &stage10::EventLoop, coroutine| {
            let task = lp.create_task("main", coroutine);
            lp.run_until_complete(&task).unwrap()
        },
        stage10::sleep
    );
    let real = executor_script!(
        ::steploop::EventLoop::with_virtual_clock(),
        ::steploop::ThreadPoolExecutor::new,
        |lp: &::steploop::EventLoop, pool, job| lp.run_in_executor(Some(pool), job),
        |lp: &::steploop::EventLoop, coroutine| lp
            .run_until_complete(lp.create_task(coroutine))
            .unwrap(),
        ::steploop::sleep
    );
    assert_eq!(stage, real);
    insta::assert_snapshot!("stage10_executor_script", stage.join("\n"));
}

// ---------------------------------------------------------------------------------------
// Chapter 11: loops in other threads
// ---------------------------------------------------------------------------------------

const STAGE11: OnLoop = OnLoop {
    name: "stage11",
    make: stages::stage11::make,
};

#[test]
fn stage11_prints_what_chapter_11_shows() {
    insta::assert_snapshot!("stage11", capture::output_of(stage11_main::main));
}

#[test]
fn stage11_runs_generated_programs_as_steploop_does() {
    generated(11, STAGE11);
}

/// The jobs of chapter 10 still reach the loop as they did.
#[test]
fn stage11_hears_of_jobs_as_steploop_does() {
    let stage = executor_script!(
        stage11::EventLoop::with_virtual_clock(),
        stage11::ThreadPoolExecutor::new,
        |lp: &stage11::EventLoop, pool, job| lp.run_in_executor(pool, job),
        |lp: &stage11::EventLoop, coroutine| {
            let task = lp.create_task("main", coroutine);
            lp.run_until_complete(&task).unwrap()
        },
        stage11::sleep
    );
    let real = executor_script!(
        ::steploop::EventLoop::with_virtual_clock(),
        ::steploop::ThreadPoolExecutor::new,
        |lp: &::steploop::EventLoop, pool, job| lp.run_in_executor(Some(pool), job),
        |lp: &::steploop::EventLoop, coroutine| lp
            .run_until_complete(lp.create_task(coroutine))
            .unwrap(),
        ::steploop::sleep
    );
    assert_eq!(stage, real);
}

/// Callbacks from two threads, the stall once their handles are gone, and coroutines sent
/// to a loop in another thread.
#[test]
fn stage11_serves_other_threads_as_steploop_does() {
    let stage = threadsafe_script!(
        stage11::EventLoop::with_virtual_clock(),
        |handle: &stage11::LoopHandle, callback: Box<dyn FnOnce() + Send>| {
            handle.call_soon_threadsafe(move |_: &stage11::EventLoop| callback())
        },
        |handle: &stage11::LoopHandle| handle.stop(),
        stage11::run_coroutine_threadsafe,
        stage11::sleep,
        stage11::get_running_loop,
        || stage11::Error::Exception("fails on purpose".into())
    );
    let real = threadsafe_script!(
        ::steploop::EventLoop::with_virtual_clock(),
        |handle: &::steploop::LoopHandle, callback: Box<dyn FnOnce() + Send>| {
            handle
                .call_soon_threadsafe(move |_: &::steploop::EventLoop| callback())
                .unwrap()
        },
        |handle: &::steploop::LoopHandle| handle.stop().unwrap(),
        ::steploop::run_coroutine_threadsafe,
        ::steploop::sleep,
        ::steploop::get_running_loop,
        || ::steploop::Error::msg("fails on purpose")
    );
    assert_eq!(stage, real);
    insta::assert_snapshot!("stage11_threadsafe_script", stage.join("\n"));
}
