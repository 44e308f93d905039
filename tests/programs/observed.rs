//! What a run of a program shows, in a form every runner produces and any two can compare.

use std::fmt::Write as _;

use super::program::{Id, Slots};

/// One line the program printed: in which tick (0 before the loop runs), at which loop time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub tick: u64,
    /// Loop time in milliseconds: exact, since programs use eighths of a second.
    pub millis: u64,
    pub text: String,
}

/// Everything a run shows: the program's own prints in order, how every future, task and
/// handle ended, and how the run ended.
#[derive(Clone, Debug, Default)]
pub struct Observed {
    pub events: Vec<Event>,
    /// Each slot the program filled, by id: `pending`, `result 7`, `exception e5`,
    /// `cancelled`; a handle is `cancelled` or `not cancelled`.
    pub end_states: Vec<(Id, String)>,
    /// `stopped`, `stalled`, `main result 0`, `main exception e5`, `main cancelled`,
    /// `stopped before main completed`; then the loop time.
    pub outcome: String,
    /// Constructs the run found itself using (the CPython runner reports them; see
    /// `Construct::is_dynamic`). Not part of the comparison.
    pub tags: Vec<String>,
}

impl PartialEq for Observed {
    fn eq(&self, other: &Observed) -> bool {
        self.events == other.events
            && self.end_states == other.end_states
            && self.outcome == other.outcome
    }
}

impl Observed {
    /// Whether the run was stopped after `MAX_TICKS` ticks (its outcome then says `still
    /// running after ... ticks`): generated programs end in a few dozen, so one that goes on
    /// shows a bug, in a loop or in the generator, even where two loops agree on it.
    pub fn ran_away(&self) -> bool {
        self.outcome.starts_with("still running after")
    }

    pub fn log(&mut self, tick: u64, millis: u64, text: String) {
        self.events.push(Event { tick, millis, text });
    }

    /// One line per event, end state and outcome: what the side-by-side report shows.
    pub fn lines(&self, slots: &Slots) -> Vec<String> {
        let mut lines: Vec<String> = self
            .events
            .iter()
            .map(|e| format!("{:>3} {} {}", e.tick, time(e.millis), e.text))
            .collect();
        for (id, state) in &self.end_states {
            lines.push(format!("end {}: {state}", slots.name(*id)));
        }
        lines.push(format!("outcome: {}", self.outcome));
        lines
    }

    /// Reads one program's lines of the CPython harness's output (between `program N` and
    /// `end`).
    pub fn parse(lines: &[&str]) -> Result<Observed, String> {
        let mut observed = Observed::default();
        for line in lines {
            let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
            match word {
                "event" => {
                    let mut parts = rest.splitn(3, ' ');
                    let mut number = || -> Result<u64, String> {
                        parts
                            .next()
                            .and_then(|p| p.parse().ok())
                            .ok_or_else(|| format!("a malformed event line: {line}"))
                    };
                    let tick = number()?;
                    let millis = number()?;
                    let text = parts.next().unwrap_or("").to_string();
                    observed.log(tick, millis, text);
                }
                "state" => {
                    let (id, state) = rest
                        .split_once(' ')
                        .ok_or_else(|| format!("a malformed state line: {line}"))?;
                    let id = id.parse().map_err(|_| format!("a bad slot id: {line}"))?;
                    observed.end_states.push((id, state.to_string()));
                }
                "outcome" => observed.outcome = rest.to_string(),
                "tag" => observed.tags.push(rest.to_string()),
                _ => return Err(format!("an unexpected line from the harness: {line}")),
            }
        }
        Ok(observed)
    }
}

/// `t=0.375`.
pub fn time(millis: u64) -> String {
    format!("t={}.{:03}", millis / 1000, millis % 1000)
}

/// Two runs in two columns, line by line; `!` marks lines that differ.
pub fn side_by_side(
    left_name: &str,
    left: &Observed,
    right_name: &str,
    right: &Observed,
    slots: &Slots,
) -> String {
    let left = left.lines(slots);
    let right = right.lines(slots);
    let width = left
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0)
        .max(left_name.len());
    let mut out = String::new();
    let _ = writeln!(out, "  {left_name:width$} | {right_name}");
    for i in 0..left.len().max(right.len()) {
        let l = left.get(i).map_or("", String::as_str);
        let r = right.get(i).map_or("", String::as_str);
        let mark = if l == r { ' ' } else { '!' };
        let _ = writeln!(out, "{mark} {l:width$} | {r}");
    }
    out
}
