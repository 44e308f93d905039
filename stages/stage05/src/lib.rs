//! The loop of chapter 5, "Futures": chapter 4's loop plus futures and their done-callbacks.
//!
//! | module | asyncio |
//! |---|---|
//! | `handle` ([`Handle`]) | `asyncio.Handle`, `asyncio.TimerHandle` |
//! | `event_loop` ([`EventLoop`]) | `BaseEventLoop`: `_ready`, `call_soon`, `call_later`, `call_at`, `time`, `_run_once`, `run_forever`, `stop` |
//! | `timers` | `_scheduled`, the heap of timers |
//! | `clock` | `loop.time()`; a virtual clock for exact runs |
//! | `future` ([`Future`]) | `asyncio.Future`: `set_result`, `add_done_callback`, `__await__`; `loop.create_future()` |
//! | `error` ([`Error`]) | `CancelledError`, `InvalidStateError`, exceptions |
//!
//! Run the chapter's program with `cargo run -p stage05`.
#![forbid(unsafe_code)]

mod clock;
mod error;
mod event_loop;
mod future;
mod handle;
mod timers;

pub use error::Error;
pub use event_loop::{EventLoop, Stalled};
pub use future::{CallbackId, Future, State};
pub use handle::Handle;
