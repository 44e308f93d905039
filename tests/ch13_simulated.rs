//! Chapter 13's picture comes from a simulation of the MapReduce on the virtual clock: its
//! output, pinned. The map and reduce are the real ones, so the totals must be those of one
//! serial count; only the pool's timing is simulated, and it is exact.

#[macro_use]
mod capture;

#[path = "../examples/ch13_simulated.rs"]
mod ch13_simulated;

#[test]
fn simulated() {
    let output = capture::output_of(ch13_simulated::main);
    insta::with_settings!({omit_expression => true, prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("ch13_simulated", output);
    });
    assert!(ch13_simulated::picture().contains(">chunk 10</text>"));
}
