//! Proof that the differential test can fail: a copy of stage 4 whose timer heap breaks a
//! rule of chapter 4 — of two timers due at the same instant, the first scheduled runs first —
//! must be caught, and shown on a small program.
//!
//! This test crate *is* the mutant: its root mirrors `stages/stage04/src/lib.rs`, with the
//! stage's files but for `timers.rs`, whose mutated copy is `tests/mutants/stage04_timers.rs`.
//! `the_mutant_is_stage04_with_one_change` keeps that copy equal to the stage's file but for
//! the one change; after the stage changes, `UPDATE_MUTANTS=1 cargo test --test
//! mutant_timers` writes it again.
#![allow(dead_code)]

#[path = "../stages/stage04/src/clock.rs"]
mod clock;
#[path = "../stages/stage04/src/event_loop.rs"]
mod event_loop;
#[path = "../stages/stage04/src/handle.rs"]
mod handle;
#[path = "mutants/stage04_timers.rs"]
mod timers;

pub use event_loop::{EventLoop, Stalled};
pub use handle::Handle;

mod loops;
mod mutants;
mod programs;

mod mutant {
    #![allow(unused_imports)]
    use crate as stage;
    include!("loops/adapters/stage04.rs");
}

use loops::stages;
use programs::OnLoop;

const MUTANT: OnLoop = OnLoop {
    name: "stage04 mutant",
    make: mutant::make,
};

const STAGE04: OnLoop = OnLoop {
    name: "stage04",
    make: stages::stage04::make,
};

/// The change: the sequence numbers compared the wrong way round.
const FROM: &str = "        (other.when, other.seq).cmp(&(self.when, self.seq))\n";
const TO: &str = "        // MUTANT: of two equal deadlines, the one scheduled last runs first.
        (other.when, self.seq).cmp(&(self.when, other.seq))\n";

#[test]
fn the_mutant_is_stage04_with_one_change() {
    mutants::check_copy(
        "stages/stage04/src/timers.rs",
        "tests/mutants/stage04_timers.rs",
        FROM,
        TO,
    );
}

#[test]
fn the_differential_test_catches_timers_due_together_run_out_of_order() {
    let found = mutants::caught(4, MUTANT, STAGE04);
    // Two timers for the same instant show it; the greedy shrink may stop at a few more
    // operations than that, but never many.
    assert!(
        found.smallest.program.size() <= 4,
        "not shrunk far enough:\n{found}"
    );
}
