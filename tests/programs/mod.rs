//! Generated programs, for differential tests: seeded random asyncio programs that any loop can
//! run, and the machinery to compare two loops on them.
//!
//! A [`Program`] is a tree of bodies (callbacks and coroutines) made of [`Op`]s, each one
//! asyncio call: `call_soon`, `call_later`, `cancel`, `set_result`, `create_task`, `await`,
//! `sleep`, `gather`, `timeout`, `TaskGroup`, ... It knows nothing of any loop. A [`Runner`]
//! runs programs on one loop and reports what they showed ([`Observed`]): every line they
//! printed, with the tick and the loop time, how each future, task and handle ended, and how
//! the run ended. Two runners that agree on every program behave the same wherever a program
//! can look.
//!
//! Programs are generated at a [`Level`], one per chapter that builds a loop (callbacks, timers,
//! futures, tasks, combinators), and [`Features`] switch single constructs off, so that a loop
//! that implements only some of asyncio is checked on what it implements:
//! [`Features::stage`] is what a teaching stage reaches.
//!
//! - `features`: levels, constructs, feature sets;
//! - `program`: the program type;
//! - `generate`: the generator;
//! - `shrink`: every program one step simpler than a given one;
//! - `observed`: what a run shows;
//! - `compare`: two runners on the same programs, a difference shrunk and reported;
//! - the runners: `python` (CPython's asyncio, with `harness.py`) and `interpret` (every loop
//!   of `tests/loops/`: steploop and the teaching stages).
//!
//! ```ignore
//! let features = Features::stage(4);
//! let programs: Vec<Program> = (0..1000).map(|seed| generate(seed, &features)).collect();
//! let comparison = compare(&STEPLOOP, &STAGE04, &programs, &features)?;
//! ```
//!
//! Tags (constructs found only while running) come from the reference runner, the CPython
//! one; against another reference, no program is set aside.

#![allow(dead_code, unused_imports)] // each test binary uses its own part of the module

pub mod compare;
pub mod features;
pub mod generate;
pub mod interpret;
pub mod observed;
pub mod program;
pub mod python;
pub mod shrink;

pub use compare::{compare, report, shrink, Runner};
pub use features::{Construct, Features, Level};
pub use generate::generate;
pub use interpret::OnLoop;
pub use observed::Observed;
pub use program::{Catch, Entry, Op, Program, ReturnWhen};
