//! Captures what an example prints, per thread, so that its output can be pinned by a snapshot.
//!
//! A test declares this module with `#[macro_use]` *before* its `#[path]` example modules:
//! the `println!` defined here then shadows std's inside them, and appends each line to a buffer
//! of the calling thread instead of writing to stdout. Tests run in parallel on different
//! threads, so each one reads back exactly its own example's output.

use std::cell::RefCell;

thread_local! {
    static OUTPUT: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Appends one line to the calling thread's buffer (what the `println!` below expands to).
pub fn print_line(line: String) {
    OUTPUT.with_borrow_mut(|output| {
        output.push_str(&line);
        output.push('\n');
    });
}

/// Runs an example's `main` and returns what it printed on this thread.
pub fn output_of(main: fn()) -> String {
    OUTPUT.with_borrow_mut(String::clear);
    main();
    OUTPUT.with_borrow_mut(std::mem::take)
}

/// `println!` for the examples compiled into a test: the line goes to this thread's buffer.
macro_rules! println {
    () => {
        $crate::capture::print_line(String::new())
    };
    ($($arg:tt)*) => {
        $crate::capture::print_line(format!($($arg)*))
    };
}
