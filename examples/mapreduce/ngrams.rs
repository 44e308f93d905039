//! The MapReduce chapter's data: a generated stand-in for a Google Books 1-gram file
//! (`googlebooks-eng-all-1gram-20120701-a`), and that file's lines held in memory.
//!
//! Each line is one word in one year: `word\tyear\tcount\tbooks` — in that year the word
//! appeared `count` times in `books` different books. As in the real file, all of a word's
//! lines are together, years ascending, and "Aardvark" is among the words. Word frequencies
//! follow Zipf's law (a word's frequency is proportional to one over its rank): most words
//! are rare, a few are everywhere.

use std::fmt::Write as _;
use std::ops::Range;
use std::sync::Arc;

/// The years a 1-gram file covers.
const YEARS: Range<u32> = 1500..2009;

/// The words every generated file starts with, so that the seed's question — how often has
/// "Aardvark" appeared since 1500? — has an answer in every file.
const FIRST_WORDS: [&str; 4] = ["Aardvark", "Aardvarks", "aardvark", "aardvarks"];

/// SplitMix64: a small, fast generator whose output depends only on its random seed, so that
/// the same random seed gives the same file on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A float in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The `n`-th made-up word: "a" followed by syllables, like the words of the real "a" file.
fn word(mut n: u64, out: &mut String) {
    const SYLLABLES: [&str; 20] = [
        "ba", "ce", "di", "fo", "gu", "ka", "le", "mi", "no", "pu", "ra", "se", "ti", "vo", "zu",
        "bri", "cla", "dro", "ste", "tha",
    ];
    out.push('a');
    loop {
        out.push_str(SYLLABLES[(n % 20) as usize]);
        n /= 20;
        if n == 0 {
            break;
        }
    }
}

// ANCHOR: generate
/// `lines` lines of 1-gram data, the same for the same `random_seed`.
pub fn generate(lines: usize, random_seed: u64) -> String {
    let mut rng = Rng(random_seed);
    let mut text = String::with_capacity(lines * 24);
    let mut written = 0;
    let mut spelling = String::new();
    for n in 0u64.. {
        spelling.clear();
        match FIRST_WORDS.get(n as usize) {
            Some(first) => spelling.push_str(first),
            None => word(n, &mut spelling),
        }
        // Zipf: the word's rank is drawn at random and its frequency is one over the rank.
        let mut frequency = 1_000_000.0 / (1 + rng.next() % 1_000_000) as f64;
        // Most words appear in a few years; a few appear in almost all of them.
        let mut years = 1 + (508.0 * rng.unit().powi(16)) as usize;
        if (n as usize) < FIRST_WORDS.len() {
            // The aardvarks: a middling word, in the books of many years.
            frequency = 400.0 / (n + 1) as f64;
            years = 240 - 40 * n as usize;
        }
        let mut left_to_pick = years;
        for year in YEARS {
            // Selection sampling: keeps exactly `years` of the years, in ascending order.
            let left_in_range = (YEARS.end - year) as f64;
            if rng.unit() * left_in_range >= left_to_pick as f64 {
                continue;
            }
            left_to_pick -= 1;
            // Later years have more books, so more occurrences.
            let era = f64::from(year - YEARS.start + 1) / f64::from(YEARS.len() as u32);
            let count = 1 + (frequency * era * era * era * (0.5 + rng.unit())) as u64;
            let books = 1 + ((count - 1) as f64 * (0.2 + 0.7 * rng.unit())) as u64;
            let _ = writeln!(text, "{spelling}\t{year}\t{count}\t{books}");
            written += 1;
            if written == lines {
                return text;
            }
        }
    }
    unreachable!("the words never run out")
}
// ANCHOR_END: generate

// ANCHOR: lines
/// A file's text in memory, with where each line ends: what Python's `f.readlines()` gives,
/// without copying each line into a string of its own.
pub struct Lines {
    text: Arc<str>,
    /// `ends[i]` is the offset just past line `i`'s newline.
    ends: Vec<usize>,
}

impl Lines {
    /// Indexes the lines of `text`.
    pub fn new(text: String) -> Lines {
        let ends = text.match_indices('\n').map(|(i, _)| i + 1).collect();
        Lines {
            text: text.into(),
            ends,
        }
    }

    /// How many lines there are.
    pub fn count(&self) -> usize {
        self.ends.len()
    }

    /// Lines `range` as one piece of text that can be sent to another thread.
    pub fn slice(&self, range: Range<usize>) -> Chunk {
        let start = match range.start {
            0 => 0,
            i => self.ends[i - 1],
        };
        let end = match range.end {
            0 => 0,
            i => self.ends[i - 1],
        };
        Chunk {
            text: self.text.clone(),
            bytes: start..end,
        }
    }

    /// The seed's `partition(data, chunk_size)`: consecutive chunks of `chunk_size` lines,
    /// the last one shorter.
    pub fn partition(&self, chunk_size: usize) -> impl Iterator<Item = Chunk> + '_ {
        assert!(chunk_size > 0, "a chunk must hold at least one line");
        (0..self.count())
            .step_by(chunk_size)
            .map(move |i| self.slice(i..(i + chunk_size).min(self.count())))
    }
}

/// Some consecutive lines of a [`Lines`]: a shared pointer to the whole text and a range in
/// it, so sending a chunk to a worker thread copies nothing.
pub struct Chunk {
    text: Arc<str>,
    bytes: Range<usize>,
}

impl Chunk {
    /// The chunk's lines, each ending with a newline.
    pub fn as_str(&self) -> &str {
        &self.text[self.bytes.clone()]
    }
}
// ANCHOR_END: lines
