//! Talking to a loop from other threads: [`LoopHandle`], `call_soon_threadsafe` and
//! [`run_coroutine_threadsafe`] (asyncio's `loop.call_soon_threadsafe` and
//! `asyncio.run_coroutine_threadsafe`).
//!
//! An [`EventLoop`] is an `Rc`: it cannot leave its thread, and the compiler says so, which is
//! how steploop answers "`call_soon` from another thread" — it does not compile:
//!
//! ```compile_fail
//! let lp = steploop::EventLoop::new();
//! std::thread::spawn(move || lp.call_soon(|_| ())); // EventLoop is not Send
//! ```
//!
//! A [`LoopHandle`] is what may leave: `Send + Sync + Clone`, it holds only the loop's
//! thread-safe queue, and all it can do is put callbacks on it and wake the loop.

use std::future::Future as StdFuture;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::executor::ConcurrentFuture;
use crate::handle::as_event_loop;
use crate::label::Label;
use crate::ready::{Facade, RemoteCall, Runnable};
use crate::remote::{Message, Remote};
use crate::running_task::current_key;
use crate::scheduler::task_table::AnyTask;
use crate::trace::Event;
use crate::{Error, EventLoop};

// ANCHOR: loop_handle
/// A loop's door for other threads: send it callbacks with
/// [`call_soon_threadsafe`](LoopHandle::call_soon_threadsafe), coroutines with
/// [`run_coroutine_threadsafe`], or [`stop`](LoopHandle::stop) it.
///
/// Made by [`EventLoop::handle`]. Clones are handles to the same loop.
///
/// # Notes
/// While any `LoopHandle` is alive, [`run_forever`](EventLoop::run_forever) waits for work
/// from other threads rather than report a stall, as asyncio's `run_forever` blocks for
/// `call_soon_threadsafe`; once the last one is dropped and nothing else is pending, it
/// reports the stall. [`run_until_complete`](EventLoop::run_until_complete) does not count
/// handles: see [`EventLoop::wrap_future`] for awaiting what another thread completes.
///
/// # Examples
/// ```
/// use steploop::EventLoop;
///
/// let lp = EventLoop::new();
/// let handle = lp.handle();
/// std::thread::spawn(move || {
///     handle.call_soon_threadsafe(|lp| lp.print("hello from another thread")).unwrap();
///     handle.stop().unwrap();
/// });
/// lp.run_forever().unwrap();
/// ```
pub struct LoopHandle {
    remote: Arc<Remote>,
}
// ANCHOR_END: loop_handle

/// A `LoopHandle` is what may cross threads: checked when the crate compiles.
const _: fn() = || {
    fn send_sync_clone<T: Send + Sync + Clone>() {}
    send_sync_clone::<LoopHandle>();
};

impl LoopHandle {
    pub(crate) fn new(remote: Arc<Remote>) -> LoopHandle {
        remote.handle_created();
        LoopHandle { remote }
    }

    // ANCHOR: call_soon_threadsafe
    /// Schedules `callback` to run on the loop's thread, on one of its next ticks, and wakes
    /// the loop if it is waiting (`loop.call_soon_threadsafe(callback)`).
    ///
    /// Callbacks run in the order of the calls made from any one thread. On the loop's own
    /// thread that order includes [`EventLoop::call_soon`]: as asyncio appends to the ready
    /// deque at call time, `handle.call_soon_threadsafe(a)` then `lp.call_soon(b)` runs `a`
    /// first. Callbacks from several threads run in the order they reached the loop's queue.
    ///
    /// # Errors
    /// [`Error::Closed`] if the loop was closed (or dropped): the callback is dropped unrun.
    ///
    /// # Notes
    /// A panic in the callback is reported to the loop's exception handler, like a panic in
    /// any callback. The loop picks callbacks from other threads up at the start of a tick,
    /// so one sent while a tick runs waits for the next, as one sent by `call_soon` does.
    ///
    /// # Implementation notes
    /// One allocation (the callback and its label), then: on the loop's own thread, a look in
    /// a thread-local list of its loops and a push onto the ready deque; from another thread,
    /// one lock of the loop's queue, and an `eventfd` write only when the loop sleeps in its
    /// poll and nobody has woken it yet.
    ///
    /// # Examples
    /// ```
    /// use steploop::{Error, EventLoop};
    ///
    /// let lp = EventLoop::new();
    /// let handle = lp.handle();
    /// handle.call_soon_threadsafe(|lp| lp.stop()).unwrap();
    /// lp.run_forever().unwrap();
    /// lp.close().unwrap();
    /// assert!(matches!(handle.call_soon_threadsafe(|_| ()), Err(Error::Closed)));
    /// ```
    pub fn call_soon_threadsafe<F>(&self, callback: F) -> Result<(), Error>
    where
        F: FnOnce(&EventLoop) + Send + 'static,
    {
        send(&self.remote, Label::of_type::<F>(), callback)
    }
    // ANCHOR_END: call_soon_threadsafe

    /// Asks the loop to stop, from any thread: `loop.call_soon_threadsafe(loop.stop)`.
    ///
    /// # Errors
    /// [`Error::Closed`] if the loop was closed.
    pub fn stop(&self) -> Result<(), Error> {
        send(&self.remote, Label::new("stop"), |lp: &EventLoop| lp.stop())
    }

    /// True once the loop was closed or dropped (`loop.is_closed()`).
    pub fn is_closed(&self) -> bool {
        self.remote.is_closed()
    }
}

/// Sends a labelled callback to the loop.
fn send<F>(remote: &Remote, label: Label, callback: F) -> Result<(), Error>
where
    F: FnOnce(&EventLoop) + Send + 'static,
{
    let call = Box::new(Call { label, callback });
    // On the loop's own thread, the ready deque itself, as asyncio's `call_soon_threadsafe`
    // appends to `_ready`: the call keeps its place among the `call_soon`s around it. From any
    // other thread, the queue, drained at the next tick.
    if let Some(scheduler) = crate::scheduler::of_this_thread(remote.loop_id()) {
        if scheduler.is_closed() {
            return Err(Error::Closed);
        }
        scheduler.record(|| Event::CallSoon(call.label()));
        scheduler.ready.push(|| Runnable::Remote(call));
        return Ok(());
    }
    remote.push(Message::Call(call)).map_err(|_| Error::Closed)
}

/// A callback and its label, boxed together.
struct Call<F> {
    label: Label,
    callback: F,
}

impl<F: FnOnce(&EventLoop) + Send> RemoteCall for Call<F> {
    fn call(self: Box<Self>, event_loop: &Facade) {
        (self.callback)(as_event_loop(event_loop))
    }

    fn label(&self) -> Label {
        self.label.clone()
    }
}

impl Clone for LoopHandle {
    fn clone(&self) -> Self {
        LoopHandle::new(self.remote.clone())
    }
}

impl Drop for LoopHandle {
    fn drop(&mut self) {
        self.remote.handle_dropped();
    }
}

impl std::fmt::Debug for LoopHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoopHandle")
            .field("closed", &self.is_closed())
            .finish()
    }
}

// ANCHOR: run_coroutine_threadsafe
/// Runs a coroutine on the loop of `handle`, from any thread, and returns a
/// [`ConcurrentFuture`] for its result (`asyncio.run_coroutine_threadsafe(coro, loop)`).
///
/// `make` is called on the loop's thread to make the coroutine, which then runs there as a
/// task. The calling thread can block on the returned future's `result()`, or wait for many
/// with `executor::wait` / `as_completed`.
///
/// # Notes
/// asyncio passes a coroutine object; steploop passes a closure that makes it, because a
/// coroutine that holds loop objects (`Rc`s) across an `.await` cannot be sent to another
/// thread, while a closure holding only its arguments can — and a Python coroutine object,
/// before its first step, is no more than its function and arguments.
///
/// Cancelling the returned future cancels the task, as asyncio does. The future receives
/// `Error::Panicked` if the coroutine panics, and an error saying so if the loop is closed
/// before the coroutine finished (or was closed already).
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use steploop::{run_coroutine_threadsafe, sleep, EventLoop};
///
/// let (send, receive) = std::sync::mpsc::channel();
/// let thread = std::thread::spawn(move || {
///     let lp = EventLoop::new();
///     send.send(lp.handle()).unwrap();
///     lp.run_forever().unwrap(); // until the handle's stop()
/// });
/// let handle = receive.recv().unwrap();
/// let future = run_coroutine_threadsafe(
///     || async {
///         sleep(Duration::from_millis(10)).await?;
///         Ok(6 * 7)
///     },
///     &handle,
/// );
/// assert_eq!(future.result().unwrap(), 42); // blocks this thread, not the loop's
/// handle.stop().unwrap();
/// thread.join().unwrap();
/// ```
pub fn run_coroutine_threadsafe<T, C, F>(make: C, handle: &LoopHandle) -> ConcurrentFuture<T>
where
    C: FnOnce() -> F + Send + 'static,
    F: StdFuture<Output = Result<T, Error>> + 'static,
    T: Send + 'static,
{
    let future = ConcurrentFuture::new();
    let delivery = Delivery {
        future: Some(future.clone()),
    };
    let remote = handle.remote.clone();
    let label = Label::new("run_coroutine_threadsafe");
    // If the loop is closed the closure is dropped unrun, and `delivery` reports it.
    let _ = send(&handle.remote, label, move |lp: &EventLoop| {
        if delivery.cancelled() {
            return; // cancelled before the loop got to it: the coroutine never starts
        }
        lp.create_task(async move {
            let lp = crate::get_running_loop().expect("a task runs on its loop");
            let key = current_key(lp.id()).expect("a task's coroutine runs in its task");
            // Cancelling the concurrent future, from any thread, cancels this task.
            let cancel = delivery.future.clone().expect("not delivered yet");
            cancel.add_done_callback(move |future| {
                if future.cancelled() {
                    let cancel_task = move |lp: &EventLoop| {
                        if let Some(task) = lp.scheduler().task(key) {
                            AnyTask::cancel(&*task, None);
                        }
                    };
                    let _ = send(&remote, Label::new("cancel"), cancel_task);
                }
            });
            let outcome = CatchUnwind(Box::pin(make())).await;
            delivery.deliver(outcome);
            Ok(())
        });
    });
    future
}
// ANCHOR_END: run_coroutine_threadsafe

/// Copies a coroutine's outcome into its concurrent future, once; dropped undelivered (the
/// loop was closed first), it reports that instead, so the waiting thread never hangs.
struct Delivery<T> {
    future: Option<ConcurrentFuture<T>>,
}

impl<T> Delivery<T> {
    fn cancelled(&self) -> bool {
        self.future
            .as_ref()
            .is_some_and(ConcurrentFuture::cancelled)
    }

    fn deliver(mut self, outcome: Result<T, Error>) {
        if let Some(future) = self.future.take() {
            set_concurrent_state(&future, outcome);
        }
    }
}

impl<T> Drop for Delivery<T> {
    fn drop(&mut self) {
        if let Some(future) = self.future.take() {
            let closed = Error::Runtime(
                "the event loop was closed before the coroutine sent with \
                 run_coroutine_threadsafe finished"
                    .into(),
            );
            set_concurrent_state(&future, Err(closed));
        }
    }
}

/// asyncio's `_set_concurrent_future_state`.
fn set_concurrent_state<T>(future: &ConcurrentFuture<T>, outcome: Result<T, Error>) {
    if let Err(Error::Cancelled(_)) = outcome {
        future.cancel();
        return;
    }
    if !matches!(future.set_running_or_notify_cancel(), Ok(true)) {
        return; // cancelled by the caller meanwhile
    }
    let _ = match outcome {
        Ok(value) => future.set_result(value),
        Err(error) => future.set_exception(error),
    };
}

/// Turns a panic in the coroutine into `Error::Panicked`, so that it reaches the waiting
/// thread with its message.
struct CatchUnwind<F>(Pin<Box<F>>);

impl<T, F: StdFuture<Output = Result<T, Error>>> StdFuture for CatchUnwind<F> {
    type Output = Result<T, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let coroutine = self.0.as_mut();
        match catch_unwind(AssertUnwindSafe(|| coroutine.poll(cx))) {
            Ok(poll) => poll,
            Err(payload) => Poll::Ready(Err(Error::from_panic(payload))),
        }
    }
}
