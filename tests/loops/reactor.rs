//! Chapter 8's part of the differential test: readers, writers, timers and callbacks over Unix
//! socket pairs, on a virtual clock. A socket pair delivers what is written into it before the
//! write returns, so which tick runs what does not depend on the machine, and a stage must
//! agree with steploop line for line.
//!
//! The loops watch the *inside* end of each pair; the scenario writes into the *outside* end.
//! Readers read until `WouldBlock`, as both loops (edge-triggered) require. The pairs are
//! registered in the order they were made: a stage orders what one poll reports by file
//! descriptor, steploop by registration, and the two orders then agree.

use std::cell::{Cell, RefCell};
use std::io::{ErrorKind, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::rc::Rc;
use std::time::Duration;

use super::Loop;

/// Ticks enough for the scenario: a loop that has not stopped by then never will.
const MAX_TICKS: u64 = 100;

/// What a run of the scenario saw, one line per event: `tick N  t=S  what`.
pub fn run(lp: Rc<dyn Loop>) -> Vec<String> {
    let pairs: Vec<(UnixStream, UnixStream)> = (0..2)
        .map(|_| {
            let (inside, outside) = UnixStream::pair().expect("a socket pair");
            inside.set_nonblocking(true).expect("non-blocking");
            (inside, outside)
        })
        .collect();
    let s = Rc::new(Scenario {
        lp: lp.clone(),
        pairs,
        tick: Cell::new(0),
        log: RefCell::new(Vec::new()),
        stopped: Cell::new(false),
    });
    s.start();
    while !s.stopped.get() && s.tick.get() < MAX_TICKS {
        s.tick.set(s.tick.get() + 1);
        if lp.callbacks().run_once().is_err() {
            s.note("stalled".into());
            break;
        }
    }
    let log = s.log.take();
    // The loop's callbacks hold the scenario: empty what it holds so that both are dropped.
    s.stop_watching();
    log
}

struct Scenario {
    lp: Rc<dyn Loop>,
    pairs: Vec<(UnixStream, UnixStream)>,
    tick: Cell<u64>,
    log: RefCell<Vec<String>>,
    stopped: Cell<bool>,
}

impl Scenario {
    fn note(&self, what: String) {
        let ms = self.lp.callbacks().time().as_millis();
        let line = format!(
            "tick {}  t={}.{:03}  {what}",
            self.tick.get(),
            ms / 1000,
            ms % 1000
        );
        self.log.borrow_mut().push(line);
    }

    fn fd(&self, pair: usize) -> RawFd {
        self.pairs[pair].0.as_raw_fd()
    }

    /// Writes `text` into the outside end of `pair`: the inside end becomes readable.
    fn send(&self, pair: usize, text: &str) {
        self.note(format!("send {text:?} to P{pair}"));
        (&self.pairs[pair].1)
            .write_all(text.as_bytes())
            .expect("a socket pair takes it");
    }

    /// Reads what waits at the inside end of `pair`, until `WouldBlock`.
    fn drain(&self, pair: usize) -> String {
        let mut text = String::new();
        let mut buf = [0; 64];
        loop {
            match (&self.pairs[pair].0).read(&mut buf) {
                Ok(0) => return text,
                Ok(n) => text.push_str(&String::from_utf8_lossy(&buf[..n])),
                Err(e) if e.kind() == ErrorKind::WouldBlock => return text,
                Err(e) => panic!("read: {e}"),
            }
        }
    }

    fn io(&self) -> &dyn super::Io {
        self.lp.io().expect("a loop of chapter 8 or later")
    }

    fn timers(&self) -> &dyn super::Timers {
        self.lp.timers().expect("a loop with timers")
    }

    fn stop_watching(&self) {
        for pair in 0..self.pairs.len() {
            self.io().remove_reader(self.fd(pair));
            self.io().remove_writer(self.fd(pair));
        }
    }

    /// The scenario. Reader R0 on P0 sends itself a second message, then hands over to a
    /// reader on P1; a writer on P1 runs once, as soon as it is set (a socket with room in its
    /// buffer is writable); a timer's write wakes P1's reader, whose call, already scheduled,
    /// a callback cancels by removing the reader; a reader set again later finds the bytes
    /// still there.
    fn start(self: &Rc<Self>) {
        let (p0, p1) = (self.fd(0), self.fd(1));
        let s = self.clone();
        self.io().add_reader(
            p0,
            Box::new(move || {
                let text = s.drain(0);
                s.note(format!("R0 read {text:?}"));
                if text == "a" {
                    s.send(0, "b");
                } else {
                    s.note(format!("R0 removed: {}", s.io().remove_reader(p0)));
                    s.watch_p1();
                }
            }),
        );
        let s = self.clone();
        self.io().add_writer(
            p1,
            Box::new(move || {
                s.note(format!(
                    "W1 writable, removed: {}",
                    s.io().remove_writer(p1)
                ));
                s.send(0, "a");
                let s2 = s.clone();
                s.lp.callbacks()
                    .call_soon(Box::new(move || s2.note("C1".into())));
            }),
        );
        let s = self.clone();
        self.timers().call_later(
            Duration::from_secs(1),
            Box::new(move || {
                s.send(1, "c");
                let s2 = s.clone();
                s.lp.callbacks().call_soon(Box::new(move || {
                    let removed = s2.io().remove_reader(s2.fd(1));
                    s2.note(format!("C2 removes R1: {removed}"));
                }));
            }),
        );
        let s = self.clone();
        self.timers().call_later(
            Duration::from_secs(3),
            Box::new(move || {
                s.note("T3 sets R1 again".into());
                s.watch_p1();
            }),
        );
    }

    fn watch_p1(self: &Rc<Self>) {
        let s = self.clone();
        self.io().add_reader(
            self.fd(1),
            Box::new(move || {
                let text = s.drain(1);
                s.note(format!("R1 read {text:?}"));
                if text == "c" {
                    s.note(format!("R1 removed: {}", s.io().remove_reader(s.fd(1))));
                    s.lp.callbacks().stop();
                    s.stopped.set(true);
                }
            }),
        );
    }
}
