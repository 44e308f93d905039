//! Shrinking: from a program that shows a difference, the smallest one found that still does.
//!
//! Greedy, as property-testing libraries shrink: try each smaller variant in turn (a body
//! removed, an operation removed, a number made smaller), keep the first that still fails,
//! and start again, until no variant fails.

use super::program::{Op, Program};

/// The smallest variant of `program` for which `fails` still holds.
pub fn shrink(program: &Program, fails: impl Fn(&Program) -> bool) -> Program {
    let mut best = program.clone();
    // Each accepted step makes the program strictly smaller, so this ends; the bound only
    // keeps a pathological case from taking long.
    for _ in 0..500 {
        match smaller(&best)
            .into_iter()
            .find(|candidate| fails(candidate))
        {
            Some(candidate) => best = candidate,
            None => break,
        }
    }
    best
}

/// How many operations a program has, for the report.
pub fn size(program: &Program) -> usize {
    program.main.len() + program.bodies.iter().map(|b| b.ops.len()).sum::<usize>()
}

/// Every variant one step smaller than `program`, the biggest cuts first.
fn smaller(program: &Program) -> Vec<Program> {
    let mut out = Vec::new();
    for body in (0..program.bodies.len()).rev() {
        out.push(without_body(program, body));
    }
    let lists = program.bodies.len() + 1;
    for list in 0..lists {
        let len = ops(program, list).len();
        for i in 0..len {
            let mut candidate = program.clone();
            ops_mut(&mut candidate, list).remove(i);
            out.push(candidate);
        }
    }
    for list in 0..lists {
        let len = ops(program, list).len();
        for i in 0..len {
            for simpler in simpler_ops(&ops(program, list)[i]) {
                let mut candidate = program.clone();
                ops_mut(&mut candidate, list)[i] = simpler;
                out.push(candidate);
            }
        }
    }
    if program.futures > 0 && !uses_future(program, program.futures - 1) {
        let mut candidate = program.clone();
        candidate.futures -= 1;
        out.push(candidate);
    }
    out
}

/// List 0 is `main`, list `i + 1` is body `i`.
fn ops(program: &Program, list: usize) -> &Vec<Op> {
    match list {
        0 => &program.main,
        _ => &program.bodies[list - 1].ops,
    }
}

fn ops_mut(program: &mut Program, list: usize) -> &mut Vec<Op> {
    match list {
        0 => &mut program.main,
        _ => &mut program.bodies[list - 1].ops,
    }
}

/// `program` without body `removed`: operations that refer to it go too, later bodies move
/// down by one.
fn without_body(program: &Program, removed: usize) -> Program {
    let mut candidate = program.clone();
    candidate.bodies.remove(removed);
    let fix = |ops: &mut Vec<Op>| {
        ops.retain(|op| op.target() != Some(removed));
        for op in ops.iter_mut() {
            if let Some(target) = op.target_mut() {
                if *target > removed {
                    *target -= 1;
                }
            }
        }
    };
    fix(&mut candidate.main);
    for body in &mut candidate.bodies {
        fix(&mut body.ops);
    }
    candidate
}

fn simpler_ops(op: &Op) -> Vec<Op> {
    // Every half second below: a time may need to become equal to another one, not zero.
    let smaller_ms = |ms: u64| -> Vec<u64> { (0..ms.div_ceil(500)).map(|m| m * 500).collect() };
    match op {
        Op::CallLater { ms, body, slot } => smaller_ms(*ms)
            .into_iter()
            .map(|ms| Op::CallLater {
                ms,
                body: *body,
                slot: *slot,
            })
            .collect(),
        Op::CallAt { ms, body, slot } => smaller_ms(*ms)
            .into_iter()
            .map(|ms| Op::CallAt {
                ms,
                body: *body,
                slot: *slot,
            })
            .collect(),
        Op::Sleep { ms, catch } => smaller_ms(*ms)
            .into_iter()
            .map(|ms| Op::Sleep { ms, catch: *catch })
            .collect(),
        Op::WaitFor { slot, ms, catch } => smaller_ms(*ms)
            .into_iter()
            .map(|ms| Op::WaitFor {
                slot: *slot,
                ms,
                catch: *catch,
            })
            .collect(),
        Op::Gather { slots, catch } if slots.len() > 1 => (0..slots.len())
            .map(|i| {
                let mut slots = slots.clone();
                slots.remove(i);
                Op::Gather {
                    slots,
                    catch: *catch,
                }
            })
            .collect(),
        Op::SetResult { future, value } if *value != 0 => vec![Op::SetResult {
            future: *future,
            value: 0,
        }],
        _ => Vec::new(),
    }
}

fn uses_future(program: &Program, future: usize) -> bool {
    let uses = |op: &Op| match op {
        Op::SetResult { future: f, .. }
        | Op::SetException { future: f }
        | Op::CancelFuture { future: f }
        | Op::AddDoneCallback { future: f, .. }
        | Op::RemoveDoneCallback { future: f, .. }
        | Op::AwaitFuture { future: f, .. } => *f == future,
        _ => false,
    };
    program.main.iter().any(uses) || program.bodies.iter().any(|b| b.ops.iter().any(uses))
}
