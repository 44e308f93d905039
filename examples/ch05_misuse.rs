//! Chapter 5: a future misused, case by case, and what each call returns; then an exception
//! that nobody retrieved, reported through the loop's exception handler when the last clone of
//! its future is dropped. Run it with `cargo run --example ch05_misuse`.

use std::cell::RefCell;
use std::rc::Rc;

use steploop::{Error, EventLoop, ExceptionContext};

/// A misuse's outcome as a Rust reader would write it: the variant and its message.
fn shown<T: std::fmt::Debug>(result: Result<T, Error>) -> String {
    match result {
        Ok(value) => format!("Ok({value:?})"),
        Err(Error::InvalidState(message)) => format!("Err(InvalidState({message:?}))"),
        Err(Error::Cancelled(message)) => format!("Err(Cancelled({message:?}))"),
        Err(other) => format!("Err({other:?})"),
    }
}

/// Each misuse, and what it returns, one after the other.
pub fn misuse() -> String {
    let lp = EventLoop::new();
    let mut lines = Vec::new();
    let mut show = |what: &str, outcome: String| lines.push(format!("{what}\n    → {outcome}"));

    let pending = lp.create_future::<u32>();
    show("result() while pending", shown(pending.result()));
    show("exception() while pending", shown(pending.exception()));

    let done = lp.create_future::<u32>();
    done.set_result(1).expect("a pending future takes a result");
    show(
        "set_result(2) after set_result(1)",
        shown(done.set_result(2)),
    );
    show("cancel() after set_result(1)", done.cancel().to_string());

    let cancelled = lp.create_future::<u32>();
    cancelled.cancel_with("bye");
    let late = cancelled.set_exception(Error::msg("late"));
    show("set_exception(..) after cancel_with(\"bye\")", shown(late));
    show(
        "result() after cancel_with(\"bye\")",
        shown(cancelled.result()),
    );
    show(
        "exception() after cancel_with(\"bye\")",
        shown(cancelled.exception()),
    );
    lines.join("\n") + "\n"
}

/// A future fails, nobody reads its exception, and its last clone is dropped: what the
/// exception handler is given.
pub fn never_retrieved() -> String {
    let lp = EventLoop::new();
    let reports = Rc::new(RefCell::new(String::new()));
    let seen = reports.clone();
    lp.set_exception_handler(move |_, context: &ExceptionContext| {
        seen.borrow_mut().push_str(&format!("{context}\n"));
    });
    let future = lp.create_future::<u32>();
    future
        .set_exception(Error::msg("boom"))
        .expect("a pending future takes an exception");
    drop(future); // nobody called result() or exception(), nobody awaited it
    let report = reports.borrow().clone();
    report
}

pub fn main() {
    print!("{}", misuse());
    println!();
    print!("{}", never_retrieved());
}
