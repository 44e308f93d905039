//! Chapter 10, "Offloading blocking work": what each example prints, pinned.
//!
//! The chapter shows these snapshots as the examples' output, so they must be the same on every
//! run. What makes them so:
//!
//! - `ch10_step1` runs on a virtual clock with one job in flight at a time and nothing else
//!   ready meanwhile: its trace does not depend on when a worker finishes.
//! - `ch10_stall`, `ch10_fetch` and `ch10_count` print, from the thread that runs `main`, only
//!   what does not depend on timing: whether the loop's thread crunched while an answer waited
//!   (`examples/stall/mod.rs`: an order of events, not a measured wait — a crunch lasts 0.2 s
//!   from the moment an earlier answer was taken in, so a busy machine only makes it end
//!   later), and orders fixed by the pool's queue (two workers: the small counts run one after
//!   another on the same one). A `println!` macro that shadows std's appends each line to a
//!   buffer of the calling thread, so each test reads back exactly its example's output while
//!   the tests run in parallel. Timelines, with the run's real times, go to stderr, which is
//!   not pinned.
//! - `ch10_blocks` logs through `log` to stderr, which is not pinned, and keeps every record;
//!   it ends by printing what is fixed: the main thread's lines in order, and for the workers,
//!   which job ran where only as "one thread each, three threads in all".

// Three of the examples share `examples/stall/mod.rs`, each as a program of its own.
#![allow(clippy::duplicate_mod)]

use std::sync::Mutex;

#[macro_use]
mod capture;

use capture::output_of;

#[path = "../examples/ch10_blocks.rs"]
mod ch10_blocks;
#[path = "../examples/ch10_count.rs"]
mod ch10_count;
#[path = "../examples/ch10_fetch.rs"]
mod ch10_fetch;
#[path = "../examples/ch10_simulated.rs"]
mod ch10_simulated;
#[path = "../examples/ch10_stall.rs"]
mod ch10_stall;

#[path = "../examples/ch10_step1.rs"]
mod ch10_step1;

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({omit_expression => true, prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!(name, text);
    });
}

#[test]
fn step1() {
    ch10_step1::main();
    let lp = ch10_step1::run();
    snapshot("ch10_step1", &lp.take_trace().to_string());
}

/// Held by the tests that run real work on real threads and judge its timing: run at the same
/// time, `ch10_count`'s counting would take the cores that `ch10_stall`'s loop needs to be on
/// time.
static REAL_TIME: Mutex<()> = Mutex::new(());

#[test]
fn stall() {
    let _alone = REAL_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    snapshot("ch10_stall", &output_of(ch10_stall::main));
}

#[test]
fn fetch() {
    let _alone = REAL_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    snapshot("ch10_fetch", &output_of(ch10_fetch::main));
}

/// The simulation behind chapter 10's pictures: exact times, so its output is pinned whole.
#[test]
fn simulated() {
    snapshot("ch10_simulated", &output_of(ch10_simulated::main));
}

/// The simulation keeps the same answers waiting as the real run of `ch10_stall`, as its
/// snapshot pins it: the picture shows what the real program does. (The real program is not
/// run again here: two runs of it at once on a small machine would slow each other down.)
#[test]
fn the_simulation_agrees_with_the_real_run() {
    let snapshot = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/snapshots/ch10_stall.snap"
    );
    let real = std::fs::read_to_string(snapshot).expect("the real run's snapshot");
    for (offload, step) in [(false, "step 2"), (true, "step 3")] {
        let (fetched, _) = ch10_simulated::stall(offload);
        let late: Vec<bool> = fetched
            .iter()
            .map(|f| ch10_simulated::stall::late(f, &fetched))
            .collect();
        // On the virtual clock only a crunch moves time while an answer waits: the rule and
        // the wait agree.
        for (f, late) in fetched.iter().zip(&late) {
            assert_eq!(*late, f.taken_in > f.answered_at, "{step}: {f:?}");
        }
        let section = real
            .split("step ")
            .find(|s| s.starts_with(&step[5..]))
            .expect("the real run reports both steps");
        let real_late: Vec<bool> = section
            .lines()
            .filter(|l| l.starts_with("fetch "))
            .map(|l| l.contains("late"))
            .collect();
        assert_eq!(late, real_late, "{step}");
    }
    assert!(ch10_simulated::stall_picture().contains("crunch(1)"));
    assert!(ch10_simulated::blocks_picture().contains("blocks(5)"));
}

#[test]
fn the_stall_pictures_tick_marks_are_on_its_two_panels() {
    // The book's step-through viewers of steps 2 and 3 mark their ticks where these say.
    let svg = ch10_simulated::stall_picture();
    let marks = ch10_simulated::stall_marks();
    assert_eq!(marks.len(), 2, "steps 2 and 3");
    assert!(
        marks[0].bottom < marks[1].top,
        "step 3's panel is under step 2's"
    );
    for (panel, mark) in marks.iter().enumerate() {
        for (tick, x) in &mark.ticks {
            let line = format!("<line x1=\"{x}\" y1=\"{}\" x2=\"{x}\"", mark.top);
            assert!(
                svg.lines()
                    .any(|l| l.starts_with(&line) && l.contains(&format!(">tick {tick}<"))),
                "panel {panel}: tick {tick} is drawn at x={x}"
            );
        }
    }
}

#[test]
fn count() {
    let _alone = REAL_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    snapshot("ch10_count", &output_of(ch10_count::main));
}

#[test]
fn blocks() {
    snapshot("ch10_blocks", &output_of(ch10_blocks::main));
}
