//! Which loop runs on this thread (asyncio's `_running_loop`, `get_running_loop`). The loops
//! that belong to the thread, running or not, are known by their schedulers
//! (`scheduler::of_this_thread`).

use std::cell::RefCell;

use crate::event_loop::EventLoop;
use crate::Error;

thread_local! {
    /// The loop running on this thread, if any (asyncio's `_running_loop`).
    static RUNNING_LOOP: RefCell<Option<EventLoop>> = const { RefCell::new(None) };
}

/// The loop running on the current thread, if one is running (`asyncio.get_running_loop()`).
///
/// # Examples
/// ```
/// use steploop::{get_running_loop, EventLoop};
/// assert!(get_running_loop().is_none());
/// let lp = EventLoop::new();
/// lp.call_soon(|lp| {
///     assert!(get_running_loop().is_some());
///     lp.stop();
/// });
/// lp.run_forever().unwrap();
/// ```
pub fn get_running_loop() -> Option<EventLoop> {
    RUNNING_LOOP.with(|running| running.borrow().clone())
}

/// The running loop, or the error every function that needs one gives when there is none
/// (see [`Error`](crate::Error#no-running-loop)): `what` names the function.
pub(crate) fn running_loop(what: &str) -> Result<EventLoop, Error> {
    get_running_loop().ok_or_else(|| crate::error::no_running_loop(what))
}

/// Marks `event_loop` as the loop running on this thread; `Err` if one already is.
pub(crate) fn enter(event_loop: &EventLoop) -> Result<(), Error> {
    RUNNING_LOOP.with(|running| {
        let mut running = running.borrow_mut();
        if running.is_some() {
            return Err(Error::AlreadyRunning);
        }
        *running = Some(event_loop.clone());
        crate::scheduler::enter(event_loop.scheduler().clone());
        Ok(())
    })
}

/// No loop runs on this thread any more.
pub(crate) fn leave() {
    crate::scheduler::leave();
    RUNNING_LOOP.with(|running| running.borrow_mut().take());
}
