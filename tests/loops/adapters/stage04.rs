// The `Loop` of stage 4, over whichever crate is in scope as `stage` (see `stage03.rs`).

use crate::loops::*;
use std::rc::Rc;
use std::time::Duration;

fn new_loop() -> stage::EventLoop {
    stage::EventLoop::with_virtual_clock()
}

fn time(lp: &stage::EventLoop) -> Duration {
    lp.time()
}

include!("../stage/callbacks.rs");
include!("../stage/timers.rs");

impl Loop for Stage {
    fn callbacks(&self) -> &dyn Callbacks {
        self
    }
    fn timers(&self) -> Option<&dyn Timers> {
        Some(self)
    }
}
