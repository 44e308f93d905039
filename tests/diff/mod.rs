//! The differential test of the teaching stages against steploop.
//!
//! A stage (`stages/stageNN`) is the loop a chapter builds; steploop (`src/`) is the real
//! one. Both run the same programs, and must observe the same things: which callbacks and
//! which steps of which tasks ran, in which tick, at which loop time, with which outcome, and
//! what every future and task ended as. The programs are the chapters' own (written out in
//! `tests/stages.rs`) and thousands of generated ones per stage: seeded, so that a failure
//! can be replayed, and shrunk, so that a failure shows the smallest program that has it.
//!
//! - `program`: the programs, as data;
//! - `generate`: seeded random programs, level by level (chapter by chapter);
//! - `runner`: what a program needs of a loop, as traits;
//! - `interpret`: runs a program on any loop and writes down what it observed;
//! - `shrink`: the smallest failing variant of a program;
//! - `runners/`: the loops: steploop, and each stage;
//! - `reactor`: chapter 8's scripted run of readers and writers over socket pairs;
//! - `threads`: chapters 9 to 11's scripts of pools and threads.
//!
//! Environment: `STEPLOOP_DIFF_PROGRAMS=N` runs N generated programs per stage (default
//! 2000), `STEPLOOP_DIFF_SEED=S` starts from another seed (default 0).

#![allow(dead_code)]

pub mod generate;
pub mod interpret;
pub mod program;
pub mod reactor;
pub mod runner;
pub mod shrink;
pub mod stages;
pub mod steploop;
pub mod threads;

use std::fmt::Write as _;
use std::rc::Rc;

use interpret::{run, Run};
use program::{Level, Program};
use runner::Loop;

/// Makes a fresh loop on a virtual clock.
pub type MakeLoop = fn() -> Rc<dyn Loop>;

/// Constructs on which steploop is known to differ from asyncio 3.11, which the stages
/// follow: programs that use one are run, but not compared. Each is to be removed from the
/// list once steploop follows 3.11 there.
///
/// None is left: a task cancelled while it runs (`CANCEL_RUNNING_TASK`) and `wait_for` on a
/// task already done (`WAIT_FOR_DONE`) are compared like everything else since steploop
/// delivers the one and schedules the other as 3.11 does.
pub const SET_ASIDE: &[&str] = &[];

/// How a comparison came out.
#[derive(Debug, PartialEq, Eq)]
pub enum Compared {
    Same,
    /// Not compared: the program used a construct of [`SET_ASIDE`].
    SetAside(&'static str),
}

/// Runs `program` on both loops; `Err` describes how they differ.
pub fn compare(
    program: &Program,
    stage: (&str, MakeLoop),
    real: (&str, MakeLoop),
) -> Result<Compared, String> {
    let a = run_contained(program, stage.1);
    let b = run_contained(program, real.1);
    let used = a.tags.iter().chain(&b.tags);
    if let Some(tag) = used.copied().find(|tag| SET_ASIDE.contains(tag)) {
        return Ok(Compared::SetAside(tag));
    }
    if a == b {
        return Ok(Compared::Same);
    }
    Err(describe_difference(&a, &b, stage.0, real.0))
}

thread_local! {
    /// Set while a run's panics are caught and reported as its outcome: the panic hook keeps
    /// quiet on this thread, which shrinking would otherwise fill with hundreds of messages.
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `program` on a fresh loop; a panic (a loop that breaks down) is the run's outcome, so
/// that it is shrunk and reported like any other difference.
fn run_contained(program: &Program, make: MakeLoop) -> Run {
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
        Run {
            log: vec![interpret::Entry {
                tick: 0,
                time: std::time::Duration::ZERO,
                what: format!("panicked: {message}"),
            }],
            end: interpret::End::Panicked,
            tags: Default::default(),
        }
    })
}

fn describe_difference(a: &Run, b: &Run, name_a: &str, name_b: &str) -> String {
    let mut out = String::new();
    let first = a
        .log
        .iter()
        .zip(&b.log)
        .position(|(x, y)| x != y)
        .unwrap_or(a.log.len().min(b.log.len()));
    let _ = writeln!(out, "they agree on {first} line(s), then:");
    for (name, run) in [(name_a, a), (name_b, b)] {
        let _ = writeln!(out, "--- {name} (ended {:?})", run.end);
        let from = first.saturating_sub(3);
        for (i, entry) in run.log.iter().enumerate().skip(from).take(12) {
            let mark = if i == first { ">" } else { " " };
            let _ = writeln!(out, "{mark} {entry}");
        }
    }
    out
}

/// How many generated programs to run per stage.
pub fn programs_per_stage() -> u64 {
    std::env::var("STEPLOOP_DIFF_PROGRAMS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2000)
}

fn first_seed() -> u64 {
    std::env::var("STEPLOOP_DIFF_SEED")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// A generated program on which two loops differ.
#[derive(Debug)]
pub struct Mismatch {
    pub seed: u64,
    pub generated: Program,
    /// The smallest variant of `generated` that still shows a difference.
    pub smallest: Program,
    pub stage: String,
    pub real: String,
    /// How the two runs of `smallest` differ.
    pub difference: String,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let seed = self.seed;
        write!(
            f,
            "{} and {} differ on the generated program of seed {seed} \
             (STEPLOOP_DIFF_SEED={seed} STEPLOOP_DIFF_PROGRAMS=1 replays it); \
             shrunk from {} to {} operations:\n\n{}\n{}",
            self.stage,
            self.real,
            shrink::size(&self.generated),
            shrink::size(&self.smallest),
            self.smallest,
            self.difference
        )
    }
}

/// What a batch of generated programs came to, when the loops agreed on all.
#[derive(Debug, Default)]
pub struct Agreed {
    pub compared: u64,
    pub set_aside: u64,
}

/// Runs `count` generated programs of `level` on both loops. On the first difference, shrinks
/// the program and returns what it found.
pub fn check_generated(
    level: Level,
    count: u64,
    stage: (&str, MakeLoop),
    real: (&str, MakeLoop),
) -> Result<Agreed, Box<Mismatch>> {
    let start = first_seed();
    let mut agreed = Agreed::default();
    for seed in start..start + count {
        let program = generate::program(level, seed);
        match compare(&program, stage, real) {
            Ok(Compared::Same) => {
                agreed.compared += 1;
                continue;
            }
            Ok(Compared::SetAside(_)) => {
                agreed.set_aside += 1;
                continue;
            }
            Err(_) => {}
        }
        let smallest = shrink::shrink(&program, |p| compare(p, stage, real).is_err());
        let difference = compare(&smallest, stage, real).expect_err("the shrunk program fails");
        return Err(Box::new(Mismatch {
            seed,
            generated: program,
            smallest,
            stage: stage.0.to_string(),
            real: real.0.to_string(),
            difference,
        }));
    }
    Ok(agreed)
}
