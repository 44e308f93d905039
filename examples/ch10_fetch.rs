//! Chapter 10: seed 000's `step2` and `step3` with real sockets (those of chapter 8). A small HTTP-like server on
//! 127.0.0.1 answers each page after a seeded random delay (the seed's 0–30 s, scaled down
//! fifty times); five coroutines fetch a page each, concurrently, and crunch the answer for
//! 0.2 s of CPU time. In step 2 the crunching runs on the loop's thread, and answers that
//! arrive meanwhile wait in their sockets; in step 3 it runs in a pool of 4 threads.
//!
//! The server runs a loop of its own on another thread, as a remote server would: it answers
//! on time however busy the clients' loop is. Run it with `cargo run --example ch10_fetch`:
//! standard output says which answers waited; standard error draws the timeline.

#[path = "stall/mod.rs"]
mod stall;

use std::hint::black_box;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use stall::{report, server_delays, Fetched, CRUNCH, FETCHES};
use steploop::net::{TcpListener, TcpStream};
use steploop::{gather, get_running_loop, run, sleep, Error, ThreadPoolExecutor};

// ANCHOR: server
/// Answers one request: reads it up to the blank line, waits the page's delay, answers, and
/// closes the connection (HTTP/1.0 style).
async fn answer(stream: TcpStream, delays: Rc<Vec<Duration>>) -> Result<(), Error> {
    let mut request = Vec::new();
    let mut buf = [0; 256];
    while !request.ends_with(b"\r\n\r\n") {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(()); // the client left before asking
        }
        request.extend_from_slice(&buf[..n]);
    }
    // "GET /page/3 HTTP/1.0": the page number picks the delay.
    let request = String::from_utf8_lossy(&request);
    let page: usize = request
        .split_whitespace()
        .nth(1)
        .and_then(|path| path.strip_prefix("/page/"))
        .and_then(|n| n.parse().ok())
        .unwrap_or(1);
    let delay = delays[page - 1];
    sleep(delay).await?; // the slow part of the server: a timer, not a blocked thread
    let body = format!("page {page}, answered after {:.3} s\n", delay.as_secs_f64());
    let response = format!(
        "HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await
}

/// Runs the server on a thread of its own, for `connections` requests; returns its address.
fn start_server(connections: u64) -> (SocketAddr, thread::JoinHandle<()>) {
    let (address_tx, address) = mpsc::channel();
    let server = thread::spawn(move || {
        run(async move {
            let lp = get_running_loop().expect("runs on the loop");
            let listener = TcpListener::bind("127.0.0.1:0")?;
            address_tx.send(listener.local_addr()?).expect("main waits");
            let delays = Rc::new(server_delays());
            let mut answers = Vec::new();
            for _ in 0..connections {
                let (stream, _) = listener.accept().await?;
                answers.push(lp.create_task(answer(stream, delays.clone())));
            }
            gather(answers)?.await?;
            Ok(())
        })
        .expect("the server serves every request");
    });
    (address.recv().expect("the server is listening"), server)
}
// ANCHOR_END: server

/// CPU-heavy work: 0.2 s of hashing, the part of a callback that never waits for anything.
fn crunch(page: u64) -> u64 {
    let start = Instant::now();
    let mut hash = page;
    while start.elapsed() < CRUNCH {
        for _ in 0..1000 {
            hash = black_box(hash.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(5));
        }
    }
    hash
}

// ANCHOR: fetch
/// Sends `GET /page/N` and reads the whole answer (the server closes when done); returns
/// the answer, when it was there (the request's time plus the server's delay), and when the
/// loop took it in.
async fn fetch(
    server: SocketAddr,
    page: u64,
    delay: Duration,
) -> Result<(String, Duration, Duration), Error> {
    let lp = get_running_loop().expect("runs on the loop");
    let stream = TcpStream::connect(server).await?;
    let request = format!("GET /page/{page} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let answered_at = lp.time() + delay;
    let mut response = Vec::new();
    let mut buf = [0; 1024];
    loop {
        let n = stream.read(&mut buf).await?; // the task waits here, in the selector
        if n == 0 {
            break;
        }
        response.extend_from_slice(&buf[..n]);
    }
    let taken_in = lp.time();
    Ok((
        String::from_utf8_lossy(&response).into_owned(),
        answered_at,
        taken_in,
    ))
}
// ANCHOR_END: fetch

/// A timeline line on standard error: `  0.36 s  fetch 3: ...`.
fn timeline(start: Instant, what: String) {
    eprintln!("{:>6.2} s  {what}", start.elapsed().as_secs_f64());
}

// ANCHOR: step2
/// Step 2: the answer is crunched right here, on the loop's thread.
async fn fetch_inline(server: SocketAddr, page: u64, delay: Duration) -> Result<Fetched, Error> {
    let lp = get_running_loop().expect("runs on the loop");
    let start = Instant::now();
    let (response, answered_at, taken_in) = fetch(server, page, delay).await?;
    timeline(
        start,
        format!("fetch {page}: {} bytes in, crunching", response.len()),
    );
    crunch(page);
    Ok(Fetched {
        page,
        delay,
        answered_at,
        taken_in,
        crunched_on_loop: Some((taken_in, lp.time())),
    })
}
// ANCHOR_END: step2

// ANCHOR: step3
/// Step 3: the answer is crunched in the executor; the loop is free meanwhile.
async fn fetch_offloaded(
    server: SocketAddr,
    page: u64,
    delay: Duration,
    executor: Rc<ThreadPoolExecutor>,
) -> Result<Fetched, Error> {
    let lp = get_running_loop().expect("runs on the loop");
    let start = Instant::now();
    let (response, answered_at, taken_in) = fetch(server, page, delay).await?;
    timeline(
        start,
        format!("fetch {page}: {} bytes in, crunching", response.len()),
    );
    lp.run_in_executor(Some(&executor), move || crunch(page))
        .await?;
    Ok(Fetched {
        page,
        delay,
        answered_at,
        taken_in,
        crunched_on_loop: None,
    })
}
// ANCHOR_END: step3

// ANCHOR: main
pub fn main() {
    let delays = server_delays();

    println!("step 2: crunching inside the coroutines, on the loop's thread");
    let (server, server_thread) = start_server(FETCHES);
    let fetches: Vec<_> = (1..=FETCHES)
        .map(|page| fetch_inline(server, page, delays[page as usize - 1]))
        .collect();
    let fetched = run(async move { gather(fetches)?.await }).expect("no fetch fails");
    server_thread.join().expect("the server ends");
    report(&fetched, false);

    println!("step 3: crunching in the executor, 4 worker threads");
    let executor = Rc::new(ThreadPoolExecutor::new(4));
    let (server, server_thread) = start_server(FETCHES);
    let fetches: Vec<_> = (1..=FETCHES)
        .map(|page| fetch_offloaded(server, page, delays[page as usize - 1], executor.clone()))
        .collect();
    let fetched = run(async move { gather(fetches)?.await }).expect("no fetch fails");
    server_thread.join().expect("the server ends");
    report(&fetched, false);
}
// ANCHOR_END: main
