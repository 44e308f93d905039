//! The book's pictures and replays: every timeline in `chapters/generated/` is well-formed SVG
//! and exactly what the code draws now, and every replay in `chapters/generated/replay/` (what
//! the chapters' step-through viewers load) is well-formed JSON and exactly what the loop's
//! replay of the run writes now. A file that no longer matches its program fails here; to
//! write them again, run `UPDATE_PICTURES=1 cargo test --test pictures` and look at the result.
//!
//! Every picture and replay comes from a trace on the virtual clock (chapter 10's are
//! simulations, see `examples/ch10_simulated.rs`), so it is the same on every run, byte for
//! byte.

// The tour's examples share some modules; see the tour.
#![allow(clippy::duplicate_mod)]

use std::path::{Path, PathBuf};

#[allow(dead_code)] // the tour's own `main` and stops are not used here
#[path = "../examples/tour.rs"]
mod tour;

mod json;

fn generated() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("chapters/generated")
}

fn update_requested() -> bool {
    std::env::var_os("UPDATE_PICTURES").is_some_and(|v| v == "1")
}

#[test]
fn every_picture_is_well_formed_and_up_to_date() {
    let update = update_requested();
    let mut stale = Vec::new();
    for (file, draw) in tour::PICTURES {
        let svg = draw();
        if let Err(problem) = check_svg(&svg) {
            panic!("{file} as drawn now is not well-formed SVG: {problem}");
        }
        let path = generated().join(file);
        if update {
            std::fs::create_dir_all(generated()).unwrap();
            std::fs::write(&path, &svg).unwrap();
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(committed) if committed == svg => {}
            Ok(_) => stale.push(format!("{file} differs from what the code draws now")),
            Err(error) => stale.push(format!("{file} cannot be read: {error}")),
        }
    }
    assert!(
        stale.is_empty(),
        "stale pictures in chapters/generated:\n  {}\nto draw them again: \
         UPDATE_PICTURES=1 cargo test --test pictures (then look at them before committing)",
        stale.join("\n  ")
    );
}

#[test]
fn every_replay_is_well_formed_and_up_to_date() {
    let update = update_requested();
    let dir = generated().join("replay");
    let mut stale = Vec::new();
    for stepper in tour::STEPPERS {
        let name = stepper.name;
        let text = stepper.json();
        let value = json::parse(&text)
            .unwrap_or_else(|problem| panic!("{name}.json as written now: {problem}"));
        assert_eq!(value.get("name").as_str(), Some(name));
        if let Some((file, _, _)) = stepper.picture {
            let picture = value.get("picture");
            assert_eq!(
                picture.get("file").as_str(),
                Some(format!("generated/{file}").as_str())
            );
            let svg = std::fs::read_to_string(generated().join(file)).unwrap();
            let width = picture.get("width").as_f64().unwrap();
            assert!(
                svg.contains(&format!(" width=\"{width}\"")),
                "{name}.json: the picture is {width} wide"
            );
        }
        assert!(
            !text.contains("</"),
            "{name}.json could end the <script> element it is embedded in"
        );
        let path = dir.join(format!("{name}.json"));
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &text).unwrap();
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(committed) if committed == text => {}
            Ok(_) => stale.push(format!(
                "replay/{name}.json differs from the run's replay now"
            )),
            Err(error) => stale.push(format!("replay/{name}.json cannot be read: {error}")),
        }
    }
    let listed: Vec<String> = tour::STEPPERS
        .iter()
        .map(|stepper| format!("{}.json", stepper.name))
        .collect();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let file = entry.unwrap().file_name().into_string().unwrap();
        assert!(
            listed.contains(&file),
            "chapters/generated/replay/{file} is written by no entry of STEPPERS in \
             examples/tour.rs: delete it, or list the run it replays"
        );
    }
    assert!(
        stale.is_empty(),
        "stale replays in chapters/generated:\n  {}\nto write them again: \
         UPDATE_PICTURES=1 cargo test --test pictures (then look at them before committing)",
        stale.join("\n  ")
    );
}

/// The charts that `bench/compare` draws from its measurements.
const MEASURED: &[&str] = &["performance.svg", "mapreduce-chunks.svg"];

#[test]
fn every_picture_of_the_book_is_listed() {
    let listed: Vec<&str> = tour::PICTURES.iter().map(|(file, _)| *file).collect();
    for entry in std::fs::read_dir(generated()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if !name.ends_with(".svg") {
            continue; // other generated files (tables of measurements) have their own makers
        }
        if MEASURED.contains(&name.as_str()) {
            // Charts of measurements: no two runs draw them alike, so they are not redrawn
            // here; but the book shows them, so they must be well-formed.
            let chart = std::fs::read_to_string(generated().join(&name)).unwrap();
            check_svg(&chart).unwrap_or_else(|problem| panic!("{name}: {problem}"));
            continue;
        }
        assert!(
            listed.contains(&name.as_str()),
            "chapters/generated/{name} is not drawn by any entry of PICTURES in \
             examples/tour.rs: delete it, or list what draws it"
        );
    }
}

/// Every number given to an attribute `name` in an SVG, in order.
fn attribute_values(svg: &str, name: &str) -> Vec<f64> {
    svg.split(&format!(" {name}=\""))
        .skip(1)
        .map(|rest| {
            let value = rest.split('"').next().unwrap_or_default();
            value
                .parse()
                .unwrap_or_else(|_| panic!("{name}={value:?} is not a number"))
        })
        .collect()
}

/// The timelines are drawn for the book's column: no wider, so that the browser shows them
/// at their own size, and no text under 11 px. (`tests/steppers.rs` measures them as a
/// browser displays them.)
#[test]
fn every_timeline_fits_the_column_with_text_of_at_least_11_px() {
    for (file, draw) in tour::PICTURES {
        let svg = draw();
        let width = attribute_values(&svg, "width")[0];
        assert!(
            width <= steploop::timeline::Timeline::BOOK_COLUMN,
            "{file} is {width} px wide: draw it with .fit_width(Timeline::BOOK_COLUMN)"
        );
        let sizes = attribute_values(&svg, "font-size");
        assert!(!sizes.is_empty(), "{file} sets no font size");
        for size in sizes {
            assert!(size >= 11.0, "{file} has text of {size} px");
        }
    }
}

#[test]
fn a_picture_is_drawn_the_same_every_time() {
    for (file, draw) in tour::PICTURES {
        assert_eq!(draw(), draw(), "{file}");
    }
}

#[test]
fn the_tour_writes_every_trace_and_timeline() {
    let dir = std::env::temp_dir().join(format!("steploop-tour-out-{}", std::process::id()));
    let written = tour::write_out(&dir).expect("the folder is writable");
    let traces = tour::traces();
    assert_eq!(written.len(), 3 * traces.len() + tour::PICTURES.len());
    for (name, trace) in &traces {
        let text = std::fs::read_to_string(dir.join(format!("{name}.txt"))).unwrap();
        assert_eq!(text, trace.to_string(), "{name}.txt");
        assert!(!text.is_empty(), "{name} recorded nothing");
        let svg = std::fs::read_to_string(dir.join(format!("{name}.svg"))).unwrap();
        check_svg(&svg).unwrap_or_else(|problem| panic!("{name}.svg: {problem}"));
        let replay = std::fs::read_to_string(dir.join(format!("{name}.json"))).unwrap();
        let value = json::parse(&replay).unwrap_or_else(|problem| panic!("{name}.json: {problem}"));
        // The replay's text is the trace's, line by line.
        let lines: Vec<&str> = value
            .get("lines")
            .as_array()
            .iter()
            .map(|line| line.as_str().unwrap())
            .collect();
        assert_eq!(lines, text.lines().collect::<Vec<_>>(), "{name}.json");
    }
    // The steppers' replays are the same runs as the tour's traces of the same name.
    for stepper in tour::STEPPERS {
        let file = format!("{}.json", stepper.name);
        let written = std::fs::read_to_string(dir.join(&file)).unwrap();
        assert_eq!(written, stepper.json(), "{file}");
    }
    for (file, draw) in tour::PICTURES {
        assert_eq!(std::fs::read_to_string(dir.join(file)).unwrap(), draw());
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

// ---------------------------------------------------------------------------------------------
// A small well-formedness check: enough XML for the SVG we write
// ---------------------------------------------------------------------------------------------

/// Checks that `svg` is one `<svg>` element with balanced tags, quoted attributes, and no
/// stray `<` or `&` in text.
fn check_svg(svg: &str) -> Result<(), String> {
    let mut stack: Vec<&str> = Vec::new();
    let mut rest = svg;
    let mut offset = 0;
    let mut roots = 0;
    while let Some(start) = rest.find('<') {
        check_text(&rest[..start], offset)?;
        let end = rest[start..]
            .find('>')
            .ok_or_else(|| format!("a tag opened at byte {} is never closed", offset + start))?
            + start;
        let tag = &rest[start + 1..end];
        let at = offset + start;
        if let Some(name) = tag.strip_prefix('/') {
            match stack.pop() {
                Some(open) if open == name => {}
                Some(open) => return Err(format!("</{name}> at byte {at} closes <{open}>")),
                None => return Err(format!("</{name}> at byte {at} closes nothing")),
            }
        } else {
            let self_closing = tag.ends_with('/');
            let tag = tag.trim_end_matches('/');
            let name = tag.split_whitespace().next().unwrap_or_default();
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(format!("a tag without a proper name at byte {at}: <{tag}>"));
            }
            check_attributes(&tag[name.len()..], at)?;
            if stack.is_empty() {
                roots += 1;
                if name != "svg" {
                    return Err(format!("the document's root is <{name}>, not <svg>"));
                }
            }
            if !self_closing {
                stack.push(name);
            }
        }
        offset += end + 1;
        rest = &rest[end + 1..];
    }
    check_text(rest, offset)?;
    if let Some(open) = stack.last() {
        return Err(format!("<{open}> is never closed"));
    }
    if roots != 1 {
        return Err(format!("{roots} root elements, not one"));
    }
    Ok(())
}

/// `name="value"` pairs, each value free of `<` and `"`, names unique.
fn check_attributes(mut text: &str, at: usize) -> Result<(), String> {
    let mut seen = Vec::new();
    loop {
        text = text.trim_start();
        if text.is_empty() {
            return Ok(());
        }
        let (name, after) = text.split_once("=\"").ok_or_else(|| {
            format!("an attribute without a quoted value in the tag at byte {at}")
        })?;
        if name.is_empty() || name.contains(char::is_whitespace) {
            return Err(format!("a malformed attribute name {name:?} at byte {at}"));
        }
        if seen.contains(&name) {
            return Err(format!("attribute {name} twice in the tag at byte {at}"));
        }
        seen.push(name);
        let (value, after) = after
            .split_once('"')
            .ok_or_else(|| format!("attribute {name} is not closed at byte {at}"))?;
        check_text(value, at)?;
        text = after;
    }
}

/// Text holds no `<`, and each `&` starts one of the entities XML knows.
fn check_text(text: &str, offset: usize) -> Result<(), String> {
    if let Some(i) = text.find('<') {
        return Err(format!("a stray < at byte {}", offset + i));
    }
    for (i, _) in text.match_indices('&') {
        let entity = &text[i..];
        let known = ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"];
        if !known.iter().any(|e| entity.starts_with(e)) {
            return Err(format!("a stray & at byte {}", offset + i));
        }
    }
    Ok(())
}

#[test]
fn the_checker_finds_what_is_wrong() {
    assert_eq!(check_svg("<svg a=\"1\"><g><rect/></g></svg>"), Ok(()));
    let bad = [
        ("<svg><g></svg>", "closes <g>"),
        ("<svg><g>", "never closed"),
        ("<svg></svg><svg></svg>", "2 root elements"),
        ("<svg>a & b</svg>", "stray &"),
        ("<svg a=1></svg>", "quoted value"),
        ("<svg a=\"1\" a=\"2\"></svg>", "twice"),
        ("<rect/>", "root is <rect>"),
        ("<svg><text>1 < 2</text></svg>", "proper name"),
        ("<svg", "never closed"),
    ];
    for (svg, expected) in bad {
        let problem = check_svg(svg).expect_err(svg);
        assert!(problem.contains(expected), "{svg}: {problem}");
    }
}
