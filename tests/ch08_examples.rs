//! Chapter 8, "The reactor": what each example prints, pinned.
//!
//! The chapter shows these snapshots as the examples' output, so they must be the same on every
//! run. What makes them so:
//!
//! - `ch08_echo` prints only after every conversation is over, each client's lines in the
//!   order that client sent them, and byte counts: nothing that depends on how the clients'
//!   turns interleaved on the loop.
//! - `ch08_fetch` prints verdicts whose threshold sits at least 0.05 s from the waits it
//!   judges (the delays are seeded, the crunching takes a fixed 0.2 s), in the order of the
//!   pages. Its timeline, with this run's real times, goes to stderr, which is not pinned.
//!
//! A `println!` macro that shadows std's appends each line to a buffer of the calling thread,
//! so each test reads back exactly its example's output while the tests run in parallel.

use std::cell::RefCell;

thread_local! {
    static OUTPUT: RefCell<String> = const { RefCell::new(String::new()) };
}

fn print_line(line: String) {
    OUTPUT.with_borrow_mut(|output| {
        output.push_str(&line);
        output.push('\n');
    });
}

macro_rules! println {
    () => {
        crate::print_line(String::new())
    };
    ($($arg:tt)*) => {
        crate::print_line(format!($($arg)*))
    };
}

#[path = "../examples/ch08_echo.rs"]
mod ch08_echo;
#[path = "../examples/ch08_fetch.rs"]
mod ch08_fetch;

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({omit_expression => true, prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!(name, text);
    });
}

/// Runs an example's `main` and returns what it printed.
fn output_of(main: fn()) -> String {
    OUTPUT.with_borrow_mut(String::clear);
    main();
    OUTPUT.with_borrow_mut(std::mem::take)
}

#[test]
fn echo() {
    snapshot("ch08_echo", &output_of(ch08_echo::main));
}

#[test]
fn fetch() {
    snapshot("ch08_fetch", &output_of(ch08_fetch::main));
}
