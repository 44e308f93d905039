//! Chapter 12, exercise 1: `chunksize` for the process pool's `map`, built on its public API:
//! one request carries several items, and one reply their results. Run it with
//! `cargo run --release --example ch12_chunksize`.
//!
//! It starts a process pool, so its checks run from `tests/ch12_processes.rs`, the test
//! program whose `main` calls `worker_entry` (see `examples/solutions/README.md`).

#[allow(dead_code)]
#[path = "../ch12_count.rs"]
mod ch12_count;

use std::time::{Duration, Instant};

use steploop::process::{decode_u64, encode_u64, worker_entry, Decoder, Encoder, Job};
use steploop::process::{JobFn, ProcessPoolExecutor};
use steploop::Error;

/// Chapter 12's `count` as a job.
fn count_item(args: &[u8]) -> Result<Vec<u8>, Error> {
    Ok(encode_u64(ch12_count::count(decode_u64(args)?)))
}

// ANCHOR: solution
/// The jobs `map_chunked` can send several items of at once.
const CHUNKABLE: &[(&str, JobFn)] = &[("count_item", count_item)];

/// The worker's side: a job's name and a list of items in; each item's result out, in order,
/// an error as its message (the way a job's error crosses the pipe anyway).
fn run_chunk(args: &[u8]) -> Result<Vec<u8>, Error> {
    let mut args = Decoder::new(args);
    let name = args.str()?;
    let job = CHUNKABLE
        .iter()
        .find(|(chunkable, _)| *chunkable == name)
        .ok_or_else(|| Error::msg(format!("no chunkable job named {name:?}")))?
        .1;
    let items = args.u64()?;
    let mut reply = Encoder::new().u64(items);
    for _ in 0..items {
        reply = match job(args.bytes()?) {
            Ok(result) => reply.u64(0).bytes(&result),
            Err(error) => reply.u64(1).str(&error.to_string()),
        };
    }
    args.finish()?;
    Ok(reply.finish())
}

/// `ProcessPoolExecutor.map(job, items, chunksize=chunksize)`: one request per `chunksize`
/// items, every request submitted before any result is awaited; the results in the order of
/// the items.
pub fn map_chunked(
    pool: &ProcessPoolExecutor,
    job: &str,
    items: &[Vec<u8>],
    chunksize: usize,
) -> Result<Vec<Result<Vec<u8>, Error>>, Error> {
    if chunksize == 0 {
        return Err(Error::msg("chunksize must be at least 1"));
    }
    let requests = items
        .chunks(chunksize)
        .map(|chunk| {
            let mut request = Encoder::new().str(job).u64(chunk.len() as u64);
            for item in chunk {
                request = request.bytes(item);
            }
            pool.submit("chunk", request.finish())
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut results = Vec::with_capacity(items.len());
    for request in requests {
        let reply = request.result()?;
        let mut reply = Decoder::new(&reply);
        for _ in 0..reply.u64()? {
            results.push(match reply.u64()? {
                0 => Ok(reply.bytes()?.to_vec()),
                _ => Err(Error::msg(reply.str()?)),
            });
        }
        reply.finish()?;
    }
    Ok(results)
}
// ANCHOR_END: solution

/// The jobs this program's workers can run.
pub const JOBS: &[Job] = &[
    Job::new("count_item", count_item),
    Job::new("chunk", run_chunk),
];

/// A thousand `count(1)`s, chapter 12's tiny jobs, `chunksize` to a request.
fn thousand_counts(chunksize: usize) -> (Duration, u64) {
    let pool = ProcessPoolExecutor::new(2);
    let items: Vec<Vec<u8>> = (0..1000).map(|_| encode_u64(1)).collect();
    let start = Instant::now();
    let results = map_chunked(&pool, "count_item", &items, chunksize).expect("the pool works");
    let took = start.elapsed();
    let total = results
        .into_iter()
        .map(|r| decode_u64(&r.expect("count succeeds")).expect("a number"))
        .sum();
    (took, total)
}

pub fn main() {
    worker_entry(JOBS);
    for chunksize in [1, 10, 100, 1000] {
        let (took, total) = thousand_counts(chunksize);
        println!(
            "1000 × count(1), chunksize {chunksize:>4}: {:>8.2} ms (counted {total})",
            took.as_secs_f64() * 1e3
        );
    }
}

/// What the exercise asks, checked: the same results in the same order as `map`, an item's
/// error kept with its item, and one request (so one worker) when the chunk holds every item.
pub fn check() {
    let pool = ProcessPoolExecutor::new(2);
    let items: Vec<Vec<u8>> = (0..25).map(encode_u64).collect();
    let plain: Vec<u64> = pool
        .map("count_item", &items)
        .unwrap()
        .map(|r| decode_u64(&r.unwrap()).unwrap())
        .collect();
    for chunksize in [1, 4, 25, 100] {
        let chunked: Vec<u64> = map_chunked(&pool, "count_item", &items, chunksize)
            .unwrap()
            .into_iter()
            .map(|r| decode_u64(&r.unwrap()).unwrap())
            .collect();
        assert_eq!(chunked, plain, "chunksize {chunksize}");
    }
    let bad = vec![encode_u64(3), b"xy".to_vec(), encode_u64(5)];
    let results = map_chunked(&pool, "count_item", &bad, 2).unwrap();
    assert_eq!(decode_u64(results[0].as_ref().unwrap()).unwrap(), 3);
    assert!(results[1]
        .as_ref()
        .unwrap_err()
        .to_string()
        .contains("8 bytes needed"));
    assert_eq!(decode_u64(results[2].as_ref().unwrap()).unwrap(), 5);
    assert!(map_chunked(&pool, "count_item", &bad, 0).is_err());

    let one_request = ProcessPoolExecutor::new(2);
    map_chunked(&one_request, "count_item", &items, items.len()).unwrap();
    assert_eq!(one_request.worker_pids().len(), 1);
}
