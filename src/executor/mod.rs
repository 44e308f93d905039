//! `concurrent.futures`: a thread-pool executor and its thread-safe future (chapter 9, "A thread
//! pool from scratch").
//!
//! This part of steploop does not need the event loop: it is Python's `concurrent.futures`
//! module rebuilt on `std::thread`, `Mutex` and `Condvar`. (Its [`ReturnWhen`] is the one of
//! chapter 7's `asyncio.wait`, a plain enum.) Chapter 10 hands its futures to the loop
//! (`run_in_executor`, `wrap_future`).
//!
//! ```
//! use steploop::executor::{as_completed, ThreadPoolExecutor};
//!
//! let executor = ThreadPoolExecutor::new(4); // with ThreadPoolExecutor(max_workers=4) as executor:
//! let futures: Vec<_> = (1..=3)
//!     .map(|n| executor.submit(move || n * 10).unwrap())
//!     .collect();
//! let mut total = 0;
//! for future in as_completed(&futures, None) {
//!     total += future.unwrap().result().unwrap();
//! }
//! assert_eq!(total, 60);
//! ```
//!
//! # Layout
//! | module | Python |
//! |---|---|
//! | `future` ([`ConcurrentFuture`], [`ConcurrentFutureState`]) | `concurrent.futures.Future` |
//! | `thread_pool` ([`ThreadPoolExecutor`], [`MapResults`]) | `ThreadPoolExecutor`, `_worker` |
//! | `work_item` | `_WorkItem`: a queued job and its future |
//! | `wait` ([`wait()`], [`as_completed`], [`ReturnWhen`]) | `wait`, `as_completed` |
//! | `waiter` | `_Waiter`: how `wait` hears about completions |

use std::sync::{Mutex, MutexGuard, PoisonError};

mod future;
mod thread_pool;
mod wait;
mod waiter;
mod work_item;

pub use future::{ConcurrentFuture, ConcurrentFutureState};
pub use thread_pool::{MapResults, ThreadPoolExecutor};
pub use wait::{as_completed, wait, AsCompleted, DoneAndNotDoneFutures, ReturnWhen};

/// Locks `mutex`, ignoring poisoning. No user code runs under these locks except `T::clone` in
/// `result()`, which reads the state and cannot leave it half-changed; so a lock poisoned by a
/// panicking `clone` still guards consistent data, and every other thread should carry on.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
