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

use diff::program::{Body, Kind, Level, Op, Program};
use diff::{check_generated, compare, programs_per_stage, stages, steploop, MakeLoop};

const STEPLOOP: (&str, MakeLoop) = ("steploop", steploop::make);

fn callback(ops: Vec<Op>) -> Body {
    Body {
        kind: Kind::Callback,
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
    compare(&chapter3_program(), STAGE03, STEPLOOP).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn stage03_runs_generated_programs_as_steploop_does() {
    check_generated(Level::Callbacks, programs_per_stage(), STAGE03, STEPLOOP)
        .unwrap_or_else(|e| panic!("{e}"));
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
    compare(&chapter4_program(), STAGE04, STEPLOOP).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn stage04_runs_generated_programs_as_steploop_does() {
    check_generated(Level::Timers, programs_per_stage(), STAGE04, STEPLOOP)
        .unwrap_or_else(|e| panic!("{e}"));
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
    compare(&chapter5_program(), STAGE05, STEPLOOP).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn stage05_runs_generated_programs_as_steploop_does() {
    check_generated(Level::Futures, programs_per_stage(), STAGE05, STEPLOOP)
        .unwrap_or_else(|e| panic!("{e}"));
}
