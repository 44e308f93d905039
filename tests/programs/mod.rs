//! Generated programs, for differential tests: seeded random asyncio programs that any loop can
//! run, and the machinery to compare two loops on them.
//!
//! A [`Program`] is a tree of bodies (callbacks and coroutines) made of [`Op`]s, each one
//! asyncio call: `call_soon`, `call_later`, `cancel`, `set_result`, `create_task`, `await`,
//! `sleep`, `gather`, ... It knows nothing of any loop. A [`Runner`] runs programs on one loop
//! and reports what they showed ([`Observed`]): every line they printed, with the tick and the
//! loop time, how each future, task and handle ended, and how the run ended. Two runners that
//! agree on every program behave the same wherever a program can look.
//!
//! Programs are generated at a [`Level`], one per chapter that builds a loop (callbacks, timers,
//! futures, tasks, combinators), so that a loop that implements only the first chapters can be
//! checked on what it implements. [`Features`] can leave single constructs out.
//!
//! Runners: [`python::CPython`] (asyncio itself, on a virtual clock) and
//! [`real_loop::RealLoop`] (steploop's `EventLoop`).
//!
//! # Another loop
//! To check another loop (a teaching stage, say) against steploop or against CPython, write a
//! [`Runner`] for it: an interpreter of [`Op`]s like `real_loop.rs`, printing the same texts
//! (the harness's `fmt` and `state` say how values and states print) and reading the tick of
//! each print from the loop. Then generate programs at the stage's [`Level`] and [`compare`]:
//!
//! ```ignore
//! let features = Features::up_to(Level::Timers);
//! let programs: Vec<Program> = (0..1000).map(|seed| generate(seed, &features)).collect();
//! let comparison = compare(&RealLoop, &Stage4, &programs, &features)?;
//! ```
//!
//! Tags (constructs found only while running) come from the reference runner, the CPython
//! one; against another reference, no program is set aside.

#![allow(dead_code)] // each test binary uses its own part of the module

pub mod generate;
pub mod observed;
pub mod program;
pub mod python;
pub mod real_loop;
pub mod shrink;

use std::collections::BTreeMap;
use std::fmt::Write as _;

pub use generate::generate;
pub use observed::Observed;
pub use program::{Construct, Features, Level, Op, Program};

/// A loop that can run programs.
pub trait Runner {
    /// What reports call it.
    fn name(&self) -> &str;
    /// Runs a batch of programs, in order, each on a fresh loop.
    fn run_all(&self, programs: &[&Program]) -> Result<Vec<Observed>, String>;
}

/// A program on which two runners disagree, with what each showed.
#[derive(Clone, Debug)]
pub struct Difference {
    pub program: Program,
    pub reference: Observed,
    pub candidate: Observed,
}

/// What comparing a batch found.
#[derive(Debug, Default)]
pub struct Comparison {
    /// Programs run on both and compared.
    pub compared: usize,
    /// Programs not compared, by the construct left out that they used while running.
    pub set_aside: BTreeMap<String, usize>,
    pub differences: Vec<Difference>,
}

/// Whether a run used only constructs that `features` enables.
fn allowed(observed: &Observed, features: &Features) -> Result<(), String> {
    for tag in &observed.tags {
        match Construct::from_tag(tag) {
            Some(construct) if features.has(construct) => {}
            _ => return Err(tag.clone()),
        }
    }
    Ok(())
}

/// Runs `programs` on both runners and compares them. `reference` reports the constructs a
/// run used (see `Construct::is_dynamic`): a program that used one that `features` leaves out
/// is set aside, not compared.
pub fn compare(
    reference: &dyn Runner,
    candidate: &dyn Runner,
    programs: &[Program],
    features: &Features,
) -> Result<Comparison, String> {
    let batch: Vec<&Program> = programs.iter().collect();
    let expected = reference.run_all(&batch)?;
    let got = candidate.run_all(&batch)?;
    let mut comparison = Comparison::default();
    for ((program, reference), candidate) in programs.iter().zip(expected).zip(got) {
        if let Err(tag) = allowed(&reference, features) {
            *comparison.set_aside.entry(tag).or_default() += 1;
            continue;
        }
        comparison.compared += 1;
        if reference != candidate {
            comparison.differences.push(Difference {
                program: program.clone(),
                reference,
                candidate,
            });
        }
    }
    Ok(comparison)
}

/// The smallest program one can reach from `difference`'s by deleting ops and making them
/// plainer, on which the runners still disagree. Each round runs every candidate in one batch.
pub fn shrink(
    reference: &dyn Runner,
    candidate: &dyn Runner,
    difference: Difference,
    features: &Features,
) -> Result<Difference, String> {
    let mut smallest = difference;
    loop {
        let candidates = shrink::candidates(&smallest.program);
        if candidates.is_empty() {
            return Ok(smallest);
        }
        let comparison = compare(reference, candidate, &candidates, features)?;
        match comparison.differences.into_iter().next() {
            Some(smaller) => smallest = smaller,
            None => return Ok(smallest),
        }
    }
}

/// A difference as a report: the program in both forms and the two runs side by side.
pub fn report(difference: &Difference, reference: &str, candidate: &str) -> String {
    let program = &difference.program;
    let slots = program.slots();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "A program on which {reference} and {candidate} differ ({} ops, seed {}, level {:?}):\n",
        program.size(),
        program.seed,
        program.level
    );
    let _ = writeln!(
        out,
        "--- as Rust (a `Program` for a regression test):\n{program}\n"
    );
    let _ = writeln!(
        out,
        "--- as Python (with tests/programs/harness.py; main is {}):\n{}",
        if program.level.main_is_coroutine() {
            "a coroutine, run with run_until_complete"
        } else {
            "run before run_forever"
        },
        python::source(program, 0)
    );
    let _ = writeln!(
        out,
        "--- what each printed (tick, loop time, text), then how it ended:"
    );
    out.push_str(&observed::side_by_side(
        reference,
        &difference.reference,
        candidate,
        &difference.candidate,
        &slots,
    ));
    out
}
