//! Chapter 6: tasks — `create_task`, step and wakeup, `sleep`, names, `run`, panics, the
//! exception handler's reports, cancellation, stalls, wakers and foreign futures, each rule
//! pinned by numbers: how many times a coroutine was polled, how many wakeups were scheduled,
//! how many reports the exception handler got, in which order things happened and at which
//! loop time.
//!
//! # Determinism
//! Each test builds its own loop on its own thread, so no state is shared between tests. All
//! but one test use the virtual clock, where time moves only when the loop jumps to the next
//! deadline: which handle runs on which tick, and at which loop time, follows from the order
//! of `call_soon`s and deadlines alone, so times are compared with `==` and polls and ticks are
//! counted exactly.
//!
//! The foreign-waker tests involve a second thread, and are made deterministic by
//! synchronising with it rather than by timing: the thread completes its future only after the
//! task has polled it and handed over its waker (or the thread is joined before the loop runs
//! again), so the number of polls and wakeups is exact there too. The one real delay — a
//! thread's 20 ms before it completes the future — only makes it likely that the loop is
//! already blocked in its poll when the wake arrives, which is the case under test; no
//! assertion depends on how long anything took. (One test also has a watchdog thread that
//! completes a future after 2 s if the loop is stuck, so that a regression fails rather than
//! hangs; a working loop tells it to stand down at once.)
//!
//! Tests marked `` pin rules that `src/` does not keep yet; run them with
//! `cargo test --test ch06_tasks -- --ignored`.

use std::cell::{Cell, RefCell};
use std::future::Future as StdFuture;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::mpsc::{self, RecvTimeoutError, TryRecvError};
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::Duration;

use steploop::trace::{Event, Trace};
use steploop::{current_task, get_running_loop, sleep, Error, EventLoop, ExceptionContext, Task};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({omit_expression => true, prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!(name, text);
    });
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// A journal the coroutines and callbacks append to, to check what happened and in which order.
type Log = Rc<RefCell<Vec<String>>>;

fn journal() -> Log {
    Rc::new(RefCell::new(Vec::new()))
}

fn note(log: &Log, entry: impl Into<String>) {
    log.borrow_mut().push(entry.into());
}

fn entries(log: &Log) -> Vec<String> {
    log.borrow().clone()
}

/// The running loop's time, as `t=1.000`.
fn now() -> String {
    let lp = get_running_loop().expect("called from inside the loop");
    format!("t={:.3}", lp.time().as_secs_f64())
}

/// Wraps a coroutine and counts how many times it is polled: one poll is one step of the
/// task that owns it.
struct Counted<F> {
    coroutine: Pin<Box<F>>,
    polls: Rc<Cell<u32>>,
}

impl<F: StdFuture> StdFuture for Counted<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.polls.set(self.polls.get() + 1);
        self.coroutine.as_mut().poll(cx)
    }
}

fn counted<F: StdFuture>(coroutine: F) -> (Counted<F>, Rc<Cell<u32>>) {
    let polls = Rc::new(Cell::new(0));
    let counted = Counted {
        coroutine: Box::pin(coroutine),
        polls: polls.clone(),
    };
    (counted, polls)
}

/// Installs an exception handler that keeps every context it receives.
fn reports(lp: &EventLoop) -> Rc<RefCell<Vec<ExceptionContext>>> {
    let reports = Rc::new(RefCell::new(Vec::new()));
    let sink = reports.clone();
    lp.set_exception_handler(move |_, context: &ExceptionContext| {
        sink.borrow_mut().push(context.clone());
    });
    reports
}

fn messages(reports: &Rc<RefCell<Vec<ExceptionContext>>>) -> Vec<String> {
    reports.borrow().iter().map(|c| c.message.clone()).collect()
}

fn ticks(trace: &Trace) -> usize {
    trace
        .events()
        .iter()
        .filter(|e| matches!(e, Event::Tick { .. }))
        .count()
}

/// How many times `label` (e.g. `Task-1.wakeup`) was put on the ready deque.
fn scheduled(trace: &Trace, label: &str) -> usize {
    trace
        .events()
        .iter()
        .filter(|e| matches!(e, Event::CallSoon(l) if l.to_string() == label))
        .count()
}

fn names(lp: &EventLoop) -> Vec<String> {
    lp.all_tasks().iter().map(|t| t.name()).collect()
}

fn is_cancelled_with(error: &Error, message: &str) -> bool {
    matches!(error, Error::Cancelled(Some(m)) if &**m == message)
}

/// Panics with `message`; returns a value so that the caller's code after it stays reachable.
fn explode(message: &str) -> u32 {
    panic!("{message}")
}

/// A future of "another library": it knows nothing of steploop, keeps the waker of its last
/// poll, and wakes it from whichever thread completes it.
struct OneShot<T> {
    shared: Arc<(Mutex<Slot<T>>, Condvar)>,
}

struct Slot<T> {
    value: Option<T>,
    waker: Option<Waker>,
}

impl<T> Clone for OneShot<T> {
    fn clone(&self) -> Self {
        OneShot {
            shared: self.shared.clone(),
        }
    }
}

impl<T> OneShot<T> {
    fn new() -> Self {
        OneShot {
            shared: Arc::new((
                Mutex::new(Slot {
                    value: None,
                    waker: None,
                }),
                Condvar::new(),
            )),
        }
    }

    /// Blocks until someone has polled the future, and returns (a clone of) its waker.
    fn wait_for_waker(&self) -> Waker {
        let (slot, registered) = &*self.shared;
        let mut slot = slot.lock().unwrap();
        loop {
            if let Some(waker) = &slot.waker {
                return waker.clone();
            }
            slot = registered.wait(slot).unwrap();
        }
    }

    /// Stores the value without waking anyone.
    fn set(&self, value: T) {
        self.shared.0.lock().unwrap().value = Some(value);
    }

    /// Stores the value and wakes the waker of the last poll, if any.
    fn complete(&self, value: T) {
        let waker = {
            let mut slot = self.shared.0.lock().unwrap();
            slot.value = Some(value);
            slot.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> StdFuture for OneShot<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let (slot, registered) = &*self.shared;
        let mut slot = slot.lock().unwrap();
        match slot.value.take() {
            Some(value) => Poll::Ready(value),
            None => {
                slot.waker = Some(cx.waker().clone());
                registered.notify_all();
                Poll::Pending
            }
        }
    }
}

/// A foreign future that wakes its task twice from inside its first poll, then is ready.
struct WakeTwiceThenReady {
    polled: bool,
}

impl StdFuture for WakeTwiceThenReady {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.polled {
            return Poll::Ready(());
        }
        self.polled = true;
        cx.waker().wake_by_ref();
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// A foreign future that is ready at once, and keeps the waker it was polled with.
struct StealWaker(Rc<RefCell<Option<Waker>>>);

impl StdFuture for StealWaker {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        *self.0.borrow_mut() = Some(cx.waker().clone());
        Poll::Ready(())
    }
}

// ---------------------------------------------------------------------------------------------
// create_task, step and wakeup
// ---------------------------------------------------------------------------------------------

#[test]
fn create_task_schedules_the_first_step_with_call_soon() {
    let lp = EventLoop::with_virtual_clock();
    let log = journal();
    let (before, after) = (log.clone(), log.clone());
    lp.call_soon(move |_| note(&before, "callback before"));
    let (body, polls) = counted({
        let log = log.clone();
        async move {
            note(&log, "task step");
            Ok::<_, Error>(1)
        }
    });
    let task = lp.create_task(body);
    lp.call_soon(move |_| note(&after, "callback after"));
    assert_eq!(polls.get(), 0, "create_task does not run the coroutine");
    assert!(!task.done());

    lp.run_once().unwrap();
    assert_eq!(
        entries(&log),
        ["callback before", "task step", "callback after"],
        "the first step waits in the ready deque like any call_soon"
    );
    assert_eq!(polls.get(), 1);
    assert!(
        task.done(),
        "a coroutine that awaits nothing finishes in one step"
    );
    assert_eq!(task.result().unwrap(), 1);
}

#[test]
fn each_step_polls_the_coroutine_once() {
    let lp = EventLoop::with_virtual_clock();
    let log = journal();
    let (body, polls) = counted({
        let log = log.clone();
        async move {
            for delay in [1, 2, 3] {
                sleep(secs(delay)).await?;
                note(&log, now());
            }
            Ok::<_, Error>(())
        }
    });
    let task = lp.create_task(body);
    lp.run_once().unwrap();
    assert_eq!(polls.get(), 1);
    assert_eq!(lp.scheduled_timers(), 1, "the first sleep's timer");
    lp.run_until_complete(task).unwrap();
    assert_eq!(polls.get(), 4, "a first step and one wakeup per sleep");
    assert_eq!(entries(&log), ["t=1.000", "t=3.000", "t=6.000"]);
    assert_eq!(lp.time(), secs(6));
    assert_eq!(lp.scheduled_timers(), 0);
}

#[test]
fn a_waiting_task_is_not_stepped_until_its_future_is_done() {
    // The invariant: the task's step is scheduled, or it waits on one future, or it is done.
    // While it waits, no tick steps it; the future's completion schedules exactly one wakeup.
    let lp = EventLoop::with_virtual_clock();
    let fut = lp.create_future::<u32>();
    let setter = fut.clone();
    lp.call_later(secs(5), move |_| setter.set_result(7).unwrap());
    let (body, polls) = counted({
        let fut = fut.clone();
        async move { fut.await }
    });
    let task = lp.create_task(body);
    lp.set_trace(true);
    assert_eq!(lp.run_until_complete(task).unwrap(), 7);
    let trace = lp.take_trace();
    assert_eq!(polls.get(), 2);
    assert_eq!(scheduled(&trace, "Task-1.wakeup"), 1);
    assert_eq!(
        ticks(&trace),
        4,
        "step, the timer, the wakeup, run_until_complete's callback:\n{trace}"
    );
    assert_eq!(lp.time(), secs(5));
}

#[test]
fn a_completed_future_and_a_cancel_in_the_same_tick_schedule_one_wakeup() {
    let lp = EventLoop::with_virtual_clock();
    let fut = lp.create_future::<u32>();
    let (body, polls) = counted({
        let fut = fut.clone();
        async move { fut.await }
    });
    let task = lp.create_task(body);
    lp.run_once().unwrap();
    lp.set_trace(true);
    fut.set_result(1).unwrap();
    assert!(task.cancel());
    let outcome = lp.run_until_complete(task.clone());
    let trace = lp.take_trace();
    assert_eq!(polls.get(), 2, "one first step, one wakeup");
    assert_eq!(scheduled(&trace, "Task-1.wakeup"), 1, "{trace}");
    assert!(
        matches!(outcome, Err(Error::Cancelled(None))),
        "{outcome:?}"
    );
}

#[test]
fn every_awaiter_of_a_task_gets_its_result() {
    let lp = EventLoop::with_virtual_clock();
    let worker = lp.create_task(async {
        sleep(secs(1)).await?;
        Ok::<_, Error>(String::from("done"))
    });
    let first = lp.create_task({
        let worker = worker.clone();
        async move { Ok(format!("first got {}", worker.await?)) }
    });
    let second = lp.create_task({
        let worker = worker.clone();
        async move { Ok(format!("second got {}", worker.await?)) }
    });
    assert_eq!(lp.run_until_complete(first).unwrap(), "first got done");
    assert_eq!(lp.run_until_complete(second).unwrap(), "second got done");
    assert_eq!(lp.run_until_complete(worker).unwrap(), "done");
    assert_eq!(lp.time(), secs(1));
}

// ---------------------------------------------------------------------------------------------
// sleep
// ---------------------------------------------------------------------------------------------

#[test]
fn sleep_zero_yields_one_tick_without_a_timer() {
    let lp = EventLoop::with_virtual_clock();
    let log = journal();
    let (body, polls) = counted({
        let log = log.clone();
        async move {
            note(&log, "task before");
            sleep(Duration::ZERO).await?;
            note(&log, "task after");
            Ok::<_, Error>(())
        }
    });
    let task = lp.create_task(body);
    let other = log.clone();
    lp.call_soon(move |lp| {
        note(&other, "callback");
        lp.call_soon(move |_| note(&other, "next-tick callback"));
    });

    lp.run_once().unwrap();
    assert_eq!(entries(&log), ["task before", "callback"]);
    assert_eq!(lp.scheduled_timers(), 0, "sleep(0) sets no timer");
    lp.run_once().unwrap();
    assert_eq!(
        entries(&log),
        [
            "task before",
            "callback",
            "task after",
            "next-tick callback"
        ],
        "the task's next step was queued during tick 1, before the callback's"
    );
    assert!(task.done());
    assert_eq!(polls.get(), 2);
    assert_eq!(lp.time(), Duration::ZERO);
}

#[test]
fn cancelling_a_sleeping_task_cancels_its_timer() {
    let lp = EventLoop::with_virtual_clock();
    let task = lp.create_task(async {
        sleep(secs(100)).await?;
        Ok::<_, Error>(())
    });
    let target = task.clone();
    lp.call_later(secs(1), move |_| {
        target.cancel();
    });
    let outcome = lp.run_until_complete(task.clone());
    assert!(
        matches!(outcome, Err(Error::Cancelled(None))),
        "{outcome:?}"
    );
    assert!(task.cancelled());
    assert_eq!(lp.time(), secs(1), "nobody waits for the cancelled sleep");
    assert_eq!(
        lp.scheduled_timers(),
        0,
        "the sleep's timer was cancelled and dropped"
    );
}

#[test]
fn a_sleep_polled_beside_another_future_still_wakes_its_task_when_it_is_due() {
    let lp = EventLoop::with_virtual_clock();
    let fut = lp.create_future::<u32>();
    let setter = fut.clone();
    lp.call_later(secs(1), move |_| {
        setter.set_result(7).unwrap();
    });
    let task = lp.create_task(async move {
        let mut nap = Box::pin(sleep(secs(3)));
        let mut waiting = Box::pin(std::future::IntoFuture::into_future(fut));
        // Both polled in every step; the future comes first, and wakes the task at t=1.
        let first = std::future::poll_fn(|cx| {
            if let Poll::Ready(value) = waiting.as_mut().poll(cx) {
                return Poll::Ready(value);
            }
            assert!(nap.as_mut().poll(cx).is_pending());
            Poll::Pending
        })
        .await?;
        let woken_at = get_running_loop().unwrap().time();
        nap.await?;
        Ok::<_, Error>((first, woken_at, get_running_loop().unwrap().time()))
    });
    assert_eq!(
        lp.run_until_complete(task).unwrap(),
        (7, secs(1), secs(3)),
        "the sleep started at t=0 ends at t=3, though the task was woken at t=1"
    );
}

/// A sleep handed from one place to another, unfinished.
type Handoff = Rc<RefCell<Option<Pin<Box<steploop::Sleep>>>>>;

/// A task that starts a sleep of `delay` (polls it once, so that the sleep belongs to this
/// task), then hands it over unfinished and ends.
fn start_a_sleep_and_hand_it_over(lp: &EventLoop, delay: Duration) -> (Task<()>, Handoff) {
    let handoff: Handoff = Rc::default();
    let give = handoff.clone();
    let task = lp.create_task(async move {
        let mut nap = Box::pin(sleep(delay));
        std::future::poll_fn(|cx| {
            assert!(nap.as_mut().poll(cx).is_pending());
            Poll::Ready(())
        })
        .await;
        *give.borrow_mut() = Some(nap);
        Ok::<_, Error>(())
    });
    (task, handoff)
}

#[test]
fn a_sleep_moved_to_another_task_wakes_that_task() {
    let lp = EventLoop::with_virtual_clock();
    let (first, handoff) = start_a_sleep_and_hand_it_over(&lp, secs(2));
    let second = lp.create_task(async move {
        let nap = handoff
            .borrow_mut()
            .take()
            .expect("the first task ran first");
        nap.await?;
        Ok::<_, Error>(get_running_loop().unwrap().time())
    });
    lp.run_until_complete(first).unwrap();
    assert_eq!(lp.run_until_complete(second).unwrap(), secs(2));
}

#[test]
fn a_sleep_started_in_a_task_then_polled_outside_one_wakes_its_waker_when_due_not_before() {
    // Another library's executor, driven from the loop's thread, may poll a sleep that a task
    // started. Waking it at every poll would keep the loop busy and, on a virtual clock,
    // keep time from ever reaching the deadline.
    struct Count(std::sync::atomic::AtomicUsize);
    impl std::task::Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }
    let lp = EventLoop::with_virtual_clock();
    let (started, handoff) = start_a_sleep_and_hand_it_over(&lp, secs(2));
    lp.run_until_complete(started).unwrap();

    let count = Arc::new(Count(Default::default()));
    let wakes = || count.0.load(std::sync::atomic::Ordering::SeqCst);
    let waker = Waker::from(count.clone());
    let poll_outside_tasks = |lp: &EventLoop| {
        let (nap, waker) = (handoff.clone(), waker.clone());
        let polled = Rc::new(Cell::new(Poll::Pending));
        let result = polled.clone();
        lp.call_soon(move |_| {
            let mut nap = nap.borrow_mut();
            let nap = nap.as_mut().expect("handed over");
            result.set(
                nap.as_mut()
                    .poll(&mut Context::from_waker(&waker))
                    .map(|r| r.is_ok()),
            );
        });
        polled
    };
    let first = poll_outside_tasks(&lp);
    lp.run_until_complete(lp.create_task(sleep(secs(1))))
        .unwrap();
    assert_eq!(first.get(), Poll::Pending);
    assert_eq!(wakes(), 0, "not due at t=1: nothing to wake");
    lp.run_until_complete(lp.create_task(sleep(secs(2))))
        .unwrap();
    assert_eq!(wakes(), 1, "woken once, when due at t=2");
    let again = poll_outside_tasks(&lp);
    lp.run_until_complete(lp.create_task(sleep(Duration::ZERO)))
        .unwrap();
    assert_eq!(again.get(), Poll::Ready(true), "over, without an error");
}

#[test]
fn a_waker_a_coroutine_keeps_wakes_its_own_task_after_other_tasks_stepped() {
    let lp = EventLoop::with_virtual_clock();
    let kept: Rc<RefCell<Option<Waker>>> = Rc::default();
    let ready = Rc::new(Cell::new(false));
    let (keep, is_ready) = (kept.clone(), ready.clone());
    let first = lp.create_task(async move {
        // A future of another library: it keeps the waker and is ready once told.
        std::future::poll_fn(|cx| {
            if is_ready.get() {
                return Poll::Ready(());
            }
            *keep.borrow_mut() = Some(cx.waker().clone());
            Poll::Pending
        })
        .await;
        Ok::<_, Error>("the first task woke")
    });
    let second = lp.create_task(async move {
        // Steps of another task in between, each lent a waker.
        for _ in 0..3 {
            sleep(Duration::ZERO).await?;
        }
        ready.set(true);
        let waker = kept
            .borrow_mut()
            .take()
            .expect("the first task kept its waker");
        waker.wake();
        sleep(Duration::ZERO).await?; // the first task's wakeup runs before this step
        Ok::<_, Error>(())
    });
    lp.run_until_complete(second).unwrap();
    assert!(first.done(), "the kept waker woke the task that kept it");
    assert_eq!(first.result().unwrap(), "the first task woke");
}

// ---------------------------------------------------------------------------------------------
// Names, current_task, all_tasks
// ---------------------------------------------------------------------------------------------

#[test]
fn tasks_are_named_task_n_per_loop_in_creation_order() {
    let a = EventLoop::with_virtual_clock();
    let b = EventLoop::with_virtual_clock();
    let a1 = a.create_task(async { Ok::<_, Error>(()) });
    let b1 = b.create_task(async { Ok::<_, Error>(()) });
    let a2 = a.create_task(async { Ok::<_, Error>(()) });
    assert_eq!(
        [a1.name(), b1.name(), a2.name()],
        ["Task-1", "Task-1", "Task-2"]
    );
    let _ = a.create_future::<()>(); // futures are numbered apart: Future-1
    let own_name = a.run_until_complete(async { Ok(current_task().unwrap().name()) });
    assert_eq!(
        own_name.unwrap(),
        "Task-3",
        "run_until_complete wraps a coroutine in the next task"
    );
    b.run_until_complete(b1).unwrap();
    a.run_until_complete(a2).unwrap();
}

#[test]
fn set_name_renames_the_task_where_it_is_seen() {
    let lp = EventLoop::with_virtual_clock();
    let task = lp.create_task(async {
        let me = current_task().expect("inside a task");
        sleep(Duration::ZERO).await?;
        Ok::<_, Error>(me.name())
    });
    task.set_name("worker");
    assert_eq!(task.name(), "worker");
    assert_eq!(format!("{:?}", task.as_task_ref()), "<Task worker>");
    assert_eq!(lp.run_until_complete(task).unwrap(), "worker");
    let next = lp.create_task(async { Ok::<_, Error>(()) });
    assert_eq!(
        next.name(),
        "Task-2",
        "renaming does not change the numbering"
    );
    lp.run_until_complete(next).unwrap();
}

#[test]
fn a_renamed_task_is_traced_under_its_new_name_from_the_rename_on() {
    let lp = EventLoop::with_virtual_clock();
    lp.set_trace(true);
    let task = lp.create_task(async {
        sleep(Duration::ZERO).await?;
        Ok::<_, Error>(())
    });
    task.set_name("worker");
    lp.run_until_complete(task).unwrap();
    let trace = lp.take_trace();
    let text = trace.to_string();
    assert!(
        text.starts_with(
            "outside the loop\n    create Task-1 \
             a_renamed_task_is_traced_under_its_new_name_from_the_rename_on\n    \
             call_soon Task-1.step\n    Task-1.set_name(\"worker\")\n"
        ),
        "{text}"
    );
    assert!(text.contains("\n  worker.step\n"), "{text}");
    assert!(text.contains("\n    worker done: result\n"), "{text}");
    // The timeline and the replay know the task by its number, whatever its name.
    let svg = steploop::timeline::Timeline::new()
        .panel("renamed", &trace)
        .to_svg();
    assert!(
        svg.contains("<title>worker.step at t=0.000</title>"),
        "{svg}"
    );
    let replay = steploop::replay::Replay::of(&trace).unwrap();
    assert_eq!(replay.name(&replay.tasks()[0].name), "worker");
}

#[test]
fn current_task_is_the_task_whose_step_is_running() {
    fn seen() -> String {
        current_task().map_or("none".into(), |t| t.name())
    }
    let lp = EventLoop::with_virtual_clock();
    let log = journal();
    assert!(current_task().is_none());
    let make = |log: Log| async move {
        note(&log, seen());
        sleep(Duration::ZERO).await?;
        note(&log, seen());
        Ok::<_, Error>(())
    };
    let one = lp.create_task(make(log.clone()));
    let two = lp.create_task(make(log.clone()));
    let in_callback = log.clone();
    lp.call_soon(move |_| note(&in_callback, format!("callback: {}", seen())));
    let in_done_callback = log.clone();
    one.add_done_callback(move |_| note(&in_done_callback, format!("done-callback: {}", seen())));
    lp.run_until_complete(two).unwrap();
    assert_eq!(
        entries(&log),
        [
            "Task-1",
            "Task-2",
            "callback: none",
            "Task-1",
            "Task-2",
            "done-callback: none"
        ]
    );
    assert!(current_task().is_none());
}

#[test]
fn all_tasks_lists_pending_tasks_oldest_first() {
    let lp = EventLoop::with_virtual_clock();
    let quick = lp.create_task(async { Ok::<_, Error>(()) });
    let fut = lp.create_future::<()>();
    let slow = lp.create_task({
        let fut = fut.clone();
        async move { fut.await }
    });
    assert_eq!(names(&lp), ["Task-1", "Task-2"]);
    lp.run_once().unwrap();
    assert!(quick.done());
    assert_eq!(names(&lp), ["Task-2"], "done tasks are not listed");
    // Task-3 may take the place Task-1 left; the list is still in creation order.
    let later = lp.create_task(async { Ok::<_, Error>(names(&get_running_loop().unwrap())) });
    assert_eq!(names(&lp), ["Task-2", "Task-3"]);
    assert_eq!(
        lp.run_until_complete(later).unwrap(),
        ["Task-2", "Task-3"],
        "a running task lists itself"
    );
    fut.set_result(()).unwrap();
    lp.run_until_complete(slow).unwrap();
    assert!(lp.all_tasks().is_empty());
}

// ---------------------------------------------------------------------------------------------
// run_until_complete, run, run_with
// ---------------------------------------------------------------------------------------------

#[test]
fn run_until_complete_returns_the_result_of_a_coroutine_a_future_or_a_task() {
    let lp = EventLoop::with_virtual_clock();
    assert_eq!(lp.run_until_complete(async { Ok(1) }).unwrap(), 1);

    let fut = lp.create_future::<u32>();
    let setter = fut.clone();
    lp.call_later(secs(2), move |_| setter.set_result(2).unwrap());
    assert_eq!(lp.run_until_complete(fut).unwrap(), 2);
    assert_eq!(lp.time(), secs(2));

    let task = lp.create_task(async { Ok(3) });
    assert_eq!(lp.run_until_complete(task).unwrap(), 3);

    let failing = lp.run_until_complete(async { Err::<u32, _>(Error::msg("bad input")) });
    assert_eq!(failing.unwrap_err().to_string(), "bad input");
}

#[test]
fn run_returns_what_main_returns() {
    let answer = steploop::run(async {
        let lp = get_running_loop().expect("main runs on a loop");
        let helper = lp.create_task(async { Ok(6) });
        Ok(helper.await? * 7)
    });
    assert_eq!(answer.unwrap(), 42);
    let failed = steploop::run(async { Err::<(), _>(Error::msg("main failed")) });
    assert_eq!(failed.unwrap_err().to_string(), "main failed");
    assert!(get_running_loop().is_none());
}

#[test]
fn run_with_cancels_the_tasks_left_and_closes_the_loop() {
    let lp = EventLoop::with_virtual_clock();
    let reports = reports(&lp);
    let log = journal();
    let main_log = log.clone();
    let result = steploop::run_with(&lp, async move {
        let lp = get_running_loop().unwrap();
        let log = main_log.clone();
        let (sleeper, polls) = counted(async move {
            match sleep(secs(10)).await {
                Err(e) if e.is_cancelled() => note(&log, format!("sleeper cleans up at {}", now())),
                other => note(&log, format!("sleeper: {other:?}")),
            }
            Ok::<_, Error>(())
        });
        lp.create_task(sleeper);
        sleep(secs(1)).await?;
        note(&main_log, format!("main returns at {}", now()));
        Ok(polls)
    });
    let sleeper_polls = result.unwrap();
    assert_eq!(
        entries(&log),
        ["main returns at t=1.000", "sleeper cleans up at t=1.000"]
    );
    assert_eq!(
        sleeper_polls.get(),
        2,
        "its first step, and the cancellation"
    );
    assert!(lp.is_closed());
    assert_eq!(lp.time(), secs(1), "nobody waited for the 10 s sleep");
    assert!(messages(&reports).is_empty(), "{:?}", messages(&reports));
}

#[test]
fn run_with_cancels_a_task_left_unstarted_without_running_its_body() {
    let lp = EventLoop::with_virtual_clock();
    let reports = reports(&lp);
    let (body, polls) = counted(async { Ok::<_, Error>(()) });
    let result = steploop::run_with(&lp, async move {
        // The callback runs in the tick that stops the loop, so the task it creates has its
        // first step still in the ready deque when run_until_complete returns.
        get_running_loop()
            .unwrap()
            .call_soon(move |lp| drop(lp.create_task(body)));
        Ok(())
    });
    result.unwrap();
    assert_eq!(
        polls.get(),
        0,
        "cancelled before its first step: never polled"
    );
    assert!(lp.is_closed());
    assert!(messages(&reports).is_empty(), "{:?}", messages(&reports));
}

#[test]
fn run_with_reports_a_task_that_fails_while_being_cancelled() {
    let lp = EventLoop::with_virtual_clock();
    let reports = reports(&lp);
    steploop::run_with(&lp, async {
        let lp = get_running_loop().unwrap();
        lp.create_task(async {
            sleep(secs(10)).await?;
            Ok::<u32, Error>(0)
        });
        lp.create_task(async {
            match sleep(secs(10)).await {
                Err(e) if e.is_cancelled() => Err::<u32, _>(Error::msg("cleanup failed")),
                _ => Ok(0),
            }
        });
        sleep(Duration::ZERO).await?;
        Ok(())
    })
    .unwrap();
    assert!(lp.is_closed());
    let reports = reports.borrow();
    assert_eq!(
        reports.len(),
        1,
        "only the failure is reported: {reports:?}"
    );
    let exception = reports[0]
        .exception
        .as_ref()
        .expect("the error is attached");
    assert_eq!(exception.to_string(), "cleanup failed");
    assert_eq!(
        reports[0].message,
        "unhandled exception during steploop::run() shutdown"
    );
    assert_eq!(reports[0].task.as_deref(), Some("Task-3"));
}

#[test]
#[should_panic(expected = "running on a closed event loop")]
fn run_with_on_a_closed_loop_panics() {
    let lp = EventLoop::with_virtual_clock();
    lp.close().unwrap();
    let _ = steploop::run_with(&lp, async { Ok(()) });
}

// ---------------------------------------------------------------------------------------------
// Panics
// ---------------------------------------------------------------------------------------------

#[test]
fn a_panic_in_a_task_becomes_its_exception_and_the_loop_lives_on() {
    let lp = EventLoop::with_virtual_clock();
    let reports = reports(&lp);
    let log = journal();
    let (body, polls) = counted(async {
        sleep(secs(1)).await?;
        Ok::<u32, Error>(explode("boom at step 2"))
    });
    let failing = lp.create_task(body);
    let survivor = lp.create_task({
        let log = log.clone();
        async move {
            sleep(secs(2)).await?;
            note(&log, format!("survivor finishes at {}", now()));
            Ok::<_, Error>(2)
        }
    });
    let error = lp.run_until_complete(failing.clone()).unwrap_err();
    assert!(
        matches!(&error, Error::Panicked(m) if &**m == "boom at step 2"),
        "{error:?}"
    );
    assert_eq!(polls.get(), 2);
    assert!(failing.done() && !failing.cancelled());
    assert!(current_task().is_none(), "the panicking step was unwound");
    assert_eq!(lp.run_until_complete(survivor).unwrap(), 2);
    assert_eq!(entries(&log), ["survivor finishes at t=2.000"]);
    assert!(
        messages(&reports).is_empty(),
        "run_until_complete retrieved the panic"
    );
}

#[test]
fn awaiting_a_task_that_panicked_gives_its_panic() {
    let lp = EventLoop::with_virtual_clock();
    let reports = reports(&lp);
    let inner = lp.create_task(async { Ok::<u32, Error>(explode("inner exploded")) });
    let outer = lp.create_task(async move {
        let got = inner.await;
        assert!(matches!(&got, Err(Error::Panicked(m)) if &**m == "inner exploded"));
        got.map(|n| n + 1)
    });
    let error = lp.run_until_complete(outer).unwrap_err();
    assert!(
        matches!(&error, Error::Panicked(m) if &**m == "inner exploded"),
        "{error:?}"
    );
    assert!(messages(&reports).is_empty());
}

// ---------------------------------------------------------------------------------------------
// Reports: destroyed pending tasks, exceptions never retrieved
// ---------------------------------------------------------------------------------------------

#[test]
fn closing_a_loop_reports_each_pending_task_destroyed() {
    let lp = EventLoop::with_virtual_clock();
    let reports = reports(&lp);
    let captured = Rc::new(());
    let fut = lp.create_future::<u32>();
    let waiting = lp.create_task({
        let captured = captured.clone();
        let fut = fut.clone();
        async move {
            let _held = captured;
            fut.await
        }
    });
    waiting.set_name("waiter");
    let finished = lp.create_task(async { Ok::<_, Error>(1) });
    lp.run_once().unwrap();
    assert!(finished.done());
    let unstarted = lp.create_task({
        let captured = captured.clone();
        async move {
            let _held = captured;
            Ok::<_, Error>(3)
        }
    });
    assert_eq!(Rc::strong_count(&captured), 3);

    lp.close().unwrap();
    assert_eq!(
        Rc::strong_count(&captured),
        1,
        "close dropped both coroutines"
    );
    let reports = reports.borrow();
    assert_eq!(reports.len(), 2, "{reports:?}");
    let mut tasks: Vec<_> = reports.iter().map(|r| r.task.clone().unwrap()).collect();
    tasks.sort();
    assert_eq!(tasks, ["Task-3", "waiter"]);
    for report in reports.iter() {
        assert_eq!(report.message, "Task was destroyed but it is pending!");
    }
    assert!(!waiting.done() && !unstarted.done());
}

#[test]
fn a_failed_task_dropped_unretrieved_is_reported_once() {
    let lp = EventLoop::with_virtual_clock();
    let reports = reports(&lp);
    let held = lp.create_task(async { Err::<u32, _>(Error::msg("boom")) });
    let _ = lp.create_task(async { Ok::<u32, Error>(explode("dropped and exploded")) });
    lp.run_once().unwrap();
    assert!(held.done());
    assert_eq!(
        messages(&reports),
        ["Task exception was never retrieved"],
        "Task-2 had no handle left when it failed"
    );
    drop(held);
    let reports = reports.borrow();
    assert_eq!(
        reports.len(),
        2,
        "Task-1 is reported when its last handle goes"
    );
    let described: Vec<_> = reports
        .iter()
        .map(|r| {
            format!(
                "{} / {} / {}",
                r.message,
                r.future.as_deref().unwrap_or("-"),
                r.exception.as_ref().unwrap()
            )
        })
        .collect();
    assert_eq!(
        described,
        [
            "Task exception was never retrieved / Task-2 / panicked: dropped and exploded",
            "Task exception was never retrieved / Task-1 / boom",
        ]
    );
}

#[test]
fn a_task_exception_that_was_retrieved_or_a_cancellation_is_not_reported() {
    let lp = EventLoop::with_virtual_clock();
    let reports = reports(&lp);
    let fail = || async { Err::<u32, _>(Error::msg("seen")) };
    let by_exception = lp.create_task(fail());
    let by_result = lp.create_task(fail());
    let by_await = lp.create_task(fail());
    let by_run = lp.create_task(fail());
    let cancelled = lp.create_task(async {
        sleep(secs(1)).await?;
        Err::<u32, _>(Error::msg("never"))
    });
    lp.run_once().unwrap();
    cancelled.cancel();
    let awaiter = lp.create_task(async move { Ok(by_await.await.is_err()) });
    assert!(lp.run_until_complete(awaiter).unwrap());
    assert!(lp.run_until_complete(by_run).is_err());
    assert_eq!(
        by_exception.exception().unwrap().unwrap().to_string(),
        "seen"
    );
    assert!(by_result.result().is_err());
    assert!(cancelled.cancelled());
    drop((by_exception, by_result, cancelled));
    assert!(messages(&reports).is_empty(), "{:?}", messages(&reports));
}

// ---------------------------------------------------------------------------------------------
// Cancellation
// ---------------------------------------------------------------------------------------------

#[test]
fn cancel_cancels_the_awaited_future_and_question_mark_ends_the_task_cancelled() {
    let lp = EventLoop::with_virtual_clock();
    let log = journal();
    let fut = lp.create_future::<u32>();
    let (body, polls) = counted({
        let (fut, log) = (fut.clone(), log.clone());
        async move {
            let got = fut.await;
            note(&log, format!("await returned {got:?}"));
            let value = got?;
            note(&log, "not reached");
            Ok(value)
        }
    });
    let task = lp.create_task(body);
    lp.run_once().unwrap();
    assert!(task.cancel());
    assert!(
        fut.cancelled(),
        "cancel() cancels the future the task waits on"
    );
    assert!(!task.done(), "the task itself ends at its next step");
    let outcome = lp.run_until_complete(task.clone());
    assert!(
        matches!(outcome, Err(Error::Cancelled(None))),
        "{outcome:?}"
    );
    assert!(task.cancelled());
    assert_eq!(polls.get(), 2);
    assert_eq!(entries(&log), ["await returned Err(cancelled)"]);
}

#[test]
fn a_coroutine_may_catch_the_cancellation_and_finish_normally() {
    let lp = EventLoop::with_virtual_clock();
    let log = journal();
    let (body, polls) = counted({
        let log = log.clone();
        async move {
            match sleep(secs(10)).await {
                Err(e) if e.is_cancelled() => note(&log, format!("caught at {}", now())),
                other => note(&log, format!("unexpected {other:?}")),
            }
            sleep(secs(1)).await?;
            Ok("finished anyway")
        }
    });
    let task = lp.create_task(body);
    let target = task.clone();
    lp.call_later(secs(2), move |_| {
        target.cancel();
    });
    assert_eq!(
        lp.run_until_complete(task.clone()).unwrap(),
        "finished anyway"
    );
    assert!(!task.cancelled());
    assert_eq!(entries(&log), ["caught at t=2.000"]);
    assert_eq!(polls.get(), 3);
    assert_eq!(lp.time(), secs(3));
}

#[test]
fn a_task_cancelled_before_its_first_step_never_runs_its_body() {
    let lp = EventLoop::with_virtual_clock();
    let captured = Rc::new(());
    let (body, polls) = counted({
        let captured = captured.clone();
        async move {
            let _held = captured;
            Ok::<_, Error>(())
        }
    });
    let task = lp.create_task(body);
    assert!(task.cancel());
    assert!(task.cancel(), "still pending: cancel() again is accepted");
    lp.set_trace(true);
    let outcome = lp.run_until_complete(task.clone());
    let trace = lp.take_trace();
    assert!(
        matches!(outcome, Err(Error::Cancelled(None))),
        "{outcome:?}"
    );
    assert!(task.cancelled());
    assert_eq!(polls.get(), 0);
    assert_eq!(Rc::strong_count(&captured), 1, "the coroutine was dropped");
    assert_eq!(
        ticks(&trace),
        2,
        "the step that ends it, run_until_complete's callback"
    );

    // A message given before the first step reaches the awaiters.
    let early = lp.create_task(async { Ok::<_, Error>(()) });
    assert!(early.cancel_with("too early"));
    let outcome = lp.run_until_complete(early);
    assert!(
        outcome
            .as_ref()
            .is_err_and(|e| is_cancelled_with(e, "too early")),
        "{outcome:?}"
    );
}

#[test]
fn a_cancel_message_reaches_the_coroutine_and_every_awaiter() {
    let lp = EventLoop::with_virtual_clock();
    let log = journal();
    let inner = lp.create_task({
        let log = log.clone();
        async move {
            let got = sleep(secs(10)).await;
            note(&log, format!("inner saw {got:?}"));
            got?;
            Ok::<u32, Error>(1)
        }
    });
    let outer = lp.create_task({
        let (inner, log) = (inner.clone(), log.clone());
        async move {
            let got = inner.await;
            note(&log, format!("outer saw {got:?}"));
            got
        }
    });
    let target = inner.clone();
    lp.call_later(secs(1), move |_| {
        assert!(target.cancel_with("shutting down"));
    });
    let outcome = lp.run_until_complete(outer.clone());
    assert!(
        outcome
            .as_ref()
            .is_err_and(|e| is_cancelled_with(e, "shutting down")),
        "{outcome:?}"
    );
    assert_eq!(
        entries(&log),
        [
            "inner saw Err(cancelled: shutting down)",
            "outer saw Err(cancelled: shutting down)"
        ]
    );
    assert!(is_cancelled_with(
        &inner.result().unwrap_err(),
        "shutting down"
    ));
    assert!(
        outer.cancelled(),
        "`got` was returned as is: outer ends cancelled"
    );
}

async fn napper(log: Log) -> Result<u32, Error> {
    let got = sleep(secs(10)).await;
    note(&log, format!("inner: {got:?} at {}", now()));
    got?;
    Ok(1)
}

async fn waiter(inner: Task<u32>, log: Log) -> Result<u32, Error> {
    let got = inner.await;
    note(&log, format!("outer: {got:?} at {}", now()));
    got
}

#[test]
fn cancelling_a_task_that_awaits_a_task_cancels_the_inner_task() {
    let lp = EventLoop::with_virtual_clock();
    let log = journal();
    lp.set_trace(true);
    let inner = lp.create_task(napper(log.clone()));
    let outer = lp.create_task(waiter(inner.clone(), log.clone()));
    let target = outer.clone();
    lp.with_label("cancel_outer").call_later(secs(1), move |_| {
        assert!(target.cancel());
    });
    let outcome = lp.run_until_complete(outer.clone());
    assert!(
        matches!(outcome, Err(Error::Cancelled(None))),
        "{outcome:?}"
    );
    assert!(inner.cancelled(), "asyncio's fut_waiter is the inner task");
    assert!(outer.cancelled());
    assert_eq!(
        entries(&log),
        [
            "inner: Err(cancelled) at t=1.000",
            "outer: Err(cancelled) at t=1.000"
        ]
    );
    assert_eq!(lp.time(), secs(1));
    snapshot(
        "ch06_tasks_cancel_awaited_task",
        &lp.take_trace().to_string(),
    );
}

#[test]
fn an_inner_task_that_catches_the_cancellation_lets_its_awaiter_go_on() {
    // As in asyncio: outer.cancel() is passed on to the inner task (and returns true); if the
    // inner task swallows it, the outer task receives the inner result and is not cancelled.
    let lp = EventLoop::with_virtual_clock();
    let inner = lp.create_task(async {
        match sleep(secs(10)).await {
            Err(e) if e.is_cancelled() => Ok::<u32, Error>(5),
            other => other.map(|_| 0),
        }
    });
    let (body, polls) = counted({
        let inner = inner.clone();
        async move { Ok::<_, Error>(inner.await? * 10) }
    });
    let outer = lp.create_task(body);
    lp.run_once().unwrap();
    assert!(outer.cancel());
    assert_eq!(lp.run_until_complete(outer.clone()).unwrap(), 50);
    assert!(!outer.cancelled() && !inner.cancelled());
    assert_eq!(polls.get(), 2);
}

#[test]
fn a_cancel_while_the_step_is_scheduled_is_delivered_at_the_next_await() {
    let lp = EventLoop::with_virtual_clock();
    let log = journal();
    let (body, polls) = counted({
        let log = log.clone();
        async move {
            note(&log, "before");
            let got = sleep(Duration::ZERO).await;
            note(&log, format!("sleep(0) returned {got:?}"));
            got?;
            note(&log, "not reached");
            Ok::<_, Error>(())
        }
    });
    let task = lp.create_task(body);
    lp.run_once().unwrap();
    assert!(
        task.cancel_with("while scheduled"),
        "its step is in the ready deque"
    );
    let outcome = lp.run_until_complete(task.clone());
    assert!(
        outcome
            .as_ref()
            .is_err_and(|e| is_cancelled_with(e, "while scheduled")),
        "{outcome:?}"
    );
    assert_eq!(polls.get(), 2);
    assert_eq!(
        entries(&log),
        [
            "before",
            "sleep(0) returned Err(cancelled: while scheduled)"
        ]
    );
}

#[test]
fn a_cancel_after_the_awaited_future_completed_is_delivered_at_that_await() {
    // asyncio: the future is done, so fut_waiter.cancel() fails and _must_cancel is set; the
    // wakeup's step throws CancelledError into the coroutine at the await, result or not.
    let lp = EventLoop::with_virtual_clock();
    let log = journal();
    let fut = lp.create_future::<u32>();
    let (body, polls) = counted({
        let (fut, log) = (fut.clone(), log.clone());
        async move {
            let got = fut.await;
            note(&log, format!("await returned {got:?}"));
            got
        }
    });
    let task = lp.create_task(body);
    lp.run_once().unwrap();
    fut.set_result(9).unwrap();
    assert!(task.cancel());
    assert!(!fut.cancelled(), "the future kept its result");
    let outcome = lp.run_until_complete(task.clone());
    assert!(
        matches!(outcome, Err(Error::Cancelled(None))),
        "{outcome:?}"
    );
    assert_eq!(polls.get(), 2);
    assert_eq!(entries(&log), ["await returned Err(cancelled)"]);
}

#[test]
fn a_task_that_cancels_itself_and_returns_without_awaiting_ends_cancelled() {
    let lp = EventLoop::with_virtual_clock();
    let (body, polls) = counted(async {
        assert!(current_task().unwrap().cancel());
        Ok::<_, Error>(1)
    });
    let task = lp.create_task(body);
    let outcome = lp.run_until_complete(task.clone());
    assert!(
        matches!(outcome, Err(Error::Cancelled(None))),
        "{outcome:?}"
    );
    assert!(task.cancelled());
    assert_eq!(polls.get(), 1);
}

#[test]
fn task_and_task_ref_give_the_exception_in_one_shape() {
    // asyncio's Task.exception(): InvalidStateError while pending, CancelledError once
    // cancelled, else the exception or None; the same through a Task and a TaskRef.
    let lp = EventLoop::with_virtual_clock();
    let finished = lp.create_task(async { Ok::<u32, Error>(1) });
    let failed = lp.create_task(async { Err::<u32, _>(Error::msg("failed")) });
    let cancelled = lp.create_task(async { Ok::<u32, Error>(3) });
    let pending = lp.create_task(async {
        sleep(secs(1)).await?;
        Ok::<u32, Error>(4)
    });
    cancelled.cancel();
    for task in [&finished, &failed, &cancelled, &pending] {
        assert!(matches!(task.exception(), Err(Error::InvalidState(_))));
        assert!(matches!(
            task.as_task_ref().exception(),
            Err(Error::InvalidState(_))
        ));
    }
    lp.run_once().unwrap();
    let shapes = |task: &Task<u32>| {
        let shape = |outcome: Result<Option<Error>, Error>| match outcome {
            Ok(None) => "None".to_string(),
            Ok(Some(error)) => format!("Some({error})"),
            Err(error) => format!("Err({error})"),
        };
        (
            shape(task.exception()),
            shape(task.as_task_ref().exception()),
        )
    };
    for (task, expected) in [
        (&finished, "None"),
        (&failed, "Some(failed)"),
        (&cancelled, "Err(cancelled)"),
    ] {
        assert_eq!(shapes(task), (expected.to_string(), expected.to_string()));
    }
    pending.cancel();
    lp.run_once().unwrap();
}

#[test]
fn cancel_on_a_done_task_returns_false() {
    let lp = EventLoop::with_virtual_clock();
    let finished = lp.create_task(async { Ok::<u32, Error>(1) });
    let failed = lp.create_task(async { Err::<u32, _>(Error::msg("failed")) });
    let cancelled = lp.create_task(async {
        sleep(secs(1)).await?;
        Ok::<u32, Error>(3)
    });
    lp.run_once().unwrap();
    assert!(cancelled.cancel());
    lp.run_once().unwrap();
    for task in [&finished, &failed, &cancelled] {
        assert!(task.done());
        assert!(!task.cancel(), "{task:?}");
        assert!(!task.cancel_with("late"), "{task:?}");
        assert!(!task.as_task_ref().cancel(), "{task:?}");
    }
    assert_eq!(
        finished.result().unwrap(),
        1,
        "a late cancel changes nothing"
    );
    assert_eq!(failed.exception().unwrap().unwrap().to_string(), "failed");
    assert!(matches!(cancelled.result(), Err(Error::Cancelled(None))));
}

// ---------------------------------------------------------------------------------------------
// Stalls and nested runs
// ---------------------------------------------------------------------------------------------

#[test]
fn run_until_complete_on_a_future_nobody_completes_is_stalled() {
    let lp = EventLoop::with_virtual_clock();
    let fut = lp.create_future::<u32>();
    let outcome = lp.run_until_complete(fut.clone());
    let Err(Error::Stalled(message)) = outcome else {
        panic!("expected Stalled, got {outcome:?}");
    };
    assert!(
        message.contains("run_until_complete(Future-1)"),
        "{message}"
    );
    assert!(
        !message.contains("  "),
        "one sentence, no runs of spaces: {message}"
    );
    // The loop was left as it was: complete the future and run again.
    fut.set_result(4).unwrap();
    assert_eq!(lp.run_until_complete(fut).unwrap(), 4);
}

#[test]
fn a_task_awaiting_a_future_nobody_completes_is_stalled_and_can_resume() {
    let lp = EventLoop::with_virtual_clock();
    let fut = lp.create_future::<u32>();
    let (body, polls) = counted({
        let fut = fut.clone();
        async move {
            sleep(secs(1)).await?;
            fut.await
        }
    });
    let task = lp.create_task(body);
    let outcome = lp.run_until_complete(task.clone());
    let Err(Error::Stalled(message)) = outcome else {
        panic!("expected Stalled, got {outcome:?}");
    };
    assert!(message.contains("Task-1"), "{message}");
    assert_eq!(lp.time(), secs(1), "the timer ran before the loop gave up");
    assert_eq!(polls.get(), 2);
    assert_eq!(names(&lp), ["Task-1"]);
    fut.set_result(5).unwrap();
    assert_eq!(lp.run_until_complete(task).unwrap(), 5);
    assert_eq!(polls.get(), 3);
}

#[test]
fn a_nested_run_until_complete_is_already_running_and_runs_nothing() {
    let lp = EventLoop::with_virtual_clock();
    let ran = Rc::new(Cell::new(false));
    let inner_ran = ran.clone();
    let outcome = lp.run_until_complete(async move {
        let lp = get_running_loop().unwrap();
        let nested = lp.run_until_complete(async move {
            inner_ran.set(true);
            Ok(())
        });
        assert!(matches!(nested, Err(Error::AlreadyRunning)), "{nested:?}");
        sleep(secs(1)).await?;
        Ok(names(&lp))
    });
    assert_eq!(
        outcome.unwrap(),
        ["Task-1"],
        "no task was created for the nested coroutine"
    );
    assert!(!ran.get(), "the nested coroutine never runs, as in asyncio");
}

#[test]
fn run_until_complete_refuses_a_future_or_task_of_another_loop() {
    // asyncio's ensure_future(future, loop=self): ValueError, before the loop runs at all.
    let lp = EventLoop::with_virtual_clock();
    let other = EventLoop::with_virtual_clock();
    let ran = Rc::new(Cell::new(false));
    let r = ran.clone();
    lp.call_soon(move |_| r.set(true));
    let foreign_future = other.create_future::<u32>();
    let foreign_task = other.create_task(async { Ok(5) });
    for outcome in [
        lp.run_until_complete(foreign_future.clone()),
        lp.run_until_complete(foreign_task.clone()),
    ] {
        let Err(Error::Runtime(message)) = &outcome else {
            panic!("{outcome:?}");
        };
        assert!(message.contains("different loop"), "{message}");
    }
    assert!(!ran.get(), "the loop did not run");
    // Neither loop was left stopping: each still runs to its own futures.
    assert_eq!(other.run_until_complete(foreign_task).unwrap(), 5);
    foreign_future.set_result(1).unwrap();
    assert_eq!(other.run_until_complete(foreign_future).unwrap(), 1);
    assert!(lp.run_until_complete(async { Ok(()) }).is_ok());
    assert!(ran.get());
}

#[test]
fn a_nested_run_with_is_already_running_and_reports_nothing() {
    let lp = EventLoop::with_virtual_clock();
    let other = EventLoop::with_virtual_clock();
    let reports = reports(&other);
    let ran = Rc::new(Cell::new(false));
    let inner_ran = ran.clone();
    let nested_loop = other.clone();
    let outcome = lp.run_until_complete(async move {
        Ok(steploop::run_with(&nested_loop, async move {
            inner_ran.set(true);
            Ok(())
        }))
    });
    let nested = outcome.unwrap();
    assert!(matches!(nested, Err(Error::AlreadyRunning)), "{nested:?}");
    assert!(!ran.get());
    assert!(messages(&reports).is_empty(), "{:?}", messages(&reports));
}

// ---------------------------------------------------------------------------------------------
// Wakers
// ---------------------------------------------------------------------------------------------

#[test]
fn waking_a_task_twice_during_its_step_schedules_it_once() {
    let lp = EventLoop::with_virtual_clock();
    lp.set_trace(true);
    let (body, polls) = counted(async {
        WakeTwiceThenReady { polled: false }.await;
        Ok::<_, Error>(())
    });
    lp.run_until_complete(body).unwrap();
    let trace = lp.take_trace();
    assert_eq!(polls.get(), 2);
    assert_eq!(scheduled(&trace, "Task-1.wakeup"), 1, "{trace}");
    assert_eq!(
        ticks(&trace),
        3,
        "step, wakeup, run_until_complete's callback"
    );
}

#[test]
fn waking_a_task_twice_from_another_thread_schedules_it_once() {
    let lp = EventLoop::with_virtual_clock();
    let shot = OneShot::new();
    let (body, polls) = counted({
        let shot = shot.clone();
        async move { Ok::<_, Error>(shot.await) }
    });
    let task = lp.create_task(body);
    lp.run_once().unwrap();
    assert_eq!(polls.get(), 1, "the task now waits on the foreign future");
    // Both wakes are queued before the loop runs again (the thread is joined first).
    let producer = shot.clone();
    thread::spawn(move || {
        producer.set(3);
        let waker = producer.wait_for_waker();
        waker.wake_by_ref();
        waker.wake();
    })
    .join()
    .unwrap();
    lp.set_trace(true);
    assert_eq!(lp.run_until_complete(task).unwrap(), 3);
    let trace = lp.take_trace();
    assert_eq!(polls.get(), 2);
    assert_eq!(scheduled(&trace, "Task-1.wakeup"), 1, "{trace}");
}

#[test]
fn a_wake_for_a_finished_task_is_ignored() {
    let lp = EventLoop::with_virtual_clock();
    let stolen = Rc::new(RefCell::new(None));
    let first = lp.create_task({
        let stolen = stolen.clone();
        async move {
            StealWaker(stolen).await;
            Ok::<_, Error>(())
        }
    });
    lp.run_until_complete(first).unwrap();
    let stale: Waker = stolen.borrow_mut().take().expect("Task-1 was polled");

    // Task-2 may take Task-1's place in the loop; a stale wake must not step it.
    let fut = lp.create_future::<u32>();
    let (body, polls) = counted({
        let fut = fut.clone();
        async move { fut.await }
    });
    let second = lp.create_task(body);
    assert_eq!(second.name(), "Task-2");
    lp.run_once().unwrap();
    assert_eq!(polls.get(), 1);

    stale.wake_by_ref(); // from this thread, the loop not running
    let from_thread = stale.clone();
    thread::spawn(move || from_thread.wake()).join().unwrap();
    let in_loop = stale.clone();
    lp.call_soon(move |_| in_loop.wake()); // from inside the running loop
    lp.set_trace(true);
    lp.run_once().unwrap();
    lp.run_once().unwrap_err(); // nothing left to run: Task-2 was not scheduled
    let trace = lp.take_trace();
    assert_eq!(polls.get(), 1, "{trace}");
    assert_eq!(scheduled(&trace, "Task-1.wakeup"), 0, "{trace}");
    assert_eq!(scheduled(&trace, "Task-2.wakeup"), 0, "{trace}");

    fut.set_result(8).unwrap();
    assert_eq!(lp.run_until_complete(second).unwrap(), 8);
    assert_eq!(polls.get(), 2);
}

// ---------------------------------------------------------------------------------------------
// Foreign futures woken from other threads
// ---------------------------------------------------------------------------------------------

#[test]
fn a_foreign_future_completed_by_a_thread_wakes_the_task_before_a_pending_virtual_deadline() {
    let lp = EventLoop::with_virtual_clock();
    let log = journal();
    let timer_log = log.clone();
    lp.call_later(secs(100), move |lp| {
        note(&timer_log, format!("100 s timer at {}", now()));
        lp.stop();
    });
    let shot = OneShot::new();
    let producer = {
        let shot = shot.clone();
        thread::spawn(move || {
            shot.wait_for_waker(); // the task has polled: it waits on us now
            thread::sleep(Duration::from_millis(20));
            shot.complete(7u32);
        })
    };
    let (body, polls) = counted({
        let (shot, log) = (shot.clone(), log.clone());
        async move {
            let value = shot.await;
            note(&log, format!("woken with {value} at {}", now()));
            Ok::<_, Error>(value)
        }
    });
    let outcome = lp.run_until_complete(body);
    producer.join().unwrap();
    assert_eq!(
        outcome.unwrap(),
        7,
        "not Stalled while outside work is in flight"
    );
    assert_eq!(polls.get(), 2);
    assert_eq!(lp.time(), Duration::ZERO, "the virtual clock did not jump");
    assert_eq!(lp.scheduled_timers(), 1, "the 100 s timer is still pending");
    lp.run_forever().unwrap();
    assert_eq!(
        entries(&log),
        ["woken with 7 at t=0.000", "100 s timer at t=100.000"]
    );
}

/// A foreign future over `std::sync::mpsc`: it sends its waker to the producer, which sends
/// the value back and wakes it.
struct Receive {
    values: mpsc::Receiver<u32>,
    wakers: mpsc::Sender<Waker>,
}

impl StdFuture for Receive {
    type Output = u32;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
        match self.values.try_recv() {
            Ok(value) => Poll::Ready(value),
            Err(TryRecvError::Empty) => {
                self.wakers.send(cx.waker().clone()).unwrap();
                Poll::Pending
            }
            Err(TryRecvError::Disconnected) => panic!("the producer hung up without a value"),
        }
    }
}

#[test]
fn a_task_awaiting_an_mpsc_channel_fed_by_a_thread_is_not_stalled() {
    // The real clock, with no timer at all: nothing in the loop could ever wake the task.
    let lp = EventLoop::new();
    let (value_tx, values) = mpsc::channel();
    let (wakers, waker_rx) = mpsc::channel::<Waker>();
    let producer = thread::spawn(move || {
        let waker = waker_rx.recv().unwrap();
        thread::sleep(Duration::from_millis(20));
        value_tx.send(5).unwrap();
        waker.wake();
    });
    let (body, polls) = counted(async move { Ok::<_, Error>(Receive { values, wakers }.await) });
    let outcome = lp.run_until_complete(body);
    producer.join().unwrap();
    assert_eq!(outcome.unwrap(), 5);
    assert_eq!(polls.get(), 2);
}

#[test]
fn a_timer_due_now_runs_while_a_task_waits_on_a_foreign_future() {
    let lp = EventLoop::with_virtual_clock();
    let shot = OneShot::new();
    // A watchdog completes the future after 10 s of real time if the loop is stuck, so that a
    // regression fails instead of hanging; when the loop works it is told to stand down at
    // once (a busy machine may keep the loop's thread waiting, but not for that long).
    let (stand_down, orders) = mpsc::channel::<()>();
    let watchdog = {
        let shot = shot.clone();
        thread::spawn(move || {
            if let Err(RecvTimeoutError::Timeout) = orders.recv_timeout(Duration::from_secs(10)) {
                shot.complete("watchdog");
            }
        })
    };
    let body = {
        let shot = shot.clone();
        async move {
            // Due at once (t=0): no jump of the virtual clock is needed to run it.
            let completer = shot.clone();
            get_running_loop()
                .unwrap()
                .call_later(Duration::ZERO, move |_| completer.complete("timer"));
            Ok::<_, Error>(shot.await)
        }
    };
    let outcome = lp.run_until_complete(body);
    let _ = stand_down.send(());
    watchdog.join().unwrap();
    assert_eq!(outcome.unwrap(), "timer");
    assert_eq!(lp.time(), Duration::ZERO);
}
