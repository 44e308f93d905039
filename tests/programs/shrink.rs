//! Shrinking: every program one step simpler than a given one. The comparison keeps the first
//! that still shows the difference and starts again from it, until none does.

use super::program::{Catch, Op, Program};

/// Each program that deletes one op (with its body), puts an op's body in its place, or makes
/// one op plainer: a shorter delay, no catching, no message, one item fewer. Deletions come
/// first, outermost first, so that big steps are tried before small ones.
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
        let Some(body) = op.body() else { continue };
        if !fits(program, parent, op, body) {
            continue;
        }
        let mut smaller = program.clone();
        body_at(&mut smaller.main, parent).splice(*last..=*last, body.iter().cloned());
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

/// Whether `op`'s body can take `op`'s place in the body at `parent`: a coroutine's ops only in
/// a coroutine, and no `raise` in the plain code main runs before the loop. (Awaits and cancels
/// keep the generator's rules: the parent task is older than the child.)
fn fits(program: &Program, parent: &[usize], op: &Op, body: &[Op]) -> bool {
    let parent_is_coroutine = match parent {
        [] => program.level.main_is_coroutine(),
        _ => matches!(op_at(&program.main, parent), Op::CreateTask { .. }),
    };
    let body_is_coroutine = matches!(op, Op::CreateTask { .. });
    if body_is_coroutine && !parent_is_coroutine {
        return false;
    }
    let before_the_loop = parent.is_empty() && !program.level.main_is_coroutine();
    !(before_the_loop && body.iter().any(|o| matches!(o, Op::Raise { .. })))
}

/// The position of every op, as indices from main down through bodies, in pre-order.
fn collect_paths(ops: &[Op], prefix: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
    for (i, op) in ops.iter().enumerate() {
        prefix.push(i);
        out.push(prefix.clone());
        if let Some(body) = op.body() {
            collect_paths(body, prefix, out);
        }
        prefix.pop();
    }
}

/// The body reached by following `path` from `ops`.
fn body_at<'a>(ops: &'a mut Vec<Op>, path: &[usize]) -> &'a mut Vec<Op> {
    match path.split_first() {
        None => ops,
        Some((first, rest)) => body_at(
            ops[*first].body_mut().expect("a path goes through bodies"),
            rest,
        ),
    }
}

/// The op at `path`.
fn op_at<'a>(ops: &'a [Op], path: &[usize]) -> &'a Op {
    match path {
        [last] => &ops[*last],
        [first, rest @ ..] => op_at(
            ops[*first].body().expect("a path goes through bodies"),
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
