//! `concurrent.futures.Future`: a box that one thread fills with an outcome and any number of
//! threads wait on.
//!
//! Invariant, the same as Python's: the state only moves forward (see
//! [`ConcurrentFutureState`]); once the future is done (finished or cancelled) its waiters have
//! been told and its done-callbacks have been taken out to run, exactly once, by the thread
//! that completed it.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::mem;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use super::lock;
use super::waiter::{Completion, WaiterSlot};
use crate::error::panic_message;
use crate::Error;

mod waiting;

// ANCHOR: state
/// Where a [`ConcurrentFuture`] is in its life: Python's `PENDING`, `RUNNING`, `CANCELLED` and
/// `FINISHED`.
///
/// ```text
///          set_running_or_notify_cancel           set_result / set_exception
/// Pending ──────────────────────────────▶ Running ──────────────────────────▶ Finished
///    │ └─────────────────────── set_result / set_exception ─────────────────▶ Finished
///    └── cancel ──▶ Cancelled
/// ```
///
/// # Notes
/// Named apart from the loop's [`FutureState`](crate::FutureState), which has no `Running`
/// (a loop future's work, when it has any, is a task with a state of its own) and carries the
/// outcome.
///
/// Python has a fifth state, `CANCELLED_AND_NOTIFIED`, entered when a worker finds a cancelled
/// job in its queue; only then does Python's `wait` count the cancelled future as done. steploop
/// tells `wait` and `as_completed` at the moment of `cancel`, so a cancelled future is done at
/// once and the fifth state is not needed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConcurrentFutureState {
    /// Nobody has started the work yet. Entered when the future is created: `submit` returns a
    /// pending future whose job waits in the pool's queue. Left by `cancel` (to `Cancelled`),
    /// by a worker's `set_running_or_notify_cancel` (to `Running`), or straight to `Finished`
    /// when the future's owner calls `set_result`/`set_exception` on a future that no pool runs.
    Pending,
    /// A worker is running the job. Entered by `set_running_or_notify_cancel`. Left only by
    /// `set_result` or `set_exception` (to `Finished`): a running job cannot be cancelled,
    /// because a thread cannot be interrupted from outside.
    Running,
    /// The job was cancelled before it started. Entered by `cancel` on a pending future, or by
    /// `shutdown(cancel_futures = true)` for the jobs still queued. Never left; `result()`
    /// returns `Error::Cancelled`.
    Cancelled,
    /// The job returned a value or failed. Entered by `set_result` or `set_exception`. Never
    /// left; `result()` returns the value or the error.
    Finished,
}
// ANCHOR_END: state

impl ConcurrentFutureState {
    /// Finished or cancelled: Python's `done()`.
    pub fn is_done(self) -> bool {
        matches!(
            self,
            ConcurrentFutureState::Finished | ConcurrentFutureState::Cancelled
        )
    }
}

/// A done-callback: Python's `fn(future)` in `_done_callbacks`.
type DoneCallback<T> = Box<dyn FnOnce(&ConcurrentFuture<T>) + Send>;

/// The done-callbacks of a future that has just completed, still to be run.
pub(crate) struct DoneCallbacks<T>(Vec<DoneCallback<T>>);

impl<T> DoneCallbacks<T> {
    /// No callback to run: the common case for a submitted job.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

// ANCHOR: inner
/// The fields of Python's `concurrent.futures.Future`, behind one lock.
struct Shared<T> {
    /// `_state`.
    state: ConcurrentFutureState,
    /// `_result`: `Some` once finished with a value (until `take_result` moves it out).
    result: Option<T>,
    /// `_exception`: `Some` once finished with an error.
    exception: Option<Error>,
    /// `_done_callbacks`: taken out and run by whoever completes the future.
    done_callbacks: Vec<DoneCallback<T>>,
    /// `_waiters`: the `wait`/`as_completed` calls watching this future.
    waiters: Vec<WaiterSlot>,
    /// Threads asleep in `result()`/`exception()`. Completion only signals the condition
    /// variable when this is not zero: std's `notify_all` is a syscall even with no sleeper.
    sleepers: usize,
}

/// What every handle to one future shares: Python's `_condition` (a lock and a condition
/// variable) and the fields it guards.
struct Inner<T> {
    shared: Mutex<Shared<T>>,
    done: Condvar,
    /// `shared.state.is_done()`, readable without the lock, for a waiter that spins.
    is_done: AtomicBool,
}
// ANCHOR_END: inner

/// `concurrent.futures.Future`: the thread-safe future that [`submit`] returns.
///
/// A `ConcurrentFuture` is a handle: cloning it is cheap and every clone is the same future,
/// as every Python reference to a `Future` object is the same object. Equality and hashing go
/// by identity too, so a future can key a `HashMap`, like Python's
/// `{executor.submit(fetch, n): n for n in NUMBERS}`.
///
/// # Notes
/// Many threads may call [`result`](Self::result) on one future, as in Python, so `result`
/// clones the value (`T: Clone`) and leaves it in place for the next caller. When `T` is not
/// `Clone`, or when a copy would be costly, [`take_result`](Self::take_result) moves the value
/// out instead; wrapping a large result in an `Arc` is the other way to share it cheaply.
///
/// `ConcurrentFuture<T>` is `Send + Sync` when `T: Send`.
///
/// # Implementation notes
/// One allocation per future (the `Arc` holding a `Mutex`, a `Condvar` and the fields above);
/// the callback and waiter lists allocate only when something is added to them. Every method
/// takes the future's one lock for a few instructions; user code (callbacks) never runs under
/// it, except `T::clone` in `result`.
///
/// # Examples
/// The seed's first example: a bare future, a callback, `set_result`.
/// ```
/// use steploop::executor::ConcurrentFuture;
///
/// let future = ConcurrentFuture::new();
/// future.add_done_callback(|f| println!("callback: {}", f.result().unwrap()));
/// future.set_result("some value").unwrap(); // prints "callback: some value"
/// assert!(future.done());
/// ```
///
/// [`submit`]: super::ThreadPoolExecutor::submit
pub struct ConcurrentFuture<T> {
    inner: Arc<Inner<T>>,
}

impl<T> ConcurrentFuture<T> {
    /// A new pending future: `concurrent.futures.Future()`.
    ///
    /// # Notes
    /// Executors create futures; creating one by hand is for tests and for code that completes
    /// futures itself, as the seed's first example does.
    ///
    /// # Examples
    /// ```
    /// use steploop::executor::{ConcurrentFuture, ConcurrentFutureState};
    ///
    /// let future = ConcurrentFuture::<i32>::new();
    /// assert_eq!(future.state(), ConcurrentFutureState::Pending);
    /// ```
    pub fn new() -> Self {
        ConcurrentFuture {
            inner: Arc::new(Inner {
                shared: Mutex::new(Shared {
                    state: ConcurrentFutureState::Pending,
                    result: None,
                    exception: None,
                    done_callbacks: Vec::new(),
                    waiters: Vec::new(),
                    sleepers: 0,
                }),
                done: Condvar::new(),
                is_done: AtomicBool::new(false),
            }),
        }
    }

    fn shared(&self) -> MutexGuard<'_, Shared<T>> {
        lock(&self.inner.shared)
    }

    /// The future's state, the word Python prints in `<Future at 0x... state=running>`.
    ///
    /// # Notes
    /// Another thread may change the state right after this returns; only the done states,
    /// which are final, stay true.
    ///
    /// # Examples
    /// ```
    /// use steploop::executor::{ConcurrentFuture, ConcurrentFutureState};
    ///
    /// let future = ConcurrentFuture::new();
    /// future.set_result(1).unwrap();
    /// assert_eq!(future.state(), ConcurrentFutureState::Finished);
    /// ```
    pub fn state(&self) -> ConcurrentFutureState {
        self.shared().state
    }

    /// `concurrent.futures.Future.done`: finished or cancelled.
    ///
    /// # Examples
    /// ```
    /// use steploop::executor::ConcurrentFuture;
    ///
    /// let future = ConcurrentFuture::<()>::new();
    /// assert!(!future.done());
    /// future.cancel();
    /// assert!(future.done());
    /// ```
    pub fn done(&self) -> bool {
        // No lock needed: `is_done` is set, under the lock, when the state becomes final.
        self.inner.is_done.load(Ordering::Acquire)
    }

    /// `concurrent.futures.Future.running`: a worker is running the job right now.
    ///
    /// # Examples
    /// ```
    /// use steploop::executor::ConcurrentFuture;
    ///
    /// let future = ConcurrentFuture::<()>::new();
    /// assert!(!future.running());
    /// assert!(matches!(future.set_running_or_notify_cancel(), Ok(true)));
    /// assert!(future.running());
    /// ```
    pub fn running(&self) -> bool {
        self.state() == ConcurrentFutureState::Running
    }

    /// `concurrent.futures.Future.cancelled`.
    ///
    /// # Examples
    /// ```
    /// use steploop::executor::ConcurrentFuture;
    ///
    /// let future = ConcurrentFuture::<()>::new();
    /// assert!(future.cancel());
    /// assert!(future.cancelled());
    /// ```
    pub fn cancelled(&self) -> bool {
        self.state() == ConcurrentFutureState::Cancelled
    }

    // ANCHOR: cancel
    /// `concurrent.futures.Future.cancel`: cancels the future if its job has not started.
    ///
    /// Returns true if the future is cancelled now (it was pending, or already cancelled), and
    /// false if the job is running or has finished: a thread cannot be stopped from outside,
    /// so only work still waiting in the queue can be called off.
    ///
    /// # Notes
    /// Cancelling wakes the threads blocked in `result()` (they get `Error::Cancelled`), tells
    /// `wait`/`as_completed`, and runs the done-callbacks in this thread. A worker that later
    /// takes the job from the queue sees the cancellation and skips it.
    ///
    /// # Examples
    /// ```
    /// use steploop::executor::ConcurrentFuture;
    ///
    /// let pending = ConcurrentFuture::<()>::new();
    /// assert!(pending.cancel());
    /// let finished = ConcurrentFuture::new();
    /// finished.set_result(()).unwrap();
    /// assert!(!finished.cancel());
    /// ```
    pub fn cancel(&self) -> bool {
        let mut shared = self.shared();
        match shared.state {
            ConcurrentFutureState::Running | ConcurrentFutureState::Finished => false,
            ConcurrentFutureState::Cancelled => true,
            ConcurrentFutureState::Pending => {
                shared.state = ConcurrentFutureState::Cancelled;
                let callbacks = self.publish(shared, Completion::Cancelled);
                self.run_done_callbacks(callbacks);
                true
            }
        }
    }
    // ANCHOR_END: cancel

    // ANCHOR: set_running
    /// `concurrent.futures.Future.set_running_or_notify_cancel`: what a worker calls before it
    /// runs the job.
    ///
    /// Returns `Ok(true)` and moves the future to `Running` if it was pending: go ahead, and
    /// from now on `cancel` returns false. Returns `Ok(false)` if it was cancelled: skip the job.
    ///
    /// # Notes
    /// Meant for executors; a future that is already running or finished gives
    /// `Error::InvalidState` (Python raises `RuntimeError('Future in unexpected state')`).
    ///
    /// # Examples
    /// ```
    /// use steploop::executor::ConcurrentFuture;
    ///
    /// let future = ConcurrentFuture::<()>::new();
    /// assert!(matches!(future.set_running_or_notify_cancel(), Ok(true)));
    /// assert!(!future.cancel()); // too late: it runs
    /// ```
    pub fn set_running_or_notify_cancel(&self) -> Result<bool, Error> {
        let mut shared = self.shared();
        match shared.state {
            ConcurrentFutureState::Pending => {
                shared.state = ConcurrentFutureState::Running;
                Ok(true)
            }
            ConcurrentFutureState::Cancelled => Ok(false),
            state => Err(Error::InvalidState(
                format!(
                    "set_running_or_notify_cancel on a future that is {}: only a pending future \
                     can start running, and only once",
                    state_word(state)
                )
                .into(),
            )),
        }
    }
    // ANCHOR_END: set_running

    // ANCHOR: set_result
    /// `concurrent.futures.Future.set_result`: finishes the future with `value`.
    ///
    /// Wakes every thread blocked in `result()`, tells `wait`/`as_completed`, then runs the
    /// done-callbacks in this thread, in the order they were added.
    ///
    /// # Notes
    /// A future that is already done gives `Error::InvalidState` and is left as it was (Python
    /// raises `InvalidStateError`); `value` is dropped.
    ///
    /// # Examples
    /// ```
    /// use steploop::executor::ConcurrentFuture;
    ///
    /// let future = ConcurrentFuture::new();
    /// future.set_result(42).unwrap();
    /// assert_eq!(future.result().unwrap(), 42);
    /// assert!(future.set_result(43).is_err()); // done already
    /// ```
    pub fn set_result(&self, value: T) -> Result<(), Error> {
        let callbacks = self.finish(Ok(value))?;
        self.run_done_callbacks(callbacks);
        Ok(())
    }
    // ANCHOR_END: set_result

    /// `concurrent.futures.Future.set_exception`: finishes the future with an error, which
    /// `result()` then returns and `exception()` reports.
    ///
    /// # Notes
    /// As with [`set_result`](Self::set_result), a done future gives `Error::InvalidState`.
    ///
    /// # Examples
    /// ```
    /// use steploop::{executor::ConcurrentFuture, Error};
    ///
    /// let future = ConcurrentFuture::<i32>::new();
    /// future.set_exception(Error::msg("division by zero")).unwrap();
    /// assert_eq!(future.exception().unwrap().unwrap().to_string(), "division by zero");
    /// assert!(future.result().is_err());
    /// ```
    pub fn set_exception(&self, error: Error) -> Result<(), Error> {
        let callbacks = self.finish(Err(error))?;
        self.run_done_callbacks(callbacks);
        Ok(())
    }

    // ANCHOR: complete
    /// Finishes the future with `outcome` and wakes everyone waiting for it, but leaves the
    /// done-callbacks to the caller, who runs them with [`run_done_callbacks`]. A worker
    /// uses the gap (see `WorkItem::run`); everyone else runs them at once.
    ///
    /// [`run_done_callbacks`]: Self::run_done_callbacks
    pub(crate) fn finish(&self, outcome: Result<T, Error>) -> Result<DoneCallbacks<T>, Error> {
        let mut shared = self.shared();
        let how = match outcome {
            Ok(value) => {
                check_not_done(shared.state, "set_result")?;
                shared.result = Some(value);
                Completion::Returned
            }
            Err(error) => {
                check_not_done(shared.state, "set_exception")?;
                shared.exception = Some(error);
                Completion::Raised
            }
        };
        shared.state = ConcurrentFutureState::Finished;
        Ok(self.publish(shared, how))
    }

    /// The one place where a future becomes done: tell the waiters and wake the sleepers.
    /// Called with the new state already stored and the lock still held; returns the
    /// done-callbacks, to be run after the lock is released.
    fn publish(&self, mut shared: MutexGuard<'_, Shared<T>>, how: Completion) -> DoneCallbacks<T> {
        self.inner.is_done.store(true, Ordering::Release);
        // Under the lock, so that `wait` cannot install a waiter after this and miss us.
        for slot in shared.waiters.drain(..) {
            slot.waiter.add(slot.index, how);
        }
        let callbacks = DoneCallbacks(mem::take(&mut shared.done_callbacks));
        let wake = shared.sleepers > 0;
        drop(shared);
        if wake {
            self.inner.done.notify_all();
        }
        callbacks
    }

    /// Runs the done-callbacks that [`finish`](Self::finish) returned, in the order they were
    /// added. Without the lock: a callback may call `result()`, or complete other futures.
    pub(crate) fn run_done_callbacks(&self, callbacks: DoneCallbacks<T>) {
        for callback in callbacks.0 {
            self.invoke(callback);
        }
    }

    /// Runs one done-callback; a panic in it is logged, as Python logs "exception calling
    /// callback for <Future ...>", and does not stop the other callbacks or the worker.
    fn invoke(&self, callback: impl FnOnce(&ConcurrentFuture<T>)) {
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| callback(self))) {
            log::error!(
                "exception calling callback for {self:?}: {}",
                panic_message(&*payload)
            );
        }
    }
    // ANCHOR_END: complete

    // ANCHOR: add_done_callback
    /// `concurrent.futures.Future.add_done_callback`: calls `callback(future)` once the future
    /// is done.
    ///
    /// If the future is still pending or running, the callback runs later in the thread that
    /// completes it (a worker, for a submitted job; whoever calls `cancel`, for a cancelled
    /// one). If the future is already done, the callback runs at once, in this thread.
    ///
    /// # Notes
    /// A panicking callback is caught and logged with `log::error!`; the other callbacks still
    /// run and the worker keeps serving. Callbacks run in the order they were added.
    ///
    /// # Implementation notes
    /// Boxes the callback (one allocation) and pushes it on a `Vec` under the future's lock;
    /// on a done future, calls it without either.
    ///
    /// # Examples
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// use steploop::executor::ConcurrentFuture;
    ///
    /// let calls = Arc::new(AtomicUsize::new(0));
    /// let future = ConcurrentFuture::new();
    /// let c = calls.clone();
    /// future.add_done_callback(move |_| { c.fetch_add(1, Ordering::SeqCst); });
    /// assert_eq!(calls.load(Ordering::SeqCst), 0); // not done yet
    /// future.set_result(()).unwrap();
    /// assert_eq!(calls.load(Ordering::SeqCst), 1);
    /// let c = calls.clone();
    /// future.add_done_callback(move |_| { c.fetch_add(1, Ordering::SeqCst); }); // runs at once
    /// assert_eq!(calls.load(Ordering::SeqCst), 2);
    /// ```
    pub fn add_done_callback(&self, callback: impl FnOnce(&ConcurrentFuture<T>) + Send + 'static) {
        let mut shared = self.shared();
        if !shared.state.is_done() {
            shared.done_callbacks.push(Box::new(callback));
            return;
        }
        drop(shared);
        self.invoke(callback);
    }
    // ANCHOR_END: add_done_callback

    /// The future's identity: the address of what its handles share.
    pub(crate) fn id(&self) -> usize {
        Arc::as_ptr(&self.inner).addr()
    }
}

fn check_not_done(state: ConcurrentFutureState, what: &str) -> Result<(), Error> {
    if !state.is_done() {
        return Ok(());
    }
    Err(Error::InvalidState(
        format!(
            "{what} on a future that is {}: a future completes once; create a new \
             ConcurrentFuture for a new outcome",
            state_word(state)
        )
        .into(),
    ))
}

/// The word Python's repr uses for a state.
fn state_word(state: ConcurrentFutureState) -> &'static str {
    match state {
        ConcurrentFutureState::Pending => "pending",
        ConcurrentFutureState::Running => "running",
        ConcurrentFutureState::Cancelled => "cancelled",
        ConcurrentFutureState::Finished => "finished",
    }
}

impl<T> Default for ConcurrentFuture<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Clone for ConcurrentFuture<T> {
    /// Another handle to the same future (an `Arc` clone).
    fn clone(&self) -> Self {
        ConcurrentFuture {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<T> PartialEq for ConcurrentFuture<T> {
    /// Identity, as Python compares futures: two handles are equal if they are the same future.
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl<T> Eq for ConcurrentFuture<T> {}

impl<T> Hash for ConcurrentFuture<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        std::ptr::hash(Arc::as_ptr(&self.inner), state);
    }
}

impl<T> fmt::Debug for ConcurrentFuture<T> {
    /// Python's repr without the address, which would make output differ from run to run:
    /// `<Future state=running>`, `<Future state=finished returned String>`,
    /// `<Future state=finished raised panicked: attempt to divide by zero>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shared = self.shared();
        write!(f, "<Future state={}", state_word(shared.state))?;
        if shared.state == ConcurrentFutureState::Finished {
            match &shared.exception {
                Some(error) => write!(f, " raised {error}")?,
                None => write!(f, " returned {}", short_type_name::<T>())?,
            }
        }
        f.write_str(">")
    }
}

/// `std::any::type_name` without module paths: `Vec<String>`, not
/// `alloc::vec::Vec<alloc::string::String>`; Python prints the bare class name too.
fn short_type_name<T>() -> String {
    let full = std::any::type_name::<T>();
    let mut short = String::with_capacity(full.len());
    let mut word_start = 0;
    let mut chars = full.chars().peekable();
    while let Some(c) = chars.next() {
        if c == ':' && chars.peek() == Some(&':') {
            chars.next();
            short.truncate(word_start); // drop the path segment just written
        } else {
            if !(c.is_alphanumeric() || c == '_') {
                word_start = short.len() + c.len_utf8();
            }
            short.push(c);
        }
    }
    short
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_type_names_drop_module_paths() {
        assert_eq!(short_type_name::<String>(), "String");
        assert_eq!(short_type_name::<Vec<String>>(), "Vec<String>");
        assert_eq!(short_type_name::<(u8, &str)>(), "(u8, &str)");
        assert_eq!(
            short_type_name::<Result<Vec<u8>, crate::Error>>(),
            "Result<Vec<u8>, Error>"
        );
    }

    #[test]
    fn future_is_send_and_sync_when_its_value_is_send() {
        fn assert_send_sync<X: Send + Sync>() {}
        assert_send_sync::<ConcurrentFuture<String>>();
        assert_send_sync::<ConcurrentFuture<std::cell::Cell<u8>>>(); // Send, not Sync
    }
}
