//! Which loop runs on this thread (asyncio's `_running_loop`, `get_running_loop`), and which
//! loops belong to it.

use std::cell::RefCell;

use crate::event_loop::EventLoop;
use crate::state::WeakLoop;
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

/// The loop running on this thread if it is the loop numbered `id`.
pub(crate) fn running_loop_with_id(id: u64) -> Option<EventLoop> {
    RUNNING_LOOP.with(|running| {
        let running = running.borrow();
        running.as_ref().filter(|lp| lp.id() == id).cloned()
    })
}

thread_local! {
    /// The loops created on this thread and not yet dropped, to find one by its number.
    static LOOPS_OF_THIS_THREAD: RefCell<Vec<WeakLoop>> = const { RefCell::new(Vec::new()) };
}

/// The loop numbered `id` if it belongs to this thread, running or not: what
/// `call_soon_threadsafe` looks for to put a callback straight on the ready deque.
pub(crate) fn loop_of_this_thread(id: u64) -> Option<EventLoop> {
    if let Some(running) = running_loop_with_id(id) {
        return Some(running);
    }
    LOOPS_OF_THIS_THREAD
        .try_with(|loops| {
            let loops = loops.borrow();
            loops
                .iter()
                .filter_map(WeakLoop::upgrade)
                .find(|lp| lp.id() == id)
        })
        .ok()
        .flatten()
}

/// Notes a new loop as belonging to this thread, forgetting loops dropped since.
pub(crate) fn register_on_this_thread(event_loop: &EventLoop) {
    let _ = LOOPS_OF_THIS_THREAD.try_with(|loops| {
        let mut loops = loops.borrow_mut();
        loops.retain(WeakLoop::is_alive);
        loops.push(event_loop.downgrade());
    });
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
