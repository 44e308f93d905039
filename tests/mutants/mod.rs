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
