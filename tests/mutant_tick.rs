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

mod diff;
mod mutants;

mod mutant {
    #![allow(unused_imports)]
    use crate as stage;
    use crate::diff::runner::*;
    use std::rc::Rc;
    use std::time::Duration;

    fn new_loop() -> stage::EventLoop {
        stage::EventLoop::new()
    }

    fn time(_: &stage::EventLoop) -> Duration {
        Duration::ZERO
    }

    include!("diff/stage_runner/callbacks.rs");

    impl Loop for Stage {
        fn callbacks(&self) -> &dyn Callbacks {
            self
        }
    }
}

use diff::program::Level;
use diff::{check_generated, programs_per_stage, stages, steploop};

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
    let found = check_generated(
        Level::Callbacks,
        programs_per_stage(),
        ("stage03 mutant", mutant::make),
        ("steploop", steploop::make),
    )
    .expect_err("the mutant runs handles scheduled during the tick: some program must show it");
    // The smallest program: a callback that schedules another. The mutant runs both in tick 1.
    assert!(
        diff::shrink::size(&found.smallest) <= 2,
        "not shrunk far enough:\n{found}"
    );
    assert!(found.difference.contains("tick 1"), "{found}");
    // And the unmutated stage passes the same programs.
    check_generated(
        Level::Callbacks,
        found.seed + 1,
        ("stage03", stages::stage03::make),
        ("steploop", steploop::make),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    println!("{found}");
}
