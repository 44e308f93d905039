//! Chapter 2, "Coroutines by hand": the interleaving of two coroutines, and exactly how often
//! each kind of coroutine is polled.
//!
//! Nothing here involves time or threads: a coroutine does the same thing on every poll, and the
//! hand loop polls in a fixed order, so every transcript is exact. Future sizes are the one thing
//! that depends on the compiler; for those the tests check only what must hold on any compiler.

use std::future::Future;
use std::mem::size_of;
use std::pin::pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

#[path = "../examples/ch02_coroutines.rs"]
mod example;

use example::{corotine, main_task, yield_now, Corotine, Log};

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({omit_expression => true, prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!(name, text);
    });
}

/// A waker that counts how often it was woken, so that a test can check that every `Pending`
/// came with a request to be polled again.
#[derive(Default)]
struct CountWakes(AtomicU32);

impl Wake for CountWakes {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

/// What driving a future to completion took.
#[derive(Debug, PartialEq)]
struct Run<T> {
    output: T,
    polls: u32,
    wakes: u32,
}

/// Polls `future` until it is ready, at most `limit` times.
fn run_to_completion<F: Future>(future: F, limit: u32) -> Run<F::Output> {
    let wakes = Arc::new(CountWakes::default());
    let waker = Waker::from(wakes.clone());
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    for polls in 1..=limit {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return Run {
                output,
                polls,
                wakes: wakes.0.load(Ordering::Relaxed),
            };
        }
    }
    panic!("still pending after {limit} polls");
}

#[test]
fn two_hand_written_coroutines_interleave() {
    snapshot(
        "ch02_coroutines__interleaved",
        &example::interleaved_by_hand().join("\n"),
    );
}

#[test]
fn the_async_fn_interleaves_exactly_like_the_hand_written_state_machine() {
    assert_eq!(example::interleaved_async(), example::interleaved_by_hand());
}

#[test]
fn awaiting_in_sequence_runs_one_coroutine_after_the_other() {
    snapshot(
        "ch02_coroutines__one_after_another",
        &example::one_after_another().join("\n"),
    );
}

#[test]
fn a_coroutine_of_n_rounds_is_polled_n_plus_one_times() {
    for rounds in 0..5 {
        let expected = Run {
            output: "over",
            polls: rounds + 1,
            wakes: rounds,
        };
        let by_hand = run_to_completion(Corotine::new("c", rounds, Log::default()), 10);
        assert_eq!(by_hand, expected, "hand-written, {rounds} rounds");
        let by_compiler = run_to_completion(corotine("c", rounds, Log::default()), 10);
        assert_eq!(by_compiler, expected, "async fn, {rounds} rounds");
    }
}

#[test]
fn each_poll_runs_up_to_the_next_yield() {
    let log = Log::default();
    let waker = Waker::from(Arc::new(CountWakes::default()));
    let mut cx = Context::from_waker(&waker);
    let mut coroutine = pin!(Corotine::new("c", 2, log.clone()));
    assert!(coroutine.as_mut().poll(&mut cx).is_pending());
    assert_eq!(log.take(), ["  c: i=0 before the yield"]);
    assert!(coroutine.as_mut().poll(&mut cx).is_pending());
    assert_eq!(
        log.take(),
        ["  c: i=0 after the yield", "  c: i=1 before the yield"]
    );
    assert_eq!(coroutine.as_mut().poll(&mut cx), Poll::Ready("over"));
    assert_eq!(
        log.take(),
        ["  c: i=1 after the yield", "  c: returns \"over\""]
    );
}

#[test]
fn yield_now_is_pending_once_and_asks_to_be_woken() {
    assert_eq!(
        run_to_completion(yield_now(), 10),
        Run {
            output: (),
            polls: 2,
            wakes: 1
        }
    );
}

#[test]
fn awaiting_in_sequence_polls_main_once_per_suspension() {
    // task1 suspends twice and task2 three times; main is suspended whenever they are, and
    // polled once more at the end. task1 finishing and task2 starting happen in the same poll.
    let run = run_to_completion(main_task(Log::default()), 20);
    assert_eq!(
        run,
        Run {
            output: "done",
            polls: 6,
            wakes: 5
        }
    );
}

#[test]
fn creating_a_coroutine_runs_none_of_it() {
    let log = Log::default();
    let by_hand = Corotine::new("c", 3, log.clone());
    let by_compiler = corotine("c", 3, log.clone());
    let main = main_task(log.clone());
    drop((by_hand, by_compiler, main));
    assert!(log.borrow().is_empty(), "{:?}", log.borrow());
}

#[test]
#[should_panic(expected = "`Corotine` polled after it returned")]
fn polling_a_finished_state_machine_panics() {
    let waker = Waker::from(Arc::new(CountWakes::default()));
    let mut cx = Context::from_waker(&waker);
    let mut coroutine = pin!(Corotine::new("c", 0, Log::default()));
    assert_eq!(coroutine.as_mut().poll(&mut cx), Poll::Ready("over"));
    let _ = coroutine.as_mut().poll(&mut cx);
}

#[test]
#[should_panic(expected = "resumed after completion")]
fn polling_a_finished_async_fn_panics() {
    let waker = Waker::from(Arc::new(CountWakes::default()));
    let mut cx = Context::from_waker(&waker);
    let mut coroutine = pin!(corotine("c", 0, Log::default()));
    assert_eq!(coroutine.as_mut().poll(&mut cx), Poll::Ready("over"));
    let _ = coroutine.as_mut().poll(&mut cx);
}

#[test]
fn future_sizes_hold_what_is_saved_across_the_yield() {
    let sizes = example::sizes();
    let size = |what: &str| {
        sizes
            .iter()
            .find(|(name, _)| name.starts_with(what))
            .unwrap_or_else(|| panic!("no size for {what} in {sizes:?}"))
            .1
    };
    // Suspended at the yield, both kinds of coroutine hold name, rounds, log and i.
    let saved = size_of::<&str>() + size_of::<u32>() + size_of::<Log>() + size_of::<u32>();
    assert!(size("Corotine") >= saved, "{sizes:?}");
    assert!(size("corotine()") >= saved, "{sizes:?}");
    // While main waits for task1, task2 already exists and waits too: both live inside main.
    assert!(size("main_task()") >= 2 * size("corotine()"), "{sizes:?}");
    assert!(size("buffer kept") >= 1024, "{sizes:?}");
    assert!(size("YieldNow") >= 1, "{sizes:?}");
}

#[test]
fn the_example_program_runs() {
    example::main();
}
