// The `Loop` of stage 6, over whichever crate is in scope as `stage` (see `stage03.rs`).

use crate::loops::*;
use std::any::Any;
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

fn new_loop() -> stage::EventLoop {
    stage::EventLoop::with_virtual_clock()
}

fn time(lp: &stage::EventLoop) -> Duration {
    lp.time()
}

fn failure(error: stage::Error) -> Failure {
    match error {
        stage::Error::Cancelled => Failure::Cancelled(None),
        stage::Error::InvalidState(_) => Failure::InvalidState,
        other => Failure::Exception(other.to_string()),
    }
}

fn error(failure: Failure) -> stage::Error {
    match failure {
        Failure::Cancelled(_) => stage::Error::Cancelled,
        Failure::Timeout => unreachable!("stage 6 has no wait_for"),
        other => stage::Error::Exception(other.to_string()),
    }
}

include!("../stage/callbacks.rs");
include!("../stage/timers.rs");
include!("../stage/futures.rs");
include!("../stage/tasks.rs");

impl Loop for Stage {
    fn callbacks(&self) -> &dyn Callbacks {
        self
    }
    fn timers(&self) -> Option<&dyn Timers> {
        Some(self)
    }
    fn futures(&self) -> Option<&dyn Futures> {
        Some(self)
    }
    fn tasks(&self) -> Option<&dyn Tasks> {
        Some(self)
    }
}
