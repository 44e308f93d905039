//! Chapter 11, "Loops in other threads": what each example prints, pinned.
//!
//! - `ch11_threadsafe` joins its sending thread before the loop runs, so every callback waits
//!   in the loop's queue when the first tick begins: its trace is fixed.
//! - `ch11_loop_thread` prints from two threads. A `println!` macro that shadows std's appends
//!   each line to one buffer shared by all threads (this file has one test, so nothing else
//!   writes to it). The lines' order is fixed by the program: the loop thread prints in the
//!   order its tasks run, the two sleeps end 0.2 s apart, and the main thread prints only what
//!   it has waited for.

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
    snapshot("ch11_loop_thread", &output);
}
