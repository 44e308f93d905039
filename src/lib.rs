//! # steploop
//!
//! An event loop in the style of Python's asyncio, built from scratch to be read. Every piece
//! carries the name it has in asyncio, so a reader who knows `loop.call_soon` or `Task.__step`
//! finds its counterpart here by that name. Where asyncio's versions differ, steploop schedules
//! as Python 3.11 does, tick for tick.
//!
//! ```
//! use std::time::Duration;
//! use steploop::EventLoop;
//!
//! let lp = EventLoop::with_virtual_clock();
//! lp.call_soon(|lp| lp.print("hello"));
//! lp.call_later(Duration::from_secs(1), |lp| {
//!     lp.print("bye, one second later");
//!     lp.stop();
//! });
//! lp.run_forever().unwrap();
//! ```
//!
//! # Layout
//! Each module is one concept, and the book's chapters build them in this order:
//!
//! | module | asyncio | chapter |
//! |---|---|---|
//! | [`handle`](Handle) ([`Labelled`]) | `asyncio.Handle`, `loop.call_soon`; a label of your choosing | 3, The ready deque |
//! | `event_loop` ([`EventLoop`]) | `AbstractEventLoop`: the loop's whole public API, in its sections, over the parts below | all |
//! | `ready` | `_ready`: the ready deque and the kinds of entry it holds | 3, The ready deque |
//! | `scheduler` | what futures and tasks reach through `self._loop`: the ready deque, the trace, and the task table (`scheduler/task_table`: `_all_tasks`, and what the scheduler asks of a task) | 3, The ready deque; 5; 6 |
//! | `tick` | `_run_once` (its last loop: the only place where callbacks are called), `run_forever`, `stop` | 3, The ready deque; 4; 8 |
//! | `running` ([`get_running_loop`]) | `_running_loop`, `get_running_loop` | 3, The ready deque |
//! | `state` | `BaseEventLoop.__init__`, `close`, `__del__`: the loop's parts, made and closed together; `Future.get_loop()` | 3, The ready deque |
//! | `nanos` | the float of seconds that `loop.time()` returns: kept as nanoseconds, shown as seconds | 3, The ready deque; 4, Time |
//! | `clock` ([`ClockKind`]) | `loop.time()` | 4, Time |
//! | `timers` ([`TimerHandle`]) | `TimerHandle`, `_scheduled`, `call_later`, `call_at` | 4, Time |
//! | `future` ([`Future`]) | `asyncio.Future`, `add_done_callback`, `__await__` | 5, Futures |
//! | `task` ([`Task`]) | `asyncio.Task`, `__step`, `__wakeup`, `current_task` | 6, Tasks |
//! | `running_task` | `_current_tasks`: the task whose step runs, and how an await registers it | 5, Futures; 6, Tasks |
//! | `sleep` ([`sleep`]) | `asyncio.sleep` | 6, Tasks |
//! | `run` ([`run`], [`Awaitable`]) | `asyncio.run`, `run_until_complete`, `ensure_future` | 6, Tasks |
//! | [`combinators`] ([`gather()`], [`wait()`], [`as_completed()`], [`wait_for()`], [`shield()`]) | `asyncio.gather`, `wait`, `as_completed`, `wait_for`, `shield`, `ensure_future` | 7, Composing tasks |
//! | `timeout` ([`timeout()`], [`timeout_at`], [`Timeout`]) | `asyncio.timeout`, `timeout_at`, `Timeout` (3.11) | 7, Composing tasks |
//! | `task_group` ([`task_group()`], [`TaskGroup`]) | `asyncio.TaskGroup` (3.11) | 7, Composing tasks |
//! | `remote` | the self-pipe: wakeups and callbacks from other threads | 6, Tasks; 11 |
//! | `bridge` ([`EventLoop::run_in_executor`], [`EventLoop::wrap_future`]) | `_chain_future`, `run_in_executor`, the default executor | 10, Offloading blocking work |
//! | `wrap_future` ([`wrap_future()`]) | `asyncio.wrap_future`, on the running loop | 10, Offloading blocking work |
//! | `threadsafe` ([`LoopHandle`], [`run_coroutine_threadsafe`]) | `call_soon_threadsafe`, `run_coroutine_threadsafe` | 11, Loops in other threads |
//! | `reactor` ([`EventLoop::add_reader`]) | the selector: `_run_once`'s `select(timeout)`; `add_reader`, `remove_reader`, `add_writer`, `remove_writer` | 4, Time; 8, The reactor |
//! | [`net`] ([`net::TcpListener`], [`net::TcpStream`]) | `sock_accept`, `sock_connect`, `sock_recv`, `sock_sendall`, `readexactly` | 8, The reactor |
//! | `spin` | (steploop's own: a few microseconds of spinning before a thread sleeps until another acts) | 8, The reactor; 9; 15, Performance |
//! | [`trace`] | (steploop's own: what the loop did, tick by tick) | 3 onwards |
//! | [`inspect`] ([`EventLoop::queues`]) | `loop._ready`, `loop._scheduled`, looked at from outside | 3, 4; 14, Seeing the loop |
//! | `exception_handler` ([`ExceptionContext`]) | `call_exception_handler`, `set_exception_handler`, `default_exception_handler` | 3; 14, Seeing the loop |
//! | `debug` ([`EventLoop::set_debug`], [`run_debug`]) | `loop.set_debug`, `slow_callback_duration`, `PYTHONASYNCIODEBUG`, `source_traceback`; the loop's diagnostics | 14, Seeing the loop |
//! | [`replay`] ([`replay::Replay`]) | (steploop's own: a trace replayed step by step, for the book's step-through viewer) | 3 onwards; 14, Seeing the loop |
//! | [`timeline`] ([`timeline::Timeline`]) | (steploop's own: a trace drawn as SVG) | 14, Seeing the loop |
//! | [`executor`] | `concurrent.futures` | 9, A thread pool from scratch |
//! | [`process`] ([`ProcessPoolExecutor`], [`process::worker_entry`], [`EventLoop::run_in_process_pool`]) | `ProcessPoolExecutor`, `if __name__ == '__main__':` | 12, Processes |
//! | `error` ([`Error`]) | `CancelledError`, `InvalidStateError`, ... | all |
#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations)]

mod bridge;
mod clock;
pub mod combinators;
mod debug;
mod error;
mod event_loop;
mod exception_handler;
mod future;
mod handle;
pub mod inspect;
mod label;
mod nanos;
pub mod net;
pub mod process;
mod reactor;
mod ready;
mod remote;
pub mod replay;
mod run;
mod running;
mod running_task;
mod scheduler;
mod sleep;
mod spin;
mod state;
mod task;
mod task_group;
mod task_state;
mod threadsafe;
mod tick;
pub mod timeline;
mod timeout;
mod timers;
pub mod trace;
mod wrap_future;

pub mod executor;

pub use clock::ClockKind;
pub use combinators::{
    as_completed, ensure_future, gather, gather_return_exceptions, shield, wait, wait_for,
    AsCompleted, ReturnWhen,
};
pub use debug::ExceptionHandler;
pub use error::{Error, ErrorGroup};
pub use event_loop::EventLoop;
pub use exception_handler::{default_exception_handler, ExceptionContext};
pub use executor::{ConcurrentFuture, ThreadPoolExecutor};
pub use future::{CallbackId, Future, FutureState, Waiting};
pub use handle::{Callback, Handle, Labelled};
pub use label::Label;
pub use process::ProcessPoolExecutor;
pub use run::{run, run_debug, run_with, Awaitable};
pub use running::get_running_loop;
pub use sleep::{sleep, Sleep};
pub use task::{current_task, Task, TaskRef};
pub use task_group::{task_group, TaskGroup};
pub use threadsafe::{run_coroutine_threadsafe, LoopHandle};
pub use timeout::{timeout, timeout_at, Timeout};
pub use timers::TimerHandle;
pub use wrap_future::wrap_future;
