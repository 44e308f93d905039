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

#[test]
fn a_timer_cancelled_on_the_ready_deque_is_skipped() {
    // Both timers come due in the same tick and move to the ready deque together; the first
    // cancels the second before its turn, so the loop skips it, as asyncio skips a cancelled
    // handle in `_ready`. It was no longer in the heap: no cancellation is counted or traced.
    let lp = EventLoop::with_virtual_clock();
    let second: Rc<RefCell<Option<steploop::TimerHandle>>> = Rc::default();
    let ran = Rc::new(RefCell::new(false));
    let target = second.clone();
    lp.with_label("first").call_later(secs(1.0), move |_| {
        target.borrow().as_ref().unwrap().cancel()
    });
    let flag = ran.clone();
    *second.borrow_mut() = Some(
        lp.with_label("second")
            .call_later(secs(1.0), move |_| *flag.borrow_mut() = true),
    );
    lp.call_later(secs(2.0), |lp| lp.stop());
    lp.set_trace(true);
    lp.run_forever().unwrap();
    let trace = lp.take_trace();
    assert!(!*ran.borrow(), "a cancelled timer never runs");
    assert!(second.borrow().as_ref().unwrap().cancelled());
    let events = trace.events();
    assert!(events.contains(&Event::SkipCancelled(steploop::Label::new("second"))));
    assert!(!events
        .iter()
        .any(|e| matches!(e, Event::CancelTimer { .. })));
    assert_eq!(lp.scheduled_timers(), 0);
}

#[test]
fn cancelling_after_the_timer_ran_is_not_counted() {
    let lp = EventLoop::with_virtual_clock();
    let fired = lp.call_later(secs(1.0), |_| {});
    lp.call_later(secs(1.0), |lp| lp.stop());
    lp.run_forever().unwrap();
    lp.set_trace(true);
    fired.cancel();
    assert!(
        fired.cancelled(),
        "cancelled() is true from then on, as in asyncio"
    );
    // Exactly half of these are cancelled: not more than half, so no compaction — unless the
    // late cancel above had been counted too.
    let timers: Vec<_> = (0..150)
        .map(|i| lp.call_later(secs(10.0 + i as f64), |_| {}))
        .collect();
    // The odd ones, so that the earliest stays live and nothing is dropped from the top.
    for timer in timers.iter().skip(1).step_by(2) {
        timer.cancel();
    }
    lp.call_soon(|lp| lp.stop());
    lp.run_forever().unwrap();
    let trace = lp.take_trace();
    let events = trace.events();
    let cancels = events
        .iter()
        .filter(|e| matches!(e, Event::CancelTimer { .. }))
        .count();
    assert_eq!(
        cancels, 75,
        "the timer that already ran is not traced as cancelled"
    );
    assert!(!events
        .iter()
        .any(|e| matches!(e, Event::CompactTimers { .. })));
    assert_eq!(lp.scheduled_timers(), 150);
}

#[test]
fn an_old_handle_never_cancels_a_newer_timer_in_its_slot() {
    // The first timer runs and frees its slot; the next timer takes the same slot. The first
    // handle's sequence number no longer matches, so cancelling it leaves the new timer alone.
    let lp = EventLoop::with_virtual_clock();
    let log = fired_log();
    let old = lp.call_later(secs(1.0), fire(&log, "old"));
    lp.call_later(secs(1.0), |lp| lp.stop());
    lp.run_forever().unwrap();
    let new = lp.call_later(secs(1.0), fire(&log, "new"));
    old.cancel();
    assert!(!new.cancelled());
    lp.call_later(secs(2.0), |lp| lp.stop());
    lp.run_forever().unwrap();
    let names: Vec<String> = log.borrow().iter().map(|(name, _)| name.clone()).collect();
    assert_eq!(names, ["old", "new"]);
}

#[test]
fn a_handle_outlives_its_loop() {
    let lp = EventLoop::with_virtual_clock();
    let timer = lp.call_later(secs(5.0), |_| unreachable!("the loop is closed first"));
    lp.close().unwrap();
    drop(lp);
    timer.cancel(); // the loop is gone: nothing to tell it
    assert!(timer.cancelled());
    assert_eq!(timer.when(), secs(5.0));
    assert_eq!(
        format!("{timer:?}"),
        format!("<TimerHandle when=5.000 {} cancelled>", timer.label())
    );
}

#[test]
fn a_cancelled_closure_is_dropped_while_the_loop_can_still_be_used() {
    // Cancelling drops the closure at once (asyncio sets `_callback = None`). What it captured
    // may use the loop in its destructor — here, cancel another timer — so the loop must not
    // be in the middle of changing its heap then.
    struct CancelOnDrop(steploop::TimerHandle);
    impl Drop for CancelOnDrop {
        fn drop(&mut self) {
            self.0.cancel();
        }
    }
    let lp = EventLoop::with_virtual_clock();
    let inner = lp.call_later(secs(2.0), |_| unreachable!("cancelled by the guard's drop"));
    let guard = CancelOnDrop(inner);
    let outer = lp.call_later(secs(1.0), move |_| drop(guard));
    lp.set_trace(true);
    outer.cancel();
    let trace = lp.take_trace();
    let cancelled: Vec<_> = trace
        .events()
        .iter()
        .filter_map(|e| match e {
            Event::CancelTimer { when, .. } => Some(*when),
            _ => None,
        })
        .collect();
    assert_eq!(
        cancelled,
        [2_000_000_000, 1_000_000_000],
        "the guard's timer, then outer"
    );
    lp.call_later(secs(3.0), |lp| lp.stop());
    lp.run_forever().unwrap();
}

#[test]
fn a_panicking_timer_is_reported_by_its_label_and_the_loop_goes_on() {
    fn boom(_: &EventLoop) {
        panic!("kaboom")
    }
    let lp = EventLoop::with_virtual_clock();
    let reports: Rc<RefCell<Vec<String>>> = Rc::default();
    let seen = reports.clone();
    lp.set_exception_handler(move |_, context: &steploop::ExceptionContext| {
        seen.borrow_mut().push(context.to_string());
    });
    let log = fired_log();
    lp.call_later(secs(1.0), boom);
    lp.with_label("labelled")
        .call_later(secs(1.0), |_| panic!("kaboom"));
    lp.call_later(secs(1.0), fire(&log, "after"));
    lp.call_later(secs(1.0), |lp| lp.stop());
    lp.run_forever().unwrap();
    assert_eq!(log.borrow().len(), 1);
    assert_eq!(
        *reports.borrow(),
        [
            "Exception in callback boom\nexception: panicked: kaboom\nhandle: <Handle boom>",
            "Exception in callback labelled\nexception: panicked: kaboom\nhandle: <Handle labelled>"
        ]
    );
}

#[test]
fn on_the_real_clock_a_wait_names_the_timer_s_deadline_not_when_it_ended() {
    // The operating system wakes the loop a little after the deadline: the line says how long
    // the loop waited, and when the timer was due.
    let lp = EventLoop::new();
    lp.set_trace(true);
    let timer = lp.call_later(secs(0.02), |lp| lp.stop());
    lp.run_forever().unwrap();
    let due = timer.when().as_nanos() as u64;
    let trace = lp.take_trace();
    let waits: Vec<_> = trace
        .events()
        .iter()
        .filter_map(|e| match e {
            Event::Wait {
                until, deadline, ..
            } => Some((*until, *deadline)),
            _ => None,
        })
        .collect();
    assert!(!waits.is_empty(), "{trace}");
    for (until, deadline) in waits {
        assert_eq!(
            deadline, due,
            "the wait names the timer's deadline, not {until}"
        );
    }
    let millis = (due + 500_000) / 1_000_000;
    let line = format!(
        "the next timer is due at t={}.{:03}",
        millis / 1000,
        millis % 1000
    );
    assert!(trace.to_string().contains(&line), "{trace}");
}
