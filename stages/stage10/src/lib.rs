//! The loop of chapter 10, "Offloading blocking work": chapter 9's loop and pool, joined:
//! `run_in_executor` hands a job to the pool, and its result comes back to the loop through
//! a queue and a waker that interrupts the loop's poll.
//!
//! | module | asyncio |
//! |---|---|
//! | `handle` ([`Handle`]) | `asyncio.Handle`, `asyncio.TimerHandle` |
//! | `event_loop` ([`EventLoop`]) | `BaseEventLoop`: `_ready`, `call_soon`, `call_later`, `call_at`, `time`, `_run_once`, `run_forever`, `stop`; `get_running_loop()` |
//! | `reactor` | `_selector`, `select(timeout)`, `_process_events`; `add_reader`, `add_writer`, `remove_reader`, `remove_writer` |
//! | `sock` ([`sock_accept`], [`sock_connect`], [`sock_recv`], [`sock_sendall`]) | `loop.sock_accept`, `sock_connect`, `sock_recv`, `sock_sendall` |
//! | `timers` | `_scheduled`, the heap of timers |
//! | `clock` | `loop.time()`; a virtual clock for exact runs |
//! | `future` ([`Future`]) | `asyncio.Future`: `set_result`, `add_done_callback`, `__await__`; `loop.create_future()` |
//! | `error` ([`Error`]) | `CancelledError`, `InvalidStateError`, `TimeoutError`, `OSError`, `RuntimeError`, `ExceptionGroup`, exceptions |
//! | `task` ([`Task`]) | `asyncio.Task`: `__step`, `__wakeup`, `cancel`; `loop.create_task()`, `run_until_complete` |
//! | `sleep` ([`sleep`]) | `asyncio.sleep` |
//! | `gather` ([`gather`], [`Gathering`]) | `asyncio.gather`, `_GatheringFuture` |
//! | `wait_for` ([`wait_for`]) | `asyncio.wait_for`, `_cancel_and_wait` |
//! | `task_group` ([`task_group`], [`TaskGroup`]) | `asyncio.TaskGroup`: `create_task`, `_on_task_done`, `__aexit__` |
//! | `concurrent` ([`ConcurrentFuture`]) | `concurrent.futures.Future`: `result`, `cancel`, `set_result`, `add_done_callback` |
//! | `thread_pool` ([`ThreadPoolExecutor`]) | `concurrent.futures.ThreadPoolExecutor`: `submit`, `shutdown`; `_WorkItem`, `_worker` |
//! | `remote` | the self-pipe: what other threads send the loop, and the waker |
//! | `bridge` | `loop.run_in_executor`, `asyncio.wrap_future`, `_chain_future`, `_set_state` |
//!
//! Run the chapter's program with `cargo run -p stage10`.
#![forbid(unsafe_code)]

mod bridge;
mod clock;
mod concurrent;
mod error;
mod event_loop;
mod future;
mod gather;
mod handle;
mod reactor;
mod remote;
mod sleep;
mod sock;
mod task;
mod task_group;
mod thread_pool;
mod timers;
mod wait_for;

pub use concurrent::ConcurrentFuture;
pub use error::Error;
pub use event_loop::{get_running_loop, EventLoop, Stalled};
pub use future::{CallbackId, Future, State};
pub use gather::{gather, Gathering};
pub use handle::Handle;
pub use sleep::sleep;
pub use sock::{sock_accept, sock_connect, sock_recv, sock_sendall};
pub use task::Task;
pub use task_group::{task_group, TaskGroup};
pub use thread_pool::ThreadPoolExecutor;
pub use wait_for::wait_for;
