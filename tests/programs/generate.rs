//! The generator: a seed and a feature set give one program, always the same one.

use super::features::{Construct, Features, Level};
use super::program::{Catch, Entry, Id, Kind, Op, Program, ReturnWhen, MAIN};

/// SplitMix64: a tiny, good-enough generator, so that a seed means the same program on every
/// machine and every version of every crate.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: u32, hi: u32) -> u32 {
        lo + (self.next() % u64::from(hi - lo + 1)) as u32
    }

    /// True `n` times in `d`.
    pub fn chance(&mut self, n: u32, d: u32) -> bool {
        self.range(1, d) <= n
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.range(0, items.len() as u32 - 1) as usize]
    }
}

/// Where an op is being generated.
#[derive(Clone, Copy)]
struct Place {
    /// In a coroutine (which can await), and which task runs it; `None` in a callback.
    task: Option<Id>,
    /// In the block of this task group (`tg.create_task` is at hand).
    group: Option<Id>,
    depth: u32,
}

struct Gen<'a> {
    rng: Rng,
    features: &'a Features,
    next_id: Id,
    /// Ops left to generate.
    budget: u32,
    /// Every slot created so far, anywhere in the program: what later ops may refer to.
    /// Whether it exists yet when the op runs is for the run to tell (a missing slot makes the
    /// op do nothing, on every loop alike).
    known: Vec<Known>,
    /// Tasks whose body already awaits the task itself (see [`Gen::awaitable`]).
    self_awaited: Vec<Id>,
    /// Done-callbacks added so far: (callback, future).
    done_callbacks: Vec<(Id, Id)>,
}

/// A slot later ops may refer to.
#[derive(Clone, Copy)]
struct Known {
    id: Id,
    kind: Kind,
    /// The lowest-numbered task that cancelling it reaches: the task itself; for a gather, the
    /// lowest of its items; none (`Id::MAX`) for a future or a shield, whose cancellation goes
    /// no further.
    reach: Id,
}

/// The program for `seed`, using only `features`' constructs.
pub fn generate(seed: u64, features: &Features) -> Program {
    let mut rng = Rng::new(seed);
    let budget = match features.level {
        Level::Callbacks => rng.range(6, 18),
        Level::Timers => rng.range(8, 22),
        _ => rng.range(8, 32),
    };
    let mut gen = Gen {
        rng,
        features,
        next_id: 1,
        budget,
        known: Vec::new(),
        self_awaited: Vec::new(),
        done_callbacks: Vec::new(),
    };
    let coroutine = features.has(Construct::RunUntilComplete);
    if coroutine {
        gen.known.push(Known {
            id: MAIN,
            kind: Kind::Task,
            reach: MAIN,
        });
    }
    let place = Place {
        task: coroutine.then_some(MAIN),
        group: None,
        depth: 0,
    };
    let mut main = Vec::new();
    while gen.budget > 0 {
        gen.budget -= 1;
        main.extend(gen.op(place));
    }
    if coroutine {
        gen.finale(&mut main);
    } else if !contains_stop(&main) && gen.rng.chance(7, 8) {
        // Without a main coroutine only `stop()` ends the program well: in a last timer, or
        // in some callback.
        if gen.has(Construct::CallLater) && gen.rng.chance(1, 2) {
            let id = gen.id();
            let delay = gen.rng.range(8, 24);
            let body = vec![Op::Stop];
            main.push(Op::CallLater { id, delay, body });
        } else {
            push_stop_deepest(&mut main);
        }
    }
    Program {
        seed,
        level: features.level,
        entry: if coroutine {
            Entry::RunUntilComplete
        } else {
            Entry::RunForever
        },
        main,
    }
}

/// The items in order, each once.
fn distinct(items: Vec<Id>) -> Vec<Id> {
    let mut out = Vec::new();
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

fn contains_stop(ops: &[Op]) -> bool {
    ops.iter()
        .any(|op| *op == Op::Stop || op.inner().is_some_and(|b| contains_stop(b)))
}

/// How deep the deepest body in `ops` is (0: `ops` has none).
fn depth(ops: &[Op]) -> usize {
    ops.iter()
        .filter_map(|op| op.inner())
        .map(|body| 1 + depth(body))
        .max()
        .unwrap_or(0)
}

/// Appends `stop()` to the first of the deepest bodies: the callbacks most likely to run last.
fn push_stop_deepest(ops: &mut Vec<Op>) {
    let deepest = ops
        .iter_mut()
        .filter_map(|op| op.inner_mut())
        .max_by_key(|body| depth(body));
    match deepest {
        Some(body) => push_stop_deepest(body),
        None => ops.push(Op::Stop),
    }
}

impl Gen<'_> {
    fn id(&mut self) -> Id {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    fn has(&self, c: Construct) -> bool {
        self.features.has(c)
    }

    /// How main ends, as a program that wants to see its work done would: it sleeps a while,
    /// so that timers fire and tasks run, then awaits what it started (catching everything, so
    /// as to see it all), and now and then raises.
    fn finale(&mut self, main: &mut Vec<Op>) {
        if self.has(Construct::Sleep) && self.rng.chance(3, 4) {
            let delay = self.rng.range(4, 24);
            main.push(Op::Sleep {
                delay,
                catch: Catch::All,
            });
        }
        let catch = if self.has(Construct::Catch) {
            Catch::All
        } else {
            Catch::Nothing
        };
        let tasks = self.awaitable(&[Kind::Task], MAIN, false);
        if !self.has(Construct::CreateTask) {
            // Futures only: what main awaits is all there is to see. First a sleep made by
            // hand, as asyncio.sleep is made: a future that a timer completes.
            if self.rng.chance(3, 4) {
                let future = self.id();
                let timer = self.id();
                let delay = self.rng.range(4, 24);
                main.push(Op::CreateFuture { id: future });
                let body = vec![Op::SetResult {
                    target: future,
                    value: 0,
                }];
                main.push(Op::CallLater {
                    id: timer,
                    delay,
                    body,
                });
                main.push(Op::Await {
                    target: future,
                    catch,
                });
            }
            if self.rng.chance(1, 3) {
                for target in self.awaitable(&[Kind::Future], MAIN, false) {
                    main.push(Op::Await { target, catch });
                }
            }
        } else if self.has(Construct::Wait) && !tasks.is_empty() && self.rng.chance(1, 2) {
            // With a timeout: a task that never finishes does not stall the program.
            main.push(Op::Wait {
                items: tasks,
                timeout: Some(self.rng.range(8, 24)),
                return_when: ReturnWhen::AllCompleted,
                catch,
            });
        } else if self.rng.chance(1, 2) {
            for target in tasks {
                main.push(Op::Await { target, catch });
            }
        }
        if self.has(Construct::Raise) && self.rng.chance(1, 10) {
            let error = self.id();
            main.push(Op::Raise { error });
        }
    }

    /// A body of up to `max` ops.
    fn body(&mut self, place: Place, max: u32) -> Vec<Op> {
        let n = self.rng.range(1, max);
        let mut ops = Vec::new();
        for _ in 0..n {
            if self.budget == 0 {
                break;
            }
            self.budget -= 1;
            if let Some(op) = self.op(place) {
                ops.push(op);
            }
        }
        let raises = match place.task {
            Some(_) => self.has(Construct::Raise) && self.rng.chance(1, 6),
            // Main's plain code runs before the loop does: nobody would catch its error.
            None if place.depth == 0 => false,
            None => self.has(Construct::CallbackRaise) && self.rng.chance(1, 10),
        };
        if raises {
            let error = self.id();
            ops.push(Op::Raise { error });
        }
        ops
    }

    fn add(&mut self, id: Id, kind: Kind, reach: Id) {
        self.known.push(Known { id, kind, reach });
    }

    fn known(&self, kinds: &[Kind]) -> Vec<Id> {
        self.known
            .iter()
            .filter(|k| kinds.contains(&k.kind))
            .map(|k| k.id)
            .collect()
    }

    fn pick_known(&mut self, kinds: &[Kind]) -> Option<Id> {
        let ids = self.known(kinds);
        (!ids.is_empty()).then(|| self.rng.pick(&ids))
    }

    /// What a coroutine of task `task` may await (or wait for, or gather): only what reaches
    /// tasks created after it. Awaits never form a cycle then, and cancelling never comes back
    /// to where it started (asyncio recurses until RecursionError there).
    ///
    /// With [`Construct::AwaitSelf`] and `itself`, also the task itself (a plain `await` of it,
    /// never inside gather, shield or wait), once per body; and a task that awaits itself is
    /// awaited by no one else. asyncio's self-await leaves the task's `_asyncio_future_blocking`
    /// set, so any later `await` of that task, its own or another's, raises "await wasn't used
    /// with future" at once: a corner of a corner that no program relies on.
    fn awaitable(&self, kinds: &[Kind], task: Id, itself: bool) -> Vec<Id> {
        let self_await =
            itself && self.has(Construct::AwaitSelf) && !self.self_awaited.contains(&task);
        self.known
            .iter()
            .filter(|k| kinds.contains(&k.kind))
            .filter(|k| k.reach > task || (self_await && k.id == task))
            .filter(|k| k.id == task || !self.self_awaited.contains(&k.id))
            .map(|k| k.id)
            .collect()
    }

    fn pick_awaitable(&mut self, kinds: &[Kind], task: Id, itself: bool) -> Option<Id> {
        let ids = self.awaitable(kinds, task, itself);
        (!ids.is_empty()).then(|| self.rng.pick(&ids))
    }

    /// What a coroutine of task `task` may cancel. Without [`Construct::CancelRunningTask`],
    /// only what reaches tasks created after it: by the rule of [`Gen::awaitable`], none of
    /// those awaits `task`, so the cancellation cannot come back to the task that is running.
    fn pick_cancellable(&mut self, kinds: &[Kind], task: Id) -> Option<Id> {
        let anything = self.has(Construct::CancelRunningTask);
        let ids: Vec<Id> = self
            .known
            .iter()
            .filter(|k| kinds.contains(&k.kind) && (anything || k.reach > task))
            .map(|k| k.id)
            .collect();
        (!ids.is_empty()).then(|| self.rng.pick(&ids))
    }

    fn reach(&self, id: Id) -> Id {
        self.known
            .iter()
            .find(|k| k.id == id)
            .map_or(Id::MAX, |k| k.reach)
    }

    fn catch(&mut self) -> Catch {
        if !self.has(Construct::Catch) {
            return Catch::Nothing;
        }
        self.rng
            .pick(&[Catch::Nothing, Catch::Nothing, Catch::Errors, Catch::All])
    }

    /// One op fit for `place`, or `None` if the construct drawn has nothing to work on.
    fn op(&mut self, place: Place) -> Option<Op> {
        use Construct as C;
        let in_coroutine = place.task.is_some();
        let me = place.task.unwrap_or(Id::MAX);
        let nest = place.depth < 4;
        // (construct, weight, allowed here)
        let table = [
            (C::CallSoon, 4, nest),
            (C::CallSoonThreadsafe, 1, nest),
            (C::CancelHandle, 2, true),
            // Main's plain code runs before the loop: a stop() there ends the program at once.
            // Where main is a coroutine, stop() interrupts run_until_complete: seldom, then.
            (
                C::Stop,
                1,
                place.depth > 0 && !(self.has(C::RunUntilComplete) && self.rng.chance(2, 3)),
            ),
            (C::CallLater, 4, nest),
            (C::CallAt, 2, nest),
            (C::CreateFuture, 3, true),
            (C::SetResult, 4, true),
            (C::SetException, 2, true),
            (C::CancelFuture, 1, true),
            (C::AddDoneCallback, 2, nest),
            (C::RemoveDoneCallback, 1, true),
            (C::AwaitFuture, 4, in_coroutine),
            (C::CreateTask, 4, nest),
            (C::AwaitTask, 3, in_coroutine),
            (C::Sleep, 3, in_coroutine),
            (C::CancelTask, 2, true),
            (C::Gather, 2, in_coroutine),
            (C::Shield, 1, in_coroutine),
            (C::WaitFor, 2, in_coroutine),
            (C::Wait, 2, in_coroutine),
            (C::AsCompleted, 2, in_coroutine),
            // Only the level of their own has these: often, then.
            (C::Timeout, 3, in_coroutine && nest),
            (C::TimeoutAt, 2, in_coroutine && nest),
            (C::TaskGroup, 4, in_coroutine && nest),
        ];
        let choices: Vec<(Construct, u32)> = table
            .iter()
            .filter(|&&(c, _, allowed)| allowed && self.has(c))
            .map(|&(c, w, _)| (c, w))
            .collect();
        let total: u32 = choices.iter().map(|(_, w)| w).sum();
        let mut draw = self.rng.range(1, total);
        let construct = choices
            .iter()
            .find(|(_, w)| {
                if draw <= *w {
                    true
                } else {
                    draw -= w;
                    false
                }
            })
            .map(|&(c, _)| c)
            .expect("the draw falls within the total");
        let inner = Place {
            task: None,
            group: None,
            depth: place.depth + 1,
        };
        // What combinators take: any awaitable, or with the stages' reach tasks only.
        let awaitable: &[Kind] = if self.has(C::CombineFutures) {
            &[Kind::Future, Kind::Task, Kind::Shield]
        } else {
            &[Kind::Task]
        };
        Some(match construct {
            C::CallSoon => {
                let id = self.id();
                self.add(id, Kind::Handle, Id::MAX);
                let body = self.body(inner, 3);
                Op::CallSoon { id, body }
            }
            C::CallSoonThreadsafe => {
                let id = self.id();
                let body = self.body(inner, 3);
                Op::CallSoonThreadsafe { id, body }
            }
            C::CallLater => {
                let id = self.id();
                self.add(id, Kind::Handle, Id::MAX);
                let delay = self.rng.pick(&[0, 1, 1, 2, 2, 3, 4, 8]);
                let body = self.body(inner, 3);
                Op::CallLater { id, delay, body }
            }
            C::CallAt => {
                let id = self.id();
                self.add(id, Kind::Handle, Id::MAX);
                let when = self.rng.pick(&[0, 1, 2, 2, 3, 4, 6, 8]);
                let body = self.body(inner, 3);
                Op::CallAt { id, when, body }
            }
            C::CancelHandle => Op::Cancel {
                target: self.pick_known(&[Kind::Handle])?,
                msg: None,
            },
            C::Stop => Op::Stop,
            C::CreateFuture => {
                let id = self.id();
                self.add(id, Kind::Future, Id::MAX);
                Op::CreateFuture { id }
            }
            C::SetResult => Op::SetResult {
                target: self.pick_known(&[Kind::Future])?,
                value: self.rng.range(1, 99) as i64,
            },
            C::SetException => {
                let target = self.pick_known(&[Kind::Future])?;
                Op::SetException {
                    target,
                    error: self.id(),
                }
            }
            C::CancelFuture => {
                let target =
                    self.pick_cancellable(&[Kind::Future, Kind::Shield, Kind::Gather], me)?;
                let msg = self.message();
                Op::Cancel { target, msg }
            }
            C::AddDoneCallback => {
                let kinds: &[Kind] = if self.has(C::CombinedDoneCallback) {
                    &[Kind::Future, Kind::Task, Kind::Shield, Kind::Gather]
                } else {
                    &[Kind::Future, Kind::Task]
                };
                let target = self.pick_known(kinds)?;
                let id = self.id();
                self.done_callbacks.push((id, target));
                let body = self.body(inner, 2);
                Op::AddDoneCallback { id, target, body }
            }
            C::RemoveDoneCallback => {
                if self.done_callbacks.is_empty() {
                    return None;
                }
                let (callback, target) = self.rng.pick(&self.done_callbacks);
                Op::RemoveDoneCallback { target, callback }
            }
            C::AwaitFuture => Op::Await {
                target: self.pick_awaitable(
                    &[Kind::Future, Kind::Shield, Kind::Gather],
                    me,
                    false,
                )?,
                catch: self.catch(),
            },
            C::CreateTask => {
                let (id, body) = self.task(place);
                Op::CreateTask { id, body }
            }
            C::AwaitTask => {
                let target = self.pick_awaitable(&[Kind::Task], me, true)?;
                if target == me {
                    self.self_awaited.push(me);
                }
                Op::Await {
                    target,
                    catch: self.catch(),
                }
            }
            C::Sleep => Op::Sleep {
                delay: self.rng.pick(&[0, 0, 1, 2, 3, 4, 8]),
                catch: self.catch(),
            },
            C::CancelTask => {
                let target = self.pick_cancellable(&[Kind::Task], me)?;
                let msg = self.message();
                Op::Cancel { target, msg }
            }
            C::Gather => {
                let items = self.items(awaitable, me)?;
                let id = self.id();
                let reach = items
                    .iter()
                    .map(|&i| self.reach(i))
                    .min()
                    .unwrap_or(Id::MAX);
                self.add(id, Kind::Gather, reach);
                Op::Gather {
                    id,
                    items,
                    return_exceptions: self.has(C::ReturnExceptions) && self.rng.chance(1, 2),
                }
            }
            C::Shield => {
                let item = self.pick_awaitable(awaitable, me, false)?;
                let id = self.id();
                self.add(id, Kind::Shield, Id::MAX);
                Op::Shield { id, item }
            }
            C::WaitFor => Op::WaitFor {
                item: self.pick_awaitable(awaitable, me, false)?,
                timeout: self.rng.pick(&[0, 1, 2, 4]),
                catch: self.catch(),
            },
            C::AsCompleted => Op::AsCompleted {
                items: self.set_of_items(awaitable, me, C::AsCompletedDuplicates)?,
                timeout: self.optional_timeout(),
                catch: self.catch(),
            },
            C::Wait => Op::Wait {
                items: self.set_of_items(awaitable, me, C::WaitDuplicates)?,
                timeout: self.optional_timeout(),
                return_when: self.rng.pick(&[
                    ReturnWhen::FirstCompleted,
                    ReturnWhen::FirstException,
                    ReturnWhen::AllCompleted,
                ]),
                catch: self.catch(),
            },
            C::Timeout => {
                let delay = self
                    .rng
                    .pick(&[None, Some(0), Some(1), Some(2), Some(4), Some(8)]);
                Op::Timeout {
                    delay,
                    block: self.block(place, None),
                    catch: self.catch(),
                }
            }
            C::TimeoutAt => {
                let when = self.rng.pick(&[0, 1, 2, 4, 6, 8, 12]);
                Op::TimeoutAt {
                    when,
                    block: self.block(place, None),
                    catch: self.catch(),
                }
            }
            C::TaskGroup => {
                let id = self.id();
                Op::TaskGroup {
                    id,
                    block: self.block(place, Some(id)),
                    catch: self.catch(),
                }
            }
            // Dynamic constructs and modifiers are never drawn as ops of their own.
            C::AwaitSelf
            | C::RunUntilComplete
            | C::ReturnExceptions
            | C::CombineFutures
            | C::CombinedDoneCallback
            | C::CancelMessage
            | C::Catch
            | C::Raise
            | C::CallbackRaise
            | C::CancelRunningTask
            | C::CancelWokenTask
            | C::WaitForDone
            | C::WaitDuplicates
            | C::AsCompletedDuplicates
            | C::AsCompletedAbandoned
            | C::AsCompletedCancelled
            | C::AsCompletedDoneTogether => return None,
        })
    }

    /// A new task's id and body, created at `place`.
    fn task(&mut self, place: Place) -> (Id, Vec<Op>) {
        let id = self.id();
        self.add(id, Kind::Task, id);
        let task = Place {
            task: Some(id),
            group: None,
            depth: place.depth + 1,
        };
        (id, self.body(task, 4))
    }

    /// The block of an `async with` at `place`, in the same coroutine; in the block of task
    /// group `group`, the group's tasks come first (a group with none would only be a
    /// block), then whatever the coroutine does there.
    fn block(&mut self, place: Place, group: Option<Id>) -> Vec<Op> {
        let inside = Place {
            task: place.task,
            group: group.or(place.group),
            depth: place.depth + 1,
        };
        let mut block = Vec::new();
        if let Some(group) = group {
            for _ in 0..self.rng.range(1, 2) {
                let (id, body) = self.task(inside);
                block.push(Op::CreateGroupTask { group, id, body });
            }
        }
        block.extend(self.body(inside, 3));
        block
    }

    fn message(&mut self) -> Option<u32> {
        (self.has(Construct::CancelMessage) && self.rng.chance(1, 2)).then(|| self.id())
    }

    /// Items for `wait` or `as_completed`, which asyncio makes a set of: repeats only with
    /// `repeats`.
    fn set_of_items(&mut self, kinds: &[Kind], task: Id, repeats: Construct) -> Option<Vec<Id>> {
        let items = self.items(kinds, task)?;
        Some(if self.has(repeats) {
            items
        } else {
            distinct(items)
        })
    }

    /// No timeout, or a short one (zero included).
    fn optional_timeout(&mut self) -> Option<u32> {
        self.rng
            .pick(&[None, None, Some(0), Some(1), Some(2), Some(4)])
    }

    /// One to three items for gather or wait (a repeat now and then, as programs do).
    fn items(&mut self, kinds: &[Kind], task: Id) -> Option<Vec<Id>> {
        let known = self.awaitable(kinds, task, false);
        if known.is_empty() {
            return None;
        }
        let n = self.rng.range(1, 3);
        Some((0..n).map(|_| self.rng.pick(&known)).collect())
    }
}
