//! Chapter 8, the awaitable level: `steploop::net` over 127.0.0.1 — echo round trips, ten
//! thousand connections that leave no registration behind, each error as `Error::Io` with
//! the OS error, a slow reader under `wait_for` and under `timeout`, a reader cancelled with a
//! message, a read polled outside any task or after its loop closed, and the stall rule with
//! sockets.
//!
//! # Determinism
//! Server and clients run as tasks on one loop and one thread, and every step a test looks
//! at is caused by the step before it (a reply follows its request; a reset follows unread
//! bytes). Nothing is timed: the one deadline (`wait_for`) runs on a virtual clock against a
//! server that never answers, so the timer wins on every run. A read polled outside any task
//! is looked at again once its waker was woken, for which the test waits in sleeps of a
//! millisecond, five seconds at most: a busy machine only makes it wait longer. Every loop is
//! bounded.

use std::cell::{Cell, RefCell};
use std::future::Future as _;
use std::io::ErrorKind;
use std::net::{Shutdown, SocketAddr};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use steploop::net::{TcpListener, TcpStream};
use steploop::{gather, get_running_loop, timeout, wait_for, Error, EventLoop};

/// The OS error kind inside an `Error::Io`.
fn io_kind(error: &Error) -> ErrorKind {
    match error {
        Error::Io(e) => e.kind(),
        other => panic!("expected Error::Io, got {other:?}"),
    }
}

/// Serves `connections` clients, echoing each message until the client shuts down.
async fn echo_server(listener: TcpListener, connections: usize) -> Result<(), Error> {
    let lp = get_running_loop().unwrap();
    let mut handlers = Vec::new();
    for _ in 0..connections {
        let (stream, _) = listener.accept().await?;
        handlers.push(lp.create_task(async move {
            let mut buf = [0; 256];
            loop {
                let n = stream.read(&mut buf).await?;
                if n == 0 {
                    return Ok(());
                }
                stream.write_all(&buf[..n]).await?;
            }
        }));
    }
    gather(handlers)?.await?;
    Ok(())
}

#[test]
fn echo_round_trips_between_tasks_on_one_loop() {
    let lp = EventLoop::new();
    let replies = lp
        .run_until_complete(async {
            let lp = get_running_loop().unwrap();
            let listener = TcpListener::bind("127.0.0.1:0")?;
            let addr = listener.local_addr()?;
            let server = lp.create_task(echo_server(listener, 3));
            let mut clients = Vec::new();
            for id in 0..3u8 {
                clients.push(lp.create_task(async move {
                    let stream = TcpStream::connect(addr).await?;
                    let mut replies = Vec::new();
                    for round in 0..10u8 {
                        let message = [id, round, b'!'];
                        stream.write_all(&message).await?;
                        let mut reply = [0; 3];
                        stream.read_exact(&mut reply).await?;
                        replies.push(reply);
                    }
                    stream.shutdown(Shutdown::Write)?;
                    Ok(replies)
                }));
            }
            let replies = gather(clients)?.await?;
            server.await?;
            Ok(replies)
        })
        .unwrap();
    for (id, replies) in replies.iter().enumerate() {
        let expected: Vec<[u8; 3]> = (0..10).map(|round| [id as u8, round, b'!']).collect();
        assert_eq!(*replies, expected);
    }
    assert_eq!(lp.registered_sources(), 0);
}

#[test]
fn ten_thousand_connections_leave_the_slab_empty() {
    const N: usize = 10_000;
    let lp = EventLoop::new();
    let most = Rc::new(Cell::new(0));
    let seen = most.clone();
    lp.run_until_complete(async move {
        let lp = get_running_loop().unwrap();
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        for i in 0..N {
            let client = TcpStream::connect(addr).await?;
            let (server_side, peer) = listener.accept().await?;
            assert_eq!(peer, client.local_addr()?);
            seen.set(seen.get().max(lp.registered_sources()));
            // Close one side or the other first, to take both paths out of the slab.
            if i % 2 == 0 {
                drop(client);
                drop(server_side);
            } else {
                drop(server_side);
                drop(client);
            }
        }
        assert_eq!(lp.registered_sources(), 1, "only the listener is left");
        Ok(())
    })
    .unwrap();
    assert_eq!(
        most.get(),
        3,
        "listener, client, server side: the slab reuses its keys"
    );
    assert_eq!(lp.registered_sources(), 0);
}

#[test]
fn connecting_where_nobody_listens_is_refused() {
    let lp = EventLoop::new();
    let error = lp
        .run_until_complete(async {
            // A port that was free a moment ago, and is closed again.
            let addr: SocketAddr = TcpListener::bind("127.0.0.1:0")?.local_addr()?;
            TcpStream::connect(addr).await?;
            Ok(())
        })
        .unwrap_err();
    assert_eq!(io_kind(&error), ErrorKind::ConnectionRefused);
    assert_eq!(lp.registered_sources(), 0);
}

#[test]
fn binding_an_address_in_use_fails() {
    let lp = EventLoop::new();
    let error = lp
        .run_until_complete(async {
            let first = TcpListener::bind("127.0.0.1:0")?;
            let _second = TcpListener::bind(first.local_addr()?)?;
            Ok(())
        })
        .unwrap_err();
    assert_eq!(io_kind(&error), ErrorKind::AddrInUse);
    assert!(error.to_string().contains("in use"), "{error}");
}

#[test]
fn a_peer_that_closes_with_unread_bytes_resets_the_connection() {
    // Closing a socket with bytes still unread in its buffer makes the kernel send RST
    // instead of FIN: the other side's next read fails with "connection reset by peer".
    let lp = EventLoop::new();
    let error = lp
        .run_until_complete(async {
            let listener = TcpListener::bind("127.0.0.1:0")?;
            let client = TcpStream::connect(listener.local_addr()?).await?;
            let (server_side, _) = listener.accept().await?;
            client.write_all(b"ab").await?;
            let mut one = [0; 1];
            server_side.read_exact(&mut one).await?; // "b" is still unread
            drop(server_side);
            let mut buf = [0; 8];
            client.read(&mut buf).await?;
            Ok(())
        })
        .unwrap_err();
    assert_eq!(io_kind(&error), ErrorKind::ConnectionReset);
}

#[test]
fn read_exact_fails_at_end_of_file_and_says_how_much_came() {
    let lp = EventLoop::new();
    let error = lp
        .run_until_complete(async {
            let listener = TcpListener::bind("127.0.0.1:0")?;
            let client = TcpStream::connect(listener.local_addr()?).await?;
            let (server_side, _) = listener.accept().await?;
            server_side.write_all(b"abc").await?;
            server_side.shutdown(Shutdown::Write)?;
            let mut buf = [0; 5];
            client.read_exact(&mut buf).await?;
            Ok(())
        })
        .unwrap_err();
    assert_eq!(io_kind(&error), ErrorKind::UnexpectedEof);
    assert!(error.to_string().contains("after 3 of 5 bytes"), "{error}");
}

#[test]
fn a_plain_read_returns_zero_at_end_of_file() {
    let lp = EventLoop::new();
    let n = lp
        .run_until_complete(async {
            let listener = TcpListener::bind("127.0.0.1:0")?;
            let client = TcpStream::connect(listener.local_addr()?).await?;
            let (server_side, _) = listener.accept().await?;
            assert_eq!(server_side.peer_addr()?, client.local_addr()?);
            drop(server_side);
            let mut buf = [0; 4];
            client.read(&mut buf).await
        })
        .unwrap();
    assert_eq!(n, 0);
}

#[test]
fn a_slow_reader_under_wait_for_times_out_and_can_read_later() {
    // A virtual clock: the server never answers within the deadline, so when the loop finds
    // no I/O it jumps to the wait_for timer. Then the reader's wait must be gone from the
    // registration, or the second read would find "another task is already waiting".
    let lp = EventLoop::with_virtual_clock();
    let (first, second) = lp
        .run_until_complete(async {
            let listener = TcpListener::bind("127.0.0.1:0")?;
            let client = Rc::new(TcpStream::connect(listener.local_addr()?).await?);
            let (server_side, _) = listener.accept().await?;
            let reader = client.clone();
            let first = wait_for(
                async move {
                    let mut buf = [0; 4];
                    reader.read_exact(&mut buf).await?;
                    Ok(buf)
                },
                Duration::from_secs(5),
            )
            .await;
            server_side.write_all(b"late").await?;
            let mut buf = [0; 4];
            client.read_exact(&mut buf).await?;
            Ok((first.map(|_| ()), buf))
        })
        .unwrap();
    assert!(matches!(first, Err(Error::Timeout)), "{first:?}");
    assert_eq!(&second, b"late");
    assert_eq!(lp.time(), Duration::from_secs(5));
    assert_eq!(lp.registered_sources(), 0);
}

#[test]
fn a_read_under_timeout_is_cancelled_in_its_own_task_and_the_socket_reads_later() {
    // asyncio.timeout cancels the very task that reads, inside its await: the wait ends
    // cancelled, leaves nothing behind, and the next read waits afresh.
    let lp = EventLoop::with_virtual_clock();
    let (first, second) = lp
        .run_until_complete(async {
            let listener = TcpListener::bind("127.0.0.1:0")?;
            let client = TcpStream::connect(listener.local_addr()?).await?;
            let (server_side, _) = listener.accept().await?;
            let mut buf = [0; 4];
            let first = timeout(Duration::from_secs(3), client.read_exact(&mut buf)).await;
            server_side.write_all(b"late").await?;
            client.read_exact(&mut buf).await?;
            Ok((first, buf))
        })
        .unwrap();
    assert!(matches!(first, Err(Error::Timeout)), "{first:?}");
    assert_eq!(&second, b"late");
    assert_eq!(lp.time(), Duration::from_secs(3));
    assert_eq!(lp.registered_sources(), 0);
}

#[test]
fn a_read_that_must_wait_after_its_loop_closed_fails_instead_of_waiting_forever() {
    let lp = EventLoop::new();
    let (client, _server_side) = lp
        .run_until_complete(async {
            let listener = TcpListener::bind("127.0.0.1:0")?;
            let client = TcpStream::connect(listener.local_addr()?).await?;
            let (server_side, _) = listener.accept().await?;
            Ok((Rc::new(client), Rc::new(server_side)))
        })
        .unwrap();
    lp.close().unwrap();
    let mut buf = [0; 4];
    let mut read = std::pin::pin!(client.read(&mut buf));
    let polled = read.as_mut().poll(&mut Context::from_waker(Waker::noop()));
    assert!(
        matches!(polled, Poll::Ready(Err(Error::Closed))),
        "{polled:?}"
    );
}

#[test]
fn two_tasks_waiting_to_read_one_socket_is_an_error() {
    let lp = EventLoop::new();
    let error = lp
        .run_until_complete(async {
            let lp = get_running_loop().unwrap();
            let listener = TcpListener::bind("127.0.0.1:0")?;
            let client = Rc::new(TcpStream::connect(listener.local_addr()?).await?);
            let (_server_side, _) = listener.accept().await?;
            let (a, b) = (client.clone(), client.clone());
            let first = lp.create_task(async move { a.read(&mut [0; 4]).await });
            let second = lp.create_task(async move { b.read(&mut [0; 4]).await });
            let outcome = second.await;
            first.cancel();
            outcome
        })
        .unwrap_err();
    assert!(matches!(error, Error::Runtime(_)), "{error:?}");
    assert!(error.to_string().contains("already waiting to read"));
}

#[test]
fn cancelling_a_task_waiting_to_read_gives_its_message_and_frees_the_socket() {
    // asyncio's sock_recv: cancelling the task cancels what it waits on, which removes the
    // reader; the socket can be read again at once.
    let lp = EventLoop::new();
    let (outcome, later) = lp
        .run_until_complete(async {
            let lp = get_running_loop().unwrap();
            let listener = TcpListener::bind("127.0.0.1:0")?;
            let client = Rc::new(TcpStream::connect(listener.local_addr()?).await?);
            let (server_side, _) = listener.accept().await?;
            let reader = client.clone();
            let task = lp.create_task(async move { reader.read(&mut [0; 4]).await });
            steploop::sleep(Duration::ZERO).await?; // the task runs, and waits to read
            assert!(task.cancel_with("no more reading"));
            let outcome = task.await;
            server_side.write_all(b"next").await?;
            let mut buf = [0; 4];
            client.read_exact(&mut buf).await?;
            Ok((outcome, buf))
        })
        .unwrap();
    let Err(Error::Cancelled(Some(message))) = outcome else {
        panic!("expected the cancellation, got {outcome:?}")
    };
    assert_eq!(&*message, "no more reading");
    assert_eq!(&later, b"next");
    assert_eq!(lp.registered_sources(), 0);
}

#[test]
fn a_read_polled_outside_any_task_wakes_the_waker_it_was_polled_with() {
    // A future of another library's executor awaiting a read: the event wakes its waker,
    // once, and the next poll reads.
    struct Count(AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let lp = EventLoop::new();
    let (woken, read) = lp
        .run_until_complete(async {
            let lp = get_running_loop().unwrap();
            let listener = TcpListener::bind("127.0.0.1:0")?;
            let client = TcpStream::connect(listener.local_addr()?).await?;
            let (server_side, _) = listener.accept().await?;
            let count = Arc::new(Count(AtomicUsize::new(0)));
            let waker = Waker::from(count.clone());
            let read = Rc::new(RefCell::new(Box::pin(async move {
                let mut buf = [0; 4];
                client.read_exact(&mut buf).await.map(|()| buf)
            })));
            // Polled from a callback, where no task runs: the wait keeps the waker.
            let (first, polled) = (Rc::new(Cell::new(None)), read.clone());
            let (first_out, waker_in) = (first.clone(), waker.clone());
            lp.call_soon(move |_: &EventLoop| {
                let mut cx = Context::from_waker(&waker_in);
                first_out.set(Some(
                    polled.borrow_mut().as_mut().poll(&mut cx).is_pending(),
                ));
            });
            steploop::sleep(Duration::ZERO).await?;
            assert_eq!(first.get(), Some(true), "nothing to read yet");
            server_side.write_all(b"ping").await?;
            for _ in 0..5_000 {
                if count.0.load(Ordering::SeqCst) > 0 {
                    break;
                }
                steploop::sleep(Duration::from_millis(1)).await?;
            }
            let woken = count.0.load(Ordering::SeqCst);
            let mut cx = Context::from_waker(&waker);
            let Poll::Ready(read) = read.borrow_mut().as_mut().poll(&mut cx) else {
                panic!("woken, yet the read is not ready");
            };
            Ok((woken, read?))
        })
        .unwrap();
    assert_eq!(woken, 1);
    assert_eq!(&read, b"ping");
    assert_eq!(lp.registered_sources(), 0);
}

#[test]
fn an_idle_socket_does_not_keep_the_loop_from_reporting_a_stall() {
    // The stall rule: a registered socket counts only while a task waits on it.
    let lp = EventLoop::new();
    let error = lp
        .run_until_complete(async {
            let lp = get_running_loop().unwrap();
            let _listener = TcpListener::bind("127.0.0.1:0")?; // registered, nobody accepts
            lp.create_future::<()>().await
        })
        .unwrap_err();
    assert!(matches!(error, Error::Stalled(_)), "{error:?}");
}

#[test]
fn closing_the_loop_with_a_task_waiting_on_a_socket_frees_its_registration() {
    let lp = EventLoop::new();
    lp.set_exception_handler(|_, _| {}); // "Task was destroyed but it is pending!" expected
    lp.run_until_complete(async {
        let lp = get_running_loop().unwrap();
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        lp.create_task(async move {
            listener.accept().await?;
            Ok(())
        });
        let _client = TcpStream::connect(addr).await;
        Ok(())
    })
    .unwrap();
    lp.close().unwrap();
    assert_eq!(lp.registered_sources(), 0);
}

/// The most connections the system lets a listening socket queue, or `None` where it does not
/// say (`/proc/sys/net/core/somaxconn` is Linux's).
fn system_max_backlog() -> Option<usize> {
    std::fs::read_to_string("/proc/sys/net/core/somaxconn")
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Connects `clients` times to `addr` from another thread, without anybody accepting: each
/// connection waits in the listening socket's queue. A connect that found the queue full
/// would have its SYN dropped and retry for seconds: the 10 s limit turns that into a failure.
fn burst_of_connects(addr: SocketAddr, clients: usize) -> Vec<std::net::TcpStream> {
    std::thread::spawn(move || {
        (0..clients)
            .map(|i| {
                std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(10))
                    .unwrap_or_else(|e| panic!("connect {i} of {clients} found no room: {e}"))
            })
            .collect()
    })
    .join()
    .expect("every connect got a place in the queue")
}

/// asyncio's `start_server(backlog=...)`: the default queues as many connections as the system
/// allows, so a burst of 200 that nobody accepts yet costs no retries (std's and mio's bind
/// queue 128, and the 130th client's SYN is dropped and retried a second later).
#[test]
fn a_burst_of_connections_waits_in_the_backlog() {
    const CLIENTS: usize = 200;
    if system_max_backlog().is_some_and(|max| max < CLIENTS) {
        eprintln!("skipped: net.core.somaxconn is below {CLIENTS} on this machine");
        return;
    }
    let lp = EventLoop::new();
    lp.run_until_complete(async {
        for listener in [
            TcpListener::bind("127.0.0.1:0")?,
            TcpListener::bind_with_backlog("127.0.0.1:0", CLIENTS as u32)?,
        ] {
            let clients = burst_of_connects(listener.local_addr()?, CLIENTS);
            for client in &clients {
                let (server_side, peer) = listener.accept().await?;
                assert_eq!(peer.port(), server_side.peer_addr()?.port());
                assert!(client.local_addr().is_ok());
            }
        }
        Ok(())
    })
    .unwrap();
    lp.close().unwrap();
}
