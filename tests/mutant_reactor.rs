//! Proof that the differential test reaches into the reactor: a copy of stage 8 whose poll
//! takes each reader out of the table when it reports the descriptor ready, instead of looking
//! it up when the handle's turn comes — so that a reader removed in between, by a callback of
//! the same tick, still runs, where asyncio cancels its handle — must be caught by the scripted
//! run of readers and writers over socket pairs.
//!
//! This test crate *is* the mutant: its root mirrors `stages/stage08/src/lib.rs`, with the
//! stage's files but for `reactor.rs`, whose mutated copy is
//! `tests/mutants/stage08_reactor.rs`. `the_mutant_is_stage08_with_one_change` keeps that copy
//! equal to the stage's file but for the one change; after the stage changes,
//! `UPDATE_MUTANTS=1 cargo test --test mutant_reactor` writes it again.
#![allow(dead_code)]

#[path = "../stages/stage08/src/clock.rs"]
mod clock;
#[path = "../stages/stage08/src/error.rs"]
mod error;
#[path = "../stages/stage08/src/event_loop.rs"]
mod event_loop;
#[path = "../stages/stage08/src/future.rs"]
mod future;
#[path = "../stages/stage08/src/gather.rs"]
mod gather;
#[path = "../stages/stage08/src/handle.rs"]
mod handle;
#[path = "mutants/stage08_reactor.rs"]
mod reactor;
#[path = "../stages/stage08/src/sleep.rs"]
mod sleep;
#[path = "../stages/stage08/src/sock.rs"]
mod sock;
#[path = "../stages/stage08/src/task.rs"]
mod task;
#[path = "../stages/stage08/src/timers.rs"]
mod timers;
#[path = "../stages/stage08/src/wait_for.rs"]
mod wait_for;

pub use error::Error;
pub use event_loop::{get_running_loop, EventLoop, Stalled};
pub use future::{CallbackId, Future, State};
pub use gather::{gather, Gathering};
pub use handle::Handle;
pub use sleep::sleep;
pub use sock::{sock_accept, sock_connect, sock_recv, sock_sendall};
pub use task::Task;
pub use wait_for::wait_for;

mod loops;
mod mutants;
mod programs;

mod mutant {
    #![allow(unused_imports)]
    use crate as stage;
    use crate::loops::*;
    use std::rc::Rc;
    use std::time::Duration;

    fn new_loop() -> stage::EventLoop {
        stage::EventLoop::with_virtual_clock()
    }

    fn time(lp: &stage::EventLoop) -> Duration {
        lp.time()
    }

    include!("loops/stage/callbacks.rs");
    include!("loops/stage/timers.rs");
    include!("loops/stage/io.rs");

    impl Loop for Stage {
        fn callbacks(&self) -> &dyn Callbacks {
            self
        }
        fn timers(&self) -> Option<&dyn Timers> {
            Some(self)
        }
        fn io(&self) -> Option<&dyn Io> {
            Some(self)
        }
    }
}

use loops::{stages, steploop};

/// The change: the watcher is taken when the poll reports its descriptor.
const FROM: &str = "        for (fd, write) in ready {
            self.call_soon(move |lp: &EventLoop| lp.call_watcher(fd, write));
        }
";
const TO: &str =
    "        // MUTANT: each watcher is taken now, and runs even if it is removed before its turn.
        for (fd, write) in ready {
            let watcher = {
                let reactor = self.reactor().borrow();
                let watchers = reactor.watched.get(&fd);
                watchers.and_then(|w| {
                    if write {
                        w.writer.clone()
                    } else {
                        w.reader.clone()
                    }
                })
            };
            if let Some(watcher) = watcher {
                self.call_soon(move |lp: &EventLoop| watcher(lp));
            }
        }
";

#[test]
fn the_mutant_is_stage08_with_one_change() {
    mutants::check_copy(
        "stages/stage08/src/reactor.rs",
        "tests/mutants/stage08_reactor.rs",
        FROM,
        TO,
    );
}

#[test]
fn the_scripted_run_catches_a_reader_that_runs_after_its_removal() {
    let real = loops::reactor::run(steploop::make());
    let mutant = loops::reactor::run(mutant::make());
    assert_ne!(
        mutant, real,
        "the mutant's removed reader runs: the script must show it"
    );
    // Where they part: the reader that a callback removed before its turn reads all the same.
    let first = mutant.iter().zip(&real).position(|(m, r)| m != r);
    let first = first.expect("the runs differ in a line both have");
    assert!(mutant[first].contains("R1 read"), "{mutant:#?}\n{real:#?}");
    // And the unmutated stage agrees with steploop.
    assert_eq!(loops::reactor::run(stages::stage08::make()), real);
}
