//! Chapter 8, "The reactor": an echo server and three clients on one loop, one thread.
//!
//! ```python
//! async def handle(reader, writer):
//!     while data := await reader.read(100):
//!         writer.write(data)
//!         await writer.drain()
//!     writer.close()
//!
//! async def client(n, port):
//!     reader, writer = await asyncio.open_connection("127.0.0.1", port)
//!     for word in ["ping", "pong", "bye"]:
//!         writer.write(f"{word} from {n}".encode())
//!         print(await reader.readexactly(len(...)))
//!     writer.write_eof()
//! ```
//! Run it with `cargo run --example ch08_echo`. The clients' conversations interleave on the
//! loop in whatever order the sockets become ready; each client keeps what it heard, and the
//! program prints it once all are done, so the output is the same on every run.

use std::net::{Shutdown, SocketAddr};

use steploop::net::{TcpListener, TcpStream};
use steploop::{gather, get_running_loop, run, Error};

const CLIENTS: usize = 3;

// ANCHOR: server
/// Echoes everything one connection sends, until the client shuts down its side.
async fn handle(stream: TcpStream) -> Result<usize, Error> {
    let mut buf = [0; 100];
    let mut echoed = 0;
    loop {
        let n = stream.read(&mut buf).await?; // waits until the socket is readable
        if n == 0 {
            return Ok(echoed); // end of file: the client is done
        }
        stream.write_all(&buf[..n]).await?;
        echoed += n;
    }
}

/// Accepts `connections` clients and serves each in a task of its own.
async fn serve(listener: TcpListener, connections: usize) -> Result<Vec<usize>, Error> {
    let lp = get_running_loop().expect("runs on the loop");
    let mut handlers = Vec::new();
    for _ in 0..connections {
        let (stream, _peer) = listener.accept().await?; // waits for a connection
        handlers.push(lp.create_task(handle(stream)));
    }
    gather(handlers)?.await
}
// ANCHOR_END: server

// ANCHOR: client
/// Sends three messages, reading each echo back before sending the next.
async fn client(n: usize, server: SocketAddr) -> Result<Vec<String>, Error> {
    let stream = TcpStream::connect(server).await?;
    let mut heard = Vec::new();
    for word in ["ping", "pong", "bye"] {
        let message = format!("{word} from client {n}");
        stream.write_all(message.as_bytes()).await?;
        let mut echo = vec![0; message.len()];
        stream.read_exact(&mut echo).await?;
        heard.push(String::from_utf8_lossy(&echo).into_owned());
    }
    stream.shutdown(Shutdown::Write)?; // asyncio's write_eof(): the server reads end of file
    Ok(heard)
}
// ANCHOR_END: client

// ANCHOR: main
pub fn main() {
    let (heard, echoed) = run(async {
        let lp = get_running_loop().expect("runs on the loop");
        let listener = TcpListener::bind("127.0.0.1:0")?; // port 0: any free port
        let addr = listener.local_addr()?;
        let server = lp.create_task(serve(listener, CLIENTS));
        let clients: Vec<_> = (1..=CLIENTS)
            .map(|n| lp.create_task(client(n, addr)))
            .collect();
        let heard = gather(clients)?.await?;
        let echoed = server.await?;
        assert_eq!(lp.registered_sources(), 0, "every socket is closed");
        Ok((heard, echoed))
    })
    .expect("the echo conversation succeeds");
    for (n, lines) in heard.iter().enumerate() {
        println!("client {} heard: {}", n + 1, lines.join(" | "));
    }
    let total: usize = echoed.iter().sum();
    println!("the server echoed {total} bytes over {CLIENTS} connections");
}
// ANCHOR_END: main
