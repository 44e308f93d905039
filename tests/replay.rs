//! The replay of a trace (`steploop::replay`) against the loop itself.
//!
//! A replay works out, from the events alone, what the ready deque and the timer heap held at
//! each tick; the book's step-through viewer shows that reading. Here a tick observer hands
//! over the loop's own queues at the start of every tick, and the two must agree: for the runs
//! the chapters step through, for edge cases written by hand, and for a few hundred programs
//! generated at random (from fixed seeds, so that every run tests the same programs).

// The tour's examples share some modules; see the tour.
#![allow(clippy::duplicate_mod)]

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use steploop::inspect::Queues;
use steploop::replay::{Replay, StepKind, TaskState, Turn};
use steploop::trace::{Event, Trace};
use steploop::{sleep, EventLoop, Handle, Label, Task, TimerHandle};

#[allow(dead_code)] // the tour's own `main` and stops are not used here
#[path = "../examples/tour.rs"]
mod tour;

/// Queues as text, to compare labels by what they show.
fn text(queues: &Queues) -> String {
    let ready: Vec<String> = queues.ready.iter().map(Label::to_string).collect();
    let timers: Vec<String> = queues
        .timers
        .iter()
        .map(|timer| {
            let cancelled = if timer.cancelled { " (cancelled)" } else { "" };
            format!("{}#{} {}{cancelled}", timer.when, timer.seq, timer.label)
        })
        .collect();
    format!(
        "tick {} t={} ready {ready:?} timers {timers:?}",
        queues.tick, queues.time
    )
}

// ANCHOR: observed
/// Runs `program` on a traced virtual-clock loop, noting the loop's queues at every tick;
/// returns the trace, the queues, and the loop (to look at it afterwards).
fn observed(program: impl FnOnce(&EventLoop)) -> (Trace, Vec<Queues>, EventLoop) {
    let lp = EventLoop::with_virtual_clock();
    lp.set_trace(true);
    let seen = Rc::new(RefCell::new(Vec::new()));
    let log = seen.clone();
    lp.set_tick_observer(move |queues| log.borrow_mut().push(queues.clone()));
    program(&lp);
    lp.clear_tick_observer();
    let seen = seen.take();
    (lp.take_trace(), seen, lp)
}
// ANCHOR_END: observed

/// Replays the trace and checks its reading of every tick against what the loop held.
fn check_against_the_loop(name: &str, trace: &Trace, seen: &[Queues]) -> Replay {
    let replay = Replay::of(trace).unwrap_or_else(|error| panic!("{name}: {error}\n{trace}"));
    let read: Vec<String> = replay.tick_starts().iter().map(text).collect();
    let held: Vec<String> = seen.iter().map(text).collect();
    assert_eq!(read.len(), held.len(), "{name}: ticks read and run");
    for (read, held) in read.iter().zip(&held) {
        assert_eq!(
            read, held,
            "{name}: the replay's reading, then the loop's\n{trace}"
        );
    }
    check_steps(name, &replay);
    replay
}

/// What holds for the steps of any replay: they cover the trace's lines in order, each line
/// once; a handle step runs an entry of its tick's ready list; output only grows.
fn check_steps(name: &str, replay: &Replay) {
    let mut next_line = 0;
    let mut printed = 0;
    for (i, step) in replay.steps().iter().enumerate() {
        assert_eq!(
            step.first_line, next_line,
            "{name}: step {i} starts where the last ended"
        );
        assert!(
            step.first_line <= step.line && step.line <= step.last_line,
            "{name}: step {i}"
        );
        next_line = step.last_line + 1;
        assert!(step.printed >= printed, "{name}: step {i}");
        printed = step.printed;
        assert!(step.tasks.len() <= replay.tasks().len(), "{name}: step {i}");
        match step.kind {
            StepKind::Handle => {
                let running = step.running.expect("a handle step runs a handle");
                let turn = step.tick_ready[running].turn;
                assert!(
                    matches!(turn, Turn::Running | Turn::Skipped),
                    "{name}: step {i}"
                );
                let line = &replay.lines()[step.line];
                assert_eq!(
                    line.trim_start().split("  (cancelled").next().unwrap(),
                    step.tick_ready[running].label.to_string(),
                    "{name}: step {i} names its handle's line"
                );
            }
            _ => assert_eq!(step.running, None, "{name}: step {i}"),
        }
    }
    assert_eq!(
        next_line,
        replay.lines().len(),
        "{name}: every line in some step"
    );
    assert_eq!(printed, replay.output().len(), "{name}");
}

#[test]
fn the_steppers_runs_are_read_as_the_loop_held_them() {
    for tour::Stepper { name, program, .. } in tour::STEPPERS {
        let (trace, seen, _) = observed(program);
        assert!(!seen.is_empty(), "{name} ran no tick");
        check_against_the_loop(name, &trace, &seen);
    }
}

#[test]
fn every_trace_of_the_book_can_be_replayed() {
    for (name, trace) in tour::traces() {
        let replay = Replay::of(&trace).unwrap_or_else(|error| panic!("{name}: {error}"));
        check_steps(name, &replay);
    }
}

#[test]
fn the_say_after_walk_step_by_step() {
    let (trace, seen, _) = observed(tour::STEPPERS[2].program);
    let replay = check_against_the_loop("ch06_say_after", &trace, &seen);
    let steps = replay.steps();
    // The program before the loop, then one step per handle: ticks 1, 2 (two handles), 3–9.
    assert_eq!(steps.len(), 1 + 10);
    assert_eq!(steps[0].kind, StepKind::Outside);
    assert_eq!(steps[0].later[0].to_string(), "Task-1.step");
    // Tick 2, its second handle: Task-3's first step, after Task-2's.
    let step = &steps[3];
    assert_eq!((step.tick, step.running), (2, Some(1)));
    assert_eq!(step.tick_ready[0].turn, Turn::Ran);
    let deadlines: Vec<(u64, String)> = step
        .timers
        .iter()
        .map(|t| (t.when, t.set_by.as_ref().unwrap().to_string()))
        .collect();
    let second = 1_000_000_000;
    assert_eq!(
        deadlines,
        [
            (second, "Task-2.step".to_string()),
            (2 * second, "Task-3.step".to_string())
        ]
    );
    match &step.tasks[2].state {
        TaskState::Waiting(on) => assert_eq!(on.to_string(), "sleep(2.000)"),
        other => panic!("Task-3 waits on its sleep, not {other:?}"),
    }
    assert!(step.tasks[2].ran && !step.tasks[1].ran);
    // Tick 3: the loop waited a second, and the first sleep's timer came due.
    let step = &steps[4];
    assert_eq!(
        (step.tick, step.time, step.waited_from),
        (3, second, Some(0))
    );
    assert!(step.tick_ready[0].due);
    assert_eq!(step.timers.len(), 1);
    // The end: every task done, all six lines printed.
    let last = steps.last().unwrap();
    assert!(last
        .tasks
        .iter()
        .all(|task| task.state == TaskState::Done("result")));
    assert_eq!(last.printed, 6);
    assert_eq!(replay.output()[5], "finished at t=2.000");
}

// ---------------------------------------------------------------------------------------------
// Edge cases, by hand
// ---------------------------------------------------------------------------------------------

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn twin_timers_are_told_apart_when_one_is_cancelled() {
    // Same label, same deadline, another timer in between: only the sequence number says
    // which one was cancelled, and so which order the other two come due in.
    let (trace, seen, _) = observed(|lp| {
        let _first = lp
            .with_label("twin")
            .call_later(ms(100), |lp| lp.print("first twin"));
        let _other = lp.with_label("other").call_later(ms(100), |_| ());
        let second = lp
            .with_label("twin")
            .call_later(ms(100), |lp| lp.print("second twin"));
        lp.with_label("cancel the second twin")
            .call_soon(move |_| second.cancel());
        lp.with_label("stop").call_later(ms(200), |lp| lp.stop());
        lp.run_forever().unwrap();
    });
    let replay = check_against_the_loop("twins", &trace, &seen);
    let step = &replay.steps()[1];
    let cancelled: Vec<(u32, bool)> = step.timers.iter().map(|t| (t.seq, t.cancelled)).collect();
    assert_eq!(cancelled, [(0, false), (1, false), (2, true), (3, false)]);
    assert_eq!(replay.output(), ["first twin"]);
}

#[test]
fn cancelled_handles_and_timers_that_already_came_due_are_skipped() {
    let (trace, seen, _) = observed(|lp| {
        let handle: Handle = lp.with_label("doomed").call_soon(|_| unreachable!());
        handle.cancel();
        // Due at the same instant as `late` and scheduled first: it runs first in the tick,
        // while `late` already waits in the ready deque.
        let late: Rc<RefCell<Option<TimerHandle>>> = Rc::default();
        let killer = late.clone();
        lp.with_label("early").call_at(ms(10), move |_| {
            killer.borrow().as_ref().expect("scheduled").cancel();
        });
        let timer = lp.with_label("late").call_later(ms(10), |_| unreachable!());
        *late.borrow_mut() = Some(timer);
        lp.with_label("stop").call_later(ms(20), |lp| lp.stop());
        lp.run_forever().unwrap();
    });
    let replay = check_against_the_loop("skipped", &trace, &seen);
    let turns: Vec<(String, Turn)> = replay
        .steps()
        .iter()
        .filter_map(|step| step.running.map(|i| &step.tick_ready[i]))
        .map(|queued| (queued.label.to_string(), queued.turn))
        .collect();
    let expected = [
        ("doomed", Turn::Skipped),
        ("early", Turn::Running),
        ("late", Turn::Skipped),
        ("stop", Turn::Running),
    ];
    let expected: Vec<(String, Turn)> = expected.iter().map(|(l, t)| (l.to_string(), *t)).collect();
    assert_eq!(turns, expected);
}

#[test]
fn compaction_and_lazy_drops_are_read_as_the_loop_does_them() {
    let (trace, seen, _) = observed(|lp| {
        let timers: Vec<TimerHandle> = (0..150)
            .map(|i| {
                lp.with_label(format!("t{}", i % 7))
                    .call_later(ms(10 + i % 13), |_| ())
            })
            .collect();
        // Two thirds cancelled: the next tick compacts the heap.
        for timer in timers.iter().filter(|t| t.when().as_millis() % 3 != 0) {
            timer.cancel();
        }
        lp.with_label("stop").call_later(ms(100), |lp| lp.stop());
        lp.run_forever().unwrap();
        // Fewer than a hundred now: the cancelled are dropped one by one from the top.
        let timers: Vec<TimerHandle> = (0..10)
            .map(|i| lp.with_label("small").call_later(ms(i), |_| ()))
            .collect();
        for timer in &timers[..5] {
            timer.cancel();
        }
        lp.with_label("stop").call_later(ms(50), |lp| lp.stop());
        lp.run_forever().unwrap();
    });
    let events = trace.events();
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::CompactTimers { .. })));
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::DropCancelledTimer(_))));
    check_against_the_loop("compaction", &trace, &seen);
}

#[test]
fn a_loop_stopped_before_it_runs_has_an_empty_tick() {
    let (trace, seen, _) = observed(|lp| {
        lp.stop();
        lp.run_forever().unwrap();
        lp.with_label("after").call_soon(|lp| lp.stop());
        lp.run_forever().unwrap();
    });
    let replay = check_against_the_loop("empty tick", &trace, &seen);
    let kinds: Vec<StepKind> = replay.steps().iter().map(|step| step.kind).collect();
    assert_eq!(
        kinds,
        [
            StepKind::Outside,
            StepKind::EmptyTick,
            StepKind::Outside,
            StepKind::Handle
        ]
    );
}

#[test]
fn cancelled_tasks_are_cancelling_then_done() {
    let (trace, seen, _) = observed(|lp| {
        let sleeper = lp.create_task(async {
            sleep(Duration::from_secs(5)).await?;
            Ok(())
        });
        let main = lp.create_task(async move {
            sleep(Duration::from_secs(1)).await?;
            sleeper.cancel();
            let _ = sleeper.await;
            Ok(())
        });
        lp.run_until_complete(main).unwrap();
    });
    let replay = check_against_the_loop("cancel", &trace, &seen);
    let cancelling = replay
        .steps()
        .iter()
        .position(|step| step.tasks[0].cancelling)
        .expect("a step where Task-1 is being cancelled");
    let done = replay
        .steps()
        .iter()
        .position(|step| step.tasks[0].state == TaskState::Done("cancelled"))
        .expect("a step where Task-1 ended cancelled");
    assert!(cancelling < done);
    assert!(!replay.steps()[done].tasks[0].cancelling);
}

#[test]
fn a_trace_that_does_not_add_up_is_refused_with_the_reason() {
    let (trace, _, _) = observed(tour::STEPPERS[1].program);
    // Drop the first `call_later`: the heap the replay keeps then lacks a timer the ticks
    // take from it.
    let events = trace.events();
    let at = events
        .iter()
        .position(|e| matches!(e, Event::CallLater { .. }))
        .unwrap();
    let broken: Trace = (events.iter().enumerate())
        .filter(|(i, _)| *i != at)
        .map(|(_, event)| event.clone())
        .collect();
    let error = Replay::of(&broken).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("came due, but the soonest timer is"),
        "{error}"
    );
}

// ---------------------------------------------------------------------------------------------
// Programs generated at random
// ---------------------------------------------------------------------------------------------

/// A small generator (xorshift), so that the programs are the same on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// What a generated program has made so far, for later actions to cancel.
struct World {
    rng: Rng,
    /// Actions left: the program ends when they run out.
    budget: u32,
    timers: Vec<TimerHandle>,
    handles: Vec<Handle>,
    tasks: Vec<Task<()>>,
}

type Shared = Rc<RefCell<World>>;

/// A few actions, chosen at random: schedule callbacks and timers (with few labels and few
/// deadlines, so that ties and twins are common), cancel some, start tasks that sleep, cancel
/// tasks, print.
fn act(lp: &EventLoop, world: &Shared) {
    let actions = world.borrow_mut().rng.below(4);
    for _ in 0..actions {
        let (choice, n, m) = {
            let mut w = world.borrow_mut();
            if w.budget == 0 {
                return;
            }
            w.budget -= 1;
            (w.rng.below(9), w.rng.below(3), w.rng.below(4))
        };
        match choice {
            0 | 1 => {
                let next = world.clone();
                let handle = lp
                    .with_label(format!("soon{n}"))
                    .call_soon(move |lp| act(lp, &next));
                world.borrow_mut().handles.push(handle);
            }
            2 | 3 => {
                let next = world.clone();
                let timer = lp
                    .with_label(format!("timer{n}"))
                    .call_later(ms(100 * m), move |lp| act(lp, &next));
                world.borrow_mut().timers.push(timer);
            }
            4 => {
                let mut w = world.borrow_mut();
                let count = w.timers.len() as u64;
                if count > 0 {
                    let i = w.rng.below(count) as usize;
                    w.timers[i].cancel();
                }
            }
            5 => {
                let mut w = world.borrow_mut();
                let count = w.handles.len() as u64;
                if count > 0 {
                    let i = w.rng.below(count) as usize;
                    w.handles[i].cancel();
                }
            }
            6 => {
                let next = world.clone();
                let task = lp.create_task(async move {
                    sleep(ms(100 * m)).await?;
                    let lp = steploop::get_running_loop().expect("in the loop");
                    act(&lp, &next);
                    sleep(ms(100 * n)).await?;
                    Ok(())
                });
                world.borrow_mut().tasks.push(task);
            }
            7 => {
                let mut w = world.borrow_mut();
                let count = w.tasks.len() as u64;
                if count > 0 {
                    let i = w.rng.below(count) as usize;
                    w.tasks[i].cancel();
                }
            }
            _ => lp.print(format!("print {n}")),
        }
    }
}

#[test]
fn generated_programs_are_read_as_the_loop_held_them() {
    for seed in 1..=300u64 {
        let world = Rc::new(RefCell::new(World {
            rng: Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15)),
            budget: 60,
            timers: Vec::new(),
            handles: Vec::new(),
            tasks: Vec::new(),
        }));
        let (trace, seen, lp) = observed(|lp| {
            lp.set_exception_handler(|_, _| {}); // cancelled tasks nobody awaits: expected
            for _ in 0..5 {
                act(lp, &world);
            }
            lp.with_label("stop")
                .call_later(Duration::from_secs(5), |lp| lp.stop());
            lp.run_forever().unwrap();
        });
        let name = format!("seed {seed}");
        let replay = check_against_the_loop(&name, &trace, &seen);
        // After the run, too: the last step's deque and heap are the loop's.
        let last = replay.steps().last().unwrap();
        let now = lp.queues();
        let later: Vec<String> = last.later.iter().map(Label::to_string).collect();
        let ready: Vec<String> = now.ready.iter().map(Label::to_string).collect();
        assert_eq!(later, ready, "{name}: the deque after the run");
        let read: Vec<(u64, u32, bool)> = last
            .timers
            .iter()
            .map(|t| (t.when, t.seq, t.cancelled))
            .collect();
        let held: Vec<(u64, u32, bool)> = now
            .timers
            .iter()
            .map(|t| (t.when, t.seq, t.cancelled))
            .collect();
        assert_eq!(read, held, "{name}: the heap after the run");
        drop(std::mem::take(&mut world.borrow_mut().tasks));
        lp.close().unwrap();
    }
}
