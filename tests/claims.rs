//! What the chapters' prose says about measurements, checked against the pages that measured
//! them.
//!
//! The measurements themselves are never typed into the book: `bench/compare`, `bench/profile`
//! and `bench/processes` write them into `chapters/generated/`, and the chapters include those
//! pages. But prose reads them — "steploop is faster here", "this function is the largest
//! cost", "four blocks per task" — and a sentence that was true of one run can be false of the
//! next. Each test below quotes the sentence it checks (the chapter must still say it, word for
//! word up to line breaks) and reads the figure back from the generated page, the very table
//! the reader sees. When a page is generated anew and a sentence no longer holds, the failure
//! names both: rewrite the sentence, or the check, to match the new page.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

// ---------------------------------------------------------------------------
// Chapter 12: Processes
// ---------------------------------------------------------------------------

#[test]
fn ch12_threads_against_processes() {
    let chapter = Chapter::read("ch12-processes.md");
    let table = Table::find(&page("processes.md"), &["what", "processes ÷ threads"]);
    let ratio = |what: &str| {
        table
            .rows
            .iter()
            .find(|row| row.get("what").starts_with(what))
            .unwrap_or_else(|| panic!("processes.md has no row for {what}"))
            .number("processes ÷ threads")
    };
    chapter.says("Two big counts take about as long on processes as on threads");
    let big = ratio("two jobs of count(100_000_000)");
    assert!((0.8..=1.25).contains(&big), "processes ÷ threads = {big}");
    chapter.says("A thousand tiny counts tell the other story.");
    let tiny = ratio("a thousand jobs of count(1)");
    assert!(tiny >= 5.0, "processes ÷ threads = {tiny}");
}

// ---------------------------------------------------------------------------
// Chapter 13: MapReduce on the loop
// ---------------------------------------------------------------------------

#[test]
fn ch13_chunk_sizes() {
    let chapter = Chapter::read("ch13-mapreduce-on-the-loop.md");
    let sweep = Table::find(
        &page("mapreduce-chunks.md"),
        &["lines per chunk", "chunks", "steploop total time"],
    );
    let time = |row: &Row| row.number("steploop total time");
    let best = sweep.rows.iter().map(time).fold(f64::INFINITY, f64::min);

    chapter.says("one chunk is the serial program plus a trip through the pool");
    let one = sweep.row("chunks", "1");
    assert!(one.number("steploop speed-up over serial") < 1.0);

    chapter.says("so even a thousand chunks add little next to the counting itself");
    let thousand = time(sweep.row("chunks", "1,000"));
    assert!(
        thousand <= best * 1.1,
        "{thousand} s against the best {best} s"
    );

    chapter.says("For threads the Goldilocks zone is wide");
    for row in &sweep.rows {
        let chunks = row.number("chunks");
        if (4.0..=1000.0).contains(&chunks) {
            assert!(
                time(row) <= best * 1.15,
                "{chunks} chunks: {} s against the best {best} s",
                time(row)
            );
        }
    }

    chapter.says("the benchmark's default, 500,000 lines, gives ten chunks, five per worker");
    assert_eq!(
        sweep.row("lines per chunk", "500,000").number("chunks"),
        10.0
    );
}

#[test]
fn ch13_processes_and_python() {
    let chapter = Chapter::read("ch13-mapreduce-on-the-loop.md");
    chapter.says("the times show the price of isolation");
    let isolation = Table::find(&page("mapreduce-processes.md"), &["processes ÷ threads"]);
    assert!(isolation.rows[0].number("processes ÷ threads") > 1.0);

    chapter.says("enough, on two cores, for its pool to lose to one process counting alone");
    let measured = Table::find(
        &page("mapreduce.md"),
        &["implementation", "speed-up over serial"],
    );
    for python in ["asyncio", "uvloop"] {
        let speed_up = measured
            .row("implementation", python)
            .number("speed-up over serial");
        assert!(speed_up < 1.0, "{python}: {speed_up}");
    }
}

// ---------------------------------------------------------------------------
// Chapter 15: Performance
// ---------------------------------------------------------------------------

#[test]
fn ch15_workloads_table_matches_the_measured_n() {
    let chapter = Chapter::read("ch15-performance.md");
    let results = results_table();
    chapter.says("Every implementation runs the same eleven workloads");
    assert_eq!(results.rows.len(), 11, "performance.md's results table");

    // The chapter's table says what one run does, with its counts written out: the counts
    // multiply up to the N the measurement divides by.
    let described = Table::find(&chapter.text, &["workload", "what one run does"]);
    assert_eq!(described.rows.len(), results.rows.len());
    for row in &described.rows {
        let workload = row.get("workload");
        let counts = counts_in(row.get("what one run does"));
        let product: u64 = counts.iter().product();
        let n = results.row("workload", workload).number("N") as u64;
        assert_eq!(
            product, n,
            "chapter 15's table says {workload} does {counts:?} (product {product}), \
             but performance.md measures N = {n}"
        );
    }
}

#[test]
fn ch15_steploop_is_faster_than_the_python_loops_everywhere() {
    let chapter = Chapter::read("ch15-performance.md");
    chapter.says("Against both, steploop is faster on every workload");
    let results = results_table();
    for row in &results.rows {
        for peer in ["asyncio", "uvloop"] {
            let ratio = row.number(&format!("{peer} ÷ steploop"));
            assert!(
                ratio > 1.0,
                "{}: {peer} ÷ steploop is {ratio}",
                row.get("workload")
            );
        }
    }
}

#[test]
fn ch15_which_workloads_tokio_wins() {
    let chapter = Chapter::read("ch15-performance.md");
    let results = results_table();
    let by_ratio = |keep: &dyn Fn(f64) -> bool| -> BTreeSet<String> {
        results
            .rows
            .iter()
            .filter(|row| keep(row.number("tokio ÷ steploop")))
            .map(|row| row.get("workload").to_owned())
            .collect()
    };
    let groups: [(&str, &dyn Fn(f64) -> bool); 3] = [
        ("Where steploop is faster by more than 5%:", &|r| r > 1.05),
        ("Within 5% of each other:", &|r| (0.95..=1.05).contains(&r)),
        ("Where tokio is faster:", &|r| r < 0.95),
    ];
    for (lead, keep) in groups {
        let named: BTreeSet<String> = backticked(&chapter.sentence_from(lead))
            .into_iter()
            .collect();
        assert_eq!(
            named,
            by_ratio(keep),
            "chapter 15 lists these workloads after \"{lead}\", \
             but performance.md's tokio ÷ steploop column puts these there"
        );
    }
}

#[test]
fn ch15_per_tick() {
    let chapter = Chapter::read("ch15-performance.md");
    let profile = profile();
    let chain = profile.row("workload", "callbacks_chain");
    let all = chain.number("all");

    chapter.says("About a quarter of the instructions are the allocator's");
    let share = chain.number("allocation") / all;
    assert!((0.2..=0.3).contains(&share), "allocation share {share}");

    chapter.says("Most of the rest is the loop's own column");
    let rest = all - chain.number("allocation");
    assert!(chain.number("loop") > rest / 2.0);

    chapter.says("the poll and clock column is empty");
    for workload in ["callbacks_chain", "callbacks_batch"] {
        assert_eq!(profile.row("workload", workload).number("poll, clock"), 0.0);
    }
}

#[test]
fn ch15_per_step() {
    let chapter = Chapter::read("ch15-performance.md");
    let profile = profile();
    let row = profile.row("workload", "tasks_yield");
    let all = row.number("all");

    chapter.says("The allocation column is next to nothing.");
    assert!(row.number("allocation") <= all / 100.0);

    chapter.says("The tasks column is the largest, more than a quarter of the instructions");
    let (column, share) = largest_column(&profile, "tasks_yield");
    assert_eq!(column, "tasks");
    assert!(share > 1.0 / 4.0, "{share}");

    chapter.says("heading the list of functions is the step itself, `TaskCell::step`, ahead of `Sleep::poll`");
    let top = top_functions("tasks_yield");
    assert_eq!(
        [top[0].0.as_str(), top[1].0.as_str()],
        ["TaskCell::step", "Sleep::poll"],
        "{top:?}"
    );
}

#[test]
fn ch15_per_wakeup_and_per_timer() {
    let chapter = Chapter::read("ch15-performance.md");
    chapter.says(
        "After `TaskCell::step`, the step of each task that awaits (above), and the workload's \
         own coroutines, come `Future::poll_await`",
    );
    chapter.says("and `Future::finish`, which sets the result");
    let top: Vec<String> = top_functions("future_pingpong")
        .into_iter()
        .map(|(function, _)| function)
        .collect();
    assert_eq!(top[0], "TaskCell::step", "{top:?}");
    assert_eq!(
        top[1], "{closure}::{closure}",
        "the coroutines come second: {top:?}"
    );
    for function in ["Future::poll_await", "Future::finish"] {
        assert!(top[2..].contains(&function.to_owned()), "{top:?}");
    }

    chapter.says("the allocation column is empty");
    assert_eq!(
        profile().row("workload", "timers").number("allocation"),
        0.0
    );

    chapter.says("With 200,000 timers");
    assert_eq!(
        results_table().row("workload", "timers").number("N"),
        200_000.0
    );
    chapter.says("`BinaryHeap::pop`, which walks from the root to a leaf");
    chapter.says("is the largest single cost. The cancelled half");
    assert_eq!(top_functions("timers")[0].0, "BinaryHeap::pop");
}

#[test]
fn ch15_every_function_named_is_in_a_top_five_list() {
    let chapter = Chapter::read("ch15-performance.md");
    let listed: BTreeSet<String> = PROFILED
        .iter()
        .flat_map(|workload| top_functions(workload))
        .map(|(function, _)| function)
        .collect();
    for heading in ["Where the time goes", "The targets it misses, and why"] {
        for name in backticked(chapter.section(heading)) {
            let is_function = name.matches("::").count() == 1
                && name
                    .rsplit("::")
                    .next()
                    .is_some_and(|f| f.starts_with(|c: char| c.is_ascii_lowercase()));
            if is_function {
                assert!(
                    listed.contains(&name),
                    "chapter 15 names `{name}` as a cost, but no top-five list of \
                     profile.md has it: {listed:?}"
                );
            }
        }
    }
}

#[test]
fn ch15_a_sleeping_task_is_three_blocks() {
    let chapter = Chapter::read("ch15-performance.md");
    let memory = Table::find(&page("memory.md"), &["part", "allocations per task"]);
    chapter.says("Three blocks per task.");
    assert_eq!(
        memory.row("part", "all").number("allocations per task"),
        3.0
    );
    chapter.says("three allocations (the task, its coroutine and its waker)");
    for part in ["the task:", "the coroutine:", "the waker:"] {
        let row = memory
            .rows
            .iter()
            .find(|row| row.get("part").starts_with(part))
            .unwrap_or_else(|| panic!("memory.md has no row for {part}"));
        assert_eq!(row.number("allocations per task"), 1.0, "{part}");
    }
}

#[test]
fn ch15_explains_exactly_the_missed_targets() {
    let chapter = Chapter::read("ch15-performance.md");
    let targets = Table::find(&page("targets.md"), &["workload", "measure", "met?"]);
    let missed: BTreeSet<String> = targets
        .rows
        .iter()
        .filter(|row| row.get("met?") == "missed")
        .map(|row| row.get("workload").to_owned())
        .collect();
    let explained: BTreeSet<String> = chapter
        .section("The targets it misses, and why")
        .lines()
        .filter_map(|line| line.strip_prefix("- **"))
        .filter_map(|bullet| backticked(bullet).into_iter().next())
        .collect();
    assert_eq!(
        explained, missed,
        "chapter 15's \"The targets it misses\" explains these workloads, \
         but targets.md marks these as missed"
    );

    let profile = profile();
    chapter.says("the largest column of its row in the profile");
    assert_eq!(largest_column(&profile, "tasks_spawn").0, "allocation");
    chapter.says("the largest column of its row, futures, holds about a third of the instructions");
    let (column, share) = largest_column(&profile, "future_pingpong");
    assert_eq!(column, "futures");
    assert!((0.28..=0.38).contains(&share), "{column} holds {share}");

    chapter.says("The time itself is well under its target: the speed-up is the harder half.");
    let time = targets
        .rows
        .iter()
        .find(|row| row.get("workload") == "mapreduce" && row.get("measure") == "total time")
        .expect("a mapreduce time target");
    assert_eq!(time.get("met?"), "met");
    let margin = time.get("margin");
    let under: f64 = margin
        .strip_suffix("% under")
        .unwrap_or_else(|| panic!("mapreduce's time margin is {margin}"))
        .parse()
        .unwrap();
    assert!(under >= 20.0, "only {under}% under: not well under");
}

// ---------------------------------------------------------------------------
// Reading the chapters
// ---------------------------------------------------------------------------

/// A chapter's markdown.
struct Chapter {
    name: String,
    text: String,
}

impl Chapter {
    fn read(name: &str) -> Chapter {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("chapters")
            .join(name);
        let text = fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        Chapter {
            name: name.to_owned(),
            text,
        }
    }

    /// Fails unless the chapter says `phrase` (line breaks and runs of spaces count as one
    /// space).
    fn says(&self, phrase: &str) {
        assert!(
            squeeze(&self.text).contains(&squeeze(phrase)),
            "{} no longer says \"{phrase}\": the check that follows it reads a generated \
             page for it; rewrite the check with the sentence",
            self.name
        );
    }

    /// The sentence that starts with `lead`, up to its full stop.
    fn sentence_from(&self, lead: &str) -> String {
        self.says(lead);
        let text = squeeze(&self.text);
        let start = text.find(&squeeze(lead)).unwrap();
        let rest = &text[start..];
        let end = rest.find(". ").map_or(rest.len(), |end| end + 1);
        rest[..end].to_owned()
    }

    /// The text under the `## heading`, up to the next heading of that level.
    fn section(&self, heading: &str) -> &str {
        let marker = format!("\n## {heading}\n");
        let start = self
            .text
            .find(&marker)
            .unwrap_or_else(|| panic!("{} has no section \"## {heading}\"", self.name))
            + marker.len();
        let end = self.text[start..]
            .find("\n## ")
            .map_or(self.text.len(), |end| start + end);
        &self.text[start..end]
    }
}

/// `text` with every run of whitespace made one space.
fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The contents of every `code span` in `text`, in order.
fn backticked(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// The counts written out in a description: whole numbers, except those that are a size or a
/// duration (followed by a unit), a chapter number, or part of an address.
fn counts_in(description: &str) -> Vec<u64> {
    // Code spans and link targets hold no counts; a link's text stays.
    let mut plain = String::new();
    for (i, part) in description.split('`').enumerate() {
        if i % 2 == 0 {
            plain.push_str(part);
        }
    }
    let words: Vec<&str> = plain
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| "[](),;:".contains(c)))
        .collect();
    let mut counts = Vec::new();
    for (i, word) in words.iter().enumerate() {
        let digits = word.replace(',', "");
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            continue; // not a number, or an address such as 127.0.0.1
        }
        let unit = words.get(i + 1).copied().unwrap_or("");
        let chapter = i > 0 && words[i - 1].eq_ignore_ascii_case("chapter");
        if chapter || ["ms", "s", "µs", "ns", "bytes", "threads", "workers"].contains(&unit) {
            continue;
        }
        counts.push(digits.parse().unwrap());
    }
    counts
}

// ---------------------------------------------------------------------------
// Reading the generated pages
// ---------------------------------------------------------------------------

/// The workloads `bench/profile` profiles, in the order of its page.
const PROFILED: [&str; 6] = [
    "callbacks_chain",
    "callbacks_batch",
    "timers",
    "tasks_spawn",
    "tasks_yield",
    "future_pingpong",
];

/// The category columns of `profile.md`, which add up to its `all`.
const PROFILE_COLUMNS: [&str; 10] = [
    "allocation",
    "drops",
    "timer heap",
    "sockets",
    "poll, clock",
    "tasks",
    "futures",
    "loop",
    "workload (2)",
    "other",
];

fn page(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("chapters/generated")
        .join(name);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The time per operation of each workload, per loop, and the ratios (`performance.md`, where
/// they are two tables).
fn results_table() -> Table {
    Table::joined(
        &page("performance.md"),
        &[
            &["workload", "N", "steploop"],
            &["workload", "tokio ÷ steploop"],
        ],
        "workload",
    )
}

/// Instructions per operation by category (`profile.md`, where the categories are split
/// between two tables).
fn profile() -> Table {
    Table::joined(
        &page("profile.md"),
        &[
            &["workload", "all"],
            &["workload", "allocation"],
            &["workload", "tasks"],
        ],
        "workload",
    )
}

/// The category that takes the most instructions of `workload`, and its share of all.
fn largest_column(profile: &Table, workload: &str) -> (&'static str, f64) {
    let row = profile.row("workload", workload);
    let (column, value) = PROFILE_COLUMNS
        .iter()
        .map(|&column| (column, row.number(column)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap();
    (column, value / row.number("all"))
}

/// `profile.md`'s list of the five functions `workload` spends most in, largest first.
fn top_functions(workload: &str) -> Vec<(String, f64)> {
    let text = page("profile.md");
    let prefix = format!("- `{workload}`: ");
    let line = text
        .lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("profile.md lists no top functions for {workload}"));
    let top: Vec<(String, f64)> = line
        .split("; ")
        .map(|entry| {
            let (function, count) = entry
                .rsplit_once(' ')
                .unwrap_or_else(|| panic!("cannot read \"{entry}\" in profile.md"));
            (function.trim_matches('`').to_owned(), number(count))
        })
        .collect();
    assert!(top.len() >= 2, "{workload}: {top:?}");
    top
}

/// A markdown table: its rows, by column name.
struct Table {
    rows: Vec<Row>,
}

struct Row(BTreeMap<String, String>);

impl Table {
    /// The first table in `text` whose header has every column in `columns`.
    fn find(text: &str, columns: &[&str]) -> Table {
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if !line.starts_with('|') {
                continue;
            }
            let mut header = cells(line);
            // A name that repeats (profile.md has a `workload` column of names and one of
            // instructions) is told apart by its position: `workload (2)`.
            for j in 1..header.len() {
                let repeats = header[..j].iter().filter(|h| **h == header[j]).count();
                if repeats > 0 {
                    header[j] = format!("{} ({})", header[j], repeats + 1);
                }
            }
            if !columns.iter().all(|c| header.iter().any(|h| h == c)) {
                continue;
            }
            let rows = lines[i + 2..]
                .iter()
                .take_while(|line| line.starts_with('|'))
                .map(|line| Row(header.iter().cloned().zip(cells(line)).collect()))
                .collect();
            return Table { rows };
        }
        panic!("no table with the columns {columns:?}");
    }

    /// The tables in `text` that have the columns of each of `tables`, joined on `key`: a
    /// generated page splits a wide table in parts that fit the book's column.
    fn joined(text: &str, tables: &[&[&str]], key: &str) -> Table {
        let mut parts = tables.iter().map(|columns| Table::find(text, columns));
        let mut whole = parts.next().expect("at least one table");
        for part in parts {
            assert_eq!(
                part.rows.len(),
                whole.rows.len(),
                "the parts of a table have the same rows"
            );
            for (row, more) in whole.rows.iter_mut().zip(part.rows) {
                assert_eq!(
                    row.get(key),
                    more.get(key),
                    "the parts' rows are in one order"
                );
                row.0.extend(more.0);
            }
        }
        whole
    }

    /// The row whose `column` is `value`.
    fn row(&self, column: &str, value: &str) -> &Row {
        self.rows
            .iter()
            .find(|row| row.get(column) == value)
            .unwrap_or_else(|| panic!("no row with {column} = {value}"))
    }
}

impl Row {
    fn get(&self, column: &str) -> &str {
        self.0
            .get(column)
            .unwrap_or_else(|| panic!("no column {column} in {:?}", self.0))
    }

    fn number(&self, column: &str) -> f64 {
        number(self.get(column))
    }
}

/// The cells of a table line, without their bold and code marks.
fn cells(line: &str) -> Vec<String> {
    line.trim()
        .trim_matches('|')
        .split('|')
        .map(|cell| cell.trim().replace(['*', '`'], ""))
        .collect()
}

/// The number a cell or a count shows: `1,082`, `3.93×`, `4.00`, `30.7 ns` (in seconds).
fn number(text: &str) -> f64 {
    let text = text.trim().trim_end_matches('×');
    let (value, scale) = match text.split_once(' ') {
        Some((value, "ns")) => (value, 1e-9),
        Some((value, "µs")) => (value, 1e-6),
        Some((value, "ms")) => (value, 1e-3),
        Some((value, "s")) => (value, 1.0),
        _ => (text, 1.0),
    };
    value
        .replace(',', "")
        .parse::<f64>()
        .unwrap_or_else(|_| panic!("not a number: {text:?}"))
        * scale
}

#[test]
fn reading_counts_leaves_out_units_chapters_and_addresses() {
    assert_eq!(
        counts_in("one server, 50 clients, 2,000 echoes of 64 bytes each over 127.0.0.1"),
        [50, 2000]
    );
    assert_eq!(
        counts_in("the word count of [chapter 13](ch13.md) over 5,000,000 lines"),
        [5_000_000]
    );
    assert_eq!(
        counts_in("1,000 tasks yielding 1,000 times each (`sleep(0)`), 4 threads, 10 ms"),
        [1000, 1000]
    );
    assert!((number("1.65 µs") - 1.65e-6).abs() < 1e-15);
    assert_eq!(number("3.93×"), 3.93);
    assert_eq!(number("1,082"), 1082.0);
}
