//! Chapter 13, "MapReduce on the loop": the example's output, pinned, and the pieces it is made
//! of — the generator, the partition, map and reduce — checked against a serial count.

use std::collections::HashMap;

#[macro_use]
mod capture;

#[path = "../examples/ch13_mapreduce.rs"]
mod ch13_mapreduce;

// The example's own copy of the module, so that the file is compiled once.
use ch13_mapreduce::mapreduce;
use mapreduce::ngrams::{generate, Lines};
use mapreduce::word_count::{map_frequencies, map_reduce, merge_frequencies, Frequencies};
use steploop::{run, Error, ThreadPoolExecutor};

#[test]
fn example_output() {
    let output = capture::output_of(ch13_mapreduce::main);
    insta::with_settings!({omit_expression => true, prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("ch13_mapreduce", output);
    });
}

#[test]
fn the_generator_is_seeded_and_writes_exactly_the_lines_asked_for() {
    let text = generate(10_000, 7);
    assert_eq!(text, generate(10_000, 7), "same seed, same file");
    assert_ne!(text, generate(10_000, 8), "another seed, another file");
    assert_eq!(text.lines().count(), 10_000);
    assert!(text.ends_with('\n'));
    assert!(text.starts_with("Aardvark\t"));
    for line in text.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        assert_eq!(fields.len(), 4, "{line:?}");
        let year: u32 = fields[1].parse().unwrap();
        let count: u64 = fields[2].parse().unwrap();
        let books: u64 = fields[3].parse().unwrap();
        assert!((1500..=2008).contains(&year), "{line:?}");
        assert!(books >= 1 && books <= count, "{line:?}");
    }
    // A word's lines are together, its years ascending, as in the real files.
    let mut seen: HashMap<&str, u32> = HashMap::new();
    let mut previous = "";
    for line in text.lines() {
        let mut fields = line.split('\t');
        let (word, year) = (fields.next().unwrap(), fields.next().unwrap());
        let year: u32 = year.parse().unwrap();
        if word != previous {
            assert!(
                !seen.contains_key(word),
                "{word} comes back after other words"
            );
        } else {
            assert!(year > seen[word], "{word}'s years go up");
        }
        seen.insert(word, year);
        previous = word;
    }
}

#[test]
fn zipf_like_a_few_words_carry_most_of_the_counts() {
    let counts = map_frequencies(&generate(50_000, 3)).unwrap();
    let mut totals: Vec<u64> = counts.values().copied().collect();
    totals.sort_unstable_by(|a, b| b.cmp(a));
    let all: u64 = totals.iter().sum();
    let top: u64 = totals.iter().take(totals.len() / 100).sum();
    assert!(
        top * 2 > all,
        "the top 1 % of words carry more than half the counts"
    );
    assert!(
        totals.len() > 1_000,
        "many different words: {}",
        totals.len()
    );
}

#[test]
fn partition_covers_every_line_once_with_a_shorter_last_chunk() {
    let lines = Lines::new(generate(1_003, 1));
    let chunks: Vec<String> = lines
        .partition(100)
        .map(|c| c.as_str().to_owned())
        .collect();
    assert_eq!(chunks.len(), 11);
    assert!(chunks[..10].iter().all(|c| c.lines().count() == 100));
    assert_eq!(chunks[10].lines().count(), 3);
    assert_eq!(chunks.concat(), generate(1_003, 1));

    let whole: Vec<_> = lines.partition(5_000).collect();
    assert_eq!(
        whole.len(),
        1,
        "a chunk larger than the file is the whole file"
    );
    assert_eq!(Lines::new(String::new()).partition(10).count(), 0);
}

#[test]
fn map_counts_the_third_field_per_word_and_merge_adds_them() {
    let a = map_frequencies("cat\t1900\t3\t1\ndog\t1900\t5\t2\ncat\t1901\t4\t4\n").unwrap();
    assert_eq!(a, HashMap::from([("cat".into(), 7), ("dog".into(), 5)]));
    let b = map_frequencies("dog\t1950\t10\t3\nemu\t1950\t1\t1\n").unwrap();
    let merged = merge_frequencies(a.clone(), b.clone());
    let expected: Frequencies =
        HashMap::from([("cat".into(), 7), ("dog".into(), 15), ("emu".into(), 1)]);
    assert_eq!(merged, expected);
    assert_eq!(merge_frequencies(b, a), expected, "merging is symmetric");
}

#[test]
fn a_malformed_line_is_an_error_that_names_it() {
    let error = map_frequencies("cat\t1900\t3\t1\ncat 1901 4 4\n").unwrap_err();
    assert!(
        error
            .to_string()
            .contains("\"cat 1901 4 4\" is not a 1-gram line"),
        "{error}"
    );
    let error = map_frequencies("cat\t1900\tmany\t1\n").unwrap_err();
    assert!(
        error
            .to_string()
            .contains("the count \"many\" is not a whole number"),
        "{error}"
    );
}

#[test]
fn map_reduce_on_the_loop_agrees_with_one_serial_count_for_any_chunk_size() {
    let text = generate(30_000, 5);
    let serial = map_frequencies(&text).unwrap();
    let lines = std::rc::Rc::new(Lines::new(text));
    let pool = std::rc::Rc::new(ThreadPoolExecutor::new(2));
    for chunk_size in [1_000, 7_777, 30_000, 100_000] {
        let (lines, pool) = (lines.clone(), pool.clone());
        let totals = run(async move { map_reduce(&lines, chunk_size, &pool).await }).unwrap();
        assert_eq!(totals, serial, "chunks of {chunk_size}");
    }
}

#[test]
fn a_bad_chunk_fails_the_whole_map_reduce_with_its_error() {
    let mut text = generate(5_000, 2);
    text.push_str("not a 1-gram line\n");
    let lines = Lines::new(text);
    let pool = ThreadPoolExecutor::new(2);
    let result: Result<Frequencies, Error> =
        run(async move { map_reduce(&lines, 1_000, &pool).await });
    let error = result.unwrap_err();
    assert!(
        error.to_string().contains("\"not a 1-gram line\""),
        "{error}"
    );
}
