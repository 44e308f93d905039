//! Chapter 8, exercise 2: stage 8's echo server at the callback level only, as asyncio's
//! protocols are: a reader on the listening socket accepts the connections, a reader on each
//! connection echoes it. The clients are the chapter's, tasks awaiting sockets. Run it with
//! `cargo run --example ch08_callback_echo`.

#[allow(dead_code)]
#[path = "../../stages/stage08/src/main.rs"]
mod stage08_main;

use std::cell::RefCell;
use std::io::{ErrorKind, Read, Write};
use std::os::fd::AsRawFd;

use mio::net::{TcpListener, TcpStream};
use stage08::{gather, get_running_loop, Error, EventLoop};

// ANCHOR: solution
/// Sets a reader on `listener` that accepts every waiting connection, and echoes each.
fn serve(lp: &EventLoop, listener: TcpListener) -> Result<(), Error> {
    lp.add_reader(listener.as_raw_fd(), move |lp| loop {
        match listener.accept() {
            Ok((stream, _peer)) => echo(lp, stream).expect("a reader on the connection"),
            Err(e) if e.kind() == ErrorKind::WouldBlock => return,
            Err(e) => panic!("accept failed: {e}"),
        }
    })
}

/// Sets a reader on `stream` that writes back what it reads, and at end of file removes
/// itself and closes the connection.
fn echo(lp: &EventLoop, stream: TcpStream) -> Result<(), Error> {
    let fd = stream.as_raw_fd();
    // The reader is an `Fn`: to close the stream it takes it out of this cell.
    let stream = RefCell::new(Some(stream));
    lp.add_reader(fd, move |lp| {
        let mut buf = [0; 100];
        loop {
            let read = match stream.borrow_mut().as_mut() {
                Some(stream) => stream.read(&mut buf),
                None => return, // closed already
            };
            match read {
                Ok(0) => {
                    lp.remove_reader(fd).expect("the reader is removed");
                    stream.take(); // dropped: closed, after the loop forgot it
                    return;
                }
                Ok(n) => {
                    let mut stream = stream.borrow_mut();
                    let stream = stream.as_mut().expect("open until end of file");
                    stream.write_all(&buf[..n]).expect("room for a short echo");
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) => panic!("read failed: {e}"),
            }
        }
    })
}
// ANCHOR_END: solution

/// The three clients of the chapter against the callback server: what each heard.
fn conversation() -> Vec<String> {
    let lp = EventLoop::new();
    let listener = TcpListener::bind("127.0.0.1:0".parse().expect("an address")).expect("bind");
    let (addr, fd) = (
        listener.local_addr().expect("an address"),
        listener.as_raw_fd(),
    );
    serve(&lp, listener).expect("the server's reader is set");
    let main_task = lp.create_task("main", async move {
        let lp = get_running_loop().expect("inside the loop");
        let clients = (1..=3).map(|n| lp.create_task("client", stage08_main::client(n, addr)));
        gather(clients.collect()).await
    });
    let heard = lp
        .run_until_complete(&main_task)
        .expect("the clients finish");
    lp.remove_reader(fd).expect("the server stops listening");
    let lines = heard.iter().enumerate();
    lines
        .map(|(n, lines)| format!("client {} heard: {}", n + 1, lines.join(" | ")))
        .collect()
}

fn main() {
    for line in conversation() {
        println!("{line}");
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_clients_hear_what_they_hear_from_the_chapter_s_server() {
        let expected: Vec<String> = (1..=3)
            .map(|n| {
                let words = ["ping", "pong", "bye"].map(|w| format!("{w} from client {n}"));
                format!("client {n} heard: {}", words.join(" | "))
            })
            .collect();
        assert_eq!(super::conversation(), expected);
    }
}
