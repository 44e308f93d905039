//! Shrinking: every program one step simpler than a given one. The comparison keeps the first
//! that still shows the difference and starts again from it, until none does.

use super::program::{Catch, Entry, Id, Op, Program};

/// Each program that deletes one op (with its body or block), puts an op's body or block in its
/// place, or makes one op plainer: a shorter delay, no catching, no message, one item fewer.
/// Deletions come first, outermost first, so that big steps are tried before small ones.
pub fn candidates(program: &Program) -> Vec<Program> {
    let mut paths = Vec::new();
    collect_paths(&program.main, &mut Vec::new(), &mut paths);
    let mut out = Vec::new();
    for path in &paths {
        let mut smaller = program.clone();
        let (last, parent) = path.split_last().expect("a path is never empty");
        body_at(&mut smaller.main, parent).remove(*last);
        out.push(smaller);
    }
    for path in &paths {
        let (last, parent) = path.split_last().expect("a path is never empty");
        let op = op_at(&program.main, path);
        let Some(inner) = op.inner() else { continue };
        if !fits(program, parent, op, inner) {
            continue;
        }
        let mut inner = inner.clone();
        if let Op::TaskGroup { id, .. } = op {
            // Out of the group's block, its tasks are plain tasks.
            ungroup(&mut inner, *id);
        }
        let mut smaller = program.clone();
        body_at(&mut smaller.main, parent).splice(*last..=*last, inner);
        out.push(smaller);
    }
    for path in &paths {
        let (last, parent) = path.split_last().expect("a path is never empty");
        for plainer in plainer(op_at(&program.main, path)) {
            let mut smaller = program.clone();
            body_at(&mut smaller.main, parent)[*last] = plainer;
            out.push(smaller);
        }
    }
    out
}

/// Whether `op`'s body or block can take `op`'s place in the body at `parent`: a coroutine's
/// ops only in a coroutine, and no `raise` in the plain code main runs before the loop. (Awaits
/// and cancels keep the generator's rules: the parent task is older than the child.)
fn fits(program: &Program, parent: &[usize], op: &Op, inner: &[Op]) -> bool {
    let coroutine = |op: &Op| op.starts_task() || op.block().is_some();
    let parent_is_coroutine = match parent {
        [] => program.entry == Entry::RunUntilComplete,
        _ => coroutine(op_at(&program.main, parent)),
    };
    if coroutine(op) && !parent_is_coroutine {
        return false;
    }
    let before_the_loop = parent.is_empty() && program.entry == Entry::RunForever;
    !(before_the_loop && inner.iter().any(|o| matches!(o, Op::Raise { .. })))
}

/// The tasks of group `group` among `ops`, made plain tasks.
fn ungroup(ops: &mut [Op], group: Id) {
    for op in ops.iter_mut() {
        if let Op::CreateGroupTask { group: g, id, body } = op {
            if *g == group {
                let (id, body) = (*id, std::mem::take(body));
                *op = Op::CreateTask { id, body };
            }
        }
        if let Some(inner) = op.inner_mut() {
            ungroup(inner, group);
        }
    }
}

/// The position of every op, as indices from main down through bodies, in pre-order.
fn collect_paths(ops: &[Op], prefix: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
    for (i, op) in ops.iter().enumerate() {
        prefix.push(i);
        out.push(prefix.clone());
        if let Some(inner) = op.inner() {
            collect_paths(inner, prefix, out);
        }
        prefix.pop();
    }
}

/// The body (or block) reached by following `path` from `ops`.
fn body_at<'a>(ops: &'a mut Vec<Op>, path: &[usize]) -> &'a mut Vec<Op> {
    match path.split_first() {
        None => ops,
        Some((first, rest)) => body_at(
            ops[*first].inner_mut().expect("a path goes through bodies"),
            rest,
        ),
    }
}

/// The op at `path`.
fn op_at<'a>(ops: &'a [Op], path: &[usize]) -> &'a Op {
    match path {
        [last] => &ops[*last],
        [first, rest @ ..] => op_at(
            ops[*first].inner().expect("a path goes through bodies"),
            rest,
        ),
        [] => unreachable!("a path is never empty"),
    }
}

/// Plainer versions of one op, keeping its body.
fn plainer(op: &Op) -> Vec<Op> {
    let mut out = Vec::new();
    let mut with = |change: &dyn Fn(&mut Op)| {
        let mut o = op.clone();
        change(&mut o);
        if o != *op {
            out.push(o);
        }
    };
    match op {
        Op::CallLater { .. } => with(&|o| {
            if let Op::CallLater { delay, .. } = o {
                *delay = 0;
            }
        }),
        Op::CallAt { .. } => with(&|o| {
            if let Op::CallAt { when, .. } = o {
                *when = 0;
            }
        }),
        Op::Cancel { .. } => with(&|o| {
            if let Op::Cancel { msg, .. } = o {
                *msg = None;
            }
        }),
        Op::Sleep { .. } => {
            with(&|o| {
                if let Op::Sleep { delay, .. } = o {
                    *delay = 0;
                }
            });
            with(&|o| {
                if let Op::Sleep { catch, .. } = o {
                    *catch = Catch::Nothing;
                }
            });
        }
        Op::Await { .. } => with(&|o| {
            if let Op::Await { catch, .. } = o {
                *catch = Catch::Nothing;
            }
        }),
        Op::WaitFor { .. } => {
            with(&|o| {
                if let Op::WaitFor { catch, .. } = o {
                    *catch = Catch::Nothing;
                }
            });
        }
        Op::Wait { items, .. } => {
            with(&|o| {
                if let Op::Wait { catch, .. } = o {
                    *catch = Catch::Nothing;
                }
            });
            with(&|o| {
                if let Op::Wait { timeout, .. } = o {
                    *timeout = None;
                }
            });
            for i in 0..items.len() {
                with(&|o| {
                    if let Op::Wait { items, .. } = o {
                        if items.len() > 1 {
                            items.remove(i);
                        }
                    }
                });
            }
        }
        Op::AsCompleted { items, .. } => {
            with(&|o| {
                if let Op::AsCompleted { catch, .. } = o {
                    *catch = Catch::Nothing;
                }
            });
            with(&|o| {
                if let Op::AsCompleted { timeout, .. } = o {
                    *timeout = None;
                }
            });
            for i in 0..items.len() {
                with(&|o| {
                    if let Op::AsCompleted { items, .. } = o {
                        if items.len() > 1 {
                            items.remove(i);
                        }
                    }
                });
            }
        }
        Op::CreateGroupTask { .. } => with(&|o| {
            if let Op::CreateGroupTask { id, body, .. } = o {
                let (id, body) = (*id, std::mem::take(body));
                *o = Op::CreateTask { id, body };
            }
        }),
        Op::Timeout { .. } => {
            with(&|o| {
                if let Op::Timeout { catch, .. } = o {
                    *catch = Catch::Nothing;
                }
            });
            with(&|o| {
                if let Op::Timeout { delay, .. } = o {
                    *delay = delay.map(|_| 0);
                }
            });
        }
        Op::TimeoutAt { .. } => {
            with(&|o| {
                if let Op::TimeoutAt { catch, .. } = o {
                    *catch = Catch::Nothing;
                }
            });
            with(&|o| {
                if let Op::TimeoutAt { when, .. } = o {
                    *when = 0;
                }
            });
        }
        Op::TaskGroup { .. } => with(&|o| {
            if let Op::TaskGroup { catch, .. } = o {
                *catch = Catch::Nothing;
            }
        }),
        Op::Gather { items, .. } => {
            with(&|o| {
                if let Op::Gather {
                    return_exceptions, ..
                } = o
                {
                    *return_exceptions = false;
                }
            });
            for i in 0..items.len() {
                with(&|o| {
                    if let Op::Gather { items, .. } = o {
                        items.remove(i);
                    }
                });
            }
        }
        _ => {}
    }
    out
}
