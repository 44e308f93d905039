//! The loop of chapter 4, "Time": chapter 3's loop plus a timer heap and a clock.
//!
//! | module | asyncio |
//! |---|---|
//! | `handle` ([`Handle`]) | `asyncio.Handle`, `asyncio.TimerHandle` |
//! | `event_loop` ([`EventLoop`]) | `BaseEventLoop`: `_ready`, `call_soon`, `call_later`, `call_at`, `time`, `_run_once`, `run_forever`, `stop` |
//! | `timers` | `_scheduled`, the heap of timers |
//! | `clock` | `loop.time()`; a virtual clock for exact runs |
//!
//! Run the chapter's program with `cargo run -p stage04`.
#![forbid(unsafe_code)]

mod clock;
mod event_loop;
mod handle;
mod timers;

pub use event_loop::{EventLoop, Stalled};
pub use handle::Handle;
