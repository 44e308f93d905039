//! The teaching stages as [`Loop`](super::runner::Loop)s. Each stage's module includes the
//! runner pieces of its chapters (`stage_runner/`): a stage is the previous one plus one
//! chapter, and so is its runner.

pub mod stage03 {
    #![allow(unused_imports)]
    use crate::diff::runner::*;
    use ::stage03 as stage;
    use std::rc::Rc;
    use std::time::Duration;

    fn new_loop() -> stage::EventLoop {
        stage::EventLoop::new()
    }

    /// Chapter 3's loop has no clock: everything happens at t=0.
    fn time(_: &stage::EventLoop) -> Duration {
        Duration::ZERO
    }

    include!("stage_runner/callbacks.rs");

    impl Loop for Stage {
        fn callbacks(&self) -> &dyn Callbacks {
            self
        }
    }
}

pub mod stage04 {
    #![allow(unused_imports)]
    use crate::diff::runner::*;
    use ::stage04 as stage;
    use std::rc::Rc;
    use std::time::Duration;

    fn new_loop() -> stage::EventLoop {
        stage::EventLoop::with_virtual_clock()
    }

    fn time(lp: &stage::EventLoop) -> Duration {
        lp.time()
    }

    include!("stage_runner/callbacks.rs");
    include!("stage_runner/timers.rs");

    impl Loop for Stage {
        fn callbacks(&self) -> &dyn Callbacks {
            self
        }
        fn timers(&self) -> Option<&dyn Timers> {
            Some(self)
        }
    }
}
