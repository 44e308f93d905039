//! Chapter 2, exercise 3: seed 004's home-made loop, the way Rust lets it work. An operation
//! registers with the loop and returns `Pending`; the loop runs it once, stores its result in
//! a slot the operation's future shares, and wakes the coroutine, whose next poll returns
//! `Ready(result)`: the result goes in through the future, not through `poll`. Run it with
//! `cargo run --example ch02_seed_loop`.

#[allow(dead_code)]
#[path = "../ch02_coroutines.rs"]
mod ch02_coroutines;

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use ch02_coroutines::{say, Log};

// ANCHOR: solution
/// What an operation registers: the work, where its result goes, and whom to wake. The seed's
/// `schedule(task, *args, callback=wake_up)`.
struct Registered {
    work: Box<dyn FnOnce() -> u64>,
    slot: Rc<Cell<Option<u64>>>,
    waker: Waker,
}

/// The seed's `ready` list of operations.
#[derive(Clone, Default)]
pub struct Scheduler(Rc<RefCell<VecDeque<Registered>>>);

/// An operation's future: the seed's `Future(time.sleep)`, returned by its `sleep`.
pub struct Operation {
    work: Option<Box<dyn FnOnce() -> u64>>,
    slot: Rc<Cell<Option<u64>>>,
    scheduler: Scheduler,
}

impl Scheduler {
    /// Starts an operation: `wake = op.await` gets its result, as `wake = yield sleep(...)`
    /// does in the seed.
    pub fn operation(&self, work: impl FnOnce() -> u64 + 'static) -> Operation {
        Operation {
            work: Some(Box::new(work)),
            slot: Rc::default(),
            scheduler: self.clone(),
        }
    }
}

impl Future for Operation {
    type Output = u64;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u64> {
        if let Some(result) = self.slot.take() {
            return Poll::Ready(result);
        }
        // First poll: register, with the waker that will resume this coroutine.
        if let Some(work) = self.work.take() {
            let registered = Registered {
                work,
                slot: self.slot.clone(),
                waker: cx.waker().clone(),
            };
            self.scheduler.0.borrow_mut().push_back(registered);
        }
        Poll::Pending
    }
}

/// The seed's `wake_up(coro, result)`, split in two: the loop stores the result, then wakes.
struct ListWaker {
    index: usize,
    woken: Arc<Mutex<Vec<usize>>>,
}

impl Wake for ListWaker {
    fn wake(self: Arc<Self>) {
        self.woken.lock().unwrap().push(self.index);
    }
}

/// The seed's `loop_task`, without its two flaws: each operation is taken off the list when it
/// runs, so it runs once; and a coroutine is polled only when woken, so nothing spins.
pub fn run(log: &Log, scheduler: &Scheduler, coroutines: Vec<Pin<Box<dyn Future<Output = ()>>>>) {
    let woken = Arc::new(Mutex::new((0..coroutines.len()).collect::<Vec<_>>()));
    let mut coroutines: Vec<_> = coroutines.into_iter().map(Some).collect();
    loop {
        // Poll every coroutine that was woken, in the order they were woken.
        let ready: Vec<usize> = std::mem::take(&mut *woken.lock().unwrap());
        for index in ready {
            let Some(coroutine) = coroutines[index].as_mut() else {
                continue;
            };
            let waker = Waker::from(Arc::new(ListWaker {
                index,
                woken: woken.clone(),
            }));
            if coroutine
                .as_mut()
                .poll(&mut Context::from_waker(&waker))
                .is_ready()
            {
                coroutines[index] = None;
            }
        }
        // Then run what the coroutines registered, each once, and wake whoever waits for it.
        let registered: Vec<Registered> = scheduler.0.borrow_mut().drain(..).collect();
        if registered.is_empty() && woken.lock().unwrap().is_empty() {
            break;
        }
        for Registered { work, slot, waker } in registered {
            let result = work();
            say(log, format!("loop: an operation gave {result}"));
            slot.set(Some(result));
            waker.wake();
        }
    }
}

/// The seed's `coroutine`: three operations, and what each sent back.
pub async fn coroutine(name: &'static str, scheduler: Scheduler, log: Log) {
    for i in 1..=3u64 {
        say(&log, format!("  {name}: asks for {i}²"));
        let wake = scheduler.operation(move || i * i).await;
        say(&log, format!("  {name}: got {wake}"));
    }
}
// ANCHOR_END: solution

/// task1 and task2 on the loop. Returns the transcript.
pub fn two_coroutines() -> Vec<String> {
    let log = Log::default();
    let scheduler = Scheduler::default();
    run(
        &log,
        &scheduler,
        vec![
            Box::pin(coroutine("task1", scheduler.clone(), log.clone())),
            Box::pin(coroutine("task2", scheduler.clone(), log.clone())),
        ],
    );
    log.take()
}

fn main() {
    for line in two_coroutines() {
        println!("{line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_coroutine_gets_each_result_and_each_operation_runs_once() {
        let transcript = two_coroutines();
        for name in ["task1", "task2"] {
            let got: Vec<&String> = transcript
                .iter()
                .filter(|l| l.starts_with(&format!("  {name}: got")))
                .collect();
            assert_eq!(
                got,
                [
                    &format!("  {name}: got 1"),
                    &format!("  {name}: got 4"),
                    &format!("  {name}: got 9")
                ]
            );
        }
        let ran = transcript.iter().filter(|l| l.starts_with("loop:")).count();
        assert_eq!(ran, 6, "{transcript:#?}");
    }

    #[test]
    fn the_coroutines_take_turns() {
        let transcript = two_coroutines();
        let asks: Vec<&str> = transcript
            .iter()
            .filter(|l| l.contains("asks"))
            .map(|l| &l[2..7])
            .collect();
        assert_eq!(asks, ["task1", "task2", "task1", "task2", "task1", "task2"]);
    }
}
