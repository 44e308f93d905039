//! The teaching stages (`stages/stageNN`), one per chapter: each prints what its chapter
//! shows, and each behaves as steploop does, on the chapter's programs and on thousands of
//! generated ones (see `diff/mod.rs`).

#[macro_use]
mod capture;
mod diff;

#[path = "../stages/stage03/src/main.rs"]
mod stage03_main;

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
