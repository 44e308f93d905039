// ANCHOR: loop_handle
//! Other threads sending work to a loop (asyncio's `loop.call_soon_threadsafe` and
//! `asyncio.run_coroutine_threadsafe`).

use std::sync::Arc;

use crate::remote::Remote;
use crate::{ConcurrentFuture, Error, EventLoop};

/// A handle to a loop that any thread may hold: `Send`, `Sync` and `Clone`, where the
/// `EventLoop` itself is none of them. All it can do is send the loop callbacks, through the
/// loop's door of chapter 10.
pub struct LoopHandle {
    remote: Arc<Remote>,
}

impl EventLoop {
    /// A handle for other threads. While one exists, an idle loop waits for what it may send,
    /// instead of reporting a stall.
    pub fn handle(&self) -> LoopHandle {
        LoopHandle::new(self.remote().clone())
    }
}

impl LoopHandle {
    fn new(remote: Arc<Remote>) -> LoopHandle {
        remote.handle_made();
        LoopHandle { remote }
    }

    /// Schedules `callback` to run on the loop's thread, from any thread
    /// (`loop.call_soon_threadsafe(callback)`).
    pub fn call_soon_threadsafe(&self, callback: impl FnOnce(&EventLoop) + Send + 'static) {
        self.remote.push(Box::new(callback));
    }

    /// Stops the loop from another thread (`loop.call_soon_threadsafe(loop.stop)`).
    pub fn stop(&self) {
        self.call_soon_threadsafe(|event_loop| event_loop.stop());
    }
}

impl Clone for LoopHandle {
    fn clone(&self) -> LoopHandle {
        LoopHandle::new(self.remote.clone())
    }
}

/// When the last handle goes, nobody can send the loop anything any more: the loop is woken
/// to look again, and if nothing else can make anything ready, it reports the stall.
impl Drop for LoopHandle {
    fn drop(&mut self) {
        self.remote.handle_dropped();
    }
}
// ANCHOR_END: loop_handle

// ANCHOR: run_coroutine_threadsafe
/// Runs a coroutine on the loop of `handle`, from another thread, and returns a concurrent
/// future of its outcome, which the calling thread may block on
/// (`asyncio.run_coroutine_threadsafe(coro, loop)`).
///
/// It takes a function that *makes* the coroutine: a coroutine that awaits loop objects holds
/// `Rc`s, and cannot cross threads; the function holds only its arguments, and is called on
/// the loop's thread.
pub fn run_coroutine_threadsafe<T, C, F>(make: C, handle: &LoopHandle) -> ConcurrentFuture<T>
where
    T: Clone + Send + 'static,
    C: FnOnce() -> F + Send + 'static,
    F: std::future::Future<Output = Result<T, Error>> + 'static,
{
    let concurrent = ConcurrentFuture::new();
    let setter = concurrent.clone();
    handle.call_soon_threadsafe(move |event_loop| {
        let task = event_loop.create_task("run_coroutine_threadsafe", make());
        // asyncio's `_chain_future`, from the loop to the thread: the task's outcome, when it
        // is done, goes to the concurrent future, which wakes whoever blocks on it.
        task.add_done_callback(move |task| {
            if task.cancelled() {
                setter.cancel();
                return;
            }
            let _ = match task.result() {
                Ok(value) => setter.set_result(value),
                Err(error) => setter.set_exception(error),
            };
        });
    });
    concurrent
}
// ANCHOR_END: run_coroutine_threadsafe
