//! Chapter 14's example: what the exception handler printed, pinned. The reports name lines of
//! the example itself (debug mode keeps where each future and task was created), so they are
//! the same on every run; the slow-callback warning goes to the log, whose timing is not pinned.

#[macro_use]
mod capture;

#[path = "../examples/ch14_debug.rs"]
mod ch14_debug;

#[test]
fn debug() {
    // Compiled into this test, the example's path reads `tests/../examples/...`; the reader
    // runs it as `examples/...`.
    let output = capture::output_of(ch14_debug::main).replace("tests/../examples/", "examples/");
    insta::with_settings!({omit_expression => true, prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("ch14_debug", output);
    });
}
