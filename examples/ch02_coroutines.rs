//! Chapter 2, "Coroutines by hand": the seed's generator `corotine()` twice over, first written
//! out by hand as a state machine that implements `std::future::Future`, then as an `async fn`
//! that the compiler turns into a state machine, both driven by the same tiny hand loop.
//!
//! It prints two coroutines interleaved by the loop, checks that the `async fn` version does
//! exactly the same, runs the seed's "版本一" (one coroutine awaiting the two in sequence), and
//! prints the sizes of the futures. Nothing here uses steploop: the chapter is about what a
//! resumable function *is*, before there is a real loop. Run it with
//! `cargo run --example ch02_coroutines`.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::hint::black_box;
use std::mem::size_of_val;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

/// The transcript that the coroutines and the loop write into, one line at a time.
///
/// It is shared (`Rc`) because the loop and every coroutine append to it, and it is a `RefCell`
/// because they take turns: only one of them runs at any moment, so no borrow is ever held while
/// another part wants to write.
pub type Log = Rc<RefCell<Vec<String>>>;

/// Appends one line to the transcript.
pub fn say(log: &Log, line: String) {
    log.borrow_mut().push(line);
}

// ANCHOR: state_machine
/// The seed's generator `corotine()`, as the state machine that a generator object really is.
///
/// Each variant is one place where the function can be stopped, holding exactly the local
/// variables it needs when it goes on from there.
pub enum Corotine {
    /// Created but never polled, like `s = corotine()` before the first `send(None)`: no line
    /// of the body has run yet. Left by the first `poll`.
    Start {
        name: &'static str,
        rounds: u32,
        log: Log,
    },
    /// Suspended (挂起) at the `yield` of round `i`, keeping the locals it needs when it is
    /// resumed (恢复执行). Entered by every `poll` that returns `Pending`.
    Yielded {
        name: &'static str,
        rounds: u32,
        log: Log,
        i: u32,
    },
    /// Returned `"over"`. Nothing is left to resume: polling again is a bug, as `send` on a
    /// finished generator raises `StopIteration`.
    Done,
}

impl Corotine {
    /// `corotine(name)`: creating the coroutine runs none of its body.
    pub fn new(name: &'static str, rounds: u32, log: Log) -> Corotine {
        Corotine::Start { name, rounds, log }
    }
}
// ANCHOR_END: state_machine

// ANCHOR: poll
impl Future for Corotine {
    type Output = &'static str;

    /// One `send(None)`: run from where the last call stopped to the next `yield` (`Pending`)
    /// or to the `return` (`Ready`).
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<&'static str> {
        // No field points into the enum itself, so the enum is `Unpin`, and we may move its
        // fields in and out. `Done` stands in while we work: a poll that panicked halfway
        // would leave a finished coroutine behind, not a half-updated one.
        let state = std::mem::replace(&mut *self, Corotine::Done);
        let (name, rounds, log, i) = match state {
            // First poll: start at the top of the `for` loop.
            Corotine::Start { name, rounds, log } => (name, rounds, log, 0),
            // Resumed: finish round `i` (the code after the `yield`), then go on with `i + 1`.
            Corotine::Yielded {
                name,
                rounds,
                log,
                i,
            } => {
                say(&log, format!("  {name}: i={i} after the yield"));
                (name, rounds, log, i + 1)
            }
            Corotine::Done => panic!("`Corotine` polled after it returned"),
        };
        if i < rounds {
            say(&log, format!("  {name}: i={i} before the yield"));
            *self = Corotine::Yielded {
                name,
                rounds,
                log,
                i,
            };
            // The rule of `Future`: whoever returns `Pending` sees to it that it will be polled
            // again. This coroutine waits for nothing, so it asks for that at once.
            cx.waker().wake_by_ref();
            Poll::Pending
        } else {
            say(&log, format!("  {name}: returns \"over\""));
            Poll::Ready("over")
        }
    }
}
// ANCHOR_END: poll

// ANCHOR: hand_loop
/// Any future the hand loop can drive: the seed's coroutines all end by returning a string.
pub type BoxedCoroutine = Pin<Box<dyn Future<Output = &'static str>>>;

/// A waker that does nothing when woken.
///
/// `poll` needs a `Context`, and a `Context` needs a `Waker`. A real loop's waker puts the woken
/// task back into the ready queue; this loop polls every coroutine in turn whether it was woken
/// or not, so its waker has nothing to do.
struct NoopWake;

impl Wake for NoopWake {
    fn wake(self: Arc<Self>) {}
}

/// A coroutine in the ready queue, with its name and how often it has been polled.
struct Entry {
    name: &'static str,
    coroutine: BoxedCoroutine,
    polls: u32,
}

/// Polls the coroutines round-robin until all of them have returned, and writes down which one
/// runs at each poll and what it gave back.
pub fn run_round_robin(log: &Log, coroutines: Vec<(&'static str, BoxedCoroutine)>) {
    let waker = Waker::from(Arc::new(NoopWake));
    let mut cx = Context::from_waker(&waker);
    let mut ready: VecDeque<Entry> = coroutines
        .into_iter()
        .map(|(name, coroutine)| Entry {
            name,
            coroutine,
            polls: 0,
        })
        .collect();
    say(log, format!("ready: [{}]", names(&ready)));
    let mut poll_number = 0;
    while let Some(mut entry) = ready.pop_front() {
        poll_number += 1;
        entry.polls += 1;
        say(log, format!("poll #{poll_number}  {}", entry.name));
        // `as_mut` lends the pinned future out for one call; it never leaves its box.
        match entry.coroutine.as_mut().poll(&mut cx) {
            Poll::Pending => {
                // Suspended: to the back of the queue, so that the others get their turn first.
                ready.push_back(entry);
                say(log, format!("  → Pending, ready: [{}]", names(&ready)));
            }
            Poll::Ready(value) => {
                // Finished: `entry` is dropped here, and the coroutine is never polled again.
                let polls = entry.polls;
                let rest = names(&ready);
                say(
                    log,
                    format!("  → Ready({value:?}) after {polls} polls, ready: [{rest}]"),
                );
            }
        }
    }
}
// ANCHOR_END: hand_loop

/// The names in the ready queue, front first.
fn names(ready: &VecDeque<Entry>) -> String {
    let names: Vec<&str> = ready.iter().map(|entry| entry.name).collect();
    names.join(", ")
}

/// Two hand-written coroutines, task1 with 2 rounds and task2 with 3, interleaved by the hand
/// loop. Returns the transcript.
pub fn interleaved_by_hand() -> Vec<String> {
    // ANCHOR: interleaved_by_hand
    let log = Log::default();
    let task1 = Corotine::new("task1", 2, log.clone());
    let task2 = Corotine::new("task2", 3, log.clone());
    run_round_robin(
        &log,
        vec![("task1", Box::pin(task1)), ("task2", Box::pin(task2))],
    );
    // ANCHOR_END: interleaved_by_hand
    log.take()
}

// ANCHOR: yield_now
/// A future that is `Pending` the first time it is polled and `Ready` the second time: the
/// smallest possible suspension point, like asyncio's `await asyncio.sleep(0)`.
pub struct YieldNow {
    yielded: bool,
}

pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            Poll::Ready(())
        } else {
            self.yielded = true;
            // Ask to be polled again: a loop that polls only woken tasks would forget us.
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}
// ANCHOR_END: yield_now

// ANCHOR: corotine
/// The seed's generator as an `async fn`: the body reads like the Python, and `.await` is where
/// it yields.
pub async fn corotine(name: &'static str, rounds: u32, log: Log) -> &'static str {
    for i in 0..rounds {
        say(&log, format!("  {name}: i={i} before the yield"));
        yield_now().await;
        say(&log, format!("  {name}: i={i} after the yield"));
    }
    say(&log, format!("  {name}: returns \"over\""));
    "over"
}
// ANCHOR_END: corotine

/// The same two coroutines as `interleaved_by_hand`, written as `async fn`s, in the same loop.
/// Returns the transcript.
pub fn interleaved_async() -> Vec<String> {
    // ANCHOR: interleaved_async
    let log = Log::default();
    let task1 = corotine("task1", 2, log.clone());
    let task2 = corotine("task2", 3, log.clone());
    run_round_robin(
        &log,
        vec![("task1", Box::pin(task1)), ("task2", Box::pin(task2))],
    );
    // ANCHOR_END: interleaved_async
    log.take()
}

// ANCHOR: one_after_another
/// The seed's "版本一": one coroutine that creates both and awaits them in turn.
pub async fn main_task(log: Log) -> &'static str {
    let s1 = corotine("task1", 2, log.clone());
    let s2 = corotine("task2", 3, log.clone());
    say(&log, "  main: created task1 and task2, awaits task1".into());
    let first = s1.await;
    say(&log, format!("  main: task1 gave {first:?}, awaits task2"));
    let second = s2.await;
    say(&log, format!("  main: task2 gave {second:?}"));
    "done"
}

/// Only `main` is put into the loop. Returns the transcript.
pub fn one_after_another() -> Vec<String> {
    let log = Log::default();
    run_round_robin(&log, vec![("main", Box::pin(main_task(log.clone())))]);
    log.take()
}
// ANCHOR_END: one_after_another

// ANCHOR: buffers
/// A 1 KiB buffer that is used up before the `.await`: nothing of it is needed afterwards.
pub async fn buffer_dropped_before_await() -> u32 {
    let sum = {
        let buffer = black_box([1u8; 1024]);
        buffer.iter().map(|&b| u32::from(b)).sum::<u32>()
    };
    yield_now().await;
    sum
}

/// The same buffer, read after the `.await`: the future has to carry it across.
pub async fn buffer_kept_across_await() -> u32 {
    let buffer = black_box([1u8; 1024]);
    yield_now().await;
    buffer.iter().map(|&b| u32::from(b)).sum::<u32>()
}
// ANCHOR_END: buffers

/// The size in bytes of each future, as this compiler laid it out. None of them is polled: a
/// future's size is fixed by its type, before it ever runs.
pub fn sizes() -> Vec<(&'static str, usize)> {
    // ANCHOR: sizes
    let log = Log::default();
    vec![
        (
            "Corotine, written by hand",
            size_of_val(&Corotine::new("task1", 2, log.clone())),
        ),
        (
            "corotine(), the async fn",
            size_of_val(&corotine("task1", 2, log.clone())),
        ),
        ("YieldNow", size_of_val(&yield_now())),
        (
            "main_task(), holding two corotine()s",
            size_of_val(&main_task(log)),
        ),
        (
            "buffer dropped before the .await",
            size_of_val(&buffer_dropped_before_await()),
        ),
        (
            "buffer kept across the .await",
            size_of_val(&buffer_kept_across_await()),
        ),
    ]
    // ANCHOR_END: sizes
}

pub fn main() {
    println!("1. Two hand-written state machines, interleaved by the hand loop\n");
    let by_hand = interleaved_by_hand();
    for line in &by_hand {
        println!("{line}");
    }

    println!("\n2. The same two coroutines as async fns, in the same loop\n");
    let same = interleaved_async() == by_hand;
    println!("the same transcript, line for line: {same}");

    println!("\n3. 版本一: only main is in the loop; it awaits task1, then task2\n");
    for line in one_after_another() {
        println!("{line}");
    }

    println!("\n4. Sizes of the futures (they depend on the compiler and the target)\n");
    for (what, bytes) in sizes() {
        println!("  {what:<40} {bytes:>5} bytes");
    }
}
