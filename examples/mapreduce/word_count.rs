//! Word frequencies, MapReduce style: count each chunk on its own (map), then add the counts up
//! (reduce). The functions are the seed's `map_frequencies` and `merge_dict`, with the loop's
//! part, the seed's `main`, last.

use std::collections::HashMap;
use std::sync::Arc;

use steploop::{gather, get_running_loop, Error, ThreadPoolExecutor};

use super::ngrams::Lines;

/// Word → total count.
pub type Frequencies = HashMap<String, u64>;

// ANCHOR: map_frequencies
/// The seed's `map_frequencies`: the total count of each word over the lines of one chunk,
/// each line being `word\tyear\tcount\tbooks`.
pub fn map_frequencies(chunk: &str) -> Result<Frequencies, Error> {
    let mut frequencies = Frequencies::new();
    for line in chunk.lines() {
        let mut fields = line.split('\t');
        let (Some(word), Some(_year), Some(count), Some(_books), None) = (
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
        ) else {
            return Err(Error::msg(format!(
                "{line:?} is not a 1-gram line: expected word, year, count and books \
                 separated by tabs"
            )));
        };
        let count: u64 = count.parse().map_err(|_| {
            Error::msg(format!(
                "{line:?}: the count {count:?} is not a whole number"
            ))
        })?;
        // Look up by &str first: a String is allocated only for a word seen for the first time.
        match frequencies.get_mut(word) {
            Some(total) => *total += count,
            None => {
                frequencies.insert(word.to_owned(), count);
            }
        }
    }
    Ok(frequencies)
}
// ANCHOR_END: map_frequencies

// ANCHOR: merge
/// The seed's `merge_dict` for whole chunks' results: adds one map into the other, into the
/// one with more room. That keeps the work proportional to the smaller map, and a map made
/// with room for every word never has to grow.
pub fn merge_frequencies(first: Frequencies, second: Frequencies) -> Frequencies {
    let (mut into, from) = if first.capacity() >= second.capacity() {
        (first, second)
    } else {
        (second, first)
    };
    for (word, count) in from {
        *into.entry(word).or_insert(0) += count;
    }
    into
}

/// The seed's `reduce(merge_dict, middle_results)`: the chunks' counts merged into one, or
/// the first chunk's error.
///
/// The merged map is made once with room for every word of every chunk. Merging two at a
/// time would grow it as it fills, and each time a hash map grows it moves every word it
/// already holds: in a 1-gram file, whose lines are grouped by word, nearly every merge adds
/// new words, and that moving would be most of the reduce.
///
/// A chunk's counts come back as an `Arc`: `gather` gives every awaiter its own copy of the
/// results, and copying an `Arc` is copying a pointer. By the time they are reduced, nobody
/// else holds them, so `Arc::unwrap_or_clone` takes each map without copying it.
pub fn reduce_frequencies(
    middle_results: Vec<Result<Arc<Frequencies>, Error>>,
) -> Result<Frequencies, Error> {
    let middle_results = middle_results
        .into_iter()
        .collect::<Result<Vec<_>, Error>>()?;
    let words = middle_results.iter().map(|counts| counts.len()).sum();
    let mut final_results = Frequencies::with_capacity(words);
    for counts in middle_results {
        final_results = merge_frequencies(final_results, Arc::unwrap_or_clone(counts));
    }
    Ok(final_results)
}
// ANCHOR_END: merge

// ANCHOR: map_reduce
/// The seed's `main`: partition the lines, map each chunk in the pool with
/// `run_in_executor`, gather the middle results, reduce them into one.
pub async fn map_reduce(
    lines: &Lines,
    chunk_size: usize,
    pool: &ThreadPoolExecutor,
) -> Result<Frequencies, Error> {
    let lp = get_running_loop().expect("map_reduce runs on a loop");
    let mut mapped = Vec::new();
    for chunk in lines.partition(chunk_size) {
        mapped.push(lp.run_in_executor(Some(pool), move || {
            map_frequencies(chunk.as_str()).map(Arc::new)
        }));
    }
    let middle_results = gather(mapped)?.await?;
    reduce_frequencies(middle_results)
}
// ANCHOR_END: map_reduce
