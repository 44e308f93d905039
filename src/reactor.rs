//! The loop's `select`: a `mio::Poll` the loop blocks in when it has nothing to run
//! (asyncio's `self._selector.select(timeout)` in `_run_once`).
//!
//! For now the poll watches one thing: the `mio::Waker` through which other threads wake the
//! loop (asyncio's self-pipe). The reactor chapter registers sockets with the same poll, so that
//! one wait covers timers, I/O and other threads at once.
//!
//! # Implementation notes
//! The poll (an epoll instance on Linux) is created on first use: a loop that never has to wait
//! never makes the system call.

use std::time::Duration;

use crate::{Error, EventLoop};

/// The token of the `mio::Waker` that other threads use to interrupt the poll.
pub(crate) const REMOTE_TOKEN: mio::Token = mio::Token(usize::MAX);

/// The poll instance and its event buffer.
pub(crate) struct Selector {
    poll: mio::Poll,
    events: mio::Events,
}

impl EventLoop {
    /// Creates the poll instance, with the waker other threads use, if it does not exist yet.
    pub(crate) fn ensure_selector(&self) -> Result<(), Error> {
        let mut selector = self.inner.selector.borrow_mut();
        if selector.is_none() {
            let poll = mio::Poll::new()?;
            let waker = mio::Waker::new(poll.registry(), REMOTE_TOKEN)?;
            self.inner.remote.set_waker(waker);
            *selector = Some(Selector {
                poll,
                events: mio::Events::with_capacity(1024),
            });
        }
        Ok(())
    }

    // ANCHOR: poll
    /// Blocks in the poll instance for at most `timeout`, or not at all if another thread has
    /// sent something meanwhile.
    ///
    /// # Implementation notes
    /// The loop tells other threads that it is about to sleep (`enter_sleep`), so that only a
    /// sender who finds it asleep pays for the `mio::Waker` (an `eventfd` write), and only the
    /// first of them. Before the system call it spins a moment for a message: a job on another
    /// core often answers within a microsecond or two, sooner than a sleep and a wake-up.
    pub(crate) fn poll(&self, timeout: Option<Duration>) -> Result<(), Error> {
        self.ensure_selector()?;
        let remote = &*self.inner.remote;
        if timeout != Some(Duration::ZERO) && spin_until(|| remote.has_pending()) {
            return Ok(());
        }
        if !remote.enter_sleep() {
            return Ok(());
        }
        let mut selector = self.inner.selector.borrow_mut();
        let selector = selector.as_mut().expect("created just above");
        let polled = selector.poll.poll(&mut selector.events, timeout);
        remote.leave_sleep();
        match polled {
            // A signal cut the wait short: the tick simply finds nothing due yet.
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => Ok(()),
            result => Ok(result?),
        }
    }
    // ANCHOR_END: poll
}

/// Spins a moment, then yields a few times, until `ready()`; returns whether it became ready
/// (the same budget as the thread pool's: a few microseconds).
fn spin_until(mut ready: impl FnMut() -> bool) -> bool {
    for step in 0..10 {
        if ready() {
            return true;
        }
        if step < 6 {
            for _ in 0..1 << step {
                std::hint::spin_loop();
            }
        } else {
            std::thread::yield_now();
        }
    }
    ready()
}
