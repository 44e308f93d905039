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

    /// Blocks in the poll instance for at most `timeout`.
    pub(crate) fn poll(&self, timeout: Option<Duration>) -> Result<(), Error> {
        self.ensure_selector()?;
        let mut selector = self.inner.selector.borrow_mut();
        let selector = selector.as_mut().expect("created just above");
        match selector.poll.poll(&mut selector.events, timeout) {
            // A signal cut the wait short: the tick simply finds nothing due yet.
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => Ok(()),
            result => Ok(result?),
        }
    }
}
