//! Proof that the differential test can fail: a copy of stage 3 whose tick breaks the first
//! rule of chapter 3 — it runs the handles its own callbacks schedule, instead of only those
//! that were ready when it began — must be caught, and shown on a program of a few lines.
//!
//! This test crate *is* the mutant: its root mirrors `stages/stage03/src/lib.rs`, with the
//! stage's `handle.rs` and the mutated copy of its `event_loop.rs` in
//! `tests/mutants/stage03_event_loop.rs`. `the_mutant_is_stage03_with_one_change` keeps that
//! copy equal to the stage's file but for the one change; after the stage changes,
//! `UPDATE_MUTANTS=1 cargo test --test mutant_tick` writes it again.
#![allow(dead_code)]

#[path = "mutants/stage03_event_loop.rs"]
mod event_loop;
#[path = "../stages/stage03/src/handle.rs"]
mod handle;

pub use event_loop::{EventLoop, Stalled};
pub use handle::Handle;

mod loops;
mod mutants;
mod programs;

mod mutant {
    #![allow(unused_imports)]
    use crate as stage;
    include!("loops/adapters/stage03.rs");
}

use loops::stages;
use programs::OnLoop;

const MUTANT: OnLoop = OnLoop {
    name: "stage03 mutant",
    make: mutant::make,
};

const STAGE03: OnLoop = OnLoop {
    name: "stage03",
    make: stages::stage03::make,
};

/// The change: no count of the ready handles.
const FROM: &str =
    "        // Count first: what the callbacks append from now on lands behind this count.
        let ntodo = inner.ready.borrow().len();
        for _ in 0..ntodo {
            // The deque's borrow ends with this statement: the callback may call_soon.
            let handle = inner.ready.borrow_mut().pop_front();
            if let Some(handle) = handle {
                handle.run(self);
            }
        }
";
const TO: &str =
    "        // MUTANT: no count; the tick runs until the deque is empty, handles appended by its
        // own callbacks included.
        loop {
            let handle = inner.ready.borrow_mut().pop_front();
            let Some(handle) = handle else { break };
            handle.run(self);
        }
";

#[test]
fn the_mutant_is_stage03_with_one_change() {
    mutants::check_copy(
        "stages/stage03/src/event_loop.rs",
        "tests/mutants/stage03_event_loop.rs",
        FROM,
        TO,
    );
}

#[test]
fn the_differential_test_catches_a_tick_that_runs_what_it_schedules() {
    let found = mutants::caught(3, MUTANT, STAGE03);
    // The smallest program: a callback that schedules another. The mutant runs both in tick 1.
    let smallest = &found.smallest;
    assert!(
        smallest.program.size() <= 2,
        "not shrunk far enough:\n{found}"
    );
    let in_tick_1 = |run: &programs::Observed| run.events.iter().filter(|e| e.tick == 1).count();
    assert!(
        in_tick_1(&smallest.candidate) > in_tick_1(&smallest.reference),
        "{found}"
    );
}
