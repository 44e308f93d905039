//! Proof that the differential test reaches into tasks: a copy of stage 6 whose `sleep`
//! forgets asyncio's `finally: h.cancel()` — the timer of a sleep cut short by a cancellation
//! stays in the heap, and wakes the loop for nothing at its deadline — must be caught, and
//! shown on a small program.
//!
//! This test crate *is* the mutant: its root mirrors `stages/stage06/src/lib.rs`, with the
//! stage's files but for `sleep.rs`, whose mutated copy is `tests/mutants/stage06_sleep.rs`.
//! `the_mutant_is_stage06_with_one_change` keeps that copy equal to the stage's file but for
//! the one change; after the stage changes, `UPDATE_MUTANTS=1 cargo test --test mutant_sleep`
//! writes it again.
#![allow(dead_code)]

#[path = "../stages/stage06/src/clock.rs"]
mod clock;
#[path = "../stages/stage06/src/error.rs"]
mod error;
#[path = "../stages/stage06/src/event_loop.rs"]
mod event_loop;
#[path = "../stages/stage06/src/future.rs"]
mod future;
#[path = "../stages/stage06/src/handle.rs"]
mod handle;
#[path = "mutants/stage06_sleep.rs"]
mod sleep;
#[path = "../stages/stage06/src/task.rs"]
mod task;
#[path = "../stages/stage06/src/timers.rs"]
mod timers;

pub use error::Error;
pub use event_loop::{get_running_loop, EventLoop, Stalled};
pub use future::{CallbackId, Future, State};
pub use handle::Handle;
pub use sleep::sleep;
pub use task::Task;

mod loops;
mod mutants;
mod programs;

mod mutant {
    #![allow(unused_imports)]
    use crate as stage;
    include!("loops/adapters/stage06.rs");
}

use loops::stages;
use programs::OnLoop;

const MUTANT: OnLoop = OnLoop {
    name: "stage06 mutant",
    make: mutant::make,
};

const STAGE06: OnLoop = OnLoop {
    name: "stage06",
    make: stages::stage06::make,
};

/// The change: the timer is not cancelled when the sleep ends.
const FROM: &str =
    "    // asyncio's `finally: h.cancel()`: a sleep cut short leaves no timer behind.
    timer.cancel();
";
const TO: &str = "    // MUTANT: the timer of a sleep cut short stays in the heap.
    drop(timer);
";

#[test]
fn the_mutant_is_stage06_with_one_change() {
    mutants::check_copy(
        "stages/stage06/src/sleep.rs",
        "tests/mutants/stage06_sleep.rs",
        FROM,
        TO,
    );
}

#[test]
fn the_differential_test_catches_a_sleep_that_leaves_its_timer_behind() {
    let found = mutants::caught(6, MUTANT, STAGE06);
    // A task that sleeps, and something that cancels it.
    assert!(
        found.smallest.program.size() <= 4,
        "not shrunk far enough:\n{found}"
    );
}
