// ANCHOR: reader
//! Chapter 8's program: a reader on a socket that timers write to, on the virtual clock; an
//! echo server and three clients, tasks of one loop; a client under a deadline that no
//! answer meets. Run it with `cargo run -p stage08`.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::time::Duration;

use mio::net::{TcpListener, TcpStream};
use stage08::{gather, get_running_loop, wait_for, Error, EventLoop};
use stage08::{sock_accept, sock_connect, sock_recv, sock_sendall};

/// Prints a line with the tick, the loop time, and who prints it.
fn say(lp: &EventLoop, who: &str, what: &str) {
    let t = lp.time().as_secs_f64();
    println!("tick {}  t={t:.3}  {who}: {what}", lp.tick());
}

/// Two timers write into one end of a socket pair; a reader on the other end reads what
/// came, and removes itself after "bye".
fn reader_and_timers() {
    let lp = EventLoop::with_virtual_clock();
    let (inside, outside) = UnixStream::pair().expect("a socket pair");
    inside.set_nonblocking(true).expect("a non-blocking socket");
    let fd = inside.as_raw_fd();
    let reader = move |lp: &EventLoop| {
        // Read until the socket says WouldBlock: the poll reports a socket once when it
        // *becomes* readable, so bytes left behind would not be reported again.
        let mut buf = [0; 64];
        loop {
            match (&inside).read(&mut buf) {
                Ok(n) => {
                    let text = String::from_utf8_lossy(&buf[..n]).into_owned();
                    say(lp, "reader", &format!("read {text:?}"));
                    if text == "bye" {
                        lp.remove_reader(fd).expect("the reader is removed");
                        lp.stop();
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) => panic!("the socket failed: {e}"),
            }
        }
    };
    lp.add_reader(fd, reader).expect("the reader is set");
    for (seconds, word) in [(1, "ping"), (2, "bye")] {
        let outside = outside.try_clone().expect("another handle to the socket");
        lp.call_later(Duration::from_secs(seconds), move |lp: &EventLoop| {
            say(lp, "timer", &format!("writes {word:?}"));
            (&outside)
                .write_all(word.as_bytes())
                .expect("the write fits");
        });
    }
    lp.run_forever().expect("the reader stops the loop");
}
// ANCHOR_END: reader

// ANCHOR: server
/// Echoes what one connection sends until the client shuts its side; returns how many bytes.
async fn handle(mut stream: TcpStream) -> Result<usize, Error> {
    let mut buf = [0; 100];
    let mut echoed = 0;
    loop {
        let n = sock_recv(&mut stream, &mut buf).await?;
        if n == 0 {
            return Ok(echoed); // end of file: the client is done
        }
        sock_sendall(&mut stream, &buf[..n]).await?;
        echoed += n;
    }
}

/// Accepts `clients` connections, serves each in a task of its own, and waits for them all.
async fn serve(listener: TcpListener, clients: usize) -> Result<Vec<usize>, Error> {
    let lp = get_running_loop().expect("inside the loop");
    let mut handlers = Vec::new();
    for _ in 0..clients {
        let (stream, _peer) = sock_accept(&listener).await?;
        handlers.push(lp.create_task("handle", handle(stream)));
    }
    gather(handlers).await
}
// ANCHOR_END: server

// ANCHOR: client
/// Sends three messages, and reads each echo back whole before sending the next.
pub async fn client(n: usize, server: SocketAddr) -> Result<Vec<String>, Error> {
    let mut stream = sock_connect(server).await?;
    let mut heard = Vec::new();
    for word in ["ping", "pong", "bye"] {
        let message = format!("{word} from client {n}");
        sock_sendall(&mut stream, message.as_bytes()).await?;
        let mut echo = vec![0; message.len()];
        let mut got = 0;
        while got < echo.len() {
            match sock_recv(&mut stream, &mut echo[got..]).await? {
                0 => return Err(Error::Exception("the server hung up".into())),
                n => got += n, // an echo may come back in pieces
            }
        }
        heard.push(String::from_utf8_lossy(&echo).into_owned());
    }
    stream.shutdown(Shutdown::Write)?; // the server reads end of file
    Ok(heard)
}

async fn echo() -> Result<(), Error> {
    let lp = get_running_loop().expect("inside the loop");
    let listener = TcpListener::bind("127.0.0.1:0".parse().expect("an address"))?; // any port
    let addr = listener.local_addr()?;
    let server = lp.create_task("serve", serve(listener, 3));
    let clients = (1..=3).map(|n| lp.create_task("client", client(n, addr)));
    let heard = gather(clients.collect()).await?;
    for (n, lines) in heard.iter().enumerate() {
        println!("client {} heard: {}", n + 1, lines.join(" | "));
    }
    let echoed: usize = server.await?.iter().sum();
    println!(
        "the server echoed {echoed} bytes over {} connections",
        heard.len()
    );
    Ok(())
}
// ANCHOR_END: client

// ANCHOR: deadline
/// Connects to a server that never accepts, and waits for an answer for 0.2 s.
async fn deadline() -> Result<(), Error> {
    let lp = get_running_loop().expect("inside the loop");
    let listener = TcpListener::bind("127.0.0.1:0".parse().expect("an address"))?;
    // The kernel completes the connection and queues it until the server accepts it.
    let mut stream = sock_connect(listener.local_addr()?).await?;
    let ask = lp.create_task("ask", async move {
        sock_sendall(&mut stream, b"anybody there?").await?;
        sock_recv(&mut stream, &mut [0; 100]).await
    });
    let outcome = wait_for(ask, Duration::from_millis(200)).await;
    println!("wait_for returned {outcome:?}");
    Ok(())
}

pub fn main() {
    reader_and_timers();
    println!();
    let lp = EventLoop::new(); // the real clock: sockets take real time
    let main_task = lp.create_task("main", echo());
    lp.run_until_complete(&main_task).expect("main() finishes");
    println!();
    let main_task = lp.create_task("main", deadline());
    lp.run_until_complete(&main_task).expect("main() finishes");
}
// ANCHOR_END: deadline
