//! Chapter 13, "MapReduce on the loop": seed 001's word frequency. First the seed's four lines,
//! mapped one line at a time and reduced; then a generated Google Books 1-gram file, split into
//! chunks that a pool of two threads maps while the loop waits, gathered and reduced. Run it
//! with `cargo run --example ch13_mapreduce`.

#[path = "mapreduce/mod.rs"]
pub mod mapreduce;

use std::collections::BTreeMap;
use std::rc::Rc;

use mapreduce::ngrams::{self, Lines};
use mapreduce::word_count::{map_frequencies, map_reduce};
use steploop::{run, ThreadPoolExecutor};

/// How many lines the example generates: enough for ten chunks, few enough for a debug build.
const LINES: usize = 200_000;
const CHUNK_SIZE: usize = 20_000;

// ANCHOR: toy
/// The seed's `map_frequency`: how often each word occurs in one line of text.
fn map_frequency(text: &str) -> BTreeMap<&str, u64> {
    let mut frequencies = BTreeMap::new();
    for word in text.split(' ') {
        *frequencies.entry(word).or_insert(0) += 1;
    }
    frequencies
}

/// The seed's `merge_dict`: the counts of two results added up, word by word.
fn merge_dict<'a>(
    mut first: BTreeMap<&'a str, u64>,
    second: BTreeMap<&'a str, u64>,
) -> BTreeMap<&'a str, u64> {
    for (word, count) in second {
        *first.entry(word).or_insert(0) += count;
    }
    first
}
// ANCHOR_END: toy

pub fn main() {
    // ANCHOR: toy_main
    let lines = [
        "I know what I know",
        "I know that I know",
        "I don't know that much",
        "They don't know much",
    ];
    let mapped_results = lines.iter().map(|line| map_frequency(line));
    let reduced = mapped_results.reduce(merge_dict).unwrap_or_default();
    println!("{reduced:?}");
    // ANCHOR_END: toy_main

    // ANCHOR: main
    let text = ngrams::generate(LINES, 1);
    println!("the first lines of the file:");
    for line in text.lines().take(3) {
        println!("    {line}");
    }
    let lines = Rc::new(Lines::new(text));
    let pool = Rc::new(ThreadPoolExecutor::new(2));
    let final_results = {
        let (lines, pool) = (lines.clone(), pool.clone());
        run(async move { map_reduce(&lines, CHUNK_SIZE, &pool).await })
    }
    .expect("the generated lines are well formed");
    println!(
        "{} lines in {} chunks of {CHUNK_SIZE}: {} different words",
        lines.count(),
        lines.count().div_ceil(CHUNK_SIZE),
        final_results.len()
    );
    println!(
        "Aardvark appeared {} times in all",
        final_results["Aardvark"]
    );
    // ANCHOR_END: main

    // ANCHOR: serial
    let serial = map_frequencies(lines.slice(0..lines.count()).as_str())
        .expect("the generated lines are well formed");
    assert_eq!(
        serial, final_results,
        "map and reduce add up to one serial count"
    );
    println!("one serial count over the whole file gives the same totals");
    // ANCHOR_END: serial
}
