//! Chapter 7: `task_group` and `TaskGroup` (Python 3.11's `asyncio.TaskGroup`): each test is
//! one of CPython's `test_taskgroups.py` cases, named after it, with `1 / 0` played by an
//! error "division by zero" and Python's `ExceptionGroup` by `Error::Group`.
//!
//! # Determinism
//! Every loop runs on a virtual clock on the test's own thread: deadlines are exact, so the
//! races that CPython's comments warn about ("can be racy when the host is busy") cannot
//! happen here, times are compared with `==`, and no test depends on the machine's speed.

use std::cell::{Cell, RefCell};
use std::future::Future as StdFuture;
use std::rc::Rc;
use std::time::Duration;

use steploop::{
    current_task, get_running_loop, sleep, task_group, Error, EventLoop, ExceptionContext, Task,
    TaskGroup,
};

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn millis(ms: u64) -> Duration {
    Duration::from_millis(ms)
}

fn lp() -> EventLoop {
    get_running_loop().expect("inside the loop")
}

/// Runs `main` on a fresh loop with a virtual clock and returns its outcome.
fn run<T: Clone + 'static>(
    main: impl StdFuture<Output = Result<T, Error>> + 'static,
) -> Result<T, Error> {
    EventLoop::with_virtual_clock().run_until_complete(main)
}

fn zero_division() -> Error {
    Error::msg("division by zero")
}

/// The messages of a group's errors, nested groups shown as `[...]`: Python's
/// `get_error_types`, with messages for types.
fn members(error: &Error) -> Vec<String> {
    let errors = error
        .exceptions()
        .unwrap_or_else(|| panic!("not a group: {error:?}"));
    errors
        .iter()
        .map(|e| match e.exceptions() {
            Some(_) => format!("[{}]", members(e).join(", ")),
            None => e.to_string(),
        })
        .collect()
}

/// The distinct messages of a group's errors, sorted: Python's set of types.
fn kinds(error: &Error) -> Vec<String> {
    let mut kinds = members(error);
    kinds.sort();
    kinds.dedup();
    kinds
}

async fn foo(seconds: Duration, value: u32) -> Result<u32, Error> {
    sleep(seconds).await?;
    Ok(value)
}

async fn crash_after(seconds: Duration) -> Result<u32, Error> {
    sleep(seconds).await?;
    Err(zero_division())
}

/// Sleeps, and when cancelled, fails with "division by zero" instead (Python's `finally: 1/0`).
async fn fails_when_cancelled(seconds: Duration) -> Result<u32, Error> {
    let _ = sleep(seconds).await;
    Err(zero_division())
}

#[test]
fn test_taskgroup_01() {
    let (t1, t2) = run(task_group(|g| async move {
        Ok((
            g.create_task(foo(millis(100), 42))?,
            g.create_task(foo(millis(200), 11))?,
        ))
    }))
    .unwrap();
    assert_eq!((t1.result().unwrap(), t2.result().unwrap()), (42, 11));
}

#[test]
fn test_taskgroup_02() {
    let (t1, t2) = run(task_group(|g| async move {
        let t1 = g.create_task(foo(millis(100), 42))?;
        sleep(millis(150)).await?;
        let t2 = g.create_task(foo(millis(200), 11))?;
        Ok((t1, t2))
    }))
    .unwrap();
    assert_eq!((t1.result().unwrap(), t2.result().unwrap()), (42, 11));
}

#[test]
fn test_taskgroup_03() {
    // Cancelling one task of the group explicitly is no failure.
    let (t1, t2) = run(task_group(|g| async move {
        let t1 = g.create_task(foo(secs(1), 42))?;
        sleep(millis(150)).await?;
        t1.cancel();
        let t2 = g.create_task(foo(millis(200), 11))?;
        Ok((t1, t2))
    }))
    .unwrap();
    assert!(t1.cancelled());
    assert_eq!(t2.result().unwrap(), 11);
}

#[test]
fn test_taskgroup_04() {
    let num = Rc::new(Cell::new(0));
    let t2_cancel = Rc::new(Cell::new(false));
    let t2_slot: Rc<RefCell<Option<Task<u32>>>> = Rc::default();
    let outcome = run({
        let (num, t2_cancel, t2_slot) = (num.clone(), t2_cancel.clone(), t2_slot.clone());
        async move {
            let runner = lp().create_task(async move {
                task_group(|g| async move {
                    g.create_task(crash_after(millis(100)))?;
                    let t2 = g.create_task(async move {
                        if let Err(e) = sleep(secs(1)).await {
                            t2_cancel.set(true);
                            return Err(e);
                        }
                        num.set(num.get() + 1);
                        Ok(0)
                    })?;
                    *t2_slot.borrow_mut() = Some(t2);
                    Ok(())
                })
                .await?;
                Ok(())
            });
            runner.await
        }
    });
    let error = outcome.unwrap_err();
    assert_eq!(kinds(&error), ["division by zero"]);
    assert_eq!(num.get(), 0);
    assert!(t2_cancel.get());
    assert!(t2_slot.borrow().as_ref().unwrap().cancelled());
}

#[test]
fn test_cancel_children_on_child_error() {
    // One child fails: the others, and the block, are cancelled, and every failure is
    // reported. On a virtual clock the three crashes come in the same tick: all three are in
    // the group.
    let t2_cancel = Rc::new(Cell::new(false));
    let runner_cancel = Rc::new(Cell::new(false));
    let outcome = run({
        let (t2_cancel, runner_cancel) = (t2_cancel.clone(), runner_cancel.clone());
        async move {
            task_group(|g| async move {
                for _ in 0..3 {
                    g.create_task(crash_after(millis(100)))?;
                }
                g.create_task(async move {
                    let slept = sleep(secs(5)).await;
                    t2_cancel.set(slept.is_err());
                    slept.map(|()| 1)
                })?;
                let slept = sleep(secs(10)).await;
                runner_cancel.set(matches!(&slept, Err(e) if e.is_cancelled()));
                slept
            })
            .await
        }
    });
    let error = outcome.unwrap_err();
    assert_eq!(
        members(&error),
        ["division by zero", "division by zero", "division by zero"]
    );
    assert!(t2_cancel.get() && runner_cancel.get());
}

#[test]
fn test_cancellation() {
    // Cancelling the parent cancels every task of the group, and the parent ends cancelled.
    let cancelled = Rc::new(Cell::new(0));
    let outcome = run({
        let cancelled = cancelled.clone();
        async move {
            let r = lp().create_task(task_group(move |g| async move {
                for _ in 0..5 {
                    let cancelled = cancelled.clone();
                    g.create_task(async move {
                        let slept = sleep(secs(5)).await;
                        if slept.is_err() {
                            cancelled.set(cancelled.get() + 1);
                        }
                        slept
                    })?;
                }
                Ok(())
            }));
            sleep(millis(100)).await?;
            assert!(!r.done());
            r.cancel();
            Ok(r.await)
        }
    })
    .unwrap();
    assert!(
        matches!(outcome, Err(Error::Cancelled(None))),
        "{outcome:?}"
    );
    assert_eq!(cancelled.get(), 5);
}

#[test]
fn test_taskgroup_07() {
    let num = Rc::new(Cell::new(0));
    let outcome = run({
        let num = num.clone();
        async move {
            let r = lp().create_task(task_group(move |g| async move {
                for _ in 0..5 {
                    let num = num.clone();
                    g.create_task(async move {
                        let slept = sleep(secs(5)).await;
                        if slept.is_err() {
                            num.set(num.get() + 1);
                        }
                        slept
                    })?;
                }
                let slept = sleep(secs(10)).await;
                if slept.is_err() {
                    num.set(num.get() + 10);
                }
                slept
            }));
            sleep(millis(100)).await?;
            r.cancel();
            Ok(r.await)
        }
    })
    .unwrap();
    assert!(
        matches!(outcome, Err(Error::Cancelled(None))),
        "{outcome:?}"
    );
    assert_eq!(num.get(), 15);
}

#[test]
fn test_taskgroup_08() {
    // Tasks that fail while being cancelled: their errors, not the cancellation, come out.
    let outcome = run(async {
        let r = lp().create_task(task_group(|g| async move {
            for _ in 0..5 {
                g.create_task(fails_when_cancelled(secs(10)))?;
            }
            sleep(secs(10)).await
        }));
        sleep(millis(100)).await?;
        r.cancel();
        Ok(r.await)
    })
    .unwrap();
    assert_eq!(kinds(&outcome.unwrap_err()), ["division by zero"]);
}

#[test]
fn test_taskgroup_09_and_10() {
    // The block fails, after an await or at once: the tasks are cancelled, and the block's
    // error is reported in the group.
    for wait_first in [true, false] {
        let slots: Rc<RefCell<Vec<Task<u32>>>> = Rc::default();
        let outcome = run({
            let slots = slots.clone();
            task_group(move |g| async move {
                slots.borrow_mut().push(g.create_task(foo(secs(1), 42))?);
                slots.borrow_mut().push(g.create_task(foo(secs(2), 11))?);
                if wait_first {
                    sleep(millis(100)).await?;
                }
                Err::<(), _>(zero_division())
            })
        });
        assert_eq!(kinds(&outcome.unwrap_err()), ["division by zero"]);
        assert!(slots.borrow().iter().all(Task::cancelled));
    }
}

#[test]
fn test_taskgroup_11() {
    // A group nested in a group: the inner group's errors come out as a group inside the
    // outer group.
    let outcome = run(async {
        let r = lp().create_task(task_group(|_| async {
            task_group(|g2| async move {
                for _ in 0..5 {
                    g2.create_task(fails_when_cancelled(secs(10)))?;
                }
                sleep(secs(10)).await
            })
            .await
        }));
        sleep(millis(100)).await?;
        r.cancel();
        Ok(r.await)
    })
    .unwrap();
    let error = outcome.unwrap_err();
    let five = ["division by zero"; 5].join(", ");
    assert_eq!(members(&error), [format!("[{five}]")], "{error}");
}

#[test]
fn test_taskgroup_12() {
    let outcome = run(async {
        let r = lp().create_task(task_group(|g1| async move {
            g1.create_task(sleep(secs(10)))?;
            task_group(|g2| async move {
                for _ in 0..5 {
                    g2.create_task(fails_when_cancelled(secs(10)))?;
                }
                sleep(secs(10)).await
            })
            .await
        }));
        sleep(millis(100)).await?;
        r.cancel();
        Ok(r.await)
    })
    .unwrap();
    let five = ["division by zero"; 5].join(", ");
    assert_eq!(members(&outcome.unwrap_err()), [format!("[{five}]")]);
}

#[test]
fn test_taskgroup_13_and_14() {
    // The outer group's task fails first: the inner group is cancelled with its block, and
    // only the outer error is reported (13). The inner group's task fails first: its group
    // comes out inside the outer one (14).
    for (outer_after, inner_after, expected) in [
        (millis(100), secs(10), "division by zero"),
        (secs(10), millis(100), "[division by zero]"),
    ] {
        let outcome = run(task_group(move |g1| async move {
            g1.create_task(crash_after(outer_after))?;
            task_group(move |g2| async move {
                g2.create_task(crash_after(inner_after))?;
                Ok(())
            })
            .await
        }));
        assert_eq!(kinds(&outcome.unwrap_err()), [expected]);
    }
}

#[test]
fn test_taskgroup_15_and_16() {
    // The parent is cancelled, and cleans up for half a second; meanwhile a task of the group
    // fails: the failure wins over the cancellation. Run directly (15), or in a task that
    // another task awaits (16).
    async fn nested_runner() -> Result<(), Error> {
        task_group(|g1| async move {
            g1.create_task(crash_after(millis(300)))?;
            if let Err(cancelled) = sleep(secs(10)).await {
                sleep(millis(500)).await?;
                return Err(cancelled);
            }
            Ok(())
        })
        .await
    }
    for through_a_task in [false, true] {
        let outcome = run(async move {
            let r = if through_a_task {
                lp().create_task(async { lp().create_task(nested_runner()).await })
            } else {
                lp().create_task(nested_runner())
            };
            sleep(millis(100)).await?;
            assert!(!r.done());
            r.cancel();
            Ok(r.await)
        })
        .unwrap();
        assert_eq!(kinds(&outcome.unwrap_err()), ["division by zero"]);
    }
}

#[test]
fn test_taskgroup_17_and_18() {
    // An empty group whose block is cancelled: the cancellation goes on (17); the block turns
    // it into another error: that error, in a group (18).
    for raise_other in [false, true] {
        let num = Rc::new(Cell::new(0));
        let outcome = run({
            let num = num.clone();
            async move {
                let r = lp().create_task(task_group(move |_| async move {
                    let slept = sleep(secs(10)).await;
                    if slept.is_err() {
                        num.set(num.get() + 10);
                        if raise_other {
                            return Err(Error::msg("MyExc"));
                        }
                    }
                    slept
                }));
                sleep(millis(100)).await?;
                r.cancel();
                Ok(r.await)
            }
        })
        .unwrap();
        assert_eq!(num.get(), 10);
        match raise_other {
            false => assert!(
                matches!(outcome, Err(Error::Cancelled(None))),
                "{outcome:?}"
            ),
            true => assert_eq!(kinds(&outcome.unwrap_err()), ["MyExc"]),
        }
    }
}

#[test]
fn test_taskgroup_19() {
    // A task fails, and the block, cancelled by the group, fails with another error: both.
    let outcome = run(task_group(|g| async move {
        g.create_task(crash_after(millis(100)))?;
        let _ = sleep(secs(10)).await;
        Err::<(), _>(Error::msg("MyExc"))
    }));
    assert_eq!(
        members(&outcome.unwrap_err()),
        ["division by zero", "MyExc"]
    );
}

#[test]
fn test_taskgroup_22() {
    let outcome = run(async {
        let r = lp().create_task(task_group(|g| async move {
            g.create_task(foo(secs(1), 42))?;
            g.create_task(foo(secs(2), 11))?;
            Ok(())
        }));
        sleep(millis(50)).await?;
        r.cancel();
        Ok(r.await)
    })
    .unwrap();
    assert!(
        matches!(outcome, Err(Error::Cancelled(None))),
        "{outcome:?}"
    );
}

#[test]
fn test_taskgroup_23() {
    // Tasks leave the group as they finish.
    run(task_group(|g| async move {
        for count in 0..10 {
            sleep(millis(100)).await?;
            g.create_task(sleep(millis(300)))?;
            if count == 5 {
                assert!(g.len() < 5, "{g:?}");
            }
        }
        sleep(millis(1350)).await?;
        assert!(g.is_empty());
        Ok(())
    }))
    .unwrap();
}

#[test]
fn test_taskgroup_24() {
    // A task of the group adds tasks to it.
    run(task_group(|g| async move {
        let tg = g.clone();
        g.create_task(async move {
            sleep(millis(100)).await?;
            tg.create_task(sleep(millis(100)))?;
            tg.create_task(sleep(millis(200)))?;
            Ok(())
        })?;
        Ok(())
    }))
    .unwrap();
}

#[test]
fn test_taskgroup_25() {
    // Hydras double until Hercules fails: the group stops them all.
    fn hydra(
        g: TaskGroup,
        heads: Rc<Cell<u32>>,
    ) -> std::pin::Pin<Box<dyn StdFuture<Output = Result<(), Error>>>> {
        Box::pin(async move {
            heads.set(heads.get() + 1);
            sleep(millis(10)).await?;
            g.create_task(hydra(g.clone(), heads.clone()))?;
            g.create_task(hydra(g.clone(), heads.clone()))?;
            Ok(())
        })
    }
    let heads = Rc::new(Cell::new(0));
    let outcome = run({
        let heads = heads.clone();
        task_group(move |g| async move {
            g.create_task(hydra(g.clone(), heads.clone()))?;
            g.create_task(async move {
                while heads.get() < 10 {
                    sleep(millis(15)).await?;
                }
                Err::<(), _>(zero_division())
            })?;
            Ok(())
        })
    });
    let error = outcome.unwrap_err();
    assert_eq!(kinds(&error), ["division by zero"], "{error}");
    assert!(heads.get() >= 10);
}

#[test]
fn test_taskgroup_no_create_task_after_failure() {
    let refused = Rc::new(RefCell::new(String::new()));
    let outcome = run({
        let refused = refused.clone();
        task_group(move |g| async move {
            g.create_task(crash_after(millis(1)))?;
            let tg = g.clone();
            g.create_task(async move {
                if sleep(secs(1)).await.is_err() {
                    let late = tg.create_task(crash_after(millis(1)));
                    *refused.borrow_mut() = late.unwrap_err().to_string();
                }
                Ok(0)
            })?;
            Ok(())
        })
    });
    assert_eq!(kinds(&outcome.unwrap_err()), ["division by zero"]);
    assert!(refused.borrow().contains("shutting down"), "{refused:?}");
}

#[test]
fn test_taskgroup_context_manager_exit_raises() {
    // python/cpython#95289: the block fails with its own error while the group cancels it;
    // both errors come out, and the parent's cancellation count is back to zero.
    let outcome = run(async {
        let task = current_task().unwrap();
        let outcome = task_group(|tg| async move {
            tg.create_task(async { Err::<(), _>(Error::msg("CustomException")) })?;
            let _ = sleep(secs(1)).await;
            Err::<(), _>(Error::msg("CustomException"))
        })
        .await;
        assert_eq!(task.cancelling(), 0);
        Ok(outcome)
    })
    .unwrap();
    assert_eq!(
        members(&outcome.unwrap_err()),
        ["CustomException", "CustomException"]
    );
}

#[test]
fn test_taskgroup_finished() {
    let kept: Rc<RefCell<Option<TaskGroup>>> = Rc::default();
    run({
        let kept = kept.clone();
        task_group(move |g| async move {
            *kept.borrow_mut() = Some(g);
            Ok(())
        })
    })
    .unwrap();
    let g = kept.borrow_mut().take().unwrap();
    let refused = g.create_task(async { Ok(()) }).unwrap_err();
    assert!(refused.to_string().contains("is finished"), "{refused}");
}

#[test]
fn test_taskgroup_without_parent_task() {
    let lp = EventLoop::with_virtual_clock();
    let outcome = Rc::new(RefCell::new(None));
    lp.call_soon({
        let outcome = outcome.clone();
        move |lp| {
            *outcome.borrow_mut() = Some(poll_once(task_group(|_| async { Ok(()) })));
            lp.stop();
        }
    });
    lp.run_forever().unwrap();
    let error = outcome.borrow_mut().take().unwrap().unwrap_err();
    assert!(error.to_string().contains("parent task"), "{error}");
}

#[test]
fn the_parent_is_not_left_cancelled_after_a_failure_is_caught() {
    // The example in asyncio's `_on_task_done`: the group cancels its parent to stop the
    // block, and withdraws that request at exit, so the code after the group runs normally.
    let after = run(async {
        let caught = task_group(|g| async move {
            g.create_task(crash_after(millis(100)))?;
            sleep(secs(10)).await // needs to be cancelled by the group
        })
        .await;
        assert!(caught.unwrap_err().exceptions().is_some());
        assert_eq!(current_task().unwrap().cancelling(), 0);
        sleep(secs(1)).await?; // runs: the parent is not cancelled
        Ok(lp().time())
    })
    .unwrap();
    assert_eq!(after, millis(1100));
}

#[test]
fn a_group_dropped_halfway_cancels_its_tasks_and_a_late_failure_is_reported() {
    // A parent that polls a group once and gives up on it (as a select of two futures
    // would): the group's tasks are cancelled; one that fails instead can report to nobody
    // but the exception handler, since its parent is done.
    let lp = EventLoop::with_virtual_clock();
    let reports: Rc<RefCell<Vec<String>>> = Rc::default();
    lp.set_exception_handler({
        let reports = reports.clone();
        move |_, context: &ExceptionContext| reports.borrow_mut().push(context.message.clone())
    });
    let parent = lp.create_task(async {
        let mut group = Box::pin(task_group(|g| async move {
            g.create_task(fails_when_cancelled(secs(10)))?;
            sleep(secs(1)).await
        }));
        std::future::poll_fn(|cx| {
            let _ = group.as_mut().poll(cx);
            std::task::Poll::Ready(())
        })
        .await;
        sleep(Duration::ZERO).await?; // the group's task starts
        drop(group);
        Ok(())
    });
    lp.run_until_complete(parent).unwrap();
    lp.run_until_complete(sleep(Duration::ZERO)).unwrap();
    assert_eq!(
        lp.time(),
        Duration::ZERO,
        "the task was cancelled, not waited for"
    );
    let reports = reports.borrow();
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert!(
        reports[0].contains("has errored out but its parent task Task-1 is already completed"),
        "{reports:?}"
    );
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
