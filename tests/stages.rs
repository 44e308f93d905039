//! The teaching stages (`stages/stageNN`), one per chapter: each prints what its chapter
//! shows, and each behaves as steploop does, on the chapter's programs and on thousands of
//! generated ones (see `diff/mod.rs`).

#[macro_use]
mod capture;
mod diff;

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

use diff::program::{Body, Kind, Level, Op, Program};
use diff::{check_generated, compare, programs_per_stage, stages, steploop, Compared, MakeLoop};

const STEPLOOP: (&str, MakeLoop) = ("steploop", steploop::make);

fn callback(ops: Vec<Op>) -> Body {
    Body {
        kind: Kind::Callback,
        ops,
    }
}

/// Runs a chapter's program on the stage and on steploop, which must agree.
fn same(program: &Program, stage: (&str, MakeLoop)) {
    match compare(program, stage, STEPLOOP) {
        Ok(Compared::Same) => {}
        Ok(Compared::SetAside(tag)) => panic!("a chapter's program must be compared ({tag})"),
        Err(difference) => panic!("{program}\n{difference}"),
    }
}

/// Runs the generated programs of `level` on the stage and on steploop, which must agree on
/// all, and compare at least nine in ten.
fn generated(level: Level, stage: (&str, MakeLoop)) {
    let count = programs_per_stage();
    let agreed = check_generated(level, count, stage, STEPLOOP).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        agreed.compared * 10 >= count * 9,
        "only {} of {count} programs were compared ({} set aside)",
        agreed.compared,
        agreed.set_aside
    );
}

fn coroutine(ops: Vec<Op>) -> Body {
    Body {
        kind: Kind::Coroutine,
        ops,
    }
}

// ---------------------------------------------------------------------------------------
// Chapter 3: the ready deque
// ---------------------------------------------------------------------------------------

const STAGE03: (&str, MakeLoop) = ("stage03", stages::stage03::make);

#[test]
fn stage03_prints_what_chapter_3_shows() {
    insta::assert_snapshot!("stage03", capture::output_of(stage03_main::main));
}

/// Chapter 3's program: `hello` schedules `world`; `oops` is cancelled; `count` counts to
/// three and stops the loop.
fn chapter3_program() -> Program {
    use Op::*;
    Program {
        level: Level::Callbacks,
        main: vec![
            CallSoon { body: 0, slot: 0 }, // hello
            CallSoon { body: 2, slot: 1 }, // oops
            CallSoon { body: 3, slot: 2 }, // count(1)
            Cancel { slot: 1 },
        ],
        bodies: vec![
            callback(vec![CallSoon { body: 1, slot: 3 }]), // hello → world
            callback(vec![]),                              // world
            callback(vec![]),                              // oops
            callback(vec![CallSoon { body: 4, slot: 3 }]), // count(1)
            callback(vec![CallSoon { body: 5, slot: 3 }]), // count(2)
            callback(vec![Stop]),                          // count(3)
        ],
        futures: 0,
    }
}

#[test]
fn stage03_runs_chapter_3_program_as_steploop_does() {
    same(&chapter3_program(), STAGE03);
}

#[test]
fn stage03_runs_generated_programs_as_steploop_does() {
    generated(Level::Callbacks, STAGE03);
}

// ---------------------------------------------------------------------------------------
// Chapter 4: time
// ---------------------------------------------------------------------------------------

const STAGE04: (&str, MakeLoop) = ("stage04", stages::stage04::make);

#[test]
fn stage04_prints_what_chapter_4_shows() {
    insta::assert_snapshot!("stage04", capture::output_of(stage04_main::main));
}

/// Chapter 4's program: a heartbeat each second, a watchdog at t=5 that the third beat
/// cancels, and two timers due at t=2.
fn chapter4_program() -> Program {
    use Op::*;
    Program {
        level: Level::Timers,
        main: vec![
            CallAt {
                ms: 5000,
                body: 3,
                slot: 0,
            }, // the watchdog
            CallLater {
                ms: 1000,
                body: 0,
                slot: 1,
            }, // heartbeat(1)
            CallAt {
                ms: 2000,
                body: 4,
                slot: 2,
            }, // first at 2
            CallAt {
                ms: 2000,
                body: 5,
                slot: 3,
            }, // second at 2
        ],
        bodies: vec![
            callback(vec![CallLater {
                ms: 1000,
                body: 1,
                slot: 1,
            }]), // heartbeat(1)
            callback(vec![CallLater {
                ms: 1000,
                body: 2,
                slot: 1,
            }]), // heartbeat(2)
            callback(vec![Cancel { slot: 0 }, Stop]), // heartbeat(3)
            callback(vec![Stop]),                     // the watchdog
            callback(vec![]),                         // first at 2
            callback(vec![]),                         // second at 2
        ],
        futures: 0,
    }
}

#[test]
fn stage04_runs_chapter_4_program_as_steploop_does() {
    same(&chapter4_program(), STAGE04);
}

#[test]
fn stage04_runs_generated_programs_as_steploop_does() {
    generated(Level::Timers, STAGE04);
}

// ---------------------------------------------------------------------------------------
// Chapter 5: futures
// ---------------------------------------------------------------------------------------

const STAGE05: (&str, MakeLoop) = ("stage05", stages::stage05::make);

#[test]
fn stage05_prints_what_chapter_5_shows() {
    insta::assert_snapshot!("stage05", capture::output_of(stage05_main::main));
}

/// Chapter 5's program: a future that a timer completes after a second, two done-callbacks
/// added before, and one added by the first when the future is already done.
fn chapter5_program() -> Program {
    use Op::*;
    Program {
        level: Level::Futures,
        main: vec![
            AddDoneCallback {
                future: 0,
                body: 1,
                id: 0,
            }, // on_done
            AddDoneCallback {
                future: 0,
                body: 2,
                id: 1,
            }, // callback(2)
            CallLater {
                ms: 1000,
                body: 0,
                slot: 0,
            }, // the timer
        ],
        bodies: vec![
            callback(vec![SetResult {
                future: 0,
                value: 42,
            }]), // the timer
            callback(vec![AddDoneCallback {
                future: 0,
                body: 3,
                id: 2,
            }]), // on_done
            callback(vec![]),     // callback(2)
            callback(vec![Stop]), // late
        ],
        futures: 1,
    }
}

#[test]
fn stage05_runs_chapter_5_program_as_steploop_does() {
    same(&chapter5_program(), STAGE05);
}

#[test]
fn stage05_runs_generated_programs_as_steploop_does() {
    generated(Level::Futures, STAGE05);
}

// ---------------------------------------------------------------------------------------
// Chapter 6: tasks
// ---------------------------------------------------------------------------------------

const STAGE06: (&str, MakeLoop) = ("stage06", stages::stage06::make);

#[test]
fn stage06_prints_what_chapter_6_shows() {
    insta::assert_snapshot!("stage06", capture::output_of(stage06_main::main));
}

/// The seed's walkthrough: `main()` creates two `say_after` tasks, sleeping one and two
/// seconds, and awaits them in turn.
fn say_after_program() -> Program {
    use Op::*;
    Program {
        level: Level::Tasks,
        main: vec![CreateTask { body: 0, slot: 0 }],
        bodies: vec![
            coroutine(vec![
                CreateTask { body: 1, slot: 1 },
                CreateTask { body: 2, slot: 2 },
                AwaitTask {
                    slot: 1,
                    catch: false,
                },
                AwaitTask {
                    slot: 2,
                    catch: false,
                },
            ]),
            coroutine(vec![Sleep {
                ms: 1000,
                catch: false,
            }]),
            coroutine(vec![Sleep {
                ms: 2000,
                catch: false,
            }]),
        ],
        futures: 0,
    }
}

/// Three workers, cancelled at t=1.5: one done by then, one that lets the cancellation end it,
/// one that catches it and cleans up for half a second.
fn cancel_program() -> Program {
    use Op::*;
    Program {
        level: Level::Tasks,
        main: vec![CreateTask { body: 0, slot: 0 }],
        bodies: vec![
            coroutine(vec![
                CreateTask { body: 1, slot: 1 },
                CreateTask { body: 2, slot: 2 },
                CreateTask { body: 3, slot: 3 },
                Sleep {
                    ms: 1500,
                    catch: false,
                },
                CancelTask { slot: 1 },
                CancelTask { slot: 2 },
                CancelTask { slot: 3 },
                AwaitTask {
                    slot: 1,
                    catch: true,
                },
                AwaitTask {
                    slot: 2,
                    catch: true,
                },
                AwaitTask {
                    slot: 3,
                    catch: true,
                },
            ]),
            coroutine(vec![Sleep {
                ms: 1000,
                catch: false,
            }]),
            coroutine(vec![Sleep {
                ms: 2000,
                catch: false,
            }]),
            coroutine(vec![
                Sleep {
                    ms: 3000,
                    catch: true,
                },
                Sleep {
                    ms: 500,
                    catch: false,
                },
            ]),
        ],
        futures: 0,
    }
}

#[test]
fn stage06_runs_chapter_6_programs_as_steploop_does() {
    for program in [say_after_program(), cancel_program()] {
        same(&program, STAGE06);
    }
}

#[test]
fn stage06_runs_generated_programs_as_steploop_does() {
    generated(Level::Tasks, STAGE06);
}

// ---------------------------------------------------------------------------------------
// Chapter 7: composing tasks
// ---------------------------------------------------------------------------------------

const STAGE07: (&str, MakeLoop) = ("stage07", stages::stage07::make);

#[test]
fn stage07_prints_what_chapter_7_shows() {
    insta::assert_snapshot!("stage07", capture::output_of(stage07_main::main));
}

/// Seed 001's five jobs, of 5, 2, 4, 3 and 6 seconds, gathered.
fn gather_program() -> Program {
    use Op::*;
    let job = |seconds: u64| {
        coroutine(vec![Sleep {
            ms: seconds * 1000,
            catch: false,
        }])
    };
    Program {
        level: Level::Combinators,
        main: vec![CreateTask { body: 0, slot: 0 }],
        bodies: vec![
            coroutine(vec![
                CreateTask { body: 1, slot: 0 },
                CreateTask { body: 2, slot: 1 },
                CreateTask { body: 3, slot: 2 },
                CreateTask { body: 4, slot: 3 },
                Gather {
                    slots: vec![0, 1, 2, 3],
                    catch: false,
                },
            ]),
            job(5),
            job(2),
            job(4),
            job(3),
        ],
        futures: 0,
    }
}

/// A job of three seconds that cleans up for half a second when cancelled, under a deadline
/// of one second.
fn wait_for_program() -> Program {
    use Op::*;
    Program {
        level: Level::Combinators,
        main: vec![CreateTask { body: 0, slot: 0 }],
        bodies: vec![
            coroutine(vec![
                CreateTask { body: 1, slot: 1 },
                WaitFor {
                    slot: 1,
                    ms: 1000,
                    catch: true,
                },
            ]),
            coroutine(vec![
                Sleep {
                    ms: 3000,
                    catch: true,
                },
                Sleep {
                    ms: 500,
                    catch: false,
                },
                Raise,
            ]),
        ],
        futures: 0,
    }
}

#[test]
fn stage07_runs_chapter_7_programs_as_steploop_does() {
    for program in [gather_program(), wait_for_program()] {
        same(&program, STAGE07);
    }
}

#[test]
fn stage07_runs_generated_programs_as_steploop_does() {
    generated(Level::Combinators, STAGE07);
}

// ---------------------------------------------------------------------------------------
// Chapter 8: the reactor
// ---------------------------------------------------------------------------------------

const STAGE08: (&str, MakeLoop) = ("stage08", stages::stage08::make);

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
        same(&program, STAGE08);
    }
}

#[test]
fn stage08_runs_generated_programs_as_steploop_does() {
    generated(Level::Combinators, STAGE08);
}

/// Readers, writers, timers and callbacks over socket pairs: the same events in the same
/// ticks at the same loop times.
#[test]
fn stage08_runs_readers_and_writers_as_steploop_does() {
    let stage = diff::reactor::run(stages::stage08::make());
    let real = diff::reactor::run(steploop::make());
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

const STAGE09: (&str, MakeLoop) = ("stage09", stages::stage09::make);

#[test]
fn stage09_prints_what_chapter_9_shows() {
    insta::assert_snapshot!("stage09", capture::output_of(stage09_main::main));
}

#[test]
fn stage09_runs_generated_programs_as_steploop_does() {
    generated(Level::Combinators, STAGE09);
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

const STAGE10: (&str, MakeLoop) = ("stage10", stages::stage10::make);

#[test]
fn stage10_prints_what_chapter_10_shows() {
    insta::assert_snapshot!("stage10", capture::output_of(stage10_main::main));
}

#[test]
fn stage10_runs_generated_programs_as_steploop_does() {
    generated(Level::Combinators, STAGE10);
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

const STAGE11: (&str, MakeLoop) = ("stage11", stages::stage11::make);

#[test]
fn stage11_prints_what_chapter_11_shows() {
    insta::assert_snapshot!("stage11", capture::output_of(stage11_main::main));
}

#[test]
fn stage11_runs_generated_programs_as_steploop_does() {
    generated(Level::Combinators, STAGE11);
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
