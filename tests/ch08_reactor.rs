//! Chapter 8, the callback level of the reactor: `add_reader`, `remove_reader`, `add_writer`,
//! `remove_writer`, the slab of registrations, edge-triggered readiness, and how I/O and
//! timers share one wait.
//!
//! # Determinism
//! The sources are Unix socket pairs: a write to one end is in the other end's buffer when the
//! write returns, so a poll right after it sees the readiness. Most tests run on a virtual
//! clock, where the loop looks at its I/O without waiting and then jumps to the next timer:
//! what happens is fixed by the order of writes and deadlines, not by how fast anything ran.
//! The tests on a real clock check only the order of causally linked events; their delays
//! are short, and only keep the loop waiting long enough to prove it waits.

use std::cell::{Cell, RefCell};
use std::io::{ErrorKind, Read, Write};
use std::os::unix::net::UnixStream;
use std::rc::Rc;
use std::time::Duration;

use steploop::EventLoop;

#[allow(dead_code)] // its `main` is for `cargo run`
#[path = "../examples/ch08_readiness.rs"]
mod readiness;

/// A connected pair: the loop's end (non-blocking, for mio) and the test's end (blocking).
fn pair() -> (mio::net::UnixStream, UnixStream) {
    let (ours, theirs) = UnixStream::pair().unwrap();
    ours.set_nonblocking(true).unwrap();
    (mio::net::UnixStream::from_std(ours), theirs)
}

/// Reads everything available until `WouldBlock`, as an edge-triggered reader must.
fn drain(source: &mut mio::net::UnixStream) -> Vec<u8> {
    let mut all = Vec::new();
    let mut buf = [0; 64];
    loop {
        match source.read(&mut buf) {
            Ok(0) => return all,
            Ok(n) => all.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::WouldBlock => return all,
            Err(e) => panic!("read failed: {e}"),
        }
    }
}

#[test]
fn a_reader_runs_when_its_source_becomes_readable() {
    let (ours, mut theirs) = pair();
    let ours = Rc::new(RefCell::new(ours));
    let got = Rc::new(RefCell::new(Vec::new()));
    let lp = EventLoop::with_virtual_clock();
    {
        let (source, got) = (ours.clone(), got.clone());
        lp.add_reader(&mut *ours.borrow_mut(), move |lp| {
            got.borrow_mut().extend(drain(&mut source.borrow_mut()));
            lp.stop();
        })
        .unwrap();
    }
    theirs.write_all(b"ping").unwrap();
    lp.run_forever().unwrap();
    assert_eq!(&*got.borrow(), b"ping");
    assert!(lp.remove_reader(&mut *ours.borrow_mut()).unwrap());
    assert_eq!(lp.registered_sources(), 0);
}

#[test]
fn removing_the_reader_stops_its_callbacks() {
    let (ours, mut theirs) = pair();
    let ours = Rc::new(RefCell::new(ours));
    let calls = Rc::new(Cell::new(0));
    let lp = EventLoop::with_virtual_clock();
    {
        let (source, calls) = (ours.clone(), calls.clone());
        lp.add_reader(&mut *ours.borrow_mut(), move |lp| {
            calls.set(calls.get() + 1);
            let mut source = source.borrow_mut();
            drain(&mut source);
            // A reader may remove itself, as asyncio's may.
            assert!(lp.remove_reader(&mut *source).unwrap());
        })
        .unwrap();
    }
    theirs.write_all(b"one").unwrap();
    lp.call_later(Duration::from_secs(1), move |_| {
        theirs.write_all(b"two").unwrap();
    });
    lp.call_later(Duration::from_secs(2), |lp| lp.stop());
    lp.run_forever().unwrap();
    assert_eq!(calls.get(), 1, "no call after remove_reader");
    assert_eq!(lp.registered_sources(), 0);
}

#[test]
fn a_handle_already_scheduled_does_not_run_once_its_reader_is_removed() {
    // Both sources become readable in the same poll; the events are dispatched in token
    // order, so the first reader runs first and removes the second before its turn.
    let (first, mut first_peer) = pair();
    let (second, mut second_peer) = pair();
    let second = Rc::new(RefCell::new(second));
    let ran = Rc::new(RefCell::new(Vec::new()));
    let lp = EventLoop::with_virtual_clock();
    let mut first = first;
    {
        let (second, ran) = (second.clone(), ran.clone());
        lp.add_reader(&mut first, move |lp| {
            ran.borrow_mut().push("first");
            assert!(lp.remove_reader(&mut *second.borrow_mut()).unwrap());
            lp.stop();
        })
        .unwrap();
    }
    {
        let ran = ran.clone();
        lp.add_reader(&mut *second.borrow_mut(), move |_| {
            ran.borrow_mut().push("second")
        })
        .unwrap();
    }
    first_peer.write_all(b"a").unwrap();
    second_peer.write_all(b"b").unwrap();
    lp.run_forever().unwrap();
    assert_eq!(*ran.borrow(), ["first"]);
    assert!(lp.remove_reader(&mut first).unwrap());
    assert_eq!(lp.registered_sources(), 0);
}

#[test]
fn registrations_live_in_the_slab_until_both_directions_are_removed() {
    let (mut a, _a_peer) = pair();
    let (mut b, _b_peer) = pair();
    let lp = EventLoop::with_virtual_clock();
    assert_eq!(lp.registered_sources(), 0);
    lp.add_reader(&mut a, |_| {}).unwrap();
    lp.add_writer(&mut a, |_| {}).unwrap();
    assert_eq!(lp.registered_sources(), 1, "one entry per source");
    lp.add_reader(&mut b, |_| {}).unwrap();
    lp.add_reader(&mut b, |_| {}).unwrap(); // replaces the first reader
    assert_eq!(lp.registered_sources(), 2);
    assert!(lp.remove_reader(&mut a).unwrap());
    assert_eq!(lp.registered_sources(), 2, "a still has its writer");
    assert!(lp.remove_writer(&mut a).unwrap());
    assert!(!lp.remove_writer(&mut a).unwrap(), "nothing left to remove");
    assert!(lp.remove_reader(&mut b).unwrap());
    assert_eq!(lp.registered_sources(), 0);
}

#[test]
fn a_writer_runs_when_its_source_has_room() {
    let (mut ours, _theirs) = pair();
    let lp = EventLoop::with_virtual_clock();
    let calls = Rc::new(Cell::new(0));
    let counted = calls.clone();
    lp.add_writer(&mut ours, move |lp| {
        counted.set(counted.get() + 1);
        lp.stop();
    })
    .unwrap();
    lp.run_forever().unwrap();
    assert_eq!(calls.get(), 1);
    assert!(lp.remove_writer(&mut ours).unwrap());
}

#[test]
fn edge_triggered_a_reader_that_leaves_bytes_behind_is_not_called_again() {
    // asyncio's selector is level-triggered and would call the reader on every tick while
    // bytes are waiting; mio reports an edge once. The reader takes 2 bytes of 8 per call.
    let (ours, mut theirs) = pair();
    let ours = Rc::new(RefCell::new(ours));
    let calls = Rc::new(Cell::new(0));
    let lp = EventLoop::with_virtual_clock();
    {
        let (source, calls) = (ours.clone(), calls.clone());
        lp.add_reader(&mut *ours.borrow_mut(), move |_| {
            calls.set(calls.get() + 1);
            let mut two = [0; 2];
            source.borrow_mut().read_exact(&mut two).unwrap();
        })
        .unwrap();
    }
    theirs.write_all(b"12345678").unwrap();
    let seen = calls.clone();
    lp.call_later(Duration::from_secs(1), move |_| {
        assert_eq!(seen.get(), 1, "6 bytes wait, but no new edge came");
        // New bytes make a new edge: one more call.
        theirs.write_all(b"9").unwrap();
    });
    lp.call_later(Duration::from_secs(2), |lp| lp.stop());
    lp.run_forever().unwrap();
    assert_eq!(calls.get(), 2);
    assert_eq!(drain(&mut ours.borrow_mut()), b"56789");
    lp.remove_reader(&mut *ours.borrow_mut()).unwrap();
}

#[test]
fn timers_and_io_interleave_on_a_real_clock() {
    // A timer writes, the reader reacts and sets another timer, which stops the loop: each
    // step is caused by the one before, so the order is fixed whatever the machine's speed.
    let (ours, theirs) = pair();
    let ours = Rc::new(RefCell::new(ours));
    let log = Rc::new(RefCell::new(Vec::new()));
    let lp = EventLoop::new();
    {
        let (source, log) = (ours.clone(), log.clone());
        lp.add_reader(&mut *ours.borrow_mut(), move |lp| {
            let got = drain(&mut source.borrow_mut());
            log.borrow_mut()
                .push(format!("read {}", String::from_utf8_lossy(&got)));
            let log = log.clone();
            lp.call_later(Duration::from_millis(5), move |lp| {
                log.borrow_mut().push("timer 2".to_string());
                lp.stop();
            });
        })
        .unwrap();
    }
    {
        let log = log.clone();
        let mut theirs = theirs;
        lp.call_later(Duration::from_millis(5), move |_| {
            log.borrow_mut().push("timer 1".to_string());
            theirs.write_all(b"x").unwrap();
        });
    }
    lp.run_forever().unwrap();
    assert_eq!(*log.borrow(), ["timer 1", "read x", "timer 2"]);
    lp.remove_reader(&mut *ours.borrow_mut()).unwrap();
}

#[test]
fn a_registered_reader_keeps_the_loop_waiting_instead_of_stalling() {
    // No timer, no task, nothing ready: only the reader. The loop must wait in its poll until
    // another thread writes, not report Error::Stalled.
    let (ours, mut theirs) = pair();
    let ours = Rc::new(RefCell::new(ours));
    let lp = EventLoop::new();
    {
        let source = ours.clone();
        lp.add_reader(&mut *ours.borrow_mut(), move |lp| {
            assert_eq!(drain(&mut source.borrow_mut()), b"late");
            lp.stop();
        })
        .unwrap();
    }
    let writer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        theirs.write_all(b"late").unwrap();
    });
    lp.run_forever().unwrap();
    writer.join().unwrap();
    lp.remove_reader(&mut *ours.borrow_mut()).unwrap();
    // With the reader gone nothing can happen any more: now the loop reports a stall.
    assert!(matches!(lp.run_forever(), Err(steploop::Error::Stalled(_))));
}

#[test]
fn closing_the_loop_frees_every_registration() {
    let (mut a, _peer) = pair();
    let lp = EventLoop::with_virtual_clock();
    lp.add_reader(&mut a, |_| {}).unwrap();
    assert_eq!(lp.registered_sources(), 1);
    lp.close().unwrap();
    assert_eq!(lp.registered_sources(), 0);
}

#[test]
fn readiness_is_traced_sorted_by_token() {
    // Written in the opposite order: the trace lists them by token all the same.
    let trace = readiness::run().take_trace().to_string();
    let first = trace
        .find("call_soon on_first")
        .expect("the first reader ran");
    let second = trace
        .find("call_soon on_second")
        .expect("the second reader ran");
    assert!(first < second, "{trace}");
    insta::with_settings!({omit_expression => true, prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("ch08_reactor_trace", trace);
    });
}
