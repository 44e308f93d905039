//! Chapter 7: `timeout`, `timeout_at` and `Timeout` (Python 3.11's `asyncio.timeout`): each
//! test is one of CPython's `test_timeouts.py` cases, named after it, with Python's
//! `time.sleep` (the loop kept busy) played by `EventLoop::advance_time`.
//!
//! # Determinism
//! Every loop runs on a virtual clock on the test's own thread: deadlines are exact, times are
//! compared with `==`, and no test depends on the machine's speed.

use std::cell::Cell;
use std::future::Future as StdFuture;
use std::rc::Rc;
use std::time::Duration;

use steploop::{
    current_task, get_running_loop, sleep, timeout, timeout_at, Error, EventLoop, Timeout,
};

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn millis(ms: u64) -> Duration {
    Duration::from_millis(ms)
}

fn now() -> Duration {
    get_running_loop().expect("inside the loop").time()
}

/// Runs `main` on a fresh loop with a virtual clock, and returns what it returned.
fn run<T: Clone + 'static>(main: impl StdFuture<Output = Result<T, Error>> + 'static) -> T {
    EventLoop::with_virtual_clock()
        .run_until_complete(main)
        .expect("the test's main coroutine fails only through its assertions")
}

fn is_timeout<T: std::fmt::Debug>(outcome: &Result<T, Error>) -> bool {
    matches!(outcome, Err(Error::Timeout))
}

fn runtime_message<T: std::fmt::Debug>(outcome: Result<T, Error>) -> String {
    match outcome {
        Err(Error::Runtime(message)) => message.to_string(),
        other => panic!("expected Error::Runtime, got {other:?}"),
    }
}

#[test]
fn test_timeout_basic() {
    run(async {
        let cm = Timeout::after(millis(10));
        let outcome = cm.scope(sleep(secs(10))).await;
        assert!(is_timeout(&outcome), "{outcome:?}");
        assert!(cm.expired());
        assert_eq!(now(), millis(10));
        Ok(())
    });
}

#[test]
fn test_timeout_at_basic() {
    run(async {
        let deadline = now() + millis(10);
        let cm = Timeout::at(deadline);
        let outcome = cm.scope(sleep(secs(10))).await;
        assert!(is_timeout(&outcome), "{outcome:?}");
        assert!(cm.expired());
        assert_eq!(cm.when(), Some(deadline));
        // And the short form.
        let deadline = now() + millis(10);
        assert!(is_timeout(&timeout_at(deadline, sleep(secs(10))).await));
        Ok(())
    });
}

#[test]
fn test_nested_timeouts() {
    // Only the outermost timeout turns the cancellation into a timeout: the inner one sees
    // that the task is also cancelled by someone else, and lets the cancellation through.
    run(async {
        let deadline = now() + millis(10);
        let (cm1, cm2) = (Timeout::at(deadline), Timeout::at(deadline));
        let cancelled = Cell::new(false);
        let outcome = cm1
            .scope(async {
                let inner = cm2.scope(sleep(secs(10))).await;
                if matches!(&inner, Err(e) if e.is_cancelled()) {
                    cancelled.set(true);
                }
                inner
            })
            .await;
        assert!(is_timeout(&outcome), "{outcome:?}");
        assert!(cancelled.get());
        assert!(cm1.expired() && cm2.expired());
        Ok(())
    });
}

#[test]
fn test_waiter_cancelled() {
    run(async {
        let cancelled = Cell::new(false);
        let outcome = timeout(millis(10), async {
            let slept = sleep(secs(10)).await;
            cancelled.set(matches!(&slept, Err(e) if e.is_cancelled()));
            slept
        })
        .await;
        assert!(is_timeout(&outcome));
        assert!(cancelled.get());
        Ok(())
    });
}

#[test]
fn test_timeout_not_called() {
    let lp = EventLoop::with_virtual_clock();
    lp.set_trace(true);
    lp.run_until_complete(async {
        let cm = Timeout::after(secs(10));
        cm.scope(sleep(millis(10))).await?;
        let t1 = now();
        assert!(!cm.expired());
        assert!(cm.when().unwrap() > t1);
        Ok(())
    })
    .unwrap();
    let trace = lp.take_trace().to_string();
    assert!(
        trace.contains("cancel timer Timeout._on_timeout (was due at t=10.000)"),
        "its timer is cancelled at the block's end\n{trace}"
    );
}

#[test]
fn test_timeout_disabled() {
    run(async {
        let cm = Timeout::never();
        cm.scope(sleep(millis(10))).await?;
        assert!(!cm.expired());
        assert_eq!(cm.when(), None);
        Ok(())
    });
}

#[test]
fn test_timeout_zero() {
    run(async {
        let t0 = now();
        let cm = Timeout::after(Duration::ZERO);
        assert!(is_timeout(&cm.scope(sleep(secs(10))).await));
        assert!(cm.expired());
        assert_eq!(cm.when(), Some(t0));
        assert_eq!(now(), t0, "expired on the next tick, without waiting");
        Ok(())
    });
}

#[test]
fn test_timeout_zero_sleep_zero() {
    // The handler runs on the next tick, before the step that sleep(0) scheduled: that step
    // throws the cancellation in.
    run(async {
        let cm = Timeout::after(Duration::ZERO);
        assert!(is_timeout(&cm.scope(sleep(Duration::ZERO)).await));
        assert!(cm.expired());
        Ok(())
    });
}

#[test]
fn test_timeout_in_the_past_sleep_zero() {
    run(async {
        sleep(secs(11)).await?;
        let cm = Timeout::at(secs(0));
        assert!(is_timeout(&cm.scope(sleep(Duration::ZERO)).await));
        assert!(cm.expired());
        Ok(())
    });
}

#[test]
fn test_foreign_exception_passed() {
    run(async {
        let cm = Timeout::after(millis(10));
        let outcome: Result<(), _> = cm.scope(async { Err(Error::msg("KeyError")) }).await;
        assert_eq!(outcome.unwrap_err().to_string(), "KeyError");
        assert!(!cm.expired());
        Ok(())
    });
}

#[test]
fn test_foreign_exception_on_timeout() {
    // The block turns the cancellation into another error: that error passes.
    async fn crash() -> Result<(), Error> {
        let _ = sleep(secs(1)).await;
        Err(Error::msg("division by zero"))
    }
    run(async {
        let outcome = timeout(millis(10), crash()).await;
        assert_eq!(outcome.unwrap_err().to_string(), "division by zero");
        Ok(())
    });
}

#[test]
fn test_foreign_cancel_doesnt_timeout_if_not_expired() {
    let lp = EventLoop::with_virtual_clock();
    let cm = Timeout::after(secs(10));
    let task = lp.create_task({
        let cm = cm.clone();
        async move {
            cm.scope(async {
                current_task().unwrap().cancel();
                sleep(secs(10)).await
            })
            .await
        }
    });
    let outcome = lp.run_until_complete(task);
    assert!(
        matches!(outcome, Err(Error::Cancelled(None))),
        "{outcome:?}"
    );
    assert!(!cm.expired());
}

#[test]
fn test_outer_task_is_not_cancelled() {
    let lp = EventLoop::with_virtual_clock();
    let task = lp.create_task(async {
        let outcome = timeout(millis(1), sleep(secs(10))).await;
        assert!(is_timeout(&outcome));
        Ok(())
    });
    lp.run_until_complete(task.clone()).unwrap();
    assert!(task.done() && !task.cancelled());
    assert_eq!(task.cancelling(), 0);
}

#[test]
fn test_nested_timeouts_concurrent() {
    // The loop is kept busy past the outer deadline: the outer timeout fires, and the inner
    // one, not expired, lets the cancellation through.
    run(async {
        let inner_saw = Rc::new(Cell::new(false));
        let seen = inner_saw.clone();
        let outcome = timeout(millis(2), async move {
            let inner = timeout(millis(100), async {
                get_running_loop().unwrap().advance_time(millis(10))?; // crunch numbers
                sleep(secs(1)).await
            })
            .await;
            seen.set(matches!(&inner, Err(e) if e.is_cancelled()));
            inner
        })
        .await;
        assert!(is_timeout(&outcome), "{outcome:?}");
        assert!(inner_saw.get());
        Ok(())
    });
}

#[test]
fn test_nested_timeouts_loop_busy() {
    // Both deadlines pass while the loop is busy: both handlers fire in the same tick, and,
    // as in 3.11, the outer timeout is the one that reports it.
    run(async {
        let t0 = now();
        let (outer, inner) = (Timeout::after(millis(100)), Timeout::after(millis(10)));
        let outcome = outer
            .scope(async {
                let first = inner
                    .scope(async {
                        get_running_loop().unwrap().advance_time(millis(100))?;
                        sleep(secs(1)).await
                    })
                    .await;
                assert!(matches!(&first, Err(e) if e.is_cancelled()), "{first:?}");
                first?;
                sleep(secs(10)).await
            })
            .await;
        assert!(is_timeout(&outcome), "{outcome:?}");
        assert!(inner.expired() && outer.expired());
        assert_eq!(now(), t0 + millis(100));
        Ok(())
    });
}

#[test]
fn test_reschedule() {
    let lp = EventLoop::with_virtual_clock();
    let deadline1 = secs(10);
    let deadline2 = deadline1 + secs(20);
    let cm = Timeout::at(deadline1);
    let task = lp.create_task({
        let cm = cm.clone();
        async move { cm.scope(sleep(secs(50))).await }
    });
    lp.run_once().unwrap(); // entered
    assert_eq!(cm.when(), Some(deadline1));
    cm.reschedule(Some(deadline2)).unwrap();
    assert_eq!(cm.when(), Some(deadline2));
    cm.reschedule(None).unwrap();
    assert_eq!(cm.when(), None);
    task.cancel();
    assert!(matches!(
        lp.run_until_complete(task),
        Err(Error::Cancelled(None))
    ));
    assert!(!cm.expired());
    assert_eq!(lp.time(), Duration::ZERO);
}

#[test]
fn reschedule_moves_the_deadline_from_inside_the_block() {
    // The Python documentation's example: `async with asyncio.timeout(None) as cm:`, and the
    // deadline set once it is known.
    run(async {
        let cm = Timeout::never();
        let outcome = cm
            .scope(async {
                cm.reschedule(Some(now() + secs(10)))?;
                sleep(secs(5)).await?;
                cm.reschedule(Some(now() + secs(1)))?; // less time left than we thought
                sleep(secs(5)).await
            })
            .await;
        assert!(is_timeout(&outcome));
        assert!(cm.expired());
        assert_eq!(now(), secs(6));
        Ok(())
    });
}

#[test]
fn test_repr_active_expired_finished_disabled() {
    run(async {
        let cm = Timeout::after(secs(10));
        assert_eq!(format!("{cm:?}"), "<Timeout [created]>");
        cm.scope(async {
            assert_eq!(format!("{cm:?}"), "<Timeout [active] when=10.000>");
            sleep(Duration::ZERO).await
        })
        .await?;
        assert_eq!(format!("{cm:?}"), "<Timeout [finished]>");
        let cm = Timeout::after(millis(10));
        let _ = cm.scope(sleep(secs(10))).await;
        assert_eq!(format!("{cm:?}"), "<Timeout [expired]>");
        let cm = Timeout::never();
        cm.scope(async {
            assert_eq!(format!("{cm:?}"), "<Timeout [active] when=None>");
            Ok(())
        })
        .await
    });
}

#[test]
fn test_nested_timeout_in_finally() {
    run(async {
        let outcome = timeout(millis(10), async {
            let slept = sleep(secs(1)).await;
            // Clean-up after the cancellation, under a timeout of its own.
            let cleanup = timeout(millis(10), sleep(secs(10))).await;
            assert!(is_timeout(&cleanup), "{cleanup:?}");
            slept
        })
        .await;
        assert!(is_timeout(&outcome), "{outcome:?}");
        assert_eq!(now(), millis(20));
        Ok(())
    });
}

#[test]
fn test_timeout_after_cancellation() {
    // The task was cancelled and caught it, without uncancel(): its count stays at 1, and a
    // timeout entered afterwards still recognises its own cancellation.
    run(async {
        current_task().unwrap().cancel();
        assert!(sleep(secs(1)).await.unwrap_err().is_cancelled());
        let cleanup = timeout(Duration::ZERO, sleep(secs(1))).await;
        assert!(is_timeout(&cleanup), "{cleanup:?}");
        Ok(())
    });
}

#[test]
fn test_cancel_in_timeout_after_cancellation() {
    run(async {
        current_task().unwrap().cancel();
        assert!(sleep(secs(1)).await.unwrap_err().is_cancelled());
        let cleanup = timeout(secs(1), async {
            current_task().unwrap().cancel();
            sleep(secs(2)).await
        })
        .await;
        assert!(
            matches!(cleanup, Err(Error::Cancelled(None))),
            "{cleanup:?}"
        );
        Ok(())
    });
}

#[test]
fn test_timeout_already_entered_and_double_enter() {
    run(async {
        let cm = Timeout::after(millis(10));
        let again = cm
            .scope(async { Ok(runtime_message(cm.scope(async { Ok(()) }).await)) })
            .await?;
        assert!(again.contains("has already been entered"), "{again}");
        let again = runtime_message(cm.scope(async { Ok(()) }).await);
        assert!(again.contains("has already been entered"), "{again}");
        Ok(())
    });
}

#[test]
fn test_timeout_finished_expired_expiring_not_entered() {
    run(async {
        let cm = Timeout::after(millis(10));
        cm.scope(async { Ok(()) }).await?;
        assert!(runtime_message(cm.reschedule(Some(millis(20)))).contains("finished"));

        let cm = Timeout::after(millis(10));
        let _ = cm.scope(sleep(secs(1))).await;
        assert!(runtime_message(cm.reschedule(Some(millis(20)))).contains("expired"));

        let cm = Timeout::after(millis(10));
        cm.scope(async {
            assert!(sleep(secs(1)).await.unwrap_err().is_cancelled());
            let refused = runtime_message(cm.reschedule(Some(millis(20))));
            assert!(refused.contains("expiring"), "{refused}");
            Ok(())
        })
        .await?;

        let cm = Timeout::after(millis(10));
        let refused = runtime_message(cm.reschedule(Some(millis(20))));
        assert!(refused.contains("has not been entered"), "{refused}");
        Ok(())
    });
}

#[test]
fn test_timeout_without_task() {
    // Entered from a plain callback, with the loop running but no task to cancel.
    let lp = EventLoop::with_virtual_clock();
    let cm = Timeout::after(millis(10));
    let outcome = Rc::new(std::cell::RefCell::new(None));
    lp.call_soon({
        let (cm, outcome) = (cm.clone(), outcome.clone());
        move |lp| {
            let scope = cm.scope(async { Ok(()) });
            *outcome.borrow_mut() = Some(poll_once(scope));
            lp.stop();
        }
    });
    lp.run_forever().unwrap();
    let message = runtime_message(outcome.borrow_mut().take().unwrap());
    assert!(message.contains("inside a task"), "{message}");
    let refused = runtime_message(cm.reschedule(Some(millis(20))));
    assert!(refused.contains("has not been entered"), "{refused}");
}

#[test]
fn a_timeout_needs_a_running_loop() {
    let outcome = poll_once(timeout(secs(1), async { Ok(()) }));
    assert!(runtime_message(outcome).contains("needs a running event loop"));
}

/// Polls a future once with a waker that does nothing, and expects it to be ready.
fn poll_once<F: StdFuture>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match future.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(output) => output,
        std::task::Poll::Pending => panic!("pending"),
    }
}
