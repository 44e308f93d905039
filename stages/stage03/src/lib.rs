//! The loop of chapter 3, "The ready deque": a deque of handles and the tick that runs them.
//!
//! | module | asyncio |
//! |---|---|
//! | `handle` ([`Handle`]) | `asyncio.Handle` |
//! | `event_loop` ([`EventLoop`]) | `BaseEventLoop`: `_ready`, `call_soon`, `_run_once`, `run_forever`, `stop` |
//!
//! Run the chapter's program with `cargo run -p stage03`.
#![forbid(unsafe_code)]

mod event_loop;
mod handle;

pub use event_loop::{EventLoop, Stalled};
pub use handle::Handle;
