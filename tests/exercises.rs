//! The chapters' exercises and their checked solutions, held together (the mechanism is in
//! `examples/solutions/README.md`).
//!
//! A solution is a program in `examples/solutions/`, registered in `Cargo.toml` so that cargo
//! builds it and runs its tests, and shown in its chapter, folded in a `<details>` block, by an
//! `{{#include}}` of the file. This test fails when a piece is missing: a chapter without
//! exercises, a solution cargo does not build or nobody tests, a solution no chapter shows, or
//! code typed into a solution block instead of included from a checked file.

use std::fs;
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The chapter files, in the order of SUMMARY.md, without the introduction.
fn chapters() -> Vec<(String, String)> {
    let summary = fs::read_to_string(root().join("chapters/SUMMARY.md")).unwrap();
    summary
        .lines()
        .filter_map(|line| line.trim().strip_prefix("- ["))
        .filter_map(|line| line.split("](").nth(1)?.strip_suffix(')'))
        .map(|file| {
            let text = fs::read_to_string(root().join("chapters").join(file))
                .unwrap_or_else(|e| panic!("cannot read chapters/{file}: {e}"));
            (file.to_owned(), text)
        })
        .collect()
}

/// The solution programs: every `.rs` file in `examples/solutions/`.
fn solutions() -> Vec<String> {
    let mut files: Vec<String> = fs::read_dir(root().join("examples/solutions"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".rs"))
        .collect();
    files.sort();
    files
}

/// The `[[example]]` tables of Cargo.toml: (name, path, test), read line by line.
fn registered_examples() -> Vec<(String, String, bool)> {
    let manifest = fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let mut examples = Vec::new();
    for table in manifest.split("\n[").skip(1) {
        let Some(body) = table.strip_prefix("[example]]") else {
            continue;
        };
        let value = |key: &str| {
            body.lines()
                .filter_map(|line| line.split_once('='))
                .find(|(k, _)| k.trim() == key)
                .map(|(_, v)| v.trim().trim_matches('"').to_owned())
        };
        examples.push((
            value("name").unwrap_or_default(),
            value("path").unwrap_or_default(),
            value("test").as_deref() == Some("true"),
        ));
    }
    examples
}

/// The text of a chapter's `## Exercises` section, if it has one.
fn exercises_section(text: &str) -> Option<&str> {
    let start = text.find("\n## Exercises\n")? + 1;
    let end = text[start + 3..]
        .find("\n## ")
        .map_or(text.len(), |end| start + 3 + end);
    Some(&text[start..end])
}

/// The `<details>` blocks of a piece of markdown, each from `<details>` to `</details>`.
fn details_blocks(text: &str) -> Vec<&str> {
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("<details>") {
        let end = rest[start..]
            .find("</details>")
            .map(|end| start + end + "</details>".len())
            .expect("every <details> is closed");
        blocks.push(&rest[start..end]);
        rest = &rest[end..];
    }
    blocks
}

#[test]
fn every_chapter_has_exercises() {
    let missing: Vec<String> = chapters()
        .into_iter()
        .filter(|(_, text)| exercises_section(text).is_none())
        .map(|(file, _)| file)
        .collect();
    assert!(
        missing.is_empty(),
        "chapters without a \"## Exercises\" section: {missing:?}"
    );
}

#[test]
fn every_solution_is_built_and_tested() {
    let registered = registered_examples();
    let tests_dir = root().join("tests");
    let included_by_a_test = |file: &str| {
        let marker = format!("#[path = \"../examples/solutions/{file}\"]");
        fs::read_dir(&tests_dir).unwrap().any(|entry| {
            let path: PathBuf = entry.unwrap().path();
            path.extension().is_some_and(|e| e == "rs")
                && fs::read_to_string(&path).is_ok_and(|text| text.contains(&marker))
        })
    };
    for file in solutions() {
        let path = format!("examples/solutions/{file}");
        let stem = file.trim_end_matches(".rs");
        let Some((name, _, test)) = registered.iter().find(|(_, p, _)| *p == path) else {
            panic!(
                "{path} is not in Cargo.toml, so cargo never builds it: add\n\n\
                 [[example]]\nname = \"{stem}\"\npath = \"{path}\"\ntest = true\n"
            );
        };
        assert_eq!(name, stem, "{path}: name the example after its file");
        assert!(
            *test || included_by_a_test(&file),
            "{path} is built but never tested: add `test = true` to its [[example]] in \
             Cargo.toml, or, if it starts a process pool, check it from a harness = false test \
             that includes it with #[path]"
        );
        let text = fs::read_to_string(root().join(&path)).unwrap();
        assert!(
            text.contains("// ANCHOR: solution") && text.contains("// ANCHOR_END: solution"),
            "{path} has no `solution` anchor for the chapter to show"
        );
    }
}

#[test]
fn every_solution_is_shown_folded_in_its_chapter_s_exercises() {
    let chapters = chapters();
    let include = "{{#include ../examples/solutions/";
    for file in solutions() {
        let directive = format!("{include}{file}:");
        let shown_in: Vec<&str> = chapters
            .iter()
            .filter(|(_, text)| text.contains(&directive))
            .map(|(name, _)| name.as_str())
            .collect();
        assert_eq!(
            shown_in.len(),
            1,
            "examples/solutions/{file} must be shown by exactly one chapter, not {shown_in:?}"
        );
    }
    for (name, text) in &chapters {
        // Every solution shown sits in a details block of the exercises.
        let folded: usize = exercises_section(text)
            .map(|section| {
                details_blocks(section)
                    .iter()
                    .map(|block| block.matches(include).count())
                    .sum()
            })
            .unwrap_or(0);
        assert_eq!(
            folded,
            text.matches(include).count(),
            "{name}: a solution is shown outside a <details> block of its exercises"
        );
        // And a details block holds no code of its own: only included, checked files.
        for block in exercises_section(text)
            .map(details_blocks)
            .unwrap_or_default()
        {
            let code: Vec<&str> = block.split("```").skip(1).step_by(2).collect();
            for fenced in code {
                let body = fenced.split_once('\n').map_or("", |(_, body)| body);
                for line in body.lines().filter(|l| !l.trim().is_empty()) {
                    assert!(
                        line.trim_start().starts_with(include),
                        "{name}: a solution block shows code that no test checks:\n{line}\n\
                         put it in examples/solutions/ and include it"
                    );
                }
            }
        }
    }
}

#[test]
fn details_blocks_are_found_whole() {
    let text = "1. **One.**\n\n<details>\n<summary>Solution</summary>\n\n```rust\n\
                {{#include ../examples/solutions/a.rs:solution}}\n```\n\n</details>\n\n\
                2. **Two.**\n\n<details>\n<summary>Answer</summary>\n\nProse.\n\n</details>\n";
    let blocks = details_blocks(text);
    assert_eq!(blocks.len(), 2);
    assert!(blocks[0].contains("a.rs") && blocks[1].contains("Prose."));
    assert_eq!(
        exercises_section("# C\n\n## Exercises\n\n1. x\n\n## Next\n"),
        Some("## Exercises\n\n1. x\n")
    );
}
