//! Seeded random programs: the same seed gives the same program on every machine.

use super::program::{Body, Kind, Level, Op, Program, SLOTS};

/// splitmix64: a tiny generator whose output depends on the seed alone.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// A number in `low..=high`.
    pub fn between(&mut self, low: usize, high: usize) -> usize {
        low + self.below(high - low + 1)
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    pub fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())].clone()
    }
}

/// A random program of `level`.
pub fn program(level: Level, seed: u64) -> Program {
    let mut rng = Rng::new(seed);
    let bodies = rng.between(2, 8);
    let kinds: Vec<Kind> = (0..bodies)
        .map(|_| {
            if level >= Level::Tasks && rng.chance(50) {
                Kind::Coroutine
            } else {
                Kind::Callback
            }
        })
        .collect();
    let futures = if level >= Level::Futures {
        rng.between(1, 3)
    } else {
        0
    };
    let mut gen = Generator {
        level,
        kinds,
        futures,
        done_ids: 0,
        created: Vec::new(),
    };
    // Main starts something, so that the loop has work: a callback, or a task.
    let first = if rng.chance(70) { 0 } else { rng.below(bodies) };
    let start = match gen.kinds[first] {
        Kind::Callback => Op::CallSoon {
            body: first,
            slot: rng.below(SLOTS),
        },
        Kind::Coroutine => Op::CreateTask {
            body: first,
            slot: rng.below(SLOTS),
        },
    };
    let main_ops = rng.between(1, 4);
    let main = std::iter::once(start)
        .chain((0..main_ops).filter_map(|_| gen.op(&mut rng, None, Kind::Callback)))
        .collect();
    let bodies = (0..bodies)
        .map(|i| {
            gen.created.clear();
            let kind = gen.kinds[i];
            let count = match kind {
                Kind::Callback => rng.between(0, 3),
                Kind::Coroutine => rng.between(1, 6),
            };
            let mut ops: Vec<Op> = (0..count)
                .filter_map(|_| gen.op(&mut rng, Some(i), kind))
                .collect();
            if kind == Kind::Coroutine && rng.chance(10) {
                ops.push(Op::Raise);
            }
            Body { kind, ops }
        })
        .collect();
    Program {
        level,
        main,
        bodies,
        futures,
    }
}

struct Generator {
    level: Level,
    kinds: Vec<Kind>,
    futures: usize,
    done_ids: usize,
    /// The task slots the body being generated has put a task in so far: its awaits and
    /// cancels mostly pick one of these, so that they find a task to work on.
    created: Vec<usize>,
}

impl Generator {
    /// A body of `kind` after `after` (any body for `main`), if there is one.
    fn body(&self, rng: &mut Rng, after: Option<usize>, kind: Kind) -> Option<usize> {
        let first = after.map_or(0, |a| a + 1);
        let candidates: Vec<usize> = (first..self.kinds.len())
            .filter(|&i| self.kinds[i] == kind)
            .collect();
        (!candidates.is_empty()).then(|| rng.pick(&candidates))
    }

    /// Whether a body of `kind` comes after `after` (any body, for `main`).
    fn later(&self, after: Option<usize>, kind: Kind) -> bool {
        let first = after.map_or(0, |a| a + 1);
        self.kinds[first..].contains(&kind)
    }

    /// One operation for a body of `kind` at `after` (`None`: main), or `None` when the
    /// chosen kind of operation has nothing to work on.
    fn op(&mut self, rng: &mut Rng, after: Option<usize>, kind: Kind) -> Option<Op> {
        let level = self.level;
        let coroutine = kind == Kind::Coroutine && after.is_some();
        // Only what has something to work on: a callback to schedule, a coroutine to create.
        let callbacks = self.later(after, Kind::Callback);
        let coroutines = self.later(after, Kind::Coroutine);
        let mut choices: Vec<(u32, u8)> = vec![(20, 1)];
        if callbacks {
            choices.push((30, 0));
        }
        if after.is_some() {
            // A stop in `main` would end most programs after one tick.
            choices.push((2, 2));
        }
        if level >= Level::Timers && callbacks {
            choices.extend([(30, 3), (15, 4)]);
        }
        if level >= Level::Futures && self.futures > 0 {
            choices.extend([(20, 5), (8, 6), (8, 7), (8, 9)]);
            if callbacks {
                choices.push((20, 8));
            }
        }
        if level >= Level::Tasks {
            choices.push((15, 11));
            if coroutines {
                choices.push((30, 10));
            }
            if coroutine {
                choices.push((30, 12));
                if coroutines {
                    choices.push((30, 14));
                }
                if self.futures > 0 {
                    choices.push((20, 13));
                }
            }
        }
        if level >= Level::Combinators && coroutine && coroutines {
            choices.extend([(15, 15), (15, 16)]);
        }
        let total: u32 = choices.iter().map(|(w, _)| w).sum();
        let mut roll = rng.below(total as usize) as u32;
        let choice = choices
            .iter()
            .find(|(w, _)| {
                if roll < *w {
                    true
                } else {
                    roll -= w;
                    false
                }
            })
            .map(|(_, c)| *c)
            .expect("a weighted choice");
        let slot = rng.below(SLOTS);
        // For operations on tasks: mostly a slot this body filled.
        let task_slot = if !self.created.is_empty() && rng.chance(75) {
            rng.pick(&self.created)
        } else {
            slot
        };
        let catch = rng.chance(40);
        Some(match choice {
            0 => Op::CallSoon {
                body: self.body(rng, after, Kind::Callback)?,
                slot,
            },
            1 => Op::Cancel { slot },
            2 => Op::Stop,
            3 => Op::CallLater {
                ms: rng.pick(&[0, 1000, 1000, 2000, 3000]),
                body: self.body(rng, after, Kind::Callback)?,
                slot,
            },
            4 => Op::CallAt {
                ms: rng.pick(&[0, 1000, 2000, 3000]),
                body: self.body(rng, after, Kind::Callback)?,
                slot,
            },
            5 => Op::SetResult {
                future: rng.below(self.futures),
                value: rng.below(100) as i64,
            },
            6 => Op::SetException {
                future: rng.below(self.futures),
            },
            7 => Op::CancelFuture {
                future: rng.below(self.futures),
            },
            8 => {
                let body = self.body(rng, after, Kind::Callback)?;
                self.done_ids += 1;
                Op::AddDoneCallback {
                    future: rng.below(self.futures),
                    body,
                    id: self.done_ids - 1,
                }
            }
            9 if self.done_ids > 0 => Op::RemoveDoneCallback {
                future: rng.below(self.futures),
                id: rng.below(self.done_ids),
            },
            9 => return None,
            10 => {
                let body = self.body(rng, after, Kind::Coroutine)?;
                self.created.push(slot);
                Op::CreateTask { body, slot }
            }
            11 => Op::CancelTask { slot: task_slot },
            12 => Op::Sleep {
                ms: rng.pick(&[0, 0, 1000, 2000]),
                catch,
            },
            13 => Op::AwaitFuture {
                future: rng.below(self.futures),
                catch,
            },
            14 => Op::AwaitTask {
                slot: task_slot,
                catch,
            },
            15 => {
                let mut slots: Vec<usize> = (0..SLOTS).collect();
                let keep = rng.between(1, 3);
                while slots.len() > keep {
                    slots.remove(rng.below(slots.len()));
                }
                Op::Gather { slots, catch }
            }
            16 => Op::WaitFor {
                slot: task_slot,
                ms: rng.pick(&[0, 500, 1000, 1500, 2500]),
                catch,
            },
            _ => unreachable!("choice {choice}"),
        })
    }
}
