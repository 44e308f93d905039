//! Chapter 4: time — the example's trace, the timer heap's ordering, cancellation and
//! compaction, and the two clocks.
//!
//! Trace tests use the virtual clock, where time moves only when the loop jumps to the next
//! deadline, so every time printed is exact. The two real-clock tests check only lower bounds
//! and tick counts, never how long something took.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use steploop::trace::Event;
use steploop::{ClockKind, EventLoop};

#[path = "../examples/ch04_time.rs"]
mod example;

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({omit_expression => true, prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!(name, text);
    });
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

#[test]
fn example_trace() {
    let lp = EventLoop::with_virtual_clock();
    lp.set_trace(true);
    example::run(&lp);
    snapshot("ch04_time", &lp.take_trace().to_string());
    assert_eq!(lp.time(), secs(3.0));
    assert_eq!(
        lp.scheduled_timers(),
        1,
        "the cancelled watchdog is dropped lazily"
    );
}

/// Records the loop time at which each labelled timer fired.
fn fired_log() -> Rc<RefCell<Vec<(String, Duration)>>> {
    Rc::new(RefCell::new(Vec::new()))
}

fn fire(log: &Rc<RefCell<Vec<(String, Duration)>>>, name: &str) -> impl Fn(&EventLoop) {
    let log = log.clone();
    let name = name.to_string();
    move |lp| log.borrow_mut().push((name.clone(), lp.time()))
}

#[test]
fn timers_fire_in_deadline_order_and_equal_deadlines_in_scheduling_order() {
    let lp = EventLoop::with_virtual_clock();
    let log = fired_log();
    lp.call_later(secs(3.0), fire(&log, "c"));
    lp.call_later(secs(1.0), fire(&log, "a1"));
    lp.call_at(secs(2.0), fire(&log, "b"));
    lp.call_later(secs(1.0), fire(&log, "a2"));
    lp.call_at(secs(1.0), fire(&log, "a3"));
    lp.call_later(secs(3.0), |lp| lp.stop());
    lp.run_forever().unwrap();
    let names: Vec<_> = log.borrow().iter().map(|(n, _)| n.clone()).collect();
    assert_eq!(names, ["a1", "a2", "a3", "b", "c"]);
    let times: Vec<_> = log.borrow().iter().map(|(_, t)| *t).collect();
    assert_eq!(
        times,
        [secs(1.0), secs(1.0), secs(1.0), secs(2.0), secs(3.0)]
    );
}

#[test]
fn many_equal_deadlines_keep_their_order() {
    let lp = EventLoop::with_virtual_clock();
    let order = Rc::new(RefCell::new(Vec::new()));
    for i in 0..1000 {
        let order = order.clone();
        lp.call_later(secs(1.0), move |_| order.borrow_mut().push(i));
    }
    lp.call_later(secs(1.0), |lp| lp.stop());
    lp.run_forever().unwrap();
    assert_eq!(*order.borrow(), (0..1000).collect::<Vec<_>>());
}

#[test]
fn a_deadline_in_the_past_is_due_on_the_next_tick() {
    let lp = EventLoop::with_virtual_clock();
    let log = fired_log();
    lp.call_later(secs(5.0), move |lp| {
        lp.call_at(secs(1.0), fire(&log, "late"));
        let log = log.clone();
        // Runs on the next tick, just before the timer: the tick moves due timers behind the
        // handles already ready.
        lp.call_soon(move |lp| {
            assert!(log.borrow().is_empty());
            lp.call_soon(move |lp| {
                assert_eq!(*log.borrow(), [("late".to_string(), secs(5.0))]);
                lp.stop();
            });
        });
    });
    lp.run_forever().unwrap();
    assert_eq!(lp.time(), secs(5.0), "the clock never runs backwards");
}

#[test]
fn a_cancelled_timer_never_runs_and_is_dropped_when_it_reaches_the_top() {
    let lp = EventLoop::with_virtual_clock();
    lp.set_trace(true);
    let log = fired_log();
    let early = lp
        .with_label("early")
        .call_later(secs(1.0), fire(&log, "early"));
    lp.with_label("late")
        .call_later(secs(2.0), fire(&log, "late"));
    early.cancel();
    early.cancel(); // twice is the same as once
    assert!(early.cancelled());
    lp.with_label("stop").call_later(secs(2.0), |lp| lp.stop());
    lp.run_forever().unwrap();
    assert_eq!(*log.borrow(), [("late".to_string(), secs(2.0))]);
    assert_eq!(lp.scheduled_timers(), 0);
    let trace = lp.take_trace();
    let cancels = trace
        .events()
        .iter()
        .filter(|e| matches!(e, Event::CancelTimer { .. }))
        .count();
    assert_eq!(cancels, 1, "a second cancel is not a second cancellation");
    snapshot("ch04_cancelled_timer", &trace.to_string());
}

#[test]
fn cancelling_a_timer_that_already_ran_does_nothing() {
    let lp = EventLoop::with_virtual_clock();
    let timer = lp.call_later(secs(1.0), |lp| lp.stop());
    lp.run_forever().unwrap();
    timer.cancel();
    assert_eq!(lp.scheduled_timers(), 0);
}

#[test]
fn compaction_keeps_the_heap_small_while_a_million_timers_are_cancelled() {
    const PER_TICK: usize = 1_000;
    const TICKS: usize = 1_000;
    const LIVE: usize = 10;
    let lp = EventLoop::new();
    for _ in 0..LIVE {
        lp.call_later(Duration::from_secs(3600), |_| unreachable!("far future"));
    }
    let largest = Rc::new(RefCell::new(0));
    fn churn(lp: &EventLoop, left: usize, largest: Rc<RefCell<usize>>) {
        // The heap as this tick found it: compacted, if the last tick left it mostly cancelled.
        let size = lp.scheduled_timers();
        let mut max = largest.borrow_mut();
        *max = (*max).max(size);
        drop(max);
        if left == 0 {
            return lp.stop();
        }
        for _ in 0..PER_TICK {
            lp.call_later(Duration::from_secs(60), |_| unreachable!("cancelled"))
                .cancel();
        }
        lp.call_soon(move |lp| churn(lp, left - 1, largest));
    }
    let tracked = largest.clone();
    lp.call_soon(move |lp| churn(lp, TICKS, tracked));
    lp.run_forever().unwrap();
    // A million timers were cancelled; at the start of a tick the heap never held more than
    // the live ones (it is compacted as soon as cancelled timers are the majority).
    assert_eq!(*largest.borrow(), LIVE);
    assert!(lp.scheduled_timers() <= LIVE + PER_TICK);
}

#[test]
fn compaction_is_traced() {
    let lp = EventLoop::with_virtual_clock();
    let timers: Vec<_> = (0..300)
        .map(|i| lp.call_later(secs(1.0 + i as f64), |_| {}))
        .collect();
    for timer in &timers[..200] {
        timer.cancel();
    }
    lp.set_trace(true);
    lp.call_soon(|lp| lp.stop());
    lp.run_forever().unwrap();
    let trace = lp.take_trace();
    assert!(trace.events().contains(&Event::CompactTimers {
        dropped: 200,
        left: 100
    }));
    assert_eq!(lp.scheduled_timers(), 100);
}

#[test]
fn the_virtual_clock_jumps_and_takes_no_real_time() {
    let lp = EventLoop::with_virtual_clock();
    assert_eq!(lp.clock_kind(), ClockKind::Virtual);
    let start = Instant::now();
    lp.call_later(Duration::from_secs(24 * 3600), |lp| lp.stop());
    lp.run_forever().unwrap();
    assert_eq!(lp.time(), Duration::from_secs(24 * 3600));
    // A guard against hanging, not a timing measurement: a day must not really pass.
    assert!(start.elapsed() < Duration::from_secs(60));
}

#[test]
fn the_real_clock_waits_in_poll_without_spinning() {
    let lp = EventLoop::new();
    assert_eq!(lp.clock_kind(), ClockKind::Real);
    lp.set_trace(true);
    let delay = Duration::from_millis(30);
    let start = Instant::now();
    let scheduled_at = lp.time();
    lp.call_later(delay, |lp| lp.stop());
    lp.run_forever().unwrap();
    assert!(start.elapsed() >= delay, "a timer never fires early");
    assert!(lp.time() - scheduled_at >= delay);
    let ticks = lp
        .take_trace()
        .events()
        .iter()
        .filter(|e| matches!(e, Event::Tick { .. }))
        .count();
    // One tick after the wait (a signal could add one). A busy loop would run thousands.
    assert!(
        ticks <= 3,
        "{ticks} ticks for one timer: the loop is spinning"
    );
}

#[test]
fn the_example_program_runs() {
    example::main();
}
