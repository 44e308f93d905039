//! The teaching stages as [`Loop`](super::Loop)s. Each stage's module includes the parts of
//! its chapters (`stage/`): a stage is the previous one plus one chapter, and so is its
//! `Loop`.

pub mod stage03 {
    #![allow(unused_imports)]
    use ::stage03 as stage;
    include!("adapters/stage03.rs");
}

pub mod stage04 {
    #![allow(unused_imports)]
    use ::stage04 as stage;
    include!("adapters/stage04.rs");
}

pub mod stage05 {
    #![allow(unused_imports)]
    use ::stage05 as stage;
    include!("adapters/stage05.rs");
}

pub mod stage06 {
    #![allow(unused_imports)]
    use ::stage06 as stage;
    include!("adapters/stage06.rs");
}

/// A stage of chapter 7 or later: what chapters 3 to 7 built, unchanged in what the generated
/// programs see, and from chapter 8 on the readers and writers of `io`. (Chapters 9 to 11 add
/// threads, which the scripts of `threads.rs` compare, each on the stages' own types; of
/// chapter 11, programs see `call_soon_threadsafe` too.)
macro_rules! stage_from_chapter_7 {
    ($stage:ident $(, $io:literal $(, $threadsafe:literal)?)?) => {
        pub mod $stage {
            #![allow(unused_imports)]
            use crate::loops::*;
            use ::$stage as stage;
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
                    stage::Error::Timeout => Failure::Timeout,
                    stage::Error::InvalidState(_) => Failure::InvalidState,
                    stage::Error::Runtime(_) => Failure::Runtime,
                    stage::Error::Group(errors) => {
                        Failure::group(errors.into_iter().map(failure))
                    }
                    other => Failure::Exception(other.to_string()),
                }
            }

            fn error(failure: Failure) -> stage::Error {
                match failure {
                    Failure::Cancelled(_) => stage::Error::Cancelled,
                    Failure::Timeout => stage::Error::Timeout,
                    Failure::Runtime => stage::Error::Runtime("runtime error"),
                    other => stage::Error::Exception(other.to_string()),
                }
            }

            include!("stage/callbacks.rs");
            include!("stage/timers.rs");
            include!("stage/futures.rs");
            include!("stage/tasks.rs");
            include!("stage/combinators.rs");
            $(
                include!($io);
                $(include!($threadsafe);)?
            )?

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
                fn combinators(&self) -> Option<&dyn Combinators> {
                    Some(self)
                }
                $(
                    fn io(&self) -> Option<&dyn Io> {
                        let _ = $io;
                        Some(self)
                    }
                    $(
                        fn threadsafe(&self) -> Option<&dyn Threadsafe> {
                            let _ = $threadsafe;
                            Some(self)
                        }
                    )?
                )?
            }
        }
    };
}

stage_from_chapter_7!(stage07);
stage_from_chapter_7!(stage08, "stage/io.rs");
stage_from_chapter_7!(stage09, "stage/io.rs");
stage_from_chapter_7!(stage10, "stage/io.rs");
stage_from_chapter_7!(stage11, "stage/io.rs", "stage/threadsafe.rs");
