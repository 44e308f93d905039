//! MapReduce word frequency over Google Books 1-gram data (seed 001): the data and the map and
//! reduce functions, shared by the chapter's example and the `mapreduce` benchmark.

pub mod ngrams;
pub mod word_count;
