//! Chapter 1, "Why an event loop": the counting example's results and the downloads' traces.
//!
//! Counting is timed with the real clock, so no two runs print the same times: the test pins
//! the table with the times replaced by `?` (what `-- --pinned` makes the example print) and checks the
//! numbers that must not vary, what each thread counted and what they counted altogether. The
//! downloads run on the virtual clock, so their traces are exact and pinned as they are.

use std::time::Duration;

// `main()` counts to 100,000,000 and prints real times; the test counts less and pins the rest.
#[allow(dead_code)]
#[path = "../examples/ch01_count.rs"]
mod ch01_count;
#[path = "../examples/ch01_downloads.rs"]
mod ch01_downloads;

use ch01_count::{count, count_on_threads, split, thousands};

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({omit_expression => true, prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!(name, text);
    });
}

#[test]
fn counting_counts_every_step() {
    assert_eq!(count(0), 0);
    assert_eq!(count(1), 1);
    assert_eq!(count(1_234_567), 1_234_567);
}

#[test]
fn shares_add_up_to_the_total_and_differ_by_at_most_one() {
    for total in [0, 1, 2, 7, 100, 1_000_000, 100_000_000] {
        for threads in 1..=9 {
            let shares = split(total, threads);
            assert_eq!(shares.len(), threads);
            assert_eq!(shares.iter().sum::<u64>(), total, "{total} over {threads}");
            let (min, max) = (shares.iter().min(), shares.iter().max());
            assert!(max.unwrap() - min.unwrap() <= 1, "{shares:?}");
        }
    }
    assert_eq!(split(100_000_000, 2), [50_000_000, 50_000_000]);
    assert_eq!(split(10, 3), [4, 3, 3]);
}

#[test]
fn threads_together_count_to_the_total() {
    assert_eq!(count_on_threads(&split(1_000_001, 4)), 1_000_001);
    assert_eq!(count_on_threads(&[]), 0);
}

#[test]
fn numbers_are_written_with_thousands_separators() {
    assert_eq!(thousands(0), "0");
    assert_eq!(thousands(999), "999");
    assert_eq!(thousands(1_000), "1,000");
    assert_eq!(thousands(100_000_000), "100,000,000");
}

#[test]
fn count_table_has_the_shape_main_prints() {
    // What `cargo run --example ch01_count -- --pinned` prints.
    let (runs, table) = ch01_count::pinned_table();
    for run in &runs {
        assert_eq!(run.counted, 1_000_000);
        assert!(run.wall > Duration::ZERO);
    }
    snapshot("ch01_why__count_table", &table);
}

#[test]
fn one_after_another_the_waits_add_up_to_six_seconds() {
    let lp = ch01_downloads::run(ch01_downloads::start_one_after_another);
    assert_eq!(lp.time(), Duration::from_secs(6));
    let trace = lp.take_trace().to_string();
    assert!(trace.contains("print \"t=6.000  the 3 s download is done\""));
    snapshot("ch01_why__one_after_another", &trace);
}

#[test]
fn all_at_once_the_waits_overlap_and_end_at_three_seconds() {
    let lp = ch01_downloads::run(ch01_downloads::start_all_at_once);
    assert_eq!(lp.time(), Duration::from_secs(3));
    let trace = lp.take_trace().to_string();
    assert!(trace.contains("print \"t=3.000  the 3 s download is done\""));
    snapshot("ch01_why__all_at_once", &trace);
}

#[test]
fn the_example_runs() {
    ch01_downloads::main();
}
