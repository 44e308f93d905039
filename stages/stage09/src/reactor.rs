// ANCHOR: reactor
//! The reactor (asyncio's selector, IO多路复用): one `mio::Poll` that waits for every watched
//! file descriptor, and for the next timer, in one call; `add_reader` and `add_writer`.

use std::collections::HashMap;
use std::io;
use std::os::fd::RawFd;
use std::rc::Rc;
use std::time::Duration;

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};

use crate::{Error, EventLoop};

/// A reader or a writer: called each time its file descriptor is ready, until it is removed.
/// Unlike a handle's callback it runs many times, so it is an `Fn`, shared by an `Rc`.
type Watcher = Rc<dyn Fn(&EventLoop)>;

/// Who watches one file descriptor (asyncio's `SelectorKey`, with its `(reader, writer)`).
#[derive(Default)]
struct Watchers {
    reader: Option<Watcher>,
    writer: Option<Watcher>,
}

/// The poll, and who watches what. A file descriptor is registered with the poll under a
/// token of its own number, so that an event's token says whose event it is.
pub(crate) struct Reactor {
    poll: Poll,
    events: Events,
    watched: HashMap<RawFd, Watchers>,
}

impl Reactor {
    pub(crate) fn new() -> Reactor {
        Reactor {
            poll: Poll::new().expect("the operating system gives the loop a poll instance"),
            events: Events::with_capacity(256),
            watched: HashMap::new(),
        }
    }

    /// True if a reader or a writer is set: I/O may still make something ready.
    pub(crate) fn is_watching(&self) -> bool {
        !self.watched.is_empty()
    }
}
// ANCHOR_END: reactor

// ANCHOR: add_reader
impl EventLoop {
    /// Calls `callback` each time `fd` becomes readable, until `remove_reader(fd)`
    /// (`loop.add_reader(fd, callback)`). A reader already set for `fd` is replaced.
    pub fn add_reader(
        &self,
        fd: RawFd,
        callback: impl Fn(&EventLoop) + 'static,
    ) -> Result<(), Error> {
        self.watch(fd, false, Some(Rc::new(callback))).map(drop)
    }

    /// Calls `callback` each time `fd` becomes writable, until `remove_writer(fd)`
    /// (`loop.add_writer(fd, callback)`).
    pub fn add_writer(
        &self,
        fd: RawFd,
        callback: impl Fn(&EventLoop) + 'static,
    ) -> Result<(), Error> {
        self.watch(fd, true, Some(Rc::new(callback))).map(drop)
    }

    /// Stops watching `fd` for reading (`loop.remove_reader(fd)`); true if a reader was set.
    pub fn remove_reader(&self, fd: RawFd) -> Result<bool, Error> {
        self.watch(fd, false, None)
    }

    /// Stops watching `fd` for writing (`loop.remove_writer(fd)`); true if a writer was set.
    pub fn remove_writer(&self, fd: RawFd) -> Result<bool, Error> {
        self.watch(fd, true, None)
    }

    /// Sets (or with `None` clears) the reader or the writer of `fd`, and tells the poll what
    /// to watch for: register `fd` when somebody first watches it, reregister it when that
    /// changes, deregister it when nobody watches it any more. Returns whether one was set.
    fn watch(&self, fd: RawFd, write: bool, watcher: Option<Watcher>) -> Result<bool, Error> {
        let mut reactor = self.reactor().borrow_mut();
        let Reactor { poll, watched, .. } = &mut *reactor;
        let known = watched.contains_key(&fd);
        let watchers = watched.entry(fd).or_default();
        let slot = if write {
            &mut watchers.writer
        } else {
            &mut watchers.reader
        };
        let was_set = std::mem::replace(slot, watcher).is_some();
        let interest = match (watchers.reader.is_some(), watchers.writer.is_some()) {
            (true, true) => Some(Interest::READABLE | Interest::WRITABLE),
            (true, false) => Some(Interest::READABLE),
            (false, true) => Some(Interest::WRITABLE),
            (false, false) => None,
        };
        let (source, token) = (&mut SourceFd(&fd), Token(fd as usize));
        let registered = match (known, interest) {
            (false, Some(interest)) => poll.registry().register(source, token, interest),
            (true, Some(interest)) => poll.registry().reregister(source, token, interest),
            // A descriptor closed meanwhile has left the poll by itself: Python's selectors
            // ignore this error too.
            (true, None) => {
                let _ = poll.registry().deregister(source);
                Ok(())
            }
            (false, None) => Ok(()),
        };
        if interest.is_none() || (!known && registered.is_err()) {
            watched.remove(&fd);
        }
        registered?;
        Ok(was_set)
    }
}
// ANCHOR_END: add_reader

// ANCHOR: select
impl EventLoop {
    /// Waits in the poll for at most `timeout` (for ever if `None`), then schedules with
    /// `call_soon` the reader of each file descriptor that became readable, and the writer of
    /// each that became writable (asyncio's `select(timeout)` and `_process_events`).
    pub(crate) fn select(&self, timeout: Option<Duration>) {
        let mut ready = Vec::new();
        {
            let mut reactor = self.reactor().borrow_mut();
            let Reactor { poll, events, .. } = &mut *reactor;
            match poll.poll(events, timeout) {
                Ok(()) => {}
                // A signal cut the wait short: this tick finds nothing new.
                Err(error) if error.kind() == io::ErrorKind::Interrupted => return,
                Err(error) => panic!("the loop's poll failed: {error}"),
            }
            for event in events.iter() {
                let fd = event.token().0 as RawFd;
                // An error or a hang-up counts as ready both ways: the next call reports it.
                let failed = event.is_error();
                if event.is_readable() || event.is_read_closed() || failed {
                    ready.push((fd, false));
                }
                if event.is_writable() || event.is_write_closed() || failed {
                    ready.push((fd, true));
                }
            }
        }
        // The poll lists what is ready in an order of its own; sorted, every run is the same.
        ready.sort();
        for (fd, write) in ready {
            self.call_soon(move |lp: &EventLoop| lp.call_watcher(fd, write));
        }
    }

    /// Calls the reader (or the writer) of `fd`, if one is set when its turn comes: one
    /// removed since the poll does not run.
    fn call_watcher(&self, fd: RawFd, write: bool) {
        let watcher = {
            let reactor = self.reactor().borrow();
            let watchers = reactor.watched.get(&fd);
            watchers.and_then(|w| {
                if write {
                    w.writer.clone()
                } else {
                    w.reader.clone()
                }
            })
        };
        if let Some(watcher) = watcher {
            watcher(self);
        }
    }
}
// ANCHOR_END: select
