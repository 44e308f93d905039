// ANCHOR: ready
//! Sockets for tasks (asyncio's `loop.sock_accept`, `sock_connect`, `sock_recv` and
//! `sock_sendall`): each tries its non-blocking system call and, for as long as the answer is
//! `WouldBlock`, waits until the socket is ready and tries again.

use std::io::{ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, RawFd};

use mio::net::{TcpListener, TcpStream};

use crate::{get_running_loop, Error, EventLoop};

/// Waits until `fd` is readable (or, with `write`, writable): a future, and a reader (or a
/// writer) that sets its result. Built as `sleep` is, with a reader in place of the timer.
async fn ready(fd: RawFd, write: bool) -> Result<(), Error> {
    let event_loop = get_running_loop().expect("a socket is awaited by a task, inside the loop");
    let future = event_loop.create_future::<()>();
    let setter = future.clone();
    let wake = move |_: &EventLoop| {
        if !setter.done() {
            let _ = setter.set_result(());
        }
    };
    if write {
        event_loop.add_writer(fd, wake)?;
    } else {
        event_loop.add_reader(fd, wake)?;
    }
    let outcome = future.await;
    // Ready or cancelled, the task waits no more: the loop must stop watching for it.
    if write {
        event_loop.remove_writer(fd)?;
    } else {
        event_loop.remove_reader(fd)?;
    }
    outcome
}
// ANCHOR_END: ready

// ANCHOR: sock
/// Accepts a connection (`await loop.sock_accept(sock)`).
pub async fn sock_accept(listener: &TcpListener) -> Result<(TcpStream, SocketAddr), Error> {
    loop {
        match listener.accept() {
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                ready(listener.as_raw_fd(), false).await?
            }
            accepted => return Ok(accepted?),
        }
    }
}

/// Connects to `addr` (`await loop.sock_connect(sock, address)`). The connection is under
/// way when `connect` returns, and over when the socket becomes writable; the socket's
/// error then says whether it worked.
pub async fn sock_connect(addr: SocketAddr) -> Result<TcpStream, Error> {
    let stream = TcpStream::connect(addr)?;
    ready(stream.as_raw_fd(), true).await?;
    match stream.take_error()? {
        Some(error) => Err(error.into()),
        None => Ok(stream),
    }
}

/// Reads what has arrived, at most `buf.len()` bytes, waiting until something has
/// (`await loop.sock_recv(sock, n)`). 0 means end of file: the peer will send no more.
pub async fn sock_recv(stream: &mut TcpStream, buf: &mut [u8]) -> Result<usize, Error> {
    loop {
        match stream.read(buf) {
            Err(e) if e.kind() == ErrorKind::WouldBlock => ready(stream.as_raw_fd(), false).await?,
            read => return Ok(read?),
        }
    }
}

/// Sends all of `data`, waiting for room whenever the socket's buffer is full
/// (`await loop.sock_sendall(sock, data)`).
pub async fn sock_sendall(stream: &mut TcpStream, mut data: &[u8]) -> Result<(), Error> {
    while !data.is_empty() {
        match stream.write(data) {
            Ok(n) => data = &data[n..],
            Err(e) if e.kind() == ErrorKind::WouldBlock => ready(stream.as_raw_fd(), true).await?,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
// ANCHOR_END: sock
