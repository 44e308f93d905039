//! Async TCP: sockets whose operations wait for readiness instead of blocking (asyncio's
//! `loop.sock_accept`, `sock_connect`, `sock_recv`, `sock_sendall`, and the streams'
//! `readexactly`).
//!
//! Every operation follows one pattern, the I/O twin of [`sleep`](crate::sleep): *try* the
//! non-blocking system call; if it answers `WouldBlock`, wait for the socket's next readiness
//! event in that direction (where asyncio creates a future and makes setting its result the
//! socket's reader). The event ends the wait, which wakes the task, which tries again.
//!
//! Invariants:
//! - A socket is registered with the loop's selector from creation to drop, under one token
//!   (its slab key); dropping it deregisters it, so that a loop that has closed every socket
//!   has an empty slab.
//! - At most one task waits in each direction of a socket; a second gets [`Error::Runtime`].
//!
//! # Implementation notes
//! Sockets are registered once, for both directions, edge-triggered. Each makes one `IoWait`
//! (`src/reactor/wait.rs`) per direction, shared with its registration, which remembers the
//! readiness each event announced and forgets it when a system call answers `WouldBlock`: an
//! operation on a socket known not to be ready waits at once, without a system call that would only
//! fail. A socket that always has data is read without ever yielding to the loop, as an asyncio
//! `StreamReader` with buffered data is. A wait is no future: the event wakes the waiting task by
//! key, and nothing is allocated per wait.

use std::fmt;
use std::io;
use std::net::{Shutdown, SocketAddr, ToSocketAddrs};
use std::os::fd::AsFd;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll};

use crate::label::Label;
use crate::reactor::{IoWait, Reactor, Waits, READ, WRITE};
use crate::running::running_loop;
use crate::running_task::{self, Awaiter};
use crate::scheduler::task_table::Awaited;
use crate::trace::Event;
use crate::Error;

/// A source registered with a loop: the socket, its token, and the loop's reactor.
struct Registered<S: mio::event::Source> {
    source: S,
    token: usize,
    /// Weak: the loop owns its tasks, which own their sockets. The reactor is all of the loop
    /// a socket needs: it registers, waits, and wakes tasks through the loop's scheduler.
    reactor: Weak<Reactor>,
    /// The readiness of each direction (reading, writing), and what a task waits on there:
    /// shared with the registration, whose events set them.
    waits: Waits,
}

impl<S: mio::event::Source> Registered<S> {
    fn new(reactor: &Rc<Reactor>, mut source: S) -> Result<Registered<S>, Error> {
        let (token, waits) = reactor.register_socket(&mut source)?;
        Ok(Registered {
            source,
            token,
            reactor: Rc::downgrade(reactor),
            waits,
        })
    }

    /// The wait of `direction`.
    fn wait(&self, direction: u8) -> &Rc<IoWait> {
        &self.waits[usize::from(direction == WRITE)]
    }

    /// The reactor, unless the loop is gone.
    fn reactor(&self) -> Result<Rc<Reactor>, Error> {
        self.reactor.upgrade().ok_or(Error::Closed)
    }

    /// Runs `op` until it does not answer `WouldBlock`, waiting for readiness in `direction`
    /// between tries (asyncio's `sock_recv`: try `recv`; on `BlockingIOError`, `add_reader`
    /// and await a future).
    fn io<R, F>(&self, direction: u8, op: F) -> Io<'_, S, F>
    where
        F: FnMut(&S) -> io::Result<R> + Unpin,
    {
        Io {
            socket: self,
            wait: self.wait(direction),
            op,
            waiting: false,
        }
    }
}

impl<S: mio::event::Source> Drop for Registered<S> {
    /// Deregisters the socket: its slab entry is freed, and the selector forgets it.
    fn drop(&mut self) {
        if let Some(reactor) = self.reactor.upgrade() {
            let _ = reactor.deregister(&mut self.source, self.token);
        }
    }
}

// ANCHOR: io
/// One operation on a socket, as a future: try the system call `op`; while it answers
/// `WouldBlock`, wait for the socket's next readiness event in that direction, then try again.
///
/// # Implementation notes
/// One hand-written future rather than an `async fn` that awaits a future of the wait: each
/// `async` layer costs its state machine's dispatch and moves on every poll, and a round trip
/// over a socket polls several.
struct Io<'a, S: mio::event::Source, F> {
    socket: &'a Registered<S>,
    wait: &'a Rc<IoWait>,
    op: F,
    /// True from the poll that started a wait until its outcome is taken: only then is the
    /// wait this operation's (a second task's read finds it busy, and must not touch it).
    waiting: bool,
}

impl<S, R, F> std::future::Future for Io<'_, S, F>
where
    S: mio::event::Source,
    F: FnMut(&S) -> io::Result<R> + Unpin,
{
    type Output = Result<R, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        if this.waiting {
            match this.poll_wait(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                Poll::Ready(Ok(())) => {} // the event came: try again
            }
        }
        loop {
            if this.wait.is_ready() {
                match (this.op)(&this.socket.source) {
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        // Edge-triggered: nothing more will be announced until the socket
                        // becomes ready again, which the next event will say.
                        this.wait.clear_ready();
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    result => return Poll::Ready(Ok(result?)),
                }
            }
            // A wait begins, unless the step throws something into the coroutine: then
            // the await raises it here, as any steploop await does.
            if let Some(thrown) = running_task::take_thrown() {
                return Poll::Ready(Err(thrown));
            }
            let reactor = this.socket.reactor()?;
            if reactor.scheduler().is_closed() {
                // Its registrations are gone: no event would ever end the wait.
                return Poll::Ready(Err(Error::Closed));
            }
            this.wait.start(&reactor)?;
            this.waiting = true;
            this.register(&reactor, cx);
            return Poll::Pending;
        }
    }
}

impl<S: mio::event::Source, F> Io<'_, S, F> {
    /// Polls the wait in progress: `Ready(Ok)` once the event ended it, `Ready(Err)` if it
    /// was cancelled or the step throws an error (either way it is over, and `waiting` is
    /// false), `Pending` while it goes on.
    fn poll_wait(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        // Read the outcome first, as an await of a future does: a cancellation thrown into
        // the task wins over the event, but not over the wait's own cancellation.
        let outcome = self.wait.take_outcome();
        if outcome.is_some() {
            self.waiting = false;
        }
        if let Some(thrown) = running_task::take_thrown() {
            if self.waiting {
                self.waiting = false;
                self.wait.abandon();
            }
            return match outcome {
                Some(Err(own)) if own.is_cancelled() && thrown.is_cancelled() => {
                    Poll::Ready(Err(own))
                }
                _ => Poll::Ready(Err(thrown)),
            };
        }
        match outcome {
            Some(outcome) => Poll::Ready(outcome),
            None => {
                // Polled again before the end (its task woken another way): say again who
                // waits, as its task forgot this wait when its step began.
                if let Some(reactor) = self.socket.reactor.upgrade() {
                    self.register(&reactor, cx);
                }
                Poll::Pending
            }
        }
    }

    /// Says who waits: the running task, by key, or the context's waker (asyncio's
    /// `Future.__await__`, which registers the task's wakeup as a done-callback).
    fn register(&self, reactor: &Reactor, cx: &mut Context<'_>) {
        let target: Rc<dyn Awaited> = self.wait.clone();
        let scheduler = reactor.scheduler();
        match running_task::await_target(scheduler, &target) {
            Awaiter::Task(key) => {
                self.wait.wake_task(key);
                scheduler.record(|| Event::Await {
                    task: Label::task(key.id),
                    future: self.wait.label(),
                });
            }
            // A wait is never a task: `Itself` cannot come.
            Awaiter::AlreadyWaiting | Awaiter::Itself(_) => {}
            Awaiter::Foreign => self.wait.wake_waker(cx.waker()),
            Awaiter::OtherLoop(task) => running_task::throw_at_next_step(Error::Runtime(
                format!(
                    "{task} waits for {} of a socket of a different loop: a socket belongs to \
                     the loop that was running when it was made, and only that loop's tasks \
                     can use it",
                    self.wait.label()
                )
                .into(),
            )),
        }
    }
}

impl<S: mio::event::Source, F> Drop for Io<'_, S, F> {
    /// An operation abandoned halfway (its task dropped it) leaves no wait behind.
    fn drop(&mut self) {
        if self.waiting {
            self.wait.abandon();
        }
    }
}
// ANCHOR_END: io

/// `recv(2)`: reads what has arrived on a connected socket, at most `buf.len()` bytes.
///
/// # Implementation notes
/// rustix makes the system call itself (on Linux, without going through libc), where
/// `Read::read` of mio's and std's sockets passes three layers and reads `errno` from a
/// thread-local: a round trip over a socket makes several such calls.
fn recv(socket: &impl AsFd, buf: &mut [u8]) -> io::Result<usize> {
    let (n, _) = rustix::net::recv(socket, buf, rustix::net::RecvFlags::empty())?;
    Ok(n)
}

/// `send(2)`: writes as much of `buf` as the socket's buffer takes. A peer that hung up gives
/// the error `EPIPE` (`BrokenPipe`), never the signal `SIGPIPE`, as std's sockets do: on
/// Linux by the flag `MSG_NOSIGNAL`; Apple's systems have no such flag, and mio sets
/// `SO_NOSIGPIPE` on the sockets it makes instead.
fn send(socket: &impl AsFd, buf: &[u8]) -> io::Result<usize> {
    #[cfg(not(target_vendor = "apple"))]
    let flags = rustix::net::SendFlags::NOSIGNAL;
    #[cfg(target_vendor = "apple")]
    let flags = rustix::net::SendFlags::empty();
    Ok(rustix::net::send(socket, buf, flags)?)
}

/// The first address `addr` resolves to.
fn resolve(addr: impl ToSocketAddrs) -> Result<SocketAddr, Error> {
    addr.to_socket_addrs()?.next().ok_or_else(|| {
        Error::from(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the address resolved to nothing",
        ))
    })
}

/// A TCP socket listening for connections (what `asyncio.start_server` creates, and the
/// listening socket of `loop.sock_accept`).
///
/// # Notes
/// The socket belongs to the loop that was running when it was bound, and is registered with
/// that loop's selector until it is dropped.
///
/// # Examples
/// ```
/// use steploop::net::{TcpListener, TcpStream};
/// use steploop::EventLoop;
///
/// let lp = EventLoop::new();
/// lp.run_until_complete(async {
///     let listener = TcpListener::bind("127.0.0.1:0")?;
///     let client = TcpStream::connect(listener.local_addr()?).await?;
///     let (server_side, _) = listener.accept().await?;
///     client.write_all(b"hi").await?;
///     let mut buf = [0; 2];
///     server_side.read_exact(&mut buf).await?;
///     assert_eq!(&buf, b"hi");
///     Ok(())
/// })
/// .unwrap();
/// assert_eq!(lp.registered_sources(), 0); // every socket was dropped, and deregistered
/// ```
pub struct TcpListener {
    io: Registered<mio::net::TcpListener>,
}

impl TcpListener {
    /// Binds a listening socket to `addr` and registers it with the running loop
    /// (`socket.bind` + `listen`, as `asyncio.start_server` does). Port 0 picks a free port;
    /// [`local_addr`](TcpListener::local_addr) tells which.
    ///
    /// # Errors
    /// [`Error::Io`] with the OS error, for instance `AddrInUse` ("address already in use")
    /// if another socket listens there; [`Error::Runtime`] if no loop is running.
    ///
    /// The socket queues as many connections not yet accepted as the system allows (on
    /// Linux, `net.core.somaxconn`, 4096 since Linux 5.4); see
    /// [`bind_with_backlog`](TcpListener::bind_with_backlog) to choose.
    ///
    /// # Implementation notes
    /// mio sets `SO_REUSEADDR`, so a port in `TIME_WAIT` can be bound again at once, as
    /// asyncio's `start_server` does by default on Unix. A host name is resolved with a
    /// blocking lookup; use addresses.
    ///
    /// # Examples
    /// ```
    /// use steploop::net::TcpListener;
    /// let lp = steploop::EventLoop::new();
    /// lp.run_until_complete(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     assert!(listener.local_addr()?.port() != 0);
    ///     Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub fn bind(addr: impl ToSocketAddrs) -> Result<TcpListener, Error> {
        Self::bind_with_backlog(addr, u32::MAX)
    }

    /// As [`bind`](TcpListener::bind), queueing at most `backlog` connections that are not yet
    /// accepted (`asyncio.start_server(..., backlog=100)`, `socket.listen(backlog)`). The
    /// system lowers a larger value to its own maximum.
    ///
    /// A client that connects while the queue is full is not refused: its first packet is
    /// dropped and it tries again a second later, then three, and so on. A server that
    /// expects bursts of connections should let them wait in the queue rather than in
    /// retries, which is why [`bind`](TcpListener::bind) asks for as many as the system
    /// allows, where asyncio's default is 100 and std's and mio's is 128.
    ///
    /// # Errors
    /// As [`bind`](TcpListener::bind).
    ///
    /// # Implementation notes
    /// mio's `bind` listens with a backlog of 128, as std does; a second `listen` with ours
    /// sets the queue's size (Linux and the BSDs let a listening socket's backlog change).
    ///
    /// # Examples
    /// ```
    /// use steploop::net::TcpListener;
    /// let lp = steploop::EventLoop::new();
    /// lp.run_until_complete(async {
    ///     let listener = TcpListener::bind_with_backlog("127.0.0.1:0", 1000)?;
    ///     assert!(listener.local_addr()?.port() != 0);
    ///     Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub fn bind_with_backlog(addr: impl ToSocketAddrs, backlog: u32) -> Result<TcpListener, Error> {
        let event_loop = running_loop("TcpListener::bind")?;
        let listener = mio::net::TcpListener::bind(resolve(addr)?)?;
        let backlog = i32::try_from(backlog).unwrap_or(i32::MAX);
        rustix::net::listen(&listener, backlog).map_err(io::Error::from)?;
        Ok(TcpListener {
            io: Registered::new(event_loop.reactor(), listener)?,
        })
    }

    // ANCHOR: accept
    /// Waits for a connection and accepts it (`loop.sock_accept(sock)`): the new connection's
    /// socket, registered with the loop, and the peer's address.
    ///
    /// # Errors
    /// [`Error::Io`] with the OS error; `Error::Cancelled` if the task is cancelled while
    /// waiting; [`Error::Runtime`] if another task is already waiting on this listener.
    ///
    /// # Examples
    /// See [`TcpListener`].
    pub async fn accept(&self) -> Result<(TcpStream, SocketAddr), Error> {
        let (stream, peer) = self.io.io(READ, |listener| listener.accept()).await?;
        let reactor = self.io.reactor()?;
        Ok((TcpStream::register(&reactor, stream)?, peer))
    }
    // ANCHOR_END: accept

    /// The address the socket is bound to (`socket.getsockname()`).
    ///
    /// # Errors
    /// [`Error::Io`] with the OS error.
    pub fn local_addr(&self) -> Result<SocketAddr, Error> {
        Ok(self.io.source.local_addr()?)
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TcpListener(token {})", self.io.token)
    }
}

/// A connected TCP socket whose reads and writes wait for readiness (asyncio's `sock_recv`,
/// `sock_sendall`, and a stream pair's `read`, `readexactly`, `write` + `drain`).
///
/// # Notes
/// Methods take `&self`: one task may read while another writes. At most one task waits in
/// each direction at a time, as asyncio's `StreamReader` allows one waiting reader.
///
/// # Examples
/// ```
/// use steploop::net::{TcpListener, TcpStream};
/// let lp = steploop::EventLoop::new();
/// let echoed = lp
///     .run_until_complete(async {
///         let listener = TcpListener::bind("127.0.0.1:0")?;
///         let addr = listener.local_addr()?;
///         let server = steploop::get_running_loop().unwrap().create_task(async move {
///             let (stream, _) = listener.accept().await?;
///             let mut buf = [0; 5];
///             stream.read_exact(&mut buf).await?;
///             stream.write_all(&buf).await
///         });
///         let client = TcpStream::connect(addr).await?;
///         client.write_all(b"hello").await?;
///         let mut buf = [0; 5];
///         client.read_exact(&mut buf).await?;
///         server.await?;
///         Ok(buf)
///     })
///     .unwrap();
/// assert_eq!(&echoed, b"hello");
/// ```
pub struct TcpStream {
    io: Registered<mio::net::TcpStream>,
}

impl TcpStream {
    fn register(reactor: &Rc<Reactor>, stream: mio::net::TcpStream) -> Result<TcpStream, Error> {
        Ok(TcpStream {
            io: Registered::new(reactor, stream)?,
        })
    }

    // ANCHOR: connect
    /// Opens a connection to `addr` (`loop.sock_connect(sock, address)`, and the connecting
    /// half of `asyncio.open_connection`).
    ///
    /// # Errors
    /// [`Error::Io`] with the OS error, for instance `ConnectionRefused` when nothing listens
    /// there; `Error::Cancelled` if the task is cancelled while connecting;
    /// [`Error::Runtime`] if no loop is running.
    ///
    /// # Implementation notes
    /// A non-blocking `connect` returns at once (`EINPROGRESS`). The socket becomes writable
    /// when the handshake is over, either way: then `SO_ERROR` says whether it failed, and
    /// `getpeername` whether it is really connected yet (if not, wait again).
    ///
    /// # Examples
    /// ```
    /// use steploop::net::{TcpListener, TcpStream};
    /// use steploop::Error;
    /// let lp = steploop::EventLoop::new();
    /// let refused = lp.run_until_complete(async {
    ///     let addr = TcpListener::bind("127.0.0.1:0")?.local_addr()?; // bound, then closed
    ///     TcpStream::connect(addr).await?;
    ///     Ok(())
    /// });
    /// let Err(Error::Io(error)) = refused else { panic!() };
    /// assert_eq!(error.kind(), std::io::ErrorKind::ConnectionRefused);
    /// ```
    pub async fn connect(addr: impl ToSocketAddrs) -> Result<TcpStream, Error> {
        let event_loop = running_loop("TcpStream::connect")?;
        let stream = mio::net::TcpStream::connect(resolve(addr)?)?;
        let stream = TcpStream::register(event_loop.reactor(), stream)?;
        loop {
            stream.io.io(WRITE, |_| Ok(())).await?;
            if let Some(error) = stream.io.source.take_error()? {
                return Err(error.into());
            }
            match stream.io.source.peer_addr() {
                Ok(_) => return Ok(stream),
                Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                    stream.io.wait(WRITE).clear_ready();
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    // ANCHOR_END: connect

    // ANCHOR: read
    /// Reads what has arrived, at most `buf.len()` bytes, waiting until something has
    /// (`loop.sock_recv_into(sock, buf)`, `StreamReader.read(n)`). `Ok(0)` means end of file:
    /// the peer shut down its side.
    ///
    /// # Errors
    /// [`Error::Io`] with the OS error, for instance `ConnectionReset` ("connection reset by
    /// peer"); `Error::Cancelled` if the task is cancelled while waiting.
    ///
    /// # Implementation notes
    /// A read that returns fewer bytes than asked for has emptied the socket's buffer, so the
    /// loop forgets the socket's readiness as a `WouldBlock` would make it: the next read
    /// waits for the next event instead of making a system call only to hear `WouldBlock`
    /// (tokio does the same). Bytes that arrive meanwhile raise a new edge.
    pub fn read<'a>(
        &'a self,
        buf: &'a mut [u8],
    ) -> impl std::future::Future<Output = Result<usize, Error>> + 'a {
        let wait = self.io.wait(READ);
        self.io.io(READ, move |stream| {
            let n = recv(stream, buf)?;
            if 0 < n && n < buf.len() {
                wait.clear_ready_short();
            }
            Ok(n)
        })
    }
    // ANCHOR_END: read

    /// Writes as much of `buf` as fits in the socket's buffer, waiting until something fits
    /// (`loop.sock_send(sock, data)`); returns how much was written.
    ///
    /// # Errors
    /// [`Error::Io`] with the OS error, for instance `BrokenPipe` or `ConnectionReset` when
    /// the peer is gone; `Error::Cancelled` if the task is cancelled while waiting.
    ///
    /// # Implementation notes
    /// A short write means the buffer is full: as for [`read`](Self::read), the next write
    /// waits for the next event.
    pub fn write<'a>(
        &'a self,
        buf: &'a [u8],
    ) -> impl std::future::Future<Output = Result<usize, Error>> + 'a {
        let wait = self.io.wait(WRITE);
        self.io.io(WRITE, move |stream| {
            let n = send(stream, buf)?;
            if 0 < n && n < buf.len() {
                wait.clear_ready_short();
            }
            Ok(n)
        })
    }

    /// Reads exactly `buf.len()` bytes (`StreamReader.readexactly(n)`).
    ///
    /// # Errors
    /// [`Error::Io`] of kind `UnexpectedEof` if the peer shuts down first (asyncio's
    /// `IncompleteReadError`), saying how many bytes came; otherwise as [`read`](Self::read).
    ///
    /// # Examples
    /// ```
    /// use std::net::Shutdown;
    /// use steploop::net::{TcpListener, TcpStream};
    /// let lp = steploop::EventLoop::new();
    /// let outcome = lp.run_until_complete(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (server_side, _) = listener.accept().await?;
    ///     server_side.write_all(b"abc").await?;
    ///     server_side.shutdown(Shutdown::Write)?; // end of file after 3 bytes
    ///     let mut buf = [0; 5];
    ///     client.read_exact(&mut buf).await
    /// });
    /// assert!(outcome.unwrap_err().to_string().contains("after 3 of 5 bytes"));
    /// ```
    pub async fn read_exact(&self, buf: &mut [u8]) -> Result<(), Error> {
        let mut filled = 0;
        while filled < buf.len() {
            let n = self.read(&mut buf[filled..]).await?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "end of file after {filled} of {} bytes (asyncio: IncompleteReadError)",
                        buf.len()
                    ),
                )
                .into());
            }
            filled += n;
        }
        Ok(())
    }

    /// Writes all of `buf`, waiting for room as often as needed (`loop.sock_sendall(sock,
    /// data)`, `StreamWriter.write` + `drain`).
    ///
    /// # Errors
    /// As [`write`](Self::write).
    pub async fn write_all(&self, buf: &[u8]) -> Result<(), Error> {
        let mut written = 0;
        while written < buf.len() {
            let n = self.write(&buf[written..]).await?;
            if n == 0 {
                return Err(io::Error::from(io::ErrorKind::WriteZero).into());
            }
            written += n;
        }
        Ok(())
    }

    /// Shuts down one or both directions (`socket.shutdown(how)`; `Shutdown::Write` is
    /// `StreamWriter.write_eof()`): the peer then reads end of file. Nothing to wait for, so it
    /// is not async.
    ///
    /// # Errors
    /// [`Error::Io`] with the OS error.
    pub fn shutdown(&self, how: Shutdown) -> Result<(), Error> {
        Ok(self.io.source.shutdown(how)?)
    }

    /// Disables Nagle's algorithm, so that small writes leave at once (`TCP_NODELAY`, which
    /// asyncio sets on every TCP transport).
    ///
    /// # Errors
    /// [`Error::Io`] with the OS error.
    pub fn set_nodelay(&self, nodelay: bool) -> Result<(), Error> {
        Ok(self.io.source.set_nodelay(nodelay)?)
    }

    /// This end's address (`socket.getsockname()`).
    ///
    /// # Errors
    /// [`Error::Io`] with the OS error.
    pub fn local_addr(&self) -> Result<SocketAddr, Error> {
        Ok(self.io.source.local_addr()?)
    }

    /// The other end's address (`socket.getpeername()`).
    ///
    /// # Errors
    /// [`Error::Io`] with the OS error.
    pub fn peer_addr(&self) -> Result<SocketAddr, Error> {
        Ok(self.io.source.peer_addr()?)
    }
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TcpStream(token {})", self.io.token)
    }
}
