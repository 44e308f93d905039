//! `concurrent.futures.ProcessPoolExecutor`: jobs in worker processes, spoken to over a
//! private socket each (chapter 12, "Processes").
//!
//! A thread pool shares the program's memory; a process pool does not, and that is its point:
//! a job that crashes, leaks or calls a library that is not thread-safe takes down only its
//! own process. (Python needs processes for a second reason, the global interpreter lock,
//! which Rust does not have.) The price is that nothing is shared: a job is a function
//! registered by name, its arguments and result are bytes, and every worker is this program
//! started again, which must let [`worker_entry`] take over first thing in `main`.
//!
//! ```
//! use std::rc::Rc;
//! use steploop::process::{decode_u64, encode_u64, worker_entry, Job, ProcessPoolExecutor};
//! use steploop::{get_running_loop, run, Error};
//!
//! fn count(args: &[u8]) -> Result<Vec<u8>, Error> {
//!     let to = decode_u64(args)?;
//!     Ok(encode_u64((0..to).fold(0, |n, _| n + 1)))
//! }
//! const JOBS: &[Job] = &[Job::new("count", count)];
//!
//! fn main() {
//!     worker_entry(JOBS); // in a worker, serves JOBS and never returns
//!     let pool = Rc::new(ProcessPoolExecutor::new(4));
//!     // The blocking API, as in chapter 9:
//!     let future = pool.submit("count", encode_u64(1_000)).unwrap();
//!     assert_eq!(decode_u64(&future.result().unwrap()).unwrap(), 1_000);
//!     // On the loop, as in chapter 10:
//!     let counted = run(async move {
//!         let lp = get_running_loop().unwrap();
//!         lp.run_in_process_pool(&pool, "count", encode_u64(1_000)).await
//!     });
//!     assert_eq!(decode_u64(&counted.unwrap()).unwrap(), 1_000);
//! }
//! ```
//!
//! # Layout
//! | module | Python |
//! |---|---|
//! | `pool` ([`ProcessPoolExecutor`]) | `ProcessPoolExecutor`, `submit`, `map`, `shutdown` |
//! | `driver` | `_ExecutorManagerThread`: reads replies, reaps workers, `_terminate_broken` |
//! | `worker` ([`worker_entry`], [`Job`]) | `_process_worker`; `if __name__ == '__main__':` |
//! | `watcher` | each process's `sentinel`, waited on with the result pipes |
//! | `protocol` | `multiprocessing.connection`'s length-prefixed messages |
//! | `codec` ([`Encoder`], [`Decoder`]) | `pickle`, for integers, strings and lists |

mod codec;
mod driver;
mod pool;
mod protocol;
mod watcher;
mod worker;

pub use codec::{decode_str, decode_u64, encode_str, encode_u64, Decoder, Encoder};
pub use pool::ProcessPoolExecutor;
pub use worker::{worker_entry, Job, JobFn, WORKER_ENV};
