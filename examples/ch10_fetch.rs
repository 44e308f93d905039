//! Chapter 10: seed 000's `step2` and `step3` with real sockets (those of chapter 8). A small HTTP-like server on
//! 127.0.0.1 answers each page after a seeded random delay (the seed's 0–30 s, scaled down
//! fifty times); five coroutines fetch a page each, concurrently, and crunch the answer for
//! 0.2 s of CPU time. In step 2 the crunching runs on the loop's thread, and answers that
//! arrive meanwhile wait in their sockets; in step 3 it runs in a pool of 4 threads.
//!
//! The server runs a loop of its own on another thread, as a remote server would: it answers
//! on time however busy the clients' loop is. Run it with `cargo run --example ch10_fetch`:
//! standard output says which answers waited; standard error draws the timeline.
//!
//! An answer "waited" if it came due while the loop's thread was crunching, that is, before
//! the loop came out of the crunch that held it: an order of events, not a measured delay
//! that a busy machine would stretch, so the verdicts are the same on every run.

use std::cell::Cell;
use std::hint::black_box;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use steploop::net::{TcpListener, TcpStream};
use steploop::{gather, get_running_loop, run, sleep, Error, ThreadPoolExecutor};

/// How many coroutines fetch.
const FETCHES: u64 = 5;
/// The seed's delays are 0–30 s; ours are as many fiftieths of a second.
const SCALE: u32 = 50;
/// How long crunching one answer keeps a thread busy.
const CRUNCH: Duration = Duration::from_millis(200);

/// The server's delay for each page, in the seed's whole seconds: a xorshift generator with a
/// fixed seed, the same as chapter 10's, so every run and the book see the same delays.
fn server_delays() -> Vec<u64> {
    let mut state: u64 = 74;
    (0..FETCHES)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % 31
        })
        .collect()
}

/// The delay, scaled down, that the server waits before answering a page.
fn scaled(seconds: u64) -> Duration {
    Duration::from_secs(seconds) / SCALE
}

// ANCHOR: server
/// Answers one request: reads it up to the blank line, waits the page's delay, answers, and
/// closes the connection (HTTP/1.0 style).
async fn answer(stream: TcpStream, delays: Rc<Vec<u64>>) -> Result<(), Error> {
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
    sleep(scaled(delay)).await?; // the slow part of the server: a timer, not a blocked thread
    let body = format!("page {page}, answered after {delay} s\n");
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

/// When the loop's thread last came out of a crunch: an answer due before then came while
/// the loop was crunching, and waited in its socket.
#[derive(Default)]
struct LoopBusy {
    until: Cell<Option<Instant>>,
}

impl LoopBusy {
    /// Crunches `page` right here, on the loop's thread, and notes when it was done.
    fn crunch_here(&self, page: u64) -> u64 {
        let hash = crunch(page);
        self.until.set(Some(Instant::now()));
        hash
    }

    /// True if an answer due at `due` came while the loop was crunching.
    fn kept_waiting(&self, due: Instant) -> bool {
        self.until.get().is_some_and(|until| until > due)
    }
}

/// What one fetch saw.
#[derive(Clone)]
struct Fetched {
    page: u64,
    delay: u64,
    /// The answer came while the loop's thread was crunching, and waited for it.
    kept_waiting: bool,
}

// ANCHOR: fetch
/// Sends `GET /page/N` and reads the whole answer (the server closes when done); returns
/// the answer and when it was due: the server answers `delay` after the request.
async fn fetch(server: SocketAddr, page: u64, delay: u64) -> Result<(String, Instant), Error> {
    let stream = TcpStream::connect(server).await?;
    let request = format!("GET /page/{page} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let due = Instant::now() + scaled(delay);
    let mut response = Vec::new();
    let mut buf = [0; 1024];
    loop {
        let n = stream.read(&mut buf).await?; // the task waits here, in the selector
        if n == 0 {
            break;
        }
        response.extend_from_slice(&buf[..n]);
    }
    Ok((String::from_utf8_lossy(&response).into_owned(), due))
}
// ANCHOR_END: fetch

/// A timeline line on standard error: `  0.36 s  fetch 3: ...`.
fn timeline(start: Instant, what: String) {
    eprintln!("{:>6.2} s  {what}", start.elapsed().as_secs_f64());
}

// ANCHOR: step2
/// Step 2: the answer is crunched right here, on the loop's thread.
async fn fetch_inline(
    server: SocketAddr,
    page: u64,
    delay: u64,
    busy: Rc<LoopBusy>,
) -> Result<Fetched, Error> {
    let start = Instant::now();
    let (response, due) = fetch(server, page, delay).await?;
    let kept_waiting = busy.kept_waiting(due);
    timeline(
        start,
        format!("fetch {page}: {} bytes in, crunching", response.len()),
    );
    busy.crunch_here(page);
    Ok(Fetched {
        page,
        delay,
        kept_waiting,
    })
}
// ANCHOR_END: step2

// ANCHOR: step3
/// Step 3: the answer is crunched in the executor; the loop is free meanwhile.
async fn fetch_offloaded(
    server: SocketAddr,
    page: u64,
    delay: u64,
    busy: Rc<LoopBusy>,
    executor: Rc<ThreadPoolExecutor>,
) -> Result<Fetched, Error> {
    let lp = get_running_loop().expect("runs on the loop");
    let start = Instant::now();
    let (response, due) = fetch(server, page, delay).await?;
    let kept_waiting = busy.kept_waiting(due); // the loop's thread never crunches now
    timeline(
        start,
        format!("fetch {page}: {} bytes in, crunching", response.len()),
    );
    lp.run_in_executor(Some(&executor), move || crunch(page))
        .await?;
    Ok(Fetched {
        page,
        delay,
        kept_waiting,
    })
}
// ANCHOR_END: step3

fn report(fetched: &[Fetched]) {
    let mut kept_waiting = 0;
    for f in fetched {
        let verdict = if f.kept_waiting {
            kept_waiting += 1;
            "late: the loop was busy crunching"
        } else {
            "on time"
        };
        println!(
            "fetch {}: the server answered after {:>2} s; taken in {verdict}",
            f.page, f.delay
        );
    }
    println!("{kept_waiting} of {FETCHES} answers were kept waiting");
}

// ANCHOR: main
pub fn main() {
    let delays = server_delays();

    println!("step 2: crunching inside the coroutines, on the loop's thread");
    let (server, server_thread) = start_server(FETCHES);
    let busy = Rc::new(LoopBusy::default());
    let fetches: Vec<_> = (1..=FETCHES)
        .map(|page| fetch_inline(server, page, delays[page as usize - 1], busy.clone()))
        .collect();
    let fetched = run(async move { gather(fetches)?.await }).expect("no fetch fails");
    server_thread.join().expect("the server ends");
    report(&fetched);

    println!("step 3: crunching in the executor, 4 worker threads");
    let executor = Rc::new(ThreadPoolExecutor::new(4));
    let (server, server_thread) = start_server(FETCHES);
    let busy = Rc::new(LoopBusy::default());
    let fetches: Vec<_> = (1..=FETCHES)
        .map(|page| {
            let delay = delays[page as usize - 1];
            fetch_offloaded(server, page, delay, busy.clone(), executor.clone())
        })
        .collect();
    let fetched = run(async move { gather(fetches)?.await }).expect("no fetch fails");
    server_thread.join().expect("the server ends");
    report(&fetched);
}
// ANCHOR_END: main
