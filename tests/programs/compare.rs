//! Comparing two runners: the same programs run on both, the first difference shrunk to the
//! smallest program that still shows it, and reported in both forms with the two runs side by
//! side.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::features::{Construct, Features};
use super::observed::{self, Observed};
use super::program::{Entry, Program};
use super::{python, shrink as candidates};

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
        // A run that never ends is no agreement, even when both never end.
        if reference != candidate || reference.ran_away() {
            comparison.differences.push(Difference {
                program: program.clone(),
                reference,
                candidate,
            });
        }
    }
    Ok(comparison)
}

/// What checking generated programs found, where the runners agreed on all.
#[derive(Debug, Default)]
pub struct Checked {
    /// Programs run on both and compared.
    pub compared: usize,
    /// Programs not compared, by the construct left out that they used while running.
    pub set_aside: BTreeMap<String, usize>,
}

/// A generated program on which two runners differ, and the smallest one shrinking found.
#[derive(Debug)]
pub struct Mismatch {
    /// The seed and size of the generated program.
    pub seed: u64,
    pub size: usize,
    pub smallest: Difference,
    /// The smallest, as [`report`] writes it.
    pub report: String,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}
(shrunk from the {} ops of the program generated from seed {})",
            self.report, self.size, self.seed
        )
    }
}

/// Generates the programs of `seeds` with `features` and runs them on both runners, `batch`
/// at a time (one python3 for each, with CPython); at the first difference, shrinks its
/// program. Fails the test if a runner cannot run at all.
pub fn check(
    reference: &dyn Runner,
    candidate: &dyn Runner,
    features: &Features,
    seeds: std::ops::Range<u64>,
    batch: usize,
) -> Result<Checked, Box<Mismatch>> {
    let mut checked = Checked::default();
    let seeds: Vec<u64> = seeds.collect();
    for chunk in seeds.chunks(batch) {
        let programs: Vec<Program> = chunk
            .iter()
            .map(|&seed| super::generate(seed, features))
            .collect();
        let comparison =
            compare(reference, candidate, &programs, features).unwrap_or_else(|e| panic!("{e}"));
        checked.compared += comparison.compared;
        for (tag, n) in comparison.set_aside {
            *checked.set_aside.entry(tag).or_default() += n;
        }
        if let Some(difference) = comparison.differences.into_iter().next() {
            let (seed, size) = (difference.program.seed, difference.program.size());
            let smallest = shrink(reference, candidate, difference, features)
                .unwrap_or_else(|e| panic!("{e}"));
            let report = report(&smallest, reference.name(), candidate.name());
            return Err(Box::new(Mismatch {
                seed,
                size,
                smallest,
                report,
            }));
        }
    }
    Ok(checked)
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
        let candidates = candidates::candidates(&smallest.program);
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
    let what = if difference.reference.ran_away() && difference.candidate.ran_away() {
        format!(
            "that runs for ever on both {reference} and {candidate} (stopped after {} ticks; \
             generated programs end in a few dozen: a bug in the generator, or in both loops)",
            super::interpret::MAX_TICKS
        )
    } else {
        format!("on which {reference} and {candidate} differ")
    };
    let _ = writeln!(
        out,
        "A program {what} ({} ops, seed {}, level {:?}):\n",
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
        match program.entry {
            Entry::RunUntilComplete => "a coroutine, run with run_until_complete",
            Entry::RunForever => "run before run_forever",
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
