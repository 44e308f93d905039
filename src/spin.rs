//! Spinning before sleeping: a thread about to block until another thread acts first watches
//! for it a few microseconds.
//!
//! Three waits use it: the loop's, before it sleeps in its poll with no I/O to watch (then only
//! another thread can wake it: a job's result, a `call_soon_threadsafe`); a pool worker's,
//! before it parks until a job comes; and `result()`'s, before it sleeps until the job is done.
//! Chapter 15 shows it and measures what it saves.

use std::hint::spin_loop;
use std::thread;

// ANCHOR: spin_until
/// Spins a moment, then yields a few times, until `ready()`; returns whether it became ready.
///
/// A thread about to sleep until another thread does something calls this first: a pool
/// worker waiting for a job, a caller of `result()`, and the loop before it sleeps in its
/// poll. Sleeping and being woken costs two syscalls and, when the waker runs on another core,
/// an interrupt to wake that core; on the 2-core virtual machine this was measured on, that
/// round trip took 20 to 40 µs, while a pool job that is already on its way arrives in well
/// under one. The budget, 63 spins then 4 yields (as `crossbeam`'s `Backoff`), is a few
/// microseconds: short enough to cost nothing noticeable when the wait turns out to be long.
pub(crate) fn spin_until(mut ready: impl FnMut() -> bool) -> bool {
    for step in 0..10 {
        if ready() {
            return true;
        }
        if step < 6 {
            for _ in 0..1 << step {
                spin_loop();
            }
        } else {
            thread::yield_now();
        }
    }
    ready()
}
// ANCHOR_END: spin_until
