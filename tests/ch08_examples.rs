//! Chapter 8, "The reactor": what each example prints, pinned.
//!
//! The chapter shows these snapshots as the examples' output, so they must be the same on every
//! run. What makes them so:
//!
//! - `ch08_echo` prints only after every conversation is over, each client's lines in the
//!   order that client sent them, and byte counts: nothing that depends on how the clients'
//!   turns interleaved on the loop.
//!
//! A `println!` macro that shadows std's appends each line to a buffer of the calling thread,
//! so each test reads back exactly its example's output while the tests run in parallel.

#[macro_use]
mod capture;

use capture::output_of;

#[path = "../examples/ch08_echo.rs"]
mod ch08_echo;

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({omit_expression => true, prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!(name, text);
    });
}

#[test]
fn echo() {
    snapshot("ch08_echo", &output_of(ch08_echo::main));
}
