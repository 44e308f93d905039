//! Mutated copies of stage files, for the tests that prove the differential test can fail.
//!
//! When a stage file changes, `UPDATE_MUTANTS=1 cargo test --test mutant_…` writes its
//! mutated copy again. If the old copy no longer compiles against the stage's other files,
//! copy the stage's file over it first; the update then applies the change.

use std::fs;
use std::path::Path;

/// Checks that the copy at `mutant` is the stage file at `original` with `from` replaced by
/// `to`, once; with `UPDATE_MUTANTS=1`, writes it so.
pub fn check_copy(original: &str, mutant: &str, from: &str, to: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = fs::read_to_string(root.join(original)).expect("the stage file exists");
    assert_eq!(
        text.matches(from).count(),
        1,
        "{original} no longer holds the code the mutant changes, exactly once: update FROM \
         and TO in the test to the stage's new code"
    );
    let expected = text.replace(from, to);
    if std::env::var_os("UPDATE_MUTANTS").is_some() {
        fs::write(root.join(mutant), &expected).expect("the mutant is writable");
        return;
    }
    let actual = fs::read_to_string(root.join(mutant)).unwrap_or_default();
    assert!(
        actual == expected,
        "{mutant} is not {original} with the one change: the stage changed since the copy \
         was made; write it again with UPDATE_MUTANTS=1"
    );
}

/// Runs the generated programs of the reach of stage `chapter` (`STEPLOOP_DIFF_PROGRAMS` of
/// them, 2000 by default) on `mutant` and on steploop: some program must tell them apart.
/// Checks that the unmutated `stage` agrees with steploop on the same programs, up to that
/// one, and returns what was found, shrunk.
pub fn caught(
    chapter: u32,
    mutant: crate::programs::OnLoop,
    stage: crate::programs::OnLoop,
) -> Box<crate::programs::compare::Mismatch> {
    use crate::loops::steploop::STEPLOOP;
    use crate::programs::compare::check;
    use crate::programs::Features;

    let count = std::env::var("STEPLOOP_DIFF_PROGRAMS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2000);
    let features = Features::stage(chapter);
    let found = check(&STEPLOOP, &mutant, &features, 0..count, count as usize)
        .expect_err("the mutant breaks a rule of its chapter: some program must show it");
    check(
        &STEPLOOP,
        &stage,
        &features,
        0..found.seed + 1,
        count as usize,
    )
    .unwrap_or_else(|e| panic!("the unmutated stage must pass the same programs: {e}"));
    println!("{found}");
    found
}
