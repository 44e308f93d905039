//! The tour: every chapter's example, in the book's order, each under a heading.
//!
//! `cargo run --example tour` runs them all, and before each core chapter's examples the
//! program of the teaching stage that chapter builds. Each example is also an ordinary program
//! of its own (`cargo run --example ch03_ready_deque`), and so is each stage's
//! (`cargo run -p stage03`); the tour pulls their source in with `#[path]` so that there is
//! exactly one copy of each.
//!
//! `cargo run --example tour -- --out DIR` runs instead every traced program of the book once
//! more with tracing on, and writes each one's trace (`NAME.txt`), timeline (`NAME.svg`) and
//! replay for stepping through (`NAME.json`) into `DIR`, together with the pictures the
//! chapters show.

// The simulated programs share the simulated pool with each other, and chapter 13's programs share
// the MapReduce module: each is a program of its own, so each declares them.
#![allow(clippy::duplicate_mod)]

#[path = "ch01_count.rs"]
mod ch01_count;
#[path = "ch01_downloads.rs"]
mod ch01_downloads;
#[path = "ch02_coroutines.rs"]
mod ch02_coroutines;
#[path = "ch03_ready_deque.rs"]
mod ch03_ready_deque;
#[path = "ch04_time.rs"]
mod ch04_time;
#[path = "ch05_await_future.rs"]
mod ch05_await_future;
#[path = "ch05_callbacks.rs"]
mod ch05_callbacks;
#[path = "ch05_misuse.rs"]
mod ch05_misuse;
#[path = "ch06_cancel.rs"]
mod ch06_cancel;
#[path = "ch06_nested.rs"]
mod ch06_nested;
#[path = "ch06_say_after.rs"]
mod ch06_say_after;
#[path = "ch07_gather.rs"]
mod ch07_gather;
#[path = "ch07_taskgroup.rs"]
mod ch07_taskgroup;
#[path = "ch07_timeout.rs"]
mod ch07_timeout;
#[path = "ch07_wait.rs"]
mod ch07_wait;
#[path = "ch07_wait_for.rs"]
mod ch07_wait_for;
#[path = "ch08_echo.rs"]
mod ch08_echo;
#[path = "ch08_readiness.rs"]
mod ch08_readiness;
#[path = "ch09_as_completed.rs"]
mod ch09_as_completed;
#[path = "ch09_cancel.rs"]
mod ch09_cancel;
#[path = "ch09_count.rs"]
mod ch09_count;
#[path = "ch09_deadlock.rs"]
mod ch09_deadlock;
#[path = "ch09_exceptions.rs"]
mod ch09_exceptions;
#[path = "ch09_future_callback.rs"]
mod ch09_future_callback;
#[path = "ch09_hundred_jobs.rs"]
mod ch09_hundred_jobs;
#[path = "ch09_map.rs"]
mod ch09_map;
#[path = "ch09_several.rs"]
mod ch09_several;
#[path = "ch09_shutdown.rs"]
mod ch09_shutdown;
#[path = "ch09_submit.rs"]
mod ch09_submit;
#[path = "ch09_wait.rs"]
mod ch09_wait;
#[path = "ch10_blocks.rs"]
mod ch10_blocks;
#[path = "ch10_count.rs"]
mod ch10_count;
#[path = "ch10_fetch.rs"]
mod ch10_fetch;
#[path = "ch10_simulated.rs"]
mod ch10_simulated;
#[path = "ch10_stall.rs"]
mod ch10_stall;
#[path = "ch10_step1.rs"]
mod ch10_step1;
#[path = "ch11_loop_thread.rs"]
mod ch11_loop_thread;
#[path = "ch11_threadsafe.rs"]
mod ch11_threadsafe;
#[path = "ch12_blocks.rs"]
mod ch12_blocks;
#[path = "ch12_count.rs"]
mod ch12_count;
#[path = "ch12_print.rs"]
mod ch12_print;
#[path = "ch12_ps.rs"]
mod ch12_ps;
#[path = "ch12_step1.rs"]
mod ch12_step1;
#[path = "ch13_mapreduce.rs"]
mod ch13_mapreduce;
#[path = "ch13_processes.rs"]
mod ch13_processes;
#[path = "ch13_simulated.rs"]
mod ch13_simulated;
#[path = "ch14_debug.rs"]
mod ch14_debug;
#[path = "../stages/stage03/src/main.rs"]
mod stage03;
#[path = "../stages/stage04/src/main.rs"]
mod stage04;
#[path = "../stages/stage05/src/main.rs"]
mod stage05;
#[path = "../stages/stage06/src/main.rs"]
mod stage06;
#[path = "../stages/stage07/src/main.rs"]
mod stage07;
#[path = "../stages/stage08/src/main.rs"]
mod stage08;
#[path = "../stages/stage09/src/main.rs"]
mod stage09;
#[path = "../stages/stage10/src/main.rs"]
mod stage10;
#[path = "../stages/stage11/src/main.rs"]
mod stage11;

use std::path::{Path, PathBuf};

use steploop::replay::Replay;
use steploop::timeline::{TickMarks, Timeline};
use steploop::trace::Trace;
use steploop::EventLoop;

/// (chapter heading, example name, the example's `main`)
const STOPS: &[(&str, &str, fn())] = &[
    (
        "Chapter 1: Why an event loop",
        "ch01_count",
        ch01_count::main,
    ),
    (
        "Chapter 1: Why an event loop",
        "ch01_downloads",
        ch01_downloads::main,
    ),
    (
        "Chapter 2: Coroutines by hand",
        "ch02_coroutines",
        ch02_coroutines::main,
    ),
    ("Chapter 3: The ready deque", "stage03", stage03::main),
    (
        "Chapter 3: The ready deque",
        "ch03_ready_deque",
        ch03_ready_deque::main,
    ),
    ("Chapter 4: Time", "stage04", stage04::main),
    ("Chapter 4: Time", "ch04_time", ch04_time::main),
    ("Chapter 5: Futures", "stage05", stage05::main),
    ("Chapter 5: Futures", "ch05_callbacks", ch05_callbacks::main),
    (
        "Chapter 5: Futures",
        "ch05_await_future",
        ch05_await_future::main,
    ),
    ("Chapter 5: Futures", "ch05_misuse", ch05_misuse::main),
    ("Chapter 6: Tasks", "stage06", stage06::main),
    ("Chapter 6: Tasks", "ch06_nested", ch06_nested::main),
    ("Chapter 6: Tasks", "ch06_say_after", ch06_say_after::main),
    ("Chapter 6: Tasks", "ch06_cancel", ch06_cancel::main),
    ("Chapter 7: Composing tasks", "stage07", stage07::main),
    (
        "Chapter 7: Composing tasks",
        "ch07_gather",
        ch07_gather::main,
    ),
    ("Chapter 7: Composing tasks", "ch07_wait", ch07_wait::main),
    (
        "Chapter 7: Composing tasks",
        "ch07_wait_for",
        ch07_wait_for::main,
    ),
    (
        "Chapter 7: Composing tasks",
        "ch07_timeout",
        ch07_timeout::main,
    ),
    (
        "Chapter 7: Composing tasks",
        "ch07_taskgroup",
        ch07_taskgroup::main,
    ),
    ("Chapter 8: The reactor", "stage08", stage08::main),
    ("Chapter 8: The reactor", "ch08_echo", ch08_echo::main),
    (
        "Chapter 8: The reactor",
        "ch08_readiness",
        ch08_readiness::main,
    ),
    (
        "Chapter 9: A thread pool from scratch",
        "stage09",
        stage09::main,
    ),
    (
        "Chapter 9: A thread pool from scratch",
        "ch09_future_callback",
        ch09_future_callback::main,
    ),
    (
        "Chapter 9: A thread pool from scratch",
        "ch09_submit",
        ch09_submit::main,
    ),
    (
        "Chapter 9: A thread pool from scratch",
        "ch09_several",
        ch09_several::main,
    ),
    (
        "Chapter 9: A thread pool from scratch",
        "ch09_map",
        ch09_map::main,
    ),
    (
        "Chapter 9: A thread pool from scratch",
        "ch09_as_completed",
        ch09_as_completed::main,
    ),
    (
        "Chapter 9: A thread pool from scratch",
        "ch09_cancel",
        ch09_cancel::main,
    ),
    (
        "Chapter 9: A thread pool from scratch",
        "ch09_exceptions",
        ch09_exceptions::main,
    ),
    (
        "Chapter 9: A thread pool from scratch",
        "ch09_wait",
        ch09_wait::main,
    ),
    (
        "Chapter 9: A thread pool from scratch",
        "ch09_shutdown",
        ch09_shutdown::main,
    ),
    (
        "Chapter 9: A thread pool from scratch",
        "ch09_hundred_jobs",
        ch09_hundred_jobs::main,
    ),
    (
        "Chapter 9: A thread pool from scratch",
        "ch09_count",
        ch09_count::main,
    ),
    (
        "Chapter 9: A thread pool from scratch",
        "ch09_deadlock",
        ch09_deadlock::main,
    ),
    (
        "Chapter 10: Offloading blocking work",
        "stage10",
        stage10::main,
    ),
    (
        "Chapter 10: Offloading blocking work",
        "ch10_step1",
        ch10_step1::main,
    ),
    (
        "Chapter 10: Offloading blocking work",
        "ch10_stall",
        ch10_stall::main,
    ),
    (
        "Chapter 10: Offloading blocking work",
        "ch10_fetch",
        ch10_fetch::main,
    ),
    (
        "Chapter 10: Offloading blocking work",
        "ch10_blocks",
        ch10_blocks::main,
    ),
    (
        "Chapter 10: Offloading blocking work",
        "ch10_count",
        ch10_count::main,
    ),
    (
        "Chapter 10: Offloading blocking work",
        "ch10_simulated",
        ch10_simulated::main,
    ),
    (
        "Chapter 11: Loops in other threads",
        "stage11",
        stage11::main,
    ),
    (
        "Chapter 11: Loops in other threads",
        "ch11_threadsafe",
        ch11_threadsafe::main,
    ),
    (
        "Chapter 11: Loops in other threads",
        "ch11_loop_thread",
        ch11_loop_thread::main,
    ),
    ("Chapter 12: Processes", "ch12_step1", ch12_step1::main),
    ("Chapter 12: Processes", "ch12_blocks", ch12_blocks::main),
    ("Chapter 12: Processes", "ch12_print", ch12_print::main),
    ("Chapter 12: Processes", "ch12_ps", ch12_ps::main),
    ("Chapter 12: Processes", "ch12_count", ch12_count::main),
    (
        "Chapter 13: MapReduce on the loop",
        "ch13_mapreduce",
        ch13_mapreduce::main,
    ),
    (
        "Chapter 13: MapReduce on the loop",
        "ch13_processes",
        ch13_processes::main,
    ),
    (
        "Chapter 13: MapReduce on the loop",
        "ch13_simulated",
        ch13_simulated::main,
    ),
    (
        "Chapter 14: Seeing the loop",
        "ch14_debug",
        ch14_debug::main,
    ),
];

// ANCHOR: pictures
/// Draws one picture, as SVG text.
pub type Draw = fn() -> String;

/// The timelines the chapters show: (file in `chapters/generated/`, what draws it).
pub const PICTURES: &[(&str, Draw)] = &[
    ("ch06_say_after.svg", ch06_say_after::picture),
    ("ch10_stall.svg", ch10_simulated::stall_picture),
    ("ch10_blocks.svg", ch10_simulated::blocks_picture),
    ("ch13_mapreduce.svg", ch13_simulated::picture),
];
// ANCHOR_END: pictures

// ANCHOR: steppers
/// A traced program of the book, run on the loop it is given (a fresh one, on the virtual
/// clock, with tracing on).
pub type Program = fn(&EventLoop);

/// Where the ticks are in a picture's panels (see `Timeline::tick_marks`).
pub type Marks = fn() -> Vec<TickMarks>;

/// A run the chapters let their readers step through.
pub struct Stepper {
    /// Its replay is `chapters/generated/replay/NAME.json`, which the chapter's step-through
    /// viewer loads.
    pub name: &'static str,
    pub program: Program,
    /// The picture of the run, if the chapter shows one: (its file in `chapters/generated/`,
    /// where its ticks are, the run's panel). The viewer marks its tick on it.
    pub picture: Option<(&'static str, Marks, usize)>,
}

pub const STEPPERS: &[Stepper] = &[
    Stepper {
        name: "ch03_ready_deque",
        program: ch03_ready_deque::run,
        picture: None,
    },
    Stepper {
        name: "ch04_time",
        program: ch04_time::run,
        picture: None,
    },
    Stepper {
        name: "ch06_say_after",
        program: |lp| ch06_say_after::run(lp).expect("main() finishes"),
        picture: Some(("ch06_say_after.svg", ch06_say_after::picture_marks, 0)),
    },
    Stepper {
        name: "ch07_gather",
        program: |lp| ch07_gather::run_gather(lp).expect("gather finishes"),
        picture: None,
    },
    Stepper {
        name: "ch10_step2_simulated",
        program: |lp| drop(ch10_simulated::stall_on(lp, false)),
        picture: Some(("ch10_stall.svg", ch10_simulated::stall_marks, 0)),
    },
    Stepper {
        name: "ch10_step3_simulated",
        program: |lp| drop(ch10_simulated::stall_on(lp, true)),
        picture: Some(("ch10_stall.svg", ch10_simulated::stall_marks, 1)),
    },
];
// ANCHOR_END: steppers

impl Stepper {
    /// The replay of the run.
    pub fn replay(&self) -> Replay {
        Replay::of(&traced(self.program)).unwrap_or_else(|error| panic!("{}: {error}", self.name))
    }

    /// The replay of the run as JSON, with the picture's tick marks if there is a picture.
    pub fn json(&self) -> String {
        let replay = self.replay();
        match self.picture {
            Some((file, marks, panel)) => {
                let marks = &marks()[panel];
                let file = format!("generated/{file}");
                replay.to_json_with_picture(self.name, &file, marks)
            }
            None => replay.to_json(self.name),
        }
    }
}

/// Runs `program` on a fresh traced loop on the virtual clock and returns its trace.
fn traced<R>(program: impl FnOnce(&EventLoop) -> R) -> Trace {
    let lp = EventLoop::with_virtual_clock();
    lp.set_trace(true);
    let _ = program(&lp);
    lp.take_trace()
}

/// Every traced program of the book: (name, its trace).
pub fn traces() -> Vec<(&'static str, Trace)> {
    vec![
        (
            "ch01_downloads_one_after_another",
            ch01_downloads::run(ch01_downloads::start_one_after_another).take_trace(),
        ),
        (
            "ch01_downloads_all_at_once",
            ch01_downloads::run(ch01_downloads::start_all_at_once).take_trace(),
        ),
        ("ch03_ready_deque", traced(ch03_ready_deque::run)),
        ("ch04_time", traced(ch04_time::run)),
        ("ch05_callbacks", traced(ch05_callbacks::run)),
        ("ch05_await_future", traced(ch05_await_future::run)),
        ("ch06_hello_world", traced(ch06_nested::run_hello)),
        ("ch06_nested", traced(ch06_nested::run_nested)),
        ("ch06_say_after", traced(ch06_say_after::run)),
        (
            "ch06_say_after_sequential",
            traced(ch06_say_after::run_sequential),
        ),
        ("ch06_cancel", traced(ch06_cancel::run)),
        ("ch07_gather", traced(ch07_gather::run_gather)),
        ("ch07_as_completed", traced(ch07_gather::run_as_completed)),
        (
            "ch07_wait_first_completed",
            traced(|lp| ch07_wait::run(lp, steploop::ReturnWhen::FirstCompleted, None)),
        ),
        ("ch07_wait_for", traced(ch07_wait_for::run_wait_for)),
        ("ch07_shield", traced(ch07_wait_for::run_shield)),
        ("ch07_timeout", traced(ch07_timeout::run_timeout)),
        (
            "ch07_timeout_and_cancel",
            traced(ch07_timeout::run_cancel_at_the_deadline),
        ),
        ("ch07_taskgroup", traced(ch07_taskgroup::run)),
        ("ch10_step1", ch10_step1::run().take_trace()),
        (
            "ch10_step2_simulated",
            traced(|lp| ch10_simulated::stall_on(lp, false)),
        ),
        (
            "ch10_step3_simulated",
            traced(|lp| ch10_simulated::stall_on(lp, true)),
        ),
        ("ch10_blocks_simulated", ch10_simulated::blocks().1),
        ("ch11_threadsafe", ch11_threadsafe::run().take_trace()),
        ("ch13_mapreduce_simulated", ch13_simulated::run().2),
    ]
}

// ANCHOR: write_out
/// Writes every trace as text, as a timeline and as a replay (JSON), and every picture of the
/// book, into `dir`; returns the files written.
pub fn write_out(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    for (name, trace) in traces() {
        let text = dir.join(format!("{name}.txt"));
        std::fs::write(&text, trace.to_string())?;
        let svg = dir.join(format!("{name}.svg"));
        std::fs::write(&svg, Timeline::new().panel(name, &trace).to_svg())?;
        let json = dir.join(format!("{name}.json"));
        // A run the book steps through: as the book has it, with its picture's tick marks.
        let replay = match STEPPERS.iter().find(|stepper| stepper.name == name) {
            Some(stepper) => stepper.json(),
            None => Replay::of(&trace)
                .map_err(std::io::Error::other)?
                .to_json(name),
        };
        std::fs::write(&json, replay)?;
        written.extend([text, svg, json]);
    }
    for (file, draw) in PICTURES {
        let path = dir.join(file);
        std::fs::write(&path, draw())?;
        written.push(path);
    }
    Ok(written)
}
// ANCHOR_END: write_out

fn main() {
    // The process pools of chapter 12 start this program again as their workers: serve the
    // jobs of every chapter-12 example here, before anything else happens.
    let jobs = [
        ch12_step1::JOBS,
        ch12_blocks::JOBS,
        ch12_count::JOBS,
        ch12_print::JOBS,
        ch12_ps::JOBS,
        ch13_processes::JOBS,
    ]
    .concat();
    steploop::process::worker_entry(&jobs);

    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [] => {}
        [flag, dir] if flag == "--out" => {
            match write_out(Path::new(dir)) {
                Ok(written) => {
                    for path in written {
                        println!("{}", path.display());
                    }
                }
                Err(error) => {
                    eprintln!("cannot write into {dir}: {error}");
                    std::process::exit(1);
                }
            }
            return;
        }
        _ => {
            eprintln!(
                "usage: cargo run --example tour [-- --out DIR]\n  without arguments: run every \
                 example; with --out DIR: write every trace, timeline and replay into DIR"
            );
            std::process::exit(2);
        }
    }
    for (heading, name, run) in STOPS {
        // A stage is a package of the workspace; everything else is an example.
        let command = if name.starts_with("stage") {
            format!("cargo run -p {name}")
        } else {
            format!("cargo run --example {name}")
        };
        let rule = "=".repeat(heading.len().max(command.len() + 2));
        println!("{rule}\n{heading}\n({command})\n{rule}\n");
        run();
        println!();
    }
}
