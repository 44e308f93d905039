//! The book in a real browser: its step-through viewers show what the traces say.
//!
//! The test builds the book, opens each chapter that has a viewer in headless Chromium (see
//! `tests/browser/mod.rs`), and steps through every run with the keyboard, handle by handle.
//! At every step it reads what the page shows — the ready deque, the timer heap, the tasks, the
//! clock, the output, the step's trace lines — and compares it with two things the page's data
//! file does not decide: the replay of the same run made now by the loop's own code, and the
//! chapter's text trace on the same page (its tick lines and printed lines). A viewer that
//! shows something else fails, and so does a stale or doctored data file: the test proves it by
//! doctoring one on purpose. It also checks the keys and the page without JavaScript, measures
//! the timelines of chapters 6, 10 and 13 as the page shows them (no label under 11 px), and
//! saves screenshots at desktop and phone width (`target/tmp/browser/`; with `UPDATE_PICTURES=1`,
//! the one chapter 14 shows, in `chapters/generated/`).
//!
//! It needs Chromium and chromedriver, so plain `cargo test` skips it; `bash .ci/run` installs
//! them when missing and runs it: `cargo test --test steppers -- --ignored`.

// The tour's examples share some modules; see the tour.
#![allow(clippy::duplicate_mod)]

mod browser;
mod json;

#[allow(dead_code)] // the tour's own `main` and stops are not used here
#[path = "../examples/tour.rs"]
mod tour;

use std::path::{Path, PathBuf};
use std::time::Duration;

use browser::{file_url, key, string, Browser, Session, Viewport};
use json::Value;
use mdbook_driver::config::Config;
use mdbook_driver::MDBook;
use steploop::replay::{Replay, StepKind, TaskState, Turn};
use steploop::timeline::TickMarks;
use tour::Stepper;

/// Where the test builds the book and saves its screenshots.
fn scratch() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser")
}

/// Builds the book (as `tests/book.rs` does, without creating missing chapters) into `out`;
/// returns the folder of the HTML pages.
fn build_book(out: &Path) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut config = Config::from_disk(root.join("book.toml")).expect("book.toml reads");
    config.build.create_missing = false;
    let mut book = MDBook::load_with_config(root, config).expect("the book loads");
    book.config.build.build_dir = out.to_path_buf();
    let _ = std::fs::remove_dir_all(out);
    book.build().expect("the book builds");
    book.build_dir_for("html")
}

/// The chapter page that holds the viewer of `name`'s replay.
fn page_of(html: &Path, name: &str) -> PathBuf {
    let marker = format!("\"name\": \"{name}\",");
    std::fs::read_dir(html)
        .expect("the book was built")
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            let file = path.file_name().unwrap().to_string_lossy();
            file.starts_with("ch") && file.ends_with(".html")
        })
        .find(|path| std::fs::read_to_string(path).unwrap().contains(&marker))
        .unwrap_or_else(|| panic!("no chapter has a viewer of {name}"))
}

/// Seconds with three decimals, as traces write them.
fn secs(nanos: u64) -> String {
    let millis = (nanos + 500_000) / 1_000_000;
    format!("{}.{:03}", millis / 1000, millis % 1000)
}

/// What a viewer shows at one step, as text.
#[derive(Debug, PartialEq)]
struct Shown {
    step: usize,
    time: String,
    ready: Vec<String>,
    later: Vec<String>,
    timers: Vec<String>,
    tasks: Vec<String>,
    output: Vec<String>,
    trace: Vec<String>,
    /// The lines of the chapter's text trace the viewer highlights, if the page has one.
    highlighted: Vec<usize>,
    /// Where the viewer marks its tick on the run's picture: x, top and bottom, as fractions
    /// of the picture's size (in hundredths, to compare without rounding noise).
    marker: Option<[i64; 3]>,
}

/// Reads what the viewer of `name` shows now.
const READ_VIEWER: &str = r#"
const root = document.querySelector('.steploop-stepper[data-replay="' + arguments[0] + '"]');
const own = (node) => Array.from(node.childNodes)
    .filter((child) => child.nodeType === Node.TEXT_NODE)
    .map((child) => child.textContent).join('');
const all = (selector) => Array.from(root.querySelectorAll(selector));
return {
    step: Number(root.dataset.step),
    time: root.querySelector('.sl-time').textContent,
    ready: all('.sl-deque .sl-tick .sl-chip').map((chip) =>
        own(chip) + '|' + chip.dataset.turn + (chip.classList.contains('sl-due') ? '|due' : '')),
    later: all('.sl-deque .sl-next .sl-chip, .sl-deque .sl-now .sl-chip')
        .map((chip) => chip.textContent),
    timers: all('.sl-heap li').map((item) =>
        Array.from(item.children).map((part) => part.textContent).join(' ')),
    tasks: root.querySelector('.sl-tasks').hidden ? [] : all('.sl-tasks tr').map((row) =>
        ['.sl-name', '.sl-coroutine', '.sl-state']
            .map((part) => row.querySelector(part).textContent).join(' ')),
    output: root.querySelector('.sl-output').hidden ? [] :
        all('.sl-printed > span').map((line) => line.textContent),
    trace: all('.sl-trace-lines > span').map((line) => line.textContent),
    marker: (() => {
        // Where the marker is on the picture, as fractions of the picture's width and height.
        const marker = document.querySelector('.sl-marker[data-replay="' + arguments[0] + '"]');
        if (!marker || marker.hidden) {
            return null;
        }
        const img = marker.parentNode.querySelector('img').getBoundingClientRect();
        const at = marker.getBoundingClientRect();
        return [(at.left - img.left) / img.width, (at.top - img.top) / img.height,
            (at.bottom - img.top) / img.height];
    })(),
    highlighted: Array.from(document.querySelectorAll('code.sl-linked .sl-line.sl-in-step'))
        .filter((line) => line.id.startsWith(root.dataset.lineIds))
        .map((line) => Number(line.dataset.line)),
};
"#;

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .iter()
        .map(|item| item.as_str().unwrap_or("(not text)").to_string())
        .collect()
}

fn read_viewer(page: &Session, name: &str) -> Result<Shown, String> {
    let value = page.script(READ_VIEWER, &[string(name)])?;
    Ok(Shown {
        step: value.get("step").as_f64().ok_or("no step shown")? as usize,
        time: value.get("time").as_str().unwrap_or_default().to_string(),
        ready: strings(value.get("ready")),
        later: strings(value.get("later")),
        timers: strings(value.get("timers")),
        tasks: strings(value.get("tasks")),
        output: strings(value.get("output")),
        trace: strings(value.get("trace")),
        highlighted: value
            .get("highlighted")
            .as_array()
            .iter()
            .filter_map(|n| n.as_f64().map(|n| n as usize))
            .collect(),
        marker: match value.get("marker").as_array() {
            [x, top, bottom] => {
                let hundredths = |v: &Value| (v.as_f64().unwrap_or(-1.0) * 100.0).round() as i64;
                Some([hundredths(x), hundredths(top), hundredths(bottom)])
            }
            _ => None,
        },
    })
}

/// What the viewer must show at step `i`, from the replay made now (and the picture's tick
/// marks, drawn now, if the run has a picture).
fn expected(replay: &Replay, marks: Option<&TickMarks>, i: usize) -> Shown {
    let step = &replay.steps()[i];
    let ready = step
        .tick_ready
        .iter()
        .map(|entry| {
            let turn = match entry.turn {
                Turn::Ran => "ran",
                Turn::Running => "running",
                Turn::Skipped => "skipped",
                Turn::Dropped => "dropped",
                _ => "waiting",
            };
            let due = if entry.due { "|due" } else { "" };
            format!("{}|{turn}{due}", entry.label)
        })
        .collect();
    let timers = step
        .timers
        .iter()
        .map(|timer| {
            let by = match &timer.set_by {
                Some(handle) => format!("set by {handle}"),
                None => "set outside the loop".to_string(),
            };
            let cancelled = if timer.cancelled { "cancelled, " } else { "" };
            format!("t={} {} {cancelled}{by}", secs(timer.when), timer.label)
        })
        .collect();
    let tasks = step
        .tasks
        .iter()
        .zip(replay.tasks())
        .map(|(task, info)| {
            let mut state = match &task.state {
                TaskState::Created => "created".to_string(),
                TaskState::Ready => "ready".to_string(),
                TaskState::Waiting(on) => format!("waiting on {on}"),
                TaskState::Suspended => "suspended (waits on a waker)".to_string(),
                TaskState::Done(outcome) => format!("done: {outcome}"),
                other => format!("{other:?}"),
            };
            if task.cancelling {
                state.push_str(", being cancelled");
            }
            format!("{} {} {state}", info.name, info.coroutine)
        })
        .collect();
    Shown {
        step: i,
        time: format!("t={}", secs(step.time)),
        ready,
        later: step.later.iter().map(|l| l.to_string()).collect(),
        timers,
        tasks,
        output: replay.output()[..step.printed].to_vec(),
        trace: replay.lines()[step.first_line..=step.last_line].to_vec(),
        highlighted: Vec::new(), // checked against the page's own text instead
        marker: marks.and_then(|marks| {
            let x = marks.ticks.iter().find(|(tick, _)| *tick == step.tick)?.1;
            let fraction = |part: f64, whole: f64| (part / whole * 100.0).round() as i64;
            (step.kind != StepKind::Outside).then(|| {
                [
                    fraction(x, marks.width),
                    fraction(marks.top, marks.height),
                    fraction(marks.bottom, marks.height),
                ]
            })
        }),
    }
}

/// Checks what the page's own text trace says against what the viewer shows: the tick line's
/// ready list and time, and every line printed so far.
fn check_against_page_trace(page_trace: &[String], shown: &Shown) -> Result<(), String> {
    let Some(&last) = shown.highlighted.last() else {
        return Err("the viewer highlights no line of the chapter's trace".into());
    };
    if shown.highlighted.len() != shown.trace.len()
        || page_trace[shown.highlighted[0]..=last] != shown.trace[..]
    {
        return Err(format!(
            "the viewer shows the lines {:?} but highlights lines {:?} of the chapter's trace",
            shown.trace, shown.highlighted
        ));
    }
    let printed: Vec<String> = page_trace[..=last]
        .iter()
        .filter_map(|line| line.strip_prefix("    print \""))
        .map(|line| line.strip_suffix('"').unwrap_or(line).to_string())
        .collect();
    if printed != shown.output {
        return Err(format!(
            "the trace has printed {printed:?} by here, the viewer shows {:?}",
            shown.output
        ));
    }
    if shown.ready.is_empty() {
        return Ok(()); // outside the loop: no tick line
    }
    let tick_line = page_trace[..=last]
        .iter()
        .rev()
        .find(|line| line.starts_with("tick "))
        .ok_or("a tick's step before any tick line")?;
    let (head, list) = tick_line
        .split_once("  ready: [")
        .ok_or("a tick line without a ready list")?;
    let list = list.split(']').next().unwrap_or_default();
    let listed: Vec<&str> = list.split(", ").filter(|l| !l.is_empty()).collect();
    let labels: Vec<&str> = shown
        .ready
        .iter()
        .map(|chip| chip.split('|').next().unwrap())
        .collect();
    if listed != labels {
        return Err(format!(
            "the trace says `{tick_line}`, the viewer shows the deque {labels:?}"
        ));
    }
    let busy = page_trace[..=last]
        .iter()
        .rev()
        .take_while(|line| !line.starts_with("tick "))
        .any(|line| line.trim_start().starts_with("busy "));
    let time = head.split("  t=").nth(1).unwrap_or_default();
    if !busy && shown.time != format!("t={time}") {
        return Err(format!(
            "the trace says `{tick_line}`, the viewer shows {}",
            shown.time
        ));
    }
    Ok(())
}

/// Steps through the whole run of `stepper` with the → key and checks every step against
/// `replay` (the run's, unless a test says otherwise).
fn walk(page: &Session, stepper: &Stepper, replay: &Replay) -> Result<(), String> {
    let name = stepper.name;
    let marks = stepper
        .picture
        .map(|(_, marks, panel)| marks()[panel].clone());
    page.wait_for(
        &format!(
            "return !!document.querySelector('.steploop-stepper[data-replay=\"{name}\"].sl-on')"
        ),
        Duration::from_secs(10),
    )?;
    let root = page.find(&format!(".steploop-stepper[data-replay=\"{name}\"]"))?;
    page.script(
        "arguments[0].focus(); arguments[0].scrollIntoView();",
        &[Session::arg(&root)],
    )?;
    let page_trace: Option<Vec<String>> = {
        let lines = page.script(
            "const line = document.querySelector('code.sl-linked .sl-line');
             return line ? Array.from(line.parentNode.querySelectorAll('.sl-line'))
                 .map((l) => l.textContent) : null;",
            &[],
        )?;
        (!lines.is_null()).then(|| strings(&lines))
    };
    let steps = replay.steps().len();
    for i in 0..steps {
        let shown = read_viewer(page, name)?;
        let want = expected(replay, marks.as_ref(), i);
        let compare = |what: &str, shown: &dyn std::fmt::Debug, want: &dyn std::fmt::Debug| {
            let (shown, want) = (format!("{shown:?}"), format!("{want:?}"));
            if shown == want {
                Ok(())
            } else {
                Err(format!(
                    "{name}, step {i} of {steps}: the viewer shows {what} {shown}, the replay \
                     of the run says {want}"
                ))
            }
        };
        compare("the step", &shown.step, &want.step)?;
        compare("the clock", &shown.time, &want.time)?;
        compare("the deque", &shown.ready, &want.ready)?;
        compare("the deque's later entries", &shown.later, &want.later)?;
        compare("the timer heap", &shown.timers, &want.timers)?;
        compare("the tasks", &shown.tasks, &want.tasks)?;
        compare("the output", &shown.output, &want.output)?;
        compare("the trace lines", &shown.trace, &want.trace)?;
        compare("the picture's marker", &shown.marker, &want.marker)?;
        if let Some(page_trace) = &page_trace {
            check_against_page_trace(page_trace, &shown)
                .map_err(|problem| format!("{name}, step {i}: {problem}"))?;
        }
        page.press(None, &[key::ARROW_RIGHT])?;
    }
    // Past the end, → stays on the last step.
    let shown = read_viewer(page, name)?;
    if shown.step != steps - 1 {
        return Err(format!(
            "{name}: → past the last step went to step {}",
            shown.step
        ));
    }
    Ok(())
}

/// The other keys: Home, End, Page Down / Up and Shift + arrows move by ticks.
fn check_keys(page: &Session, name: &str, replay: &Replay) -> Result<(), String> {
    let step_now = |page: &Session| read_viewer(page, name).map(|shown| shown.step);
    let steps = replay.steps();
    // Where ticks begin; one tick back goes to the start of the tick, or, from there, to the
    // start of the one before.
    let starts: Vec<usize> = (0..steps.len())
        .filter(|&i| {
            i == 0 || {
                let (step, before) = (&steps[i], &steps[i - 1]);
                step.kind == StepKind::Outside
                    || before.kind == StepKind::Outside
                    || before.tick != step.tick
            }
        })
        .collect();
    let tick_back = |i: usize| starts.iter().rev().find(|&&s| s < i).copied().unwrap_or(0);
    let expect = |what: &str, want: usize| -> Result<(), String> {
        let now = step_now(page)?;
        if now == want {
            Ok(())
        } else {
            Err(format!("{name}: {what} went to step {now}, not {want}"))
        }
    };
    page.press(None, &[key::HOME])?;
    expect("Home", 0)?;
    for &start in &starts[1..] {
        page.press(None, &[key::PAGE_DOWN])?;
        expect("Page Down", start)?;
    }
    let last = steps.len() - 1;
    page.press(None, &[key::HOME, key::END])?;
    expect("End", last)?;
    page.press(Some(key::SHIFT), &[key::ARROW_LEFT])?;
    expect("Shift + ←", tick_back(last))?;
    page.press(None, &[key::PAGE_UP])?;
    expect("Page Up", tick_back(tick_back(last)))?;
    page.press(None, &[key::ARROW_LEFT])?;
    expect("←", tick_back(tick_back(last)) - 1)?;
    page.press(Some(key::SHIFT), &[key::ARROW_RIGHT])?;
    expect("Shift + →", tick_back(tick_back(last)))?;
    // The keys moved the viewer, not the book (whose arrows turn the page).
    let url = page.script("return location.pathname", &[])?;
    if !url
        .as_str()
        .unwrap_or_default()
        .ends_with("ch06-tasks.html")
    {
        return Err(format!("{name}: the keys left the chapter for {url}"));
    }
    Ok(())
}

/// A copy of the page whose embedded data says something else than the run: one change to the
/// JSON text, which must be found once.
fn doctored_page(page: &Path, from: &str, to: &str) -> PathBuf {
    let html = std::fs::read_to_string(page).unwrap();
    assert_eq!(html.matches(from).count(), 1, "{from} is in the page once");
    let copy = page.with_file_name(format!(
        "doctored-{}",
        page.file_name().unwrap().to_string_lossy()
    ));
    std::fs::write(&copy, html.replacen(from, to, 1)).unwrap();
    copy
}

#[test]
#[ignore = "needs Chromium and chromedriver: bash .ci/run runs it (cargo test --test steppers -- --ignored)"]
fn the_steppers_show_what_the_traces_say() {
    let html = build_book(&scratch().join("book"));
    let browser = Browser::start().unwrap_or_else(|problem| panic!("{problem}"));
    let page = browser
        .session(Viewport::DESKTOP)
        .unwrap_or_else(|problem| panic!("{problem}"));
    for stepper in tour::STEPPERS {
        let (name, replay) = (stepper.name, stepper.replay());
        page.open(&file_url(&page_of(&html, name))).unwrap();
        walk(&page, stepper, &replay).unwrap_or_else(|problem| panic!("{problem}"));
        if name == "ch06_say_after" {
            check_keys(&page, name, &replay).unwrap_or_else(|problem| panic!("{problem}"));
        }
    }
}

#[test]
#[ignore = "needs Chromium and chromedriver: bash .ci/run runs it (cargo test --test steppers -- --ignored)"]
fn a_doctored_data_file_is_caught() {
    let html = build_book(&scratch().join("doctored-book"));
    let browser = Browser::start().unwrap_or_else(|problem| panic!("{problem}"));
    let page = browser
        .session(Viewport::DESKTOP)
        .unwrap_or_else(|problem| panic!("{problem}"));
    let name = "ch06_say_after";
    let stepper = tour::STEPPERS.iter().find(|s| s.name == name).unwrap();
    let replay = stepper.replay();
    let chapter = page_of(&html, name);
    // The genuine page passes; each change below makes it fail, at the step it changes.
    page.open(&file_url(&chapter)).unwrap();
    walk(&page, stepper, &replay).unwrap_or_else(|problem| panic!("{problem}"));
    let changes = [
        (
            // The deque: tick 2 in the other order.
            r#""ready": [{"label": "Task-2.step", "due": false, "turn": "running"}, {"label": "Task-3.step""#,
            r#""ready": [{"label": "Task-3.step", "due": false, "turn": "running"}, {"label": "Task-2.step""#,
            "step 2 of 11: the viewer shows the deque",
        ),
        (
            // The heap: the second sleep due a second late, at one step.
            r#""later": [], "timers": [{"when": "1.000", "seq": 0, "label": "set_result_unless_cancelled", "cancelled": false, "set_by": "Task-2.step"}, {"when": "2.000""#,
            r#""later": [], "timers": [{"when": "1.000", "seq": 0, "label": "set_result_unless_cancelled", "cancelled": false, "set_by": "Task-2.step"}, {"when": "3.000""#,
            "step 3 of 11: the viewer shows the timer heap",
        ),
        (
            // A task: main waiting on the wrong task.
            r#"[{"state": "waiting", "on": "Task-3", "outcome": null, "ran": true"#,
            r#"[{"state": "waiting", "on": "Task-2", "outcome": null, "ran": true"#,
            "step 6 of 11: the viewer shows the tasks",
        ),
        (
            // The picture: tick 3 marked where tick 6 is.
            "[3, 359]",
            "[3, 594]",
            "step 4 of 11: the viewer shows the picture's marker",
        ),
        (
            // The output: a line the program never printed.
            "\"2\",\n\"task1\"",
            "\"2\",\n\"task one\"",
            "step 5 of 11: the viewer shows the output",
        ),
    ];
    for (from, to, reported) in changes {
        page.open(&file_url(&doctored_page(&chapter, from, to)))
            .unwrap();
        let problem = walk(&page, stepper, &replay).expect_err("a doctored file must be caught");
        assert!(problem.contains(reported), "{problem}");
    }
}

#[test]
#[ignore = "needs Chromium and chromedriver: bash .ci/run runs it (cargo test --test steppers -- --ignored)"]
fn screenshots_at_desktop_and_phone_width() {
    let html = build_book(&scratch().join("screenshot-book"));
    let browser = Browser::start().unwrap_or_else(|problem| panic!("{problem}"));
    let shots = scratch().join("screenshots");
    // The phone is a tall one, so that a whole viewer fits in one screenshot.
    let phone = Viewport {
        height: 1800,
        ..Viewport::PHONE
    };
    // Each run at a telling step: say_after in tick 2's second handle (two timers, tasks in
    // three states); chapter 4 where three timers came due at once; step 2 of chapter 10
    // where three answers waited in the heap while the loop crunched.
    let telling = |replay: &Replay, name: &str| -> usize {
        let steps = replay.steps();
        match name {
            "ch06_say_after" => 3,
            _ => (0..steps.len())
                .find(|&i| steps[i].tick_ready.iter().filter(|q| q.due).count() >= 3)
                .expect("a tick that took in three timers at once"),
        }
    };
    for (width, viewport) in [("desktop", Viewport::DESKTOP), ("phone", phone)] {
        let page = browser
            .session(viewport)
            .unwrap_or_else(|problem| panic!("{problem}"));
        for name in ["ch06_say_after", "ch04_time", "ch10_step2_simulated"] {
            let stepper = tour::STEPPERS.iter().find(|s| s.name == name).unwrap();
            let replay = stepper.replay();
            page.open(&file_url(&page_of(&html, name))).unwrap();
            let selector = format!(".steploop-stepper[data-replay=\"{name}\"]");
            page.wait_for(
                &format!("return !!document.querySelector('{selector}.sl-on')"),
                Duration::from_secs(10),
            )
            .unwrap();
            let root = page.find(&selector).unwrap();
            page.script("arguments[0].focus()", &[Session::arg(&root)])
                .unwrap();
            let step = telling(&replay, name);
            page.press(None, &[key::HOME]).unwrap();
            page.press(None, &vec![key::ARROW_RIGHT; step]).unwrap();
            assert_eq!(read_viewer(&page, name).unwrap().step, step);
            // Nothing may stick out of the column at this width.
            let fits = page
                .script(
                    "const r = arguments[0].getBoundingClientRect();
                     return r.right <= document.documentElement.clientWidth
                         && arguments[0].scrollWidth <= arguments[0].clientWidth;",
                    &[Session::arg(&root)],
                )
                .unwrap();
            assert_eq!(fits, Value::Bool(true), "{name}, {width}: the viewer fits");
            let file = shots.join(format!("{name}-{width}.png"));
            page.save_screenshot(&root, &file).unwrap();
            println!("saved {}", file.display());
            if stepper.picture.is_some() && width == "desktop" {
                let picture = page.find(".sl-picture").unwrap();
                let file = shots.join(format!("{name}-picture.png"));
                page.save_screenshot(&picture, &file).unwrap();
                println!("saved {}", file.display());
            }
            let update = std::env::var_os("UPDATE_PICTURES").is_some_and(|v| v == "1");
            if update && name == "ch06_say_after" && width == "desktop" {
                let shown = Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("chapters/generated/ch06_stepper.png");
                std::fs::copy(&file, &shown).unwrap();
                println!("and {}", shown.display());
            }
        }
    }
}

#[test]
#[ignore = "needs Chromium and chromedriver: bash .ci/run runs it (cargo test --test steppers -- --ignored)"]
fn without_javascript_the_trace_is_still_there() {
    let html = build_book(&scratch().join("plain-book"));
    let browser = Browser::start().unwrap_or_else(|problem| panic!("{problem}"));
    let page = browser
        .session_without_javascript(Viewport::DESKTOP)
        .unwrap_or_else(|problem| panic!("{problem}"));
    page.open(&file_url(&page_of(&html, "ch06_say_after")))
        .unwrap();
    assert!(
        page.find(".steploop-stepper.sl-on").is_err(),
        "the viewer's script did not run"
    );
    let viewer = page.find(".steploop-stepper").unwrap();
    let (_, height) = page.size(&viewer).unwrap();
    assert_eq!(height, 0.0, "without JavaScript the viewer takes no room");
    assert_eq!(
        page.text(&viewer).unwrap(),
        "",
        "and shows none of its data"
    );
    let mut texts = Vec::new();
    for block in page.find_all("pre > code").unwrap() {
        texts.push(page.text(&block).unwrap());
    }
    assert!(
        texts
            .iter()
            .any(|text| text.contains("tick 9  t=2.000  ready: [_run_until_complete_cb]")),
        "the text trace is on the page"
    );
}

/// Reads every picture of the page that is one of the book's timelines: its file, and how wide
/// it is shown and drawn (CSS pixels), once it has loaded.
const READ_PICTURES: &str = r#"
const timelines = arguments[0];
return Array.from(document.querySelectorAll('main img'))
    .filter((img) => timelines.some((file) => img.src.endsWith('/generated/' + file)))
    .map((img) => ({
        file: img.src.split('/').pop(),
        src: img.src,
        loaded: img.complete && img.naturalWidth > 0,
        shown: img.getBoundingClientRect().width,
        drawn: img.naturalWidth,
    }));
"#;

/// In an SVG document opened on its own: the smallest text, as the browser renders it at the
/// picture's own size (its computed font size, times the picture's scale, which is 1 here
/// unless the viewBox says otherwise), and which text it is.
const SMALLEST_TEXT: &str = r#"
const root = document.documentElement;
const scale = root.getBoundingClientRect().width / root.viewBox.baseVal.width;
let smallest = null;
for (const text of document.querySelectorAll('text')) {
    const size = parseFloat(getComputedStyle(text).fontSize) * scale;
    if (smallest === null || size < smallest.size) {
        smallest = {size: size, text: text.textContent};
    }
}
return smallest;
"#;

#[test]
#[ignore = "needs Chromium and chromedriver: bash .ci/run runs it (cargo test --test steppers -- --ignored)"]
fn the_timelines_are_legible_in_the_column() {
    // At a desktop's width the column is at its widest: a picture drawn for it is shown at its
    // own size, and its labels at the size they were drawn. The test measures that in the
    // browser: how wide each timeline is shown on its chapter's page against how wide it is
    // drawn, and the rendered size of its smallest label.
    let html = build_book(&scratch().join("pictures-book"));
    let browser = Browser::start().unwrap_or_else(|problem| panic!("{problem}"));
    let page = browser
        .session(Viewport::DESKTOP)
        .unwrap_or_else(|problem| panic!("{problem}"));
    let shots = scratch().join("screenshots");
    let timelines = Value::Array(
        tour::PICTURES
            .iter()
            .map(|(file, _)| string(file))
            .collect(),
    );
    let mut checked = Vec::new();
    for chapter in [
        "ch06-tasks.html",
        "ch10-offloading-blocking-work.html",
        "ch13-mapreduce-on-the-loop.html",
    ] {
        page.open(&file_url(&html.join(chapter))).unwrap();
        page.wait_for(
            "return Array.from(document.querySelectorAll('main img')).every((img) => img.complete)",
            Duration::from_secs(10),
        )
        .unwrap();
        let pictures = page
            .script(READ_PICTURES, std::slice::from_ref(&timelines))
            .unwrap();
        assert!(
            !pictures.as_array().is_empty(),
            "{chapter} shows no timeline"
        );
        for (i, picture) in pictures.as_array().iter().enumerate() {
            let file = picture.get("file").as_str().unwrap().to_string();
            assert_eq!(picture.get("loaded"), &Value::Bool(true), "{file} loads");
            let shown = picture.get("shown").as_f64().unwrap();
            let drawn = picture.get("drawn").as_f64().unwrap();
            let img = page.find_all("main img").unwrap().into_iter().find(|img| {
                page.script("return arguments[0].src", &[Session::arg(img)])
                    .unwrap()
                    .as_str()
                    .is_some_and(|src| src.ends_with(&format!("/generated/{file}")))
            });
            let shot = shots.join(format!("{}-in-column.png", file.trim_end_matches(".svg")));
            page.save_screenshot(&img.expect("the picture is on the page"), &shot)
                .unwrap();
            println!("saved {} ({chapter}, picture {})", shot.display(), i + 1);
            checked.push((chapter, file, shown, drawn));
        }
    }
    for (chapter, file, shown, drawn) in checked {
        page.open(&file_url(
            &Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("chapters/generated")
                .join(&file),
        ))
        .unwrap();
        let smallest = page.script(SMALLEST_TEXT, &[]).unwrap();
        let size = smallest.get("size").as_f64().expect("the picture has text");
        let displayed = size * shown / drawn;
        println!("{file} in {chapter}: drawn {drawn} px wide, shown {shown:.0} px; smallest label {size} px as drawn, {displayed:.1} px as shown");
        assert!(
            displayed >= 11.0,
            "{file} in {chapter}: the label {:?} is shown at {displayed:.1} px (drawn at {size} px, \
             the picture {drawn} px wide shown at {shown:.0} px): draw it for the column \
             (Timeline::fit_width) with no text under 11 px",
            smallest.get("text").as_str().unwrap_or_default()
        );
    }
}

/// Every table of the page wider than the column it is in: its first header cell, and how wide
/// it is against the column (CSS pixels).
const WIDE_TABLES: &str = r#"
const column = document.querySelector('main').getBoundingClientRect();
return Array.from(document.querySelectorAll('main table'))
    .map((table) => ({
        head: Array.from(table.querySelectorAll('th')).map((th) => th.textContent).join(' | '),
        width: table.scrollWidth,
        column: column.width,
    }))
    .filter((table) => table.width > table.column + 0.5);
"#;

#[test]
#[ignore = "needs Chromium and chromedriver: bash .ci/run runs it (cargo test --test steppers -- --ignored)"]
fn no_table_is_cut_off_at_desktop_width() {
    // mdBook lets a table wider than the column scroll sideways: at a desktop's width the
    // reader would see it cut off at the column's edge. Every table of the book must fit.
    let html = build_book(&scratch().join("tables-book"));
    let browser = Browser::start().unwrap_or_else(|problem| panic!("{problem}"));
    let page = browser
        .session(Viewport::DESKTOP)
        .unwrap_or_else(|problem| panic!("{problem}"));
    let mut pages: Vec<PathBuf> = std::fs::read_dir(&html)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            let file = path.file_name().unwrap().to_string_lossy();
            (file.starts_with("ch") || file == "introduction.html") && file.ends_with(".html")
        })
        .collect();
    pages.sort();
    assert!(pages.len() >= 16, "the chapters were built: {pages:?}");
    let mut wide = Vec::new();
    for chapter in &pages {
        page.open(&file_url(chapter)).unwrap();
        for table in page.script(WIDE_TABLES, &[]).unwrap().as_array() {
            wide.push(format!(
                "{}: the table headed {:?} is {} px wide in a column of {} px",
                chapter.file_name().unwrap().to_string_lossy(),
                table.get("head").as_str().unwrap_or_default(),
                table.get("width").as_f64().unwrap_or_default(),
                table.get("column").as_f64().unwrap_or_default()
            ));
        }
    }
    assert!(
        wide.is_empty(),
        "tables cut off at 1280 px:\n  {}",
        wide.join("\n  ")
    );
}
