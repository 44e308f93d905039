//! The tick (asyncio's `_run_once`): drop cancelled timers, wait until something is ready —
//! for a timer, a socket, or another thread — move the timers that came due onto the ready
//! deque, then run what was ready when the tick began ([`EventLoop::run_ready`]: CPython's
//! "the only place where callbacks are actually *called*", each panic contained in one place,
//! [`EventLoop::call_guarded`], and, in debug mode, each entry timed there too). And what
//! `run_forever` does around it: mark the loop running on its thread, and clear that however
//! the run ends.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use crate::clock::Clock;
use crate::exception_handler::ExceptionContext;
use crate::handle::Handle;
use crate::inspect::{Queues, ScheduledTimer};
use crate::label::Label;
use crate::ready::Runnable;
use crate::remote::Message;
use crate::trace::Event;
use crate::{get_running_loop, Error, EventLoop};

impl EventLoop {
    /// Runs ticks until `stop()` is called, or only one tick, with the loop marked running on
    /// this thread throughout (`run_forever`, `run_once`).
    #[track_caller]
    pub(crate) fn run_ticks(&self, method: &'static str, until_stopped: bool) -> Result<(), Error> {
        let running = self.enter_running(method)?;
        if !until_stopped {
            return running.finish(self.run_tick());
        }
        let result = loop {
            if let Err(error) = self.run_tick() {
                break Err(error);
            }
            if self.inner.stopping.get() {
                break Ok(());
            }
        };
        running.finish(result)
    }

    /// The checks `run_forever` makes, made before anything is created or scheduled.
    ///
    /// # Panics
    /// If the loop is closed: a programmer's error, never a state to handle (see
    /// [`Error`](crate::Error#what-panics-and-what-returns-err)).
    #[track_caller]
    pub(crate) fn check_can_run(&self) -> Result<(), Error> {
        self.check_open("running");
        if self.is_running() || get_running_loop().is_some() {
            return Err(Error::AlreadyRunning);
        }
        Ok(())
    }

    /// Marks the loop running on this thread until the guard is dropped.
    #[track_caller]
    fn enter_running(&self, method: &'static str) -> Result<RunningGuard<'_>, Error> {
        self.check_open(method);
        crate::running::enter(self)?;
        self.inner.running.set(true);
        self.record(|| Event::Running(method));
        Ok(RunningGuard {
            event_loop: self,
            method,
            error: None,
        })
    }

    // ANCHOR: run_tick
    /// One tick (asyncio's `_run_once`): drop cancelled timers, wait until something is ready,
    /// move the timers that came due onto the ready deque, then run exactly the handles that are
    /// ready now.
    fn run_tick(&self) -> Result<(), Error> {
        let inner = &*self.inner;
        inner.timers.drop_cancelled();
        self.take_remote_messages();

        // Wait only when there is nothing to do. A tick with ready handles and no I/O to watch
        // makes no system call and reads no clock: that keeps a chain of callbacks cheap. With
        // I/O to watch, it looks (a poll with timeout 0), so that busy callbacks cannot keep
        // sockets waiting.
        if inner.sched.ready.is_empty() && !inner.stopping.get() {
            self.wait_for_work()?;
        } else if inner.reactor.is_waiting() {
            self.poll(Some(Duration::ZERO))?;
        }

        let due = inner.timers.move_due();

        // Handles scheduled from now on land behind this count and wait for the next tick.
        let ntodo = inner.sched.ready.len();
        let tick = inner.ticks.get() + 1;
        inner.ticks.set(tick);
        if inner.sched.tracer.is_on() {
            self.record_tick(tick, due);
            self.observe_tick();
        }
        self.run_ready(ntodo);
        Ok(())
    }
    // ANCHOR_END: run_tick

    // ANCHOR: wait_for_work
    /// Waits until a handle is ready or a timer is due, or reports a stall if nothing ever can
    /// be. The rule for I/O: a registered source with a reader or writer waiting (a callback
    /// from `add_reader`/`add_writer`, or a task awaiting a socket) may become ready at any
    /// time, so the loop waits in its poll, with the next timer's deadline as the timeout,
    /// instead of reporting a stall. A source registered with nobody waiting on it counts for
    /// nothing: no event of it could wake anyone. On a virtual clock, the loop first looks for
    /// I/O without waiting; if none came, virtual time jumps to the next deadline as usual (a
    /// timer wins against I/O that has not arrived yet), and with no timer it waits for I/O.
    /// The rule for other threads:
    /// - Work in flight in another thread (a task waiting on a foreign waker, an executor job
    ///   or a wrapped `ConcurrentFuture` whose result will come back) keeps the loop waiting
    ///   in its poll, and a virtual clock does not jump past a deadline meanwhile: the result
    ///   belongs to the present, not to some later time.
    /// - A live `LoopHandle` keeps `run_forever` (and `run_once`) waiting, since a thread
    ///   holding it may send a callback at any time: that is how a loop serves other threads.
    ///   It does not keep `run_until_complete` from reporting a stall: a future that only
    ///   another thread can complete is awaited through `wrap_future`, which is work in flight.
    fn wait_for_work(&self) -> Result<(), Error> {
        let inner = &*self.inner;
        loop {
            let next_deadline = inner.timers.next_deadline();
            let in_flight = inner.sched.tasks.has_foreign_waits() || !inner.bridges.is_empty();
            if in_flight {
                self.wait_for_remote(next_deadline)?;
            } else if inner.reactor.is_waiting() {
                self.wait_for_io(next_deadline)?;
            } else if let Some(when) = next_deadline {
                self.wait_until(when)?;
            } else if !inner.until_complete.get() && inner.remote.handles() > 0 {
                self.poll(None)?;
            } else if inner.remote.has_pending() {
                // The last handle was dropped after the tick took in the queue: what it sent
                // before it went (a `stop()`, say) is still to be taken, and may be work.
            } else {
                return Err(stalled());
            }
            self.take_remote_messages();
            let due = next_deadline.is_some_and(|when| when <= inner.timers.now());
            if due || !inner.sched.ready.is_empty() || inner.stopping.get() {
                return Ok(());
            }
        }
    }
    // ANCHOR_END: wait_for_work

    // ANCHOR: wait_for_io
    /// Waits for I/O, or for the next deadline: on a real clock one poll with the timer's
    /// timeout; on a virtual clock a look at the I/O, then a jump to the deadline if nothing
    /// came.
    fn wait_for_io(&self, next_deadline: Option<u64>) -> Result<(), Error> {
        let inner = &*self.inner;
        let now = inner.timers.now();
        match (inner.timers.clock(), next_deadline) {
            (_, Some(when)) if when <= now => self.poll(Some(Duration::ZERO)),
            (Clock::Real { .. }, Some(when)) => self.poll(Some(Duration::from_nanos(when - now))),
            (Clock::Virtual { .. }, Some(when)) => {
                self.poll(Some(Duration::ZERO))?;
                if inner.sched.ready.is_empty() && !inner.remote.has_pending() {
                    self.wait_until(when)?;
                }
                Ok(())
            }
            (_, None) => self.poll(None),
        }
    }
    // ANCHOR_END: wait_for_io

    /// The reactor's poll (the loop's `select`), which in debug mode logs how long each wait
    /// took.
    fn poll(&self, timeout: Option<Duration>) -> Result<(), Error> {
        let debug = self.inner.diagnostics.debug();
        self.inner.reactor.poll(timeout, debug)
    }

    /// Takes in what other threads sent since the last tick: wakeups, `call_soon_threadsafe`
    /// callbacks and completions of work sent to other threads.
    fn take_remote_messages(&self) {
        if self.inner.remote.has_pending() {
            self.receive_remote();
        }
    }

    /// Waits in the poll until another thread wakes the loop, or until the next deadline on a
    /// real clock. A virtual clock does not move while outside work is in flight.
    fn wait_for_remote(&self, next_deadline: Option<u64>) -> Result<(), Error> {
        self.inner.reactor.ensure_selector()?;
        if self.inner.remote.has_pending() {
            return Ok(());
        }
        let now = self.inner.timers.now();
        let timeout = match (self.inner.timers.clock(), next_deadline) {
            // A timer already due runs now, whatever the clock.
            (_, Some(when)) if when <= now => Some(Duration::ZERO),
            (Clock::Real { .. }, Some(when)) => Some(Duration::from_nanos(when - now)),
            // A virtual clock does not jump while outside work may still arrive.
            _ => None,
        };
        self.poll(timeout)
    }

    /// Takes in every message other threads have sent: wakeups schedule their task's step,
    /// callbacks and completions join the ready deque, in the order they were sent.
    fn receive_remote(&self) {
        let inner = &*self.inner;
        let mut inbox = inner.inbox.take();
        inner.remote.take_into(&mut inbox);
        for message in inbox.drain(..) {
            let runnable = match message {
                Message::Wake(key) => {
                    self.record(|| Event::Received(Label::new("wake")));
                    self.scheduler().schedule_step(key, true);
                    continue;
                }
                Message::Bridge(key) => Runnable::Bridge(key),
                Message::Call(call) => Runnable::Remote(call),
            };
            self.record(|| Event::Received(self.runnable_label(&runnable)));
            inner.sched.ready.push(|| runnable);
        }
        inner.inbox.set(inbox);
    }

    fn record_tick(&self, tick: u64, due: Vec<Label>) {
        let inner = &*self.inner;
        let ready = inner.sched.ready.labels(|r| self.runnable_label(r));
        let time = inner.timers.now();
        self.record(|| Event::Tick {
            tick,
            time,
            due,
            ready,
        });
    }

    // ANCHOR: wait_until
    /// Waits until loop time `when`: a virtual clock jumps there; a real clock blocks in
    /// `mio::Poll::poll` with that timeout (the loop's `select`).
    fn wait_until(&self, when: u64) -> Result<(), Error> {
        let clock = self.inner.timers.clock();
        let from = clock.now();
        if when > from {
            match clock {
                Clock::Virtual { .. } => clock.advance_to(when),
                Clock::Real { .. } => self.poll(Some(Duration::from_nanos(when - from)))?,
            }
        }
        // The clock is read again only for the trace.
        if self.is_tracing() {
            let until = clock.now();
            if until > from {
                self.record(|| Event::Wait {
                    from,
                    until,
                    deadline: when,
                });
            }
        }
        Ok(())
    }
    // ANCHOR_END: wait_until
}

fn stalled() -> Error {
    Error::Stalled(
        "nothing is ready and nothing can become ready: no timers are pending, no socket is \
         awaited, no work is in flight in other threads, and no LoopHandle is left through which a thread could send \
         some, yet stop() was never called; schedule work first, or call stop() from the last \
         callback (or through a LoopHandle)"
            .into(),
    )
}

/// Clears the running state however `run_forever` ends, including by an error.
struct RunningGuard<'a> {
    event_loop: &'a EventLoop,
    method: &'static str,
    error: Option<String>,
}

impl RunningGuard<'_> {
    /// Passes `result` through, noting an error for the trace.
    fn finish(mut self, result: Result<(), Error>) -> Result<(), Error> {
        if let Err(error) = &result {
            self.error = Some(error.to_string());
        }
        result
    }
}

impl Drop for RunningGuard<'_> {
    fn drop(&mut self) {
        let event_loop = self.event_loop;
        let inner = &event_loop.inner;
        inner.running.set(false);
        inner.stopping.set(false);
        crate::running::leave();
        let (method, error) = (self.method, self.error.take());
        event_loop.record(|| Event::Returned { method, error });
    }
}

impl EventLoop {
    // ANCHOR: run_ready
    /// Runs the first `ntodo` entries of the ready deque, those that were ready when the tick
    /// began: what they schedule waits for the next tick. In debug mode each entry is timed on
    /// the real clock, and one that held the loop for `slow_callback_duration` or longer is
    /// logged (asyncio's `_run_once` with `_debug` set).
    pub(crate) fn run_ready(&self, ntodo: usize) {
        let ready = &self.inner.sched.ready;
        if !self.inner.diagnostics.debug() {
            for _ in 0..ntodo {
                let Some(runnable) = ready.pop() else { break };
                self.run_runnable(runnable);
            }
            return;
        }
        // Debug mode: each entry timed, slow ones logged.
        for _ in 0..ntodo {
            let Some(runnable) = ready.pop() else { break };
            // Named before it runs: a task that finishes in this step leaves the loop's slab.
            let label = self.runnable_label(&runnable);
            let started = Instant::now();
            self.run_runnable(runnable);
            crate::debug::log_if_slow(&label, started.elapsed(), self.slow_callback_duration());
        }
    }
    // ANCHOR_END: run_ready

    /// Runs one entry of the ready deque.
    #[inline(always)]
    fn run_runnable(&self, runnable: Runnable) {
        match runnable {
            Runnable::Callback(handle) => {
                if handle.is_cancelled() {
                    self.record(|| Event::SkipCancelled(handle.label().clone()));
                    return;
                }
                let call = || handle.run(self);
                self.call_guarded(|| handle.label(), call, || Handle::describe(&*handle));
            }
            Runnable::Done(call) => {
                // The callback consumes its entry; a panic report needs the label afterwards.
                let label = call.label().clone();
                let run = || call.call();
                self.call_guarded(|| &label, run, || format!("<Handle {label}>"));
            }
            Runnable::Timer(key) => {
                // Taken out of its slot before it runs: it may schedule timers, or cancel its
                // own handle (which does nothing then, as for a timer that already ran).
                let timer = self.inner.timers.take(key);
                let label = timer.label();
                if timer.cancelled {
                    self.record(|| Event::SkipCancelled(label));
                    return;
                }
                let call = || timer.run(self);
                self.call_guarded(|| &label, call, || format!("<Handle {label}>"));
            }
            Runnable::Notify(target, index) => {
                // The callback consumes `target`; a panic report needs the label afterwards.
                let label = target.label();
                let call = || target.notify(index as usize);
                self.call_guarded(|| &label, call, || format!("<Handle {label}>"));
            }
            Runnable::Remote(call) => {
                let label = call.label();
                let run = || call.call(self);
                let handle = || format!("<Handle {label} (call_soon_threadsafe)>");
                self.call_guarded(|| &label, run, handle);
            }
            // A step contains its coroutine's panic itself: it becomes the task's exception.
            Runnable::Step { task, wakeup } => self.inner.sched.run_step(task, wakeup),
            // Copies an outcome into a future: no code of the user's runs.
            Runnable::Bridge(key) => self.run_bridge(key),
        }
    }

    /// Calls one callback, containing a panic so that one bad callback cannot stop the loop:
    /// the panic goes to the trace and the exception handler, with `handle` describing what
    /// ran (asyncio's `Handle._run`).
    #[inline(always)]
    fn call_guarded<'l>(
        &self,
        label: impl Fn() -> &'l Label,
        call: impl FnOnce(),
        handle: impl FnOnce() -> String,
    ) {
        // The label is asked for only when it is used (a trace, a panic): reading a handle's
        // is a call through its vtable.
        self.record(|| Event::Run(label().clone()));
        if let Err(payload) = catch_unwind(AssertUnwindSafe(call)) {
            self.report_panic(label(), payload, handle());
        }
    }

    /// Reports a panic in a callback to the trace and the exception handler.
    #[cold]
    fn report_panic(&self, label: &Label, payload: Box<dyn std::any::Any + Send>, handle: String) {
        let error = Error::from_panic(payload);
        self.record(|| Event::Panicked {
            label: label.clone(),
            message: match &error {
                Error::Panicked(message) => message.to_string(),
                other => other.to_string(),
            },
        });
        let context = ExceptionContext::new(format!("Exception in callback {label}"))
            .with_exception(error)
            .with_handle(handle);
        self.call_exception_handler(&context);
    }

    /// What an entry of the ready deque is called in traces and reports.
    pub(crate) fn runnable_label(&self, runnable: &Runnable) -> Label {
        match runnable {
            Runnable::Callback(handle) => handle.label().clone(),
            Runnable::Done(call) => call.label().clone(),
            Runnable::Timer(key) => self.inner.timers.label(*key),
            Runnable::Notify(target, _) => target.label(),
            Runnable::Step { task, wakeup } => Label::step(task.id, *wakeup),
            Runnable::Remote(call) => call.label(),
            Runnable::Bridge(key) => self.bridge_label(*key),
        }
    }
}

/// Looking at the queues between ticks ([`EventLoop::queues`], the tick observer).
impl EventLoop {
    /// Hands the queues to the tick observer, if there is one.
    pub(crate) fn observe_tick(&self) {
        // Taken out while it runs, so that a call back into the loop never finds it borrowed;
        // an observer set meanwhile replaces it.
        let Some(mut observer) = self.inner.diagnostics.take_tick_observer() else {
            return;
        };
        observer(&self.snapshot_queues());
        self.inner.diagnostics.restore_tick_observer(observer);
    }

    /// A snapshot of the loop's queues ([`EventLoop::queues`]).
    pub(crate) fn snapshot_queues(&self) -> Queues {
        let inner = &*self.inner;
        let ready = inner
            .sched
            .ready
            .labels(|runnable| self.runnable_label(runnable));
        let timers = inner
            .timers
            .entries()
            .into_iter()
            .map(|(when, seq, label, cancelled)| ScheduledTimer {
                when,
                seq,
                label,
                cancelled,
            })
            .collect();
        Queues {
            tick: inner.ticks.get(),
            time: inner.timers.now(),
            ready,
            timers,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::EventLoop;

    #[test]
    fn what_the_last_handle_sent_before_it_was_dropped_is_taken_not_reported_as_a_stall() {
        // The window this closes: a tick took in the queue and found it empty; then another
        // thread sent `stop()` and dropped the last handle, before the tick looked at how
        // many handles are left.
        let lp = EventLoop::new();
        let handle = lp.handle();
        std::thread::spawn(move || {
            handle.stop().unwrap();
            drop(handle);
        })
        .join()
        .unwrap();
        assert!(lp.wait_for_work().is_ok(), "the stop is taken in");
        assert_eq!(lp.inner.sched.ready.len(), 1, "the stop is ready to run");
    }
}
