//! Chapter 13, exercise 2: another question for the same MapReduce — how often did one word
//! appear in each decade? The map counts a chunk's lines of that word by decade; the reduce
//! adds the decades up. Run it with `cargo run --release --example ch13_by_decade`.

#[allow(dead_code)]
#[path = "../mapreduce/mod.rs"]
mod mapreduce;

use std::collections::BTreeMap;
use std::rc::Rc;

use mapreduce::ngrams::{self, Lines};
use steploop::{gather, get_running_loop, run, Error, ThreadPoolExecutor};

// ANCHOR: solution
/// Counts by decade (1820 for 1820–1829).
pub type Decades = BTreeMap<u32, u64>;

/// The map: how often `word` appears in each decade, over the lines of one chunk.
pub fn map_decades(chunk: &str, word: &str) -> Result<Decades, Error> {
    let mut decades = Decades::new();
    for line in chunk.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        let [found, year, count, _books] = fields[..] else {
            return Err(Error::msg(format!("{line:?} is not a 1-gram line")));
        };
        if found != word {
            continue;
        }
        let number = |field: &str| {
            field
                .parse::<u64>()
                .map_err(|_| Error::msg(format!("{line:?}: {field:?} is not a whole number")))
        };
        let decade = number(year)? as u32 / 10 * 10;
        *decades.entry(decade).or_insert(0) += number(count)?;
    }
    Ok(decades)
}

/// Partition, map in the pool, gather, reduce: the chapter's `map_reduce` with another map.
pub async fn word_by_decade(
    lines: &Lines,
    chunk_size: usize,
    word: &'static str,
    pool: &ThreadPoolExecutor,
) -> Result<Decades, Error> {
    let lp = get_running_loop().expect("runs on a loop");
    let mapped: Vec<_> = lines
        .partition(chunk_size)
        .map(|chunk| lp.run_in_executor(Some(pool), move || map_decades(chunk.as_str(), word)))
        .collect();
    let mut total = Decades::new();
    for decades in gather(mapped)?.await? {
        for (decade, count) in decades? {
            *total.entry(decade).or_insert(0) += count;
        }
    }
    Ok(total)
}
// ANCHOR_END: solution

fn decades_of(lines: Rc<Lines>, chunk_size: usize, word: &'static str) -> Decades {
    let pool = Rc::new(ThreadPoolExecutor::new(2));
    run(async move { word_by_decade(&lines, chunk_size, word, &pool).await })
        .expect("the generated lines are well formed")
}

fn main() {
    let lines = Rc::new(Lines::new(ngrams::generate(200_000, 1)));
    let decades = decades_of(lines, 20_000, "Aardvark");
    println!("Aardvark, by decade:");
    for (decade, count) in &decades {
        println!("  {decade}s {count:>6}");
    }
    println!("  in all {:>6}", decades.values().sum::<u64>());
}

#[cfg(test)]
mod tests {
    use super::mapreduce::word_count::map_frequencies;
    use super::*;

    #[test]
    fn the_decades_add_up_to_the_word_count() {
        let lines = Rc::new(Lines::new(ngrams::generate(30_000, 3)));
        let totals = map_frequencies(lines.slice(0..lines.count()).as_str()).unwrap();
        let serial = map_decades(lines.slice(0..lines.count()).as_str(), "Aardvark").unwrap();
        for chunk_size in [1_000, 7_000, 30_000] {
            let decades = decades_of(lines.clone(), chunk_size, "Aardvark");
            assert_eq!(decades, serial, "chunk size {chunk_size}");
            assert_eq!(decades.values().sum::<u64>(), totals["Aardvark"]);
        }
        assert!(serial.keys().all(|decade| decade % 10 == 0));
    }
}
