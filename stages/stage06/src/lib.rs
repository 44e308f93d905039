//! The loop of chapter 6, "Tasks": chapter 5's loop plus tasks that drive coroutines.
//!
//! | module | asyncio |
//! |---|---|
//! | `handle` ([`Handle`]) | `asyncio.Handle`, `asyncio.TimerHandle` |
//! | `event_loop` ([`EventLoop`]) | `BaseEventLoop`: `_ready`, `call_soon`, `call_later`, `call_at`, `time`, `_run_once`, `run_forever`, `stop`; `get_running_loop()` |
//! | `timers` | `_scheduled`, the heap of timers |
//! | `clock` | `loop.time()`; a virtual clock for exact runs |
//! | `future` ([`Future`]) | `asyncio.Future`: `set_result`, `add_done_callback`, `__await__`; `loop.create_future()` |
//! | `error` ([`Error`]) | `CancelledError`, `InvalidStateError`, exceptions |
//! | `task` ([`Task`]) | `asyncio.Task`: `__step`, `__wakeup`, `cancel`; `loop.create_task()`, `run_until_complete` |
//! | `sleep` ([`sleep`]) | `asyncio.sleep` |
//!
//! Run the chapter's program with `cargo run -p stage06`.
#![forbid(unsafe_code)]

mod clock;
mod error;
mod event_loop;
mod future;
mod handle;
mod sleep;
mod task;
mod timers;

pub use error::Error;
pub use event_loop::{get_running_loop, EventLoop, Stalled};
pub use future::{CallbackId, Future, State};
pub use handle::Handle;
pub use sleep::sleep;
pub use task::Task;
