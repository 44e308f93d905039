// The `Loop` of stage 3, over whichever crate is in scope as `stage`: the stage itself
// (`stages.rs`), or a mutant of it that a test crate assembles from the stage's files.

use crate::loops::*;
use std::rc::Rc;
use std::time::Duration;

fn new_loop() -> stage::EventLoop {
    stage::EventLoop::new()
}

/// Chapter 3's loop has no clock: everything happens at t=0.
fn time(_: &stage::EventLoop) -> Duration {
    Duration::ZERO
}

include!("../stage/callbacks.rs");

impl Loop for Stage {
    fn callbacks(&self) -> &dyn Callbacks {
        self
    }
}
