//! Chapter 12: a job that prints. A worker's stdout and stderr are the parent's, as in
//! Python's process pools, so what a job prints appears among what the parent prints; the
//! replies travel on a channel of their own. Run it with `cargo run --example ch12_print`.

use steploop::process::{decode_str, encode_str, worker_entry, Job, ProcessPoolExecutor};
use steploop::Error;

// ANCHOR: greet
/// A job that talks: a line on stdout, a line on stderr, then its answer.
fn greet(args: &[u8]) -> Result<Vec<u8>, Error> {
    let name = decode_str(args)?;
    println!("  worker: hello, {name}, from a worker process");
    eprintln!("  worker {}: greeted {name}", std::process::id());
    Ok(encode_str(&format!("greeted {name}")))
}

/// The jobs this program's workers can run.
pub const JOBS: &[Job] = &[Job::new("greet", greet)];
// ANCHOR_END: greet

// ANCHOR: main
pub fn main() {
    worker_entry(JOBS); // a worker serves JOBS here and never returns
    let executor = ProcessPoolExecutor::new(2);
    for name in ["古明地觉", "椎名真白"] {
        println!("main: submitting greet({name:?})");
        let reply = executor.submit("greet", encode_str(name)).unwrap();
        let reply = reply.result().expect("greet does not fail");
        println!("main: the job returned {:?}", decode_str(&reply).unwrap());
    }
}
// ANCHOR_END: main
