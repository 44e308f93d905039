//! Chapter 2, exercise 1: `Join2`, a future that drives two coroutines inside one, so that
//! `main` runs task1 and task2 interleaved although the loop knows only `main`. Run it with
//! `cargo run --example ch02_join2`.

#[allow(dead_code)]
#[path = "../ch02_coroutines.rs"]
mod ch02_coroutines;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use ch02_coroutines::{corotine, run_round_robin, say, BoxedCoroutine, Log};

// ANCHOR: solution
/// Polls two coroutines each time it is polled, never one that has finished, and is ready
/// with both results once both have returned.
pub struct Join2 {
    a: Option<BoxedCoroutine>,
    b: Option<BoxedCoroutine>,
    a_out: Option<&'static str>,
    b_out: Option<&'static str>,
}

impl Join2 {
    pub fn new(a: BoxedCoroutine, b: BoxedCoroutine) -> Join2 {
        Join2 {
            a: Some(a),
            b: Some(b),
            a_out: None,
            b_out: None,
        }
    }
}

/// Polls `coroutine` unless it has finished; a result drops it, so it is never polled again.
fn poll_unfinished(
    coroutine: &mut Option<BoxedCoroutine>,
    out: &mut Option<&'static str>,
    cx: &mut Context<'_>,
) {
    if let Some(running) = coroutine {
        if let Poll::Ready(value) = running.as_mut().poll(cx) {
            *out = Some(value);
            *coroutine = None;
        }
    }
}

impl Future for Join2 {
    type Output = (&'static str, &'static str);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // Every field is `Unpin` (the coroutines are boxed), so `Join2` is too.
        let this = &mut *self;
        poll_unfinished(&mut this.a, &mut this.a_out, cx);
        poll_unfinished(&mut this.b, &mut this.b_out, cx);
        match (this.a_out, this.b_out) {
            // A coroutine that returned `Pending` has asked its waker for another poll, and
            // that waker is ours: we need not ask again.
            (Some(a), Some(b)) => Poll::Ready((a, b)),
            _ => Poll::Pending,
        }
    }
}

/// The seed's `task_new`, with both coroutines awaited together.
pub async fn main_task_joined(log: Log) -> &'static str {
    let s1 = corotine("task1", 2, log.clone());
    let s2 = corotine("task2", 3, log.clone());
    say(&log, "  main: created task1 and task2, awaits both".into());
    let (first, second) = Join2::new(Box::pin(s1), Box::pin(s2)).await;
    say(
        &log,
        format!("  main: task1 gave {first:?}, task2 gave {second:?}"),
    );
    "done"
}
// ANCHOR_END: solution

/// Only `main` goes into the loop, as in the chapter's 版本二. Returns the transcript.
pub fn joined() -> Vec<String> {
    let log = Log::default();
    run_round_robin(
        &log,
        vec![("main", Box::pin(main_task_joined(log.clone())))],
    );
    log.take()
}

fn main() {
    for line in joined() {
        println!("{line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_coroutines_run_in_main_s_first_poll_and_main_is_polled_four_times() {
        let transcript = joined();
        let first_poll: Vec<&String> = transcript
            .iter()
            .skip_while(|line| !line.starts_with("poll #1"))
            .take_while(|line| !line.starts_with("  →"))
            .collect();
        assert!(first_poll.iter().any(|l| l.contains("task1: i=0 before")));
        assert!(first_poll.iter().any(|l| l.contains("task2: i=0 before")));
        // task1 needs 3 polls, task2 4, and each poll of main polls both: 4, not 6.
        assert_eq!(
            transcript.last().unwrap(),
            "  → Ready(\"done\") after 4 polls, ready: []"
        );
        let returns: Vec<&String> = transcript
            .iter()
            .filter(|l| l.contains("returns \"over\""))
            .collect();
        assert_eq!(returns.len(), 2);
    }

    #[test]
    fn a_finished_coroutine_is_not_polled_again() {
        // The hand-written Corotine panics when polled after it returned: running to the end
        // proves Join2 left task1 alone once it was done.
        let log = Log::default();
        let joined = Join2::new(
            Box::pin(ch02_coroutines::Corotine::new("task1", 1, log.clone())),
            Box::pin(ch02_coroutines::Corotine::new("task2", 3, log.clone())),
        );
        let main = async move { joined.await.0 };
        run_round_robin(&log, vec![("main", Box::pin(main))]);
        assert!(log
            .take()
            .last()
            .unwrap()
            .contains("Ready(\"over\") after 4 polls"));
    }
}
