//! `as_completed`: results in the order they complete (asyncio's `asyncio.as_completed`).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::rc::Rc;
use std::time::Duration;

use super::running_loop;
use crate::future::CallbackId;
use crate::label::Label;
use crate::run::Awaitable;
use crate::timers::TimerHandle;
use crate::{Error, EventLoop, Future};

/// Starts waiting for the awaitables, and hands out their results in the order they complete
/// (`for f in asyncio.as_completed(aws, timeout=...): result = await f`).
///
/// Call [`AsCompleted::next`] and await it, once per awaitable: each call gives the earliest
/// result not handed out yet, waiting for one if none is there. After the last one it gives
/// `None`.
///
/// # Errors
/// [`Error::Runtime`] if no loop is running. Each result is the awaitable's own `Result`; once
/// `timeout` has passed, every result not yet completed is `Err(Error::Timeout)` (as asyncio
/// raises `TimeoutError` from each remaining `await f`). Nothing is cancelled on timeout.
///
/// # Notes
/// - asyncio yields coroutines to await; here the object itself is awaited, one `next()` at a
///   time, which reads the same in a `while let` loop. As asyncio yields exactly one
///   coroutine per awaitable, `next()` has one turn per awaitable: a `next()` whose task was
///   cancelled has used its turn (the result it waited for stays for a later turn, if any).
/// - As in a set, a future (or task) given twice is handed out once.
/// - Dropping the `AsCompleted` (leaving the loop early) removes its callbacks and cancels its
///   timer, where asyncio leaves both in place until they fire: steploop's loop is not woken
///   later for nothing.
///
/// # Implementation notes
/// asyncio's design: an `as_completed._on_completion` done-callback on each awaitable puts it
/// into a queue (a `VecDeque`); `next()` takes from the queue, or, when it is empty, awaits a
/// `getter` future that the next completion sets (what `asyncio.Queue.get` does inside). A
/// `call_later` timer, `as_completed._on_timeout`, fills the queue with timeout markers.
/// Dropping the `AsCompleted` removes its callbacks and cancels its timer.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use steploop::{as_completed, sleep, Error, EventLoop};
///
/// async fn job(seconds: u64) -> Result<u64, Error> {
///     sleep(Duration::from_secs(seconds)).await?;
///     Ok(seconds)
/// }
///
/// let lp = EventLoop::with_virtual_clock();
/// let order = lp
///     .run_until_complete(async {
///         let mut results = as_completed([3, 1, 2].map(job), None)?;
///         let mut order = Vec::new();
///         while let Some(result) = results.next().await {
///             order.push(result?);
///         }
///         Ok(order)
///     })
///     .unwrap();
/// assert_eq!(order, [1, 2, 3]); // completion order
/// ```
pub fn as_completed<T, A>(
    awaitables: impl IntoIterator<Item = A>,
    timeout: Option<Duration>,
) -> Result<AsCompleted<T>, Error>
where
    T: Clone + 'static,
    A: Awaitable<T>,
{
    let event_loop = running_loop("as_completed")?;
    // asyncio's `set(fs)`: a future given twice is waited for, and handed out, once.
    let mut futures: Vec<Future<T>> = Vec::new();
    for awaitable in awaitables {
        let future = awaitable.into_future_on(&event_loop);
        if !futures.contains(&future) {
            futures.push(future);
        }
    }
    let total = futures.len();
    let queue = Rc::new(RefCell::new(Queue {
        todo: Vec::with_capacity(total),
        pending: total,
        done: VecDeque::with_capacity(total),
        getter: None,
        timeout_handle: None,
    }));
    for (index, future) in futures.into_iter().enumerate() {
        let weak = Rc::downgrade(&queue);
        let id = future.add_done_callback_labelled(
            Label::new("as_completed._on_completion"),
            move |future: &Future<T>| {
                if let Some(queue) = weak.upgrade() {
                    on_completion(&queue, index, future);
                }
            },
        );
        queue.borrow_mut().todo.push(Some((future, id)));
    }
    if total > 0 {
        if let Some(timeout) = timeout {
            let weak = Rc::downgrade(&queue);
            let timer = event_loop
                .with_label("as_completed._on_timeout")
                .call_later(timeout, move |_| {
                    if let Some(queue) = weak.upgrade() {
                        on_timeout(&queue);
                    }
                });
            queue.borrow_mut().timeout_handle = Some(timer);
        }
    }
    Ok(AsCompleted {
        queue,
        event_loop,
        remaining: total,
    })
}

/// The results of [`as_completed()`], handed out in completion order by [`next`](Self::next).
pub struct AsCompleted<T: 'static> {
    queue: Rc<RefCell<Queue<T>>>,
    event_loop: EventLoop,
    /// Turns left, one per awaitable: `next()` gives `None` once this is zero.
    remaining: usize,
}

/// What the done-callbacks and `next()` share (asyncio's `todo` set and `done` queue).
struct Queue<T> {
    /// Each awaitable not yet completed, by argument position, with its callback; `None` once
    /// it has completed or timed out.
    todo: Vec<Option<(Future<T>, CallbackId)>>,
    /// How many entries of `todo` are still `Some`.
    pending: usize,
    /// Completed awaitables in completion order; `None` marks one that timed out.
    done: VecDeque<Option<Future<T>>>,
    /// The future a waiting `next()` awaits; set by the next completion.
    getter: Option<Future<()>>,
    timeout_handle: Option<TimerHandle>,
}

// ANCHOR: on_completion
/// One awaitable is done: move it from `todo` to the `done` queue, and wake a waiting `next()`.
fn on_completion<T: 'static>(queue: &RefCell<Queue<T>>, index: usize, future: &Future<T>) {
    let mut queue = queue.borrow_mut();
    // Empty after a timeout, which removed the callbacks of everything still pending; this
    // completion was already scheduled then.
    if queue.todo.get_mut(index).and_then(Option::take).is_none() {
        return; // the timeout came first
    }
    queue.pending -= 1;
    queue.done.push_back(Some(future.clone()));
    if queue.pending == 0 {
        if let Some(timer) = &queue.timeout_handle {
            timer.cancel();
        }
    }
    wake_getter(&mut queue);
}

/// The timeout: every awaitable still pending gets a timeout marker in the queue.
fn on_timeout<T: 'static>(queue: &RefCell<Queue<T>>) {
    let mut queue = queue.borrow_mut();
    let todo = std::mem::take(&mut queue.todo);
    for (future, id) in todo.into_iter().flatten() {
        future.remove_done_callback(id);
        queue.done.push_back(None);
    }
    queue.pending = 0;
    wake_getter(&mut queue);
}
// ANCHOR_END: on_completion

fn wake_getter<T>(queue: &mut Queue<T>) {
    if let Some(getter) = queue.getter.take() {
        if !getter.done() {
            let _ = getter.set_result(());
        }
    }
}

impl<T: Clone + 'static> AsCompleted<T> {
    // ANCHOR: next
    /// The next result in completion order, waiting for it if needed; `None` once every
    /// awaitable's result has been handed out.
    ///
    /// # Errors
    /// Inside the `Some`: the awaitable's own error, or `Error::Timeout` after the timeout.
    /// `Some(Err(Error::Cancelled))` if the task awaiting `next()` is cancelled: that uses up
    /// the turn, but no result, which stays for the next turn.
    pub async fn next(&mut self) -> Option<Result<T, Error>> {
        if self.remaining == 0 {
            return None;
        }
        // One turn per awaitable, whatever happens to it: asyncio's `for _ in
        // range(len(todo)): yield _wait_for_one()`.
        self.remaining -= 1;
        loop {
            let getter = {
                let mut queue = self.queue.borrow_mut();
                if let Some(item) = queue.done.pop_front() {
                    return Some(match item {
                        Some(future) => future.result(),
                        None => Err(Error::Timeout),
                    });
                }
                let getter = Future::<()>::new(self.event_loop.scheduler(), Label::new("getter"));
                queue.getter = Some(getter.clone());
                getter
            };
            if let Err(cancelled) = getter.await {
                return Some(Err(cancelled));
            }
        }
    }
    // ANCHOR_END: next
}

impl<T: 'static> Drop for AsCompleted<T> {
    /// Stops listening: removes the callbacks of the awaitables still pending and cancels the
    /// timer. The awaitables themselves run on.
    fn drop(&mut self) {
        let mut queue = self.queue.borrow_mut();
        if let Some(timer) = queue.timeout_handle.take() {
            timer.cancel();
        }
        for (future, id) in std::mem::take(&mut queue.todo).into_iter().flatten() {
            future.remove_done_callback(id);
        }
    }
}

impl<T: 'static> fmt::Debug for AsCompleted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompleted")
            .field("remaining", &self.remaining)
            .finish()
    }
}
