//! Chapter 11, "Loops in other threads": what each example prints, pinned.
//!
//! - `ch11_threadsafe` joins its sending thread before the loop runs, so every callback waits
//!   in the loop's queue when the first tick begins: its trace is fixed.
//! - `ch11_loop_thread` prints from two threads. A `println!` macro that shadows std's appends
//!   each line to one buffer shared by all threads (this file has one test, so nothing else
//!   writes to it). Each thread's lines come in an order the program fixes: the loop thread
//!   prints in the order its tasks run, and the main thread only what it has waited for. How
//!   the two threads' lines interleave is not fixed: once the 0.4 s sleep is over, the loop
//!   thread goes on to the end of the 0.6 s one while the main thread wakes up to print, and
//!   on a busy machine a thread can wake late. So the snapshot holds each thread's lines in
//!   their order, the loop thread's first (every line names its thread), and the test checks
//!   the order between threads that the program does fix: what the main thread prints of a
//!   coroutine comes after the loop thread's last line of it. (The loop thread's own order
//!   rests on one margin: main sends the two coroutines back to back, so their sleeps begin
//!   within a moment of each other, and the 0.4 s one ends 0.2 s before the other.)

use std::sync::Mutex;

static OUTPUT: Mutex<String> = Mutex::new(String::new());

fn print_line(line: String) {
    let mut output = OUTPUT.lock().unwrap();
    output.push_str(&line);
    output.push('\n');
}

macro_rules! println {
    ($($arg:tt)*) => {
        crate::print_line(format!($($arg)*))
    };
}

#[path = "../examples/ch11_loop_thread.rs"]
mod ch11_loop_thread;
#[path = "../examples/ch11_threadsafe.rs"]
mod ch11_threadsafe;

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({omit_expression => true, prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!(name, text);
    });
}

#[test]
fn examples() {
    ch11_threadsafe::main();
    let lp = ch11_threadsafe::run();
    snapshot("ch11_threadsafe", &lp.take_trace().to_string());

    OUTPUT.lock().unwrap().clear();
    ch11_loop_thread::main();
    let output = std::mem::take(&mut *OUTPUT.lock().unwrap());
    let lines: Vec<&str> = output.lines().collect();
    let at = |line: &str| {
        lines
            .iter()
            .position(|l| *l == line)
            .unwrap_or_else(|| panic!("{line:?} is missing from:\n{output}"))
    };
    for x in [6, 4] {
        assert!(
            at(&format!("loop thread: Done after {x}s"))
                < at(&format!("main thread: do_some_work({x}) returned {x}")),
            "{output}"
        );
    }
    assert!(
        at("main thread: sending do_some_work(6) and do_some_work(4)")
            < at("loop thread: Waiting 6"),
        "{output}"
    );
    let mut by_thread = lines.clone();
    by_thread.sort_by_key(|line| !line.starts_with("loop thread: ")); // stable: keeps each order
    snapshot("ch11_loop_thread", &(by_thread.join("\n") + "\n"));
}
