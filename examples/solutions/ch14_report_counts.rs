//! Chapter 14, exercise 3: an exception handler that keeps a tally. It counts the reports by
//! message while the loop runs, and the program prints the tally once the loop is closed. Run it
//! with `cargo run --example ch14_report_counts`.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use steploop::{Error, EventLoop};

// ANCHOR: solution
/// Reports by message, and how many of each.
pub type Tally = Rc<RefCell<BTreeMap<String, usize>>>;

/// Sets a handler on `lp` that counts every report by its message, and returns the tally.
pub fn count_reports(lp: &EventLoop) -> Tally {
    let tally = Tally::default();
    let counts = tally.clone();
    lp.set_exception_handler(move |_, context| {
        *counts
            .borrow_mut()
            .entry(context.message.clone())
            .or_insert(0) += 1;
    });
    tally
}
// ANCHOR_END: solution

/// A program that goes wrong five ways: three panicking callbacks, an exception nobody reads,
/// a task that can never finish.
pub fn run_and_count() -> BTreeMap<String, usize> {
    let lp = EventLoop::with_virtual_clock();
    let tally = count_reports(&lp);
    for _ in 0..3 {
        lp.with_label("fragile")
            .call_soon(|_| panic!("fragile broke"));
    }
    let failed = lp.create_future::<u32>();
    failed
        .set_exception(Error::msg("nobody reads this"))
        .unwrap();
    drop(failed);
    let never = lp.create_future::<()>();
    lp.create_task(async move { never.await });
    lp.run_once().unwrap();
    lp.close().unwrap();
    let counts = tally.borrow().clone();
    counts
}

fn main() {
    for (message, count) in run_and_count() {
        println!("{count} × {message}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_report_is_counted_under_its_message() {
        let counts = run_and_count();
        assert_eq!(counts.values().sum::<usize>(), 5, "{counts:?}");
        assert_eq!(
            counts.get("Exception in callback fragile"),
            Some(&3),
            "{counts:?}"
        );
        assert_eq!(counts.len(), 3, "{counts:?}");
    }
}
