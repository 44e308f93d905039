//! Chapter 2, exercise 2: a hand loop whose wakers have a job. It polls only the coroutines
//! that asked to be woken; with coroutines that keep the rule of `Future`, its transcripts are
//! the round-robin loop's, line for line; with a yield that forgets to wake, it finds the
//! coroutines stuck and says so. Run it with `cargo run --example ch02_wakers`.

#[allow(dead_code)]
#[path = "../ch02_coroutines.rs"]
mod ch02_coroutines;

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use ch02_coroutines::{say, BoxedCoroutine, Log};

// ANCHOR: solution
/// Coroutine `index` asked to be polled again: its number goes on the list the loop reads.
struct ListWaker {
    index: usize,
    woken: Arc<Mutex<Vec<usize>>>,
}

impl Wake for ListWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.lock().unwrap().push(self.index);
    }
}

struct Entry {
    name: &'static str,
    coroutine: BoxedCoroutine,
    waker: Waker,
    polls: u32,
}

/// Polls only woken coroutines until none is ready; returns the names of those that never
/// finished (stuck: they returned `Pending` and nobody woke them).
pub fn run_woken_only(
    log: &Log,
    coroutines: Vec<(&'static str, BoxedCoroutine)>,
) -> Vec<&'static str> {
    let woken = Arc::new(Mutex::new(Vec::new()));
    let mut entries: Vec<Option<Entry>> = coroutines
        .into_iter()
        .enumerate()
        .map(|(index, (name, coroutine))| {
            let waker = Waker::from(Arc::new(ListWaker {
                index,
                woken: woken.clone(),
            }));
            Some(Entry {
                name,
                coroutine,
                waker,
                polls: 0,
            })
        })
        .collect();
    // At the start every coroutine is ready: none has been polled yet.
    let mut ready: VecDeque<usize> = (0..entries.len()).collect();
    say(log, format!("ready: [{}]", names(&entries, &ready)));
    let mut poll_number = 0;
    while let Some(index) = ready.pop_front() {
        let entry = entries[index]
            .as_mut()
            .expect("a finished coroutine is never queued");
        poll_number += 1;
        entry.polls += 1;
        say(log, format!("poll #{poll_number}  {}", entry.name));
        let mut cx = Context::from_waker(&entry.waker);
        let outcome = entry.coroutine.as_mut().poll(&mut cx);
        // Whoever was woken during that poll goes to the back of the queue, once.
        for woken_index in woken.lock().unwrap().drain(..) {
            if !ready.contains(&woken_index) && entries[woken_index].is_some() {
                ready.push_back(woken_index);
            }
        }
        match outcome {
            Poll::Pending => say(
                log,
                format!("  → Pending, ready: [{}]", names(&entries, &ready)),
            ),
            Poll::Ready(value) => {
                let polls = entries[index].take().expect("polled above").polls;
                ready.retain(|&i| i != index);
                let rest = names(&entries, &ready);
                say(
                    log,
                    format!("  → Ready({value:?}) after {polls} polls, ready: [{rest}]"),
                );
            }
        }
    }
    let stuck: Vec<&'static str> = entries.iter().flatten().map(|entry| entry.name).collect();
    if !stuck.is_empty() {
        say(
            log,
            format!(
                "nothing is ready, and these never finished: [{}]",
                stuck.join(", ")
            ),
        );
    }
    stuck
}
// ANCHOR_END: solution

fn names(entries: &[Option<Entry>], ready: &VecDeque<usize>) -> String {
    let names: Vec<&str> = ready
        .iter()
        .filter_map(|&i| entries[i].as_ref().map(|entry| entry.name))
        .collect();
    names.join(", ")
}

// ANCHOR: forgetful
/// `YieldNow` without `cx.waker().wake_by_ref()`: `Pending` once, and nobody told.
pub struct ForgetfulYield {
    yielded: bool,
}

impl Future for ForgetfulYield {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            Poll::Ready(())
        } else {
            self.yielded = true;
            Poll::Pending // and no wake: this breaks the rule
        }
    }
}

/// The chapter's `corotine`, yielding with `ForgetfulYield`.
pub async fn forgetful_corotine(name: &'static str, rounds: u32, log: Log) -> &'static str {
    for i in 0..rounds {
        say(&log, format!("  {name}: i={i} before the yield"));
        ForgetfulYield { yielded: false }.await;
        say(&log, format!("  {name}: i={i} after the yield"));
    }
    say(&log, format!("  {name}: returns \"over\""));
    "over"
}
// ANCHOR_END: forgetful

/// task1 (2 rounds) and task2 (3 rounds), built by `make`, in the woken-only loop.
fn two(make: fn(&'static str, u32, Log) -> BoxedCoroutine) -> (Vec<String>, Vec<&'static str>) {
    let log = Log::default();
    let stuck = run_woken_only(
        &log,
        vec![
            ("task1", make("task1", 2, log.clone())),
            ("task2", make("task2", 3, log.clone())),
        ],
    );
    (log.take(), stuck)
}

fn by_hand(name: &'static str, rounds: u32, log: Log) -> BoxedCoroutine {
    Box::pin(ch02_coroutines::Corotine::new(name, rounds, log))
}

fn async_fn(name: &'static str, rounds: u32, log: Log) -> BoxedCoroutine {
    Box::pin(ch02_coroutines::corotine(name, rounds, log))
}

fn forgetful(name: &'static str, rounds: u32, log: Log) -> BoxedCoroutine {
    Box::pin(forgetful_corotine(name, rounds, log))
}

fn main() {
    let same = two(by_hand).0 == ch02_coroutines::interleaved_by_hand();
    println!("woken-only loop, hand-written: the round-robin transcript, line for line: {same}");
    let same = two(async_fn).0 == ch02_coroutines::interleaved_async();
    println!("woken-only loop, async fns: the round-robin transcript, line for line: {same}\n");
    println!("woken-only loop, async fns whose yield forgets to wake:\n");
    for line in two(forgetful).0 {
        println!("{line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coroutines_that_wake_give_the_round_robin_transcripts() {
        let (hand, stuck) = two(by_hand);
        assert_eq!(hand, ch02_coroutines::interleaved_by_hand());
        assert!(stuck.is_empty());
        let (asynchronous, stuck) = two(async_fn);
        assert_eq!(asynchronous, ch02_coroutines::interleaved_async());
        assert!(stuck.is_empty());
    }

    #[test]
    fn coroutines_that_forget_to_wake_are_polled_once_and_stuck() {
        let (transcript, stuck) = two(forgetful);
        assert_eq!(stuck, ["task1", "task2"]);
        let polls = transcript
            .iter()
            .filter(|l| l.starts_with("poll #"))
            .count();
        assert_eq!(polls, 2, "{transcript:#?}");
        assert!(!transcript.iter().any(|l| l.contains("after the yield")));
    }
}
