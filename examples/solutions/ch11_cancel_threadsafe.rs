//! Chapter 11, exercise 2: `run_coroutine_threadsafe` on stage 11, cancellable from the
//! calling thread, as asyncio's is: cancelling the concurrent future cancels the task on the
//! loop. Run it with `cargo run --example ch11_cancel_threadsafe`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use stage11::{sleep, ConcurrentFuture, Error, EventLoop, LoopHandle};

// ANCHOR: solution
thread_local! {
    /// On the loop's thread: how to cancel each task started for another thread, by number.
    /// A task is an `Rc` and stays here; only its number crosses, as in chapter 10's bridge.
    static CANCELLERS: RefCell<HashMap<u64, Box<dyn FnOnce()>>> = RefCell::new(HashMap::new());
}

/// `asyncio.run_coroutine_threadsafe(coro, loop)`, whose future, cancelled in any thread,
/// cancels the task (`_chain_future`, both ways).
pub fn run_coroutine_threadsafe<T, C, F>(make: C, handle: &LoopHandle) -> ConcurrentFuture<T>
where
    T: Clone + Send + 'static,
    C: FnOnce() -> F + Send + 'static,
    F: std::future::Future<Output = Result<T, Error>> + 'static,
{
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let number = NEXT.fetch_add(1, Ordering::Relaxed);
    let concurrent = ConcurrentFuture::new();
    let setter = concurrent.clone();
    handle.call_soon_threadsafe(move |event_loop| {
        if setter.cancelled() {
            return; // cancelled before it started: it never starts
        }
        let task = event_loop.create_task("run_coroutine_threadsafe", make());
        let to_cancel = task.clone();
        let cancel = Box::new(move || {
            to_cancel.cancel();
        });
        CANCELLERS.with_borrow_mut(|cancellers| cancellers.insert(number, cancel));
        // Loop → thread: the task's outcome goes to the concurrent future.
        task.add_done_callback(move |task| {
            CANCELLERS.with_borrow_mut(|cancellers| cancellers.remove(&number));
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
    // Thread → loop: the future cancelled, in whichever thread, sends the loop the number of
    // the task to cancel.
    let handle = handle.clone();
    concurrent.add_done_callback(move |concurrent| {
        if concurrent.cancelled() {
            handle.call_soon_threadsafe(move |_| {
                let cancel = CANCELLERS.with_borrow_mut(|cancellers| cancellers.remove(&number));
                if let Some(cancel) = cancel {
                    cancel();
                }
            });
        }
    });
    concurrent
}
// ANCHOR_END: solution

/// A coroutine sent to a loop in another thread sleeps for a minute; the main thread cancels
/// it as soon as it has started. Returns what `cancel()` said and what the coroutine saw.
fn cancel_from_the_main_thread() -> (bool, String) {
    let (send_handle, receive_handle) = mpsc::channel();
    let loop_thread = thread::spawn(move || {
        let lp = EventLoop::new();
        send_handle.send(lp.handle()).expect("main listens");
        lp.run_forever()
    });
    let handle: LoopHandle = receive_handle.recv().expect("the loop sends its handle");
    let (started, coroutine_started) = mpsc::channel();
    let (report, coroutine_report) = mpsc::channel();
    let future = run_coroutine_threadsafe(
        move || async move {
            started.send(()).expect("main listens");
            let slept = sleep(Duration::from_secs(60)).await;
            report.send(format!("{slept:?}")).expect("main listens");
            slept.map(|()| 0)
        },
        &handle,
    );
    coroutine_started.recv().expect("the coroutine starts");
    let cancelled = future.cancel();
    let seen = coroutine_report.recv().expect("the coroutine reports");
    handle.stop();
    loop_thread
        .join()
        .expect("the loop's thread ends")
        .expect("stopped, not stalled");
    (cancelled, seen)
}

fn main() {
    let (cancelled, seen) = cancel_from_the_main_thread();
    println!("main: future.cancel() returned {cancelled}");
    println!("the coroutine's sleep returned {seen}");
}

#[cfg(test)]
mod tests {
    #[test]
    fn cancelling_the_future_in_the_calling_thread_cancels_the_task() {
        let (cancelled, seen) = super::cancel_from_the_main_thread();
        assert!(cancelled);
        assert_eq!(seen, "Err(Cancelled)");
    }
}
