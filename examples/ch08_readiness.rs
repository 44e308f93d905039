//! Chapter 8: what steploop's trace says about a poll. Two Unix sockets are watched, and both
//! become readable before the loop polls — written to in the opposite order of their
//! registration. One poll reports both, in the order of their tokens, and the tick runs both
//! readers. Run it with `cargo run --example ch08_readiness`: the readers' lines, then the
//! trace.

use std::io::Write;
use std::os::unix::net::UnixStream;

use steploop::EventLoop;

/// A connected pair: the loop's end (non-blocking, for mio) and the writer's end.
fn pair() -> (mio::net::UnixStream, UnixStream) {
    let (ours, theirs) = UnixStream::pair().expect("a socket pair");
    ours.set_nonblocking(true).expect("a non-blocking socket");
    (mio::net::UnixStream::from_std(ours), theirs)
}

fn on_first(lp: &EventLoop) {
    lp.print("first is readable");
}

fn on_second(lp: &EventLoop) {
    lp.print("second is readable");
    lp.stop();
}

/// Runs the program on a traced virtual-clock loop, and returns the loop.
pub fn run() -> EventLoop {
    let (mut first, mut first_peer) = pair();
    let (mut second, mut second_peer) = pair();
    let lp = EventLoop::with_virtual_clock();
    lp.set_trace(true);
    lp.add_reader(&mut first, on_first)
        .expect("a socket can be watched");
    lp.add_reader(&mut second, on_second)
        .expect("a socket can be watched");
    // A Unix socket holds what was written before the write returns: both are readable now.
    second_peer.write_all(b"2").expect("the pair is open");
    first_peer.write_all(b"1").expect("the pair is open");
    lp.run_forever().expect("the second reader stops the loop");
    lp.remove_reader(&mut first).expect("it is watched");
    lp.remove_reader(&mut second).expect("it is watched");
    lp
}

pub fn main() {
    let lp = run();
    println!("\nWhat the loop did:\n\n{}", lp.take_trace());
}
