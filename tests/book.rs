//! Keeps the book in `chapters/` trustworthy.
//!
//! `mdbook build` exits 0 even when the book is broken in ways a reader will
//! notice: an `{{#include}}` naming a missing file (the `links` preprocessor
//! logs an error and leaves the raw directive in the page), a missing anchor
//! or a line range past the end of the file (it silently includes nothing),
//! and a link to a page that does not exist (the HTML renderer rewrites
//! `foo.md` to `foo.html` without looking). This test fails in all of those
//! cases, then builds the book with the HTML renderer to make sure it renders.
//!
//! The checks read the chapters' raw markdown, before any preprocessor runs,
//! rather than the generated HTML: in the output an include that went wrong
//! is just an empty code block or some stray text, and a link is just an
//! `href`, with nothing saying which directive or which source line produced
//! it. In the source each problem can be reported with its chapter, its line,
//! the directive or link as written, and what is wrong with it. To make the
//! verdicts match what mdBook will do, the directive parser below mirrors
//! mdBook 0.5's `links` preprocessor (`mdbook-driver`,
//! `src/builtin_preprocessors/links.rs` and `links/take_lines.rs`).

use mdbook_driver::config::Config;
use mdbook_driver::MDBook;
use std::collections::HashSet;
use std::fs;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

// ---------------------------------------------------------------------------
// The test of the real book
// ---------------------------------------------------------------------------

#[test]
fn real_book_has_no_broken_includes_or_links_and_builds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut book = load_book(root).unwrap_or_else(|e| panic!("{e}"));

    let problems = check_loaded_book(&book);
    assert!(
        problems.is_empty(),
        "the book has {} problem(s):\n  {}",
        problems.len(),
        problems.join("\n  ")
    );

    // Never build into `target/book` (the configured build dir): a test must
    // not clobber what `mdbook build`/`mdbook serve` produce. To look at the
    // built book (say, in a browser), name a folder of your own:
    // `STEPLOOP_BOOK_OUT=/tmp/book cargo test --test book`.
    if let Some(dir) = std::env::var_os("STEPLOOP_BOOK_OUT") {
        build_book_into(&mut book, Path::new(&dir)).unwrap_or_else(|e| panic!("{e}"));
        return;
    }
    let out = TempDir::new("real");
    build_book_into(&mut book, out.path()).unwrap_or_else(|e| panic!("{e}"));
}

/// The chapters build the teaching loop stage by stage, in listings included from the
/// stages' files; together they must show every line of the last stage, so that a reader who
/// types in what the book shows has the whole loop.
#[test]
fn every_line_of_the_last_stage_is_shown_in_the_book() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let book = load_book(root).unwrap_or_else(|e| panic!("{e}"));
    let missing = lines_of_last_stage_not_shown(&book, &root.join("stages"));
    assert!(
        missing.is_empty(),
        "{} line(s) of the last stage appear in no listing of the book (include them from \
         the stage that adds them):\n  {}",
        missing.len(),
        missing.join("\n  ")
    );
}

/// Every listing, output, generated page and picture appears in one place in the book; other
/// chapters link to it.
#[test]
fn every_listing_and_picture_is_shown_once() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let book = load_book(root).unwrap_or_else(|e| panic!("{e}"));
    let src_dir = normalize(&book.source_dir());
    // What is shown (an included file and the part of it, or a picture) → where.
    let mut shown: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for chapter in book.book.chapters() {
        let Some(source_path) = &chapter.source_path else {
            continue;
        };
        let dir = src_dir.join(source_path.parent().unwrap_or(Path::new("")));
        let name = display_path(root, &src_dir.join(source_path));
        let text = &chapter.content;
        let line = |offset: usize| text[..offset].matches('\n').count() + 1;
        for directive in find_directives(text) {
            let target = display_path(root, &normalize(&dir.join(directive.path)));
            let what = match &directive.selection {
                Some(Selection::Anchor { name, .. }) => format!("{target}:{name}"),
                Some(Selection::Lines { spec, .. }) if !spec.is_empty() => {
                    format!("{target}:{spec}")
                }
                _ => target,
            };
            shown
                .entry(what)
                .or_default()
                .push(format!("{name}:{}", line(directive.offset)));
        }
        for link in find_links(text).iter().filter(|l| l.text.starts_with("![")) {
            let target = display_path(root, &normalize(&dir.join(&link.target)));
            shown
                .entry(target)
                .or_default()
                .push(format!("{name}:{}", line(link.offset)));
        }
    }
    let mut problems = Vec::new();
    for (what, places) in &shown {
        if places.len() > 1 {
            problems.push(format!(
                "{what} is shown {} times ({}): show it once and link to it",
                places.len(),
                places.join(", ")
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// ---------------------------------------------------------------------------
// Loading and building
// ---------------------------------------------------------------------------

/// Loads the book whose `book.toml` is in `root`.
///
/// This is `MDBook::load` minus two things, on purpose: `create-missing` is
/// forced off, so that a chapter listed in SUMMARY.md without a file is an
/// error instead of a file silently created in the source tree by a test;
/// and `MDBOOK_*` environment variables are not applied, so the result does
/// not depend on the environment the test runs in.
fn load_book(root: &Path) -> Result<MDBook, String> {
    let config_file = root.join("book.toml");
    let mut config = if config_file.exists() {
        Config::from_disk(&config_file)
            .map_err(|e| format!("{}: cannot read: {e:#}", config_file.display()))?
    } else {
        Config::default()
    };
    config.build.create_missing = false;
    MDBook::load_with_config(root, config)
        .map_err(|e| format!("cannot load the book at {}: {e:#}", root.display()))
}

/// Loads the book in `root` and returns every problem found in its chapters.
fn check_book(root: &Path) -> Vec<String> {
    match load_book(root) {
        Ok(book) => check_loaded_book(&book),
        Err(e) => vec![e],
    }
}

/// Builds `book` with its configured renderers (HTML unless `book.toml` says
/// otherwise) into `out`, and checks that every chapter page was written.
fn build_book_into(book: &mut MDBook, out: &Path) -> Result<(), String> {
    book.config.build.build_dir = out.to_path_buf();
    book.build()
        .map_err(|e| format!("building the book failed: {e:#}"))?;

    let html_dir = book.build_dir_for("html");
    let mut pages = vec![PathBuf::from("index.html")];
    for chapter in book.book.chapters() {
        if let Some(path) = &chapter.path {
            // mdBook's `index` preprocessor renders README.md as index.html.
            let is_readme = path
                .file_stem()
                .is_some_and(|stem| stem.eq_ignore_ascii_case("readme"));
            let page = if is_readme {
                path.with_file_name("index.html")
            } else {
                path.with_extension("html")
            };
            pages.push(page);
        }
    }
    let missing: Vec<String> = pages
        .iter()
        .filter(|page| !html_dir.join(page).is_file())
        .map(|page| page.display().to_string())
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the build succeeded but did not write {} in {}",
            missing.join(", "),
            html_dir.display()
        ))
    }
}

// ---------------------------------------------------------------------------
// The checks
// ---------------------------------------------------------------------------

/// Returns every problem found in the chapters of a loaded (not yet
/// preprocessed) book, one message per problem, in book order.
fn check_loaded_book(book: &MDBook) -> Vec<String> {
    let root = book.root.as_path();
    let src_dir = normalize(&book.source_dir());

    // Chapters that will be rendered, as paths relative to the source folder.
    // Draft chapters (`- [Title]()`) have no file and are not rendered.
    let chapter_files: HashSet<PathBuf> = book
        .book
        .chapters()
        .filter_map(|chapter| chapter.source_path.as_deref())
        .map(normalize)
        .collect();

    let mut problems = Vec::new();
    for chapter in book.book.chapters() {
        let Some(source_path) = &chapter.source_path else {
            continue;
        };
        let page = Page {
            root,
            src_dir: &src_dir,
            chapter_files: &chapter_files,
            // `content` is the chapter file exactly as read from disk (minus
            // a UTF-8 BOM): `MDBook::load*` runs no preprocessor.
            text: &chapter.content,
            dir: src_dir.join(source_path.parent().unwrap_or(Path::new(""))),
            name: display_path(root, &src_dir.join(source_path)),
        };
        // Report the chapter's problems in the order they appear in it.
        let mut found = Vec::new();
        page.check_directives(&mut found);
        page.check_links(&mut found);
        found.sort_by_key(|(offset, _)| *offset);
        problems.extend(found.into_iter().map(|(_, problem)| problem));
    }
    problems
}

/// One chapter being checked.
struct Page<'a> {
    /// The book's root folder (where `book.toml` is), for messages.
    root: &'a Path,
    /// The book's source folder (`[book] src`), normalized.
    src_dir: &'a Path,
    /// The chapter files listed in SUMMARY.md, relative to `src_dir`.
    chapter_files: &'a HashSet<PathBuf>,
    /// The chapter's raw markdown.
    text: &'a str,
    /// The folder holding the chapter file: relative paths start here.
    dir: PathBuf,
    /// The chapter file, relative to the book root, for messages.
    name: String,
}

impl Page<'_> {
    /// Formats a problem found at byte `offset` of the chapter, in `what`,
    /// and returns it with its offset.
    fn problem(&self, offset: usize, what: &str, message: &str) -> (usize, String) {
        let line = self.text[..offset].matches('\n').count() + 1;
        // A directive may span lines; keep each problem on one line.
        let what = what.replace(['\r', '\n'], " ");
        (offset, format!("{}:{line}: {what}: {message}", self.name))
    }

    /// Checks every `{{#include}}`, `{{#rustdoc_include}}` and
    /// `{{#playground}}` of the chapter. mdBook expands them everywhere,
    /// code blocks included, so they are checked everywhere.
    fn check_directives(&self, problems: &mut Vec<(usize, String)>) {
        for directive in find_directives(self.text) {
            let target = normalize(&self.dir.join(directive.path));
            let shown = display_path(self.root, &target);
            let report = |message: String| self.problem(directive.offset, directive.text, &message);

            if !target.is_file() {
                let what = if target.exists() {
                    "is not a file"
                } else {
                    "does not exist"
                };
                problems.push(report(format!("{shown} {what}")));
                continue;
            }
            let contents = match fs::read_to_string(&target) {
                Ok(contents) => contents,
                Err(e) => {
                    problems.push(report(format!("cannot read {shown}: {e}")));
                    continue;
                }
            };
            let Some(selection) = &directive.selection else {
                continue; // `{{#playground}}` embeds the whole file.
            };
            if let Some(message) = check_selection(&contents, selection, &shown) {
                problems.push(report(message));
                continue;
            }
            // mdBook pastes the selected lines as they are, in place of the directive: only
            // the first line gets the indentation written before it. Under a list item, the
            // first line less indented than the item ends the item and its code block, and
            // the rest of the listing renders as a paragraph.
            let before = self.text[..directive.offset]
                .rsplit('\n')
                .next()
                .unwrap_or("");
            if !before.is_empty()
                && before.trim().is_empty()
                && selected_lines(&contents, selection).len() > 1
            {
                problems.push(report(format!(
                    "indented, but only the first line of {shown} would be: a list item \
                     or an indented block ends at the first line less indented than it; \
                     put the listing at the start of the line, after the list"
                )));
            }
        }
    }

    /// Checks every markdown link and image of the chapter whose target is a
    /// relative path.
    fn check_links(&self, problems: &mut Vec<(usize, String)>) {
        for link in find_links(self.text) {
            if let Some(message) = self.check_link_target(&link.target) {
                problems.push(self.problem(link.offset, link.text, &message));
            }
        }
    }

    /// Returns what is wrong with a link target, if anything.
    fn check_link_target(&self, target: &str) -> Option<String> {
        // Only relative paths are checked: no `https:`, `mailto:`..., no
        // fragment-only link to this page, and no `/absolute` path, which
        // depends on where the book is served.
        if target.is_empty() || target.starts_with(['#', '/']) || has_url_scheme(target) {
            return None;
        }
        let path = target.split(['#', '?']).next().unwrap_or_default();
        if path.is_empty() {
            return None;
        }
        let resolved = normalize(&self.dir.join(percent_decode(path)));
        let shown = display_path(self.root, &resolved);
        let Ok(in_src) = resolved.strip_prefix(self.src_dir) else {
            return Some(format!(
                "{shown} is outside the book's source folder {}, so it is not part of the built book",
                display_path(self.root, self.src_dir)
            ));
        };

        let is_chapter = |md: &Path| self.chapter_files.contains(md);
        match resolved.extension().and_then(|e| e.to_str()) {
            Some("md") if is_chapter(in_src) => None,
            Some("md") if resolved.is_file() => Some(format!(
                "{shown} is not a chapter in SUMMARY.md (or is a draft), so it is not rendered"
            )),
            Some("md") => Some(format!("no such page {shown}")),
            // `foo.html` is fine when it is the rendered `foo.md`.
            Some("html") if is_chapter(&in_src.with_extension("md")) => None,
            _ if resolved.is_file() => None,
            _ => Some(format!("no such file {shown}")),
        }
    }
}

/// Returns what is wrong with the lines an include selects from `contents`
/// (the file shown as `shown`), if anything.
fn check_selection(contents: &str, selection: &Selection, shown: &str) -> Option<String> {
    match selection {
        Selection::Lines { spec, start, end } => {
            let has_text = contents
                .lines()
                .enumerate()
                .filter(|(i, _)| *i >= *start && end.is_none_or(|end| *i < end))
                .any(|(_, line)| !line.trim().is_empty());
            if has_text {
                None
            } else if spec.is_empty() {
                Some(format!("{shown} has no non-blank line to include"))
            } else {
                Some(format!(
                    "line range `{spec}` selects no non-blank line of {shown} ({} lines)",
                    contents.lines().count()
                ))
            }
        }
        Selection::Anchor { name, all_sections } => {
            let scan = scan_anchor(contents, name, *all_sections);
            if !scan.opened {
                Some(format!(
                    "no anchor `{name}` in {shown} (anchors are `// ANCHOR: name` / `// ANCHOR_END: name`)"
                ))
            } else if !scan.closed {
                Some(format!(
                    "anchor `{name}` in {shown} is never closed (no `ANCHOR_END: {name}` after `ANCHOR: {name}`)"
                ))
            } else if !scan.non_blank {
                Some(format!(
                    "anchor `{name}` in {shown} contains no non-blank line"
                ))
            } else {
                None
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The stages, shown in full
// ---------------------------------------------------------------------------

/// The non-blank lines of the last stage (`stages/stageNN` with the highest number) that no
/// include of the book shows, as `file:line: text`. A line counts as shown when an include of
/// the same file of *any* stage shows it: stage N repeats stage N-1, and the book shows
/// each line once, in the chapter that adds it. Only Rust files count (a stage's
/// `Cargo.toml` differs from the last by its name).
fn lines_of_last_stage_not_shown(book: &MDBook, stages: &Path) -> Vec<String> {
    let root = book.root.as_path();
    let src_dir = normalize(&book.source_dir());
    let stages = normalize(stages);
    let Some(last) = fs::read_dir(&stages)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.is_dir())
        .max()
    else {
        return vec![format!("no stage in {}", stages.display())];
    };

    // What the book shows of each stage file, by its path inside its stage.
    let mut shown: std::collections::HashMap<PathBuf, HashSet<String>> = Default::default();
    for chapter in book.book.chapters() {
        let Some(source_path) = &chapter.source_path else {
            continue;
        };
        let dir = src_dir.join(source_path.parent().unwrap_or(Path::new("")));
        for directive in find_directives(&chapter.content) {
            let target = normalize(&dir.join(directive.path));
            let Ok(in_stages) = target.strip_prefix(&stages) else {
                continue;
            };
            let in_stage: PathBuf = in_stages.components().skip(1).collect();
            let (Ok(contents), Some(selection)) =
                (fs::read_to_string(&target), &directive.selection)
            else {
                continue;
            };
            let lines = selected_lines(&contents, selection);
            shown
                .entry(in_stage)
                .or_default()
                .extend(lines.into_iter().map(str::to_owned));
        }
    }

    let mut missing = Vec::new();
    let mut files = vec![last.join("src")];
    let mut rust_files = Vec::new();
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(
                fs::read_dir(&path)
                    .into_iter()
                    .flatten()
                    .flatten()
                    .map(|e| e.path()),
            );
        } else if path.extension().is_some_and(|e| e == "rs") {
            rust_files.push(path);
        }
    }
    rust_files.sort();
    for file in rust_files {
        let in_stage = file.strip_prefix(&last).unwrap_or(&file).to_path_buf();
        let contents = fs::read_to_string(&file).unwrap_or_default();
        let shown = shown.get(&in_stage);
        for (number, line) in contents.lines().enumerate() {
            let is_marker = anchor_marker(line, "ANCHOR:").is_some()
                || anchor_marker(line, "ANCHOR_END:").is_some();
            if line.trim().is_empty() || is_marker {
                continue;
            }
            if !shown.is_some_and(|shown| shown.contains(line)) {
                missing.push(format!(
                    "{}:{}: {}",
                    display_path(root, &file),
                    number + 1,
                    line.trim()
                ));
            }
        }
    }
    missing
}

/// The lines an include shows of `contents`, as mdBook's `take_lines` and
/// `take_anchored_lines` select them (anchor lines inside an anchored section are dropped;
/// a whole-file or line-range include shows them as they are).
fn selected_lines<'a>(contents: &'a str, selection: &Selection) -> Vec<&'a str> {
    match selection {
        Selection::Lines { start, end, .. } => contents
            .lines()
            .enumerate()
            .filter(|(i, _)| *i >= *start && end.is_none_or(|end| *i < end))
            .map(|(_, line)| line)
            .collect(),
        Selection::Anchor { name, all_sections } => anchored_lines(contents, name, *all_sections).0,
    }
}

// ---------------------------------------------------------------------------
// `{{#include}}` directives, parsed the way mdBook 0.5 parses them
// ---------------------------------------------------------------------------

/// An include-like directive found in a chapter.
#[derive(Debug, PartialEq)]
struct Directive<'a> {
    /// Byte offset of the directive in the chapter.
    offset: usize,
    /// The directive as written, `{{` to `}}`.
    text: &'a str,
    /// The included file, relative to the chapter's folder.
    path: &'a str,
    /// The part of the file that is shown; `None` for `{{#playground}}`.
    selection: Option<Selection>,
}

/// Which part of an included file a directive selects.
#[derive(Debug, PartialEq)]
enum Selection {
    /// Lines `start..end` (0-based, `end` excluded; `None`: to the end).
    /// `spec` is the range as written after `PATH:`, empty for a whole file.
    Lines {
        spec: String,
        start: usize,
        end: Option<usize>,
    },
    /// The lines between `ANCHOR: name` and `ANCHOR_END: name`.
    /// `{{#rustdoc_include}}` shows every such section, `{{#include}}` only
    /// the first one.
    Anchor { name: String, all_sections: bool },
}

/// Finds the `{{#include}}`, `{{#rustdoc_include}}` and `{{#playground}}`
/// (or `{{#playpen}}`) directives of `text`, as mdBook does.
///
/// mdBook scans with the regex
/// `\\\{\{\#.*\}\}|\{\{\s*\#([a-zA-Z0-9_]+)\s+([^}]+)\}\}`: an escaped
/// directive (`\{{#...}}`, up to the last `}}` of its line) is skipped, and a
/// match whose type is unknown (or `title`) is consumed but ignored.
fn find_directives(text: &str) -> Vec<Directive<'_>> {
    let mut directives = Vec::new();
    let mut i = 0;
    while let Some(found) = text[i..].find(['\\', '{']) {
        i += found;
        let rest = &text[i..];
        if let Some(len) = escaped_directive_len(rest) {
            i += len;
        } else if let Some((len, kind, args)) = directive_parts(rest) {
            // Only the first whitespace-separated word is the path (the
            // others are `{{#playground}}` attributes); an arg-less match
            // is ignored by mdBook.
            let arg = args.split_whitespace().next().unwrap_or_default();
            let parsed = match kind {
                _ if arg.is_empty() => None,
                "include" | "rustdoc_include" => {
                    let (path, spec) = match arg.split_once(':') {
                        Some((path, spec)) => (path, Some(spec)),
                        None => (arg, None),
                    };
                    let all_sections = kind == "rustdoc_include";
                    Some((path, Some(parse_selection(spec, all_sections))))
                }
                // The whole argument is the path: no range or anchor.
                "playground" | "playpen" => Some((arg, None)),
                _ => None,
            };
            if let Some((path, selection)) = parsed {
                directives.push(Directive {
                    offset: i,
                    text: &rest[..len],
                    path,
                    selection,
                });
            }
            i += len;
        } else {
            i += 1; // `\` and `{` are one byte long.
        }
    }
    directives
}

/// Length of an escaped directive `\{{#...}}` at the start of `text`: it
/// ends at the last `}}` of the line (the regex's `.*` is greedy and does
/// not cross a newline).
fn escaped_directive_len(text: &str) -> Option<usize> {
    let body = text.strip_prefix("\\{{#")?;
    let line = body.split('\n').next().unwrap_or_default();
    line.rfind("}}").map(|end| 4 + end + 2)
}

/// Length, type and arguments of a directive `{{ #type args}}` at the start
/// of `text`.
fn directive_parts(text: &str) -> Option<(usize, &str, &str)> {
    let body = text.strip_prefix("{{")?;
    let body = body.trim_start().strip_prefix('#')?;
    let kind_len = body
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(body.len());
    let (kind, after_kind) = body.split_at(kind_len);
    // `\s+([^}]+)\}\}`: at least one whitespace, then at least one more
    // character, none of them `}`, then `}}`.
    let args_len = after_kind.find('}').unwrap_or(after_kind.len());
    let args = &after_kind[..args_len];
    let valid = !kind.is_empty()
        && args.starts_with(char::is_whitespace)
        && args.chars().nth(1).is_some()
        && after_kind[args_len..].starts_with("}}");
    valid.then(|| (text.len() - after_kind.len() + args_len + 2, kind, args))
}

/// Parses what follows `PATH:` in an include, as mdBook's
/// `parse_range_or_anchor` does: `N`, `N:M`, `N:`, `:M` or nothing are line
/// ranges (1-based, `M` included); anything else before the first `:` is an
/// anchor name.
fn parse_selection(spec: Option<&str>, all_sections: bool) -> Selection {
    let spec_text = spec.unwrap_or_default();
    let mut parts = spec_text.splitn(3, ':');
    let first = parts.next().unwrap_or_default();
    let start = match first.parse::<usize>() {
        Ok(n) => Some(n.saturating_sub(1)),
        Err(_) if first.is_empty() => None,
        Err(_) => {
            return Selection::Anchor {
                name: first.to_owned(),
                all_sections,
            }
        }
    };
    let end = parts.next().map(str::parse::<usize>);
    let (start, end) = match (start, end) {
        (Some(start), Some(Ok(end))) => (start, Some(end)),
        (Some(start), Some(Err(_))) => (start, None),
        (Some(start), None) => (start, Some(start + 1)),
        (None, Some(Ok(end))) => (0, Some(end)),
        (None, None | Some(Err(_))) => (0, None),
    };
    Selection::Lines {
        spec: spec_text.to_owned(),
        start,
        end,
    }
}

/// What an anchored include finds in a file.
struct AnchorScan {
    /// An `ANCHOR: name` line was found.
    opened: bool,
    /// Every section that was opened was closed by `ANCHOR_END: name`.
    closed: bool,
    /// The selected lines include a non-blank one.
    non_blank: bool,
}

/// Scans `contents` for anchor `name` like mdBook's `take_anchored_lines`
/// (`all_sections == false`) and `take_rustdoc_include_anchored_lines`
/// (`true`). Lines holding other anchor markers are not part of the output.
fn scan_anchor(contents: &str, name: &str, all_sections: bool) -> AnchorScan {
    let (lines, opened, closed) = anchored_lines(contents, name, all_sections);
    AnchorScan {
        opened,
        closed,
        non_blank: lines.iter().any(|line| !line.trim().is_empty()),
    }
}

/// The lines of anchor `name` in `contents`, and whether an `ANCHOR: name` was found and
/// every section it opened was closed.
fn anchored_lines<'a>(
    contents: &'a str,
    name: &str,
    all_sections: bool,
) -> (Vec<&'a str>, bool, bool) {
    let mut lines = Vec::new();
    let mut opened = false;
    let mut inside = false;
    for line in contents.lines() {
        if inside {
            match anchor_marker(line, "ANCHOR_END:") {
                Some(end) if end == name => {
                    inside = false;
                    if !all_sections {
                        break;
                    }
                }
                Some(_) => {}
                None if anchor_marker(line, "ANCHOR:").is_some() => {}
                None => lines.push(line),
            }
        } else if anchor_marker(line, "ANCHOR:") == Some(name) {
            inside = true;
            opened = true;
        }
    }
    (lines, opened, opened && !inside)
}

/// The name in the first `MARKER\s*name` of `line`, where a name is made of
/// word characters and `-` (mdBook: `ANCHOR:\s*(?P<anchor_name>[\w_-]+)`).
fn anchor_marker<'a>(line: &'a str, marker: &str) -> Option<&'a str> {
    line.match_indices(marker).find_map(|(at, _)| {
        let after = line[at + marker.len()..].trim_start();
        let len = after
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(after.len());
        (len > 0).then(|| &after[..len])
    })
}

// ---------------------------------------------------------------------------
// Markdown links
// ---------------------------------------------------------------------------
//
// No markdown parser is reachable from this test (mdbook-driver does not
// re-export pulldown-cmark), so this is a small scanner for the CommonMark
// constructs that matter here: inline links and images `[text](target)` /
// `![alt](target)`, reference definitions `[label]: target`, and the places
// where such text is *not* a link: fenced and indented code blocks, inline
// code spans, backslash escapes and HTML comments. Links written as raw HTML
// (`<a href>`, `<img src>`) are not checked.

/// A link or image found in a chapter.
#[derive(Debug, PartialEq)]
struct Link<'a> {
    /// Byte offset of the link in the chapter.
    offset: usize,
    /// The link as written, e.g. `[text](target)`.
    text: &'a str,
    /// The target, with backslash escapes removed.
    target: String,
}

/// Finds the links and images of `source` that are outside code.
fn find_links(source: &str) -> Vec<Link<'_>> {
    let text = blank_out_code_blocks(source);
    let bytes = text.as_bytes();
    let mut links = Vec::new();
    // Offsets of the `[` (or `![`) not closed yet in the current paragraph.
    let mut open = Vec::new();
    let mut at_line_start = true;
    let mut i = 0;
    while i < bytes.len() {
        if at_line_start {
            at_line_start = false;
            let line_end = text[i..].find('\n').map_or(text.len(), |n| i + n);
            let line = &text[i..line_end];
            if line.trim().is_empty() {
                open.clear(); // A blank line ends the paragraph.
            } else if let Some(target) = reference_definition(line) {
                links.push(Link {
                    offset: i,
                    text: source[i..line_end].trim(),
                    target,
                });
                i = line_end;
                continue;
            }
        }
        match bytes[i] {
            b'\n' => {
                at_line_start = true;
                i += 1;
            }
            b'\\' if bytes.get(i + 1).is_some_and(u8::is_ascii_punctuation) => i += 2,
            b'`' => {
                let run = backtick_run(bytes, i);
                i = code_span_end(bytes, i + run, run).unwrap_or(i + run);
            }
            b'<' if text[i..].starts_with("<!--") => {
                i = text[i + 4..]
                    .find("-->")
                    .map_or(text.len(), |n| i + 4 + n + 3);
            }
            b'[' => {
                let image = i > 0 && bytes[i - 1] == b'!';
                open.push(if image { i - 1 } else { i });
                i += 1;
            }
            b']' => {
                let start = open.pop();
                let inline = match (start, bytes.get(i + 1)) {
                    (Some(start), Some(b'(')) => {
                        inline_destination(&text, i + 2).map(|(target, end)| (start, target, end))
                    }
                    _ => None,
                };
                match inline {
                    Some((start, target, end)) => {
                        links.push(Link {
                            offset: start,
                            text: &source[start..end],
                            target,
                        });
                        i = end;
                    }
                    None => i += 1,
                }
            }
            _ => i += 1,
        }
    }
    links
}

/// Returns `source` with its fenced and indented code blocks replaced by
/// spaces (newlines kept), so that offsets and line numbers are unchanged.
///
/// Fences are recognised at any indentation and inside block quotes (a fence
/// in a nested list item is indented by more than the 3 spaces CommonMark
/// allows at top level). An indented code block is 4+ columns of indentation
/// after a blank line, outside a list.
fn blank_out_code_blocks(source: &str) -> String {
    let mut bytes = source.as_bytes().to_vec();
    let mut blank = |range: std::ops::Range<usize>| {
        for byte in &mut bytes[range] {
            if *byte != b'\n' {
                *byte = b' ';
            }
        }
    };

    let mut fence: Option<(char, usize)> = None;
    let mut in_indented_code = false;
    let mut in_list = false;
    let mut after_blank = true;
    let mut offset = 0;
    for line in source.split_inclusive('\n') {
        let range = offset..offset + line.len();
        offset += line.len();
        let content = line.trim_end_matches(['\n', '\r']);
        let is_blank = content.trim().is_empty();
        let indent = indentation(content);

        if let Some((fence_char, fence_len)) = fence {
            blank(range);
            if is_closing_fence(content, fence_char, fence_len) {
                fence = None;
            }
            after_blank = false;
            continue;
        }
        if in_indented_code && (is_blank || indent >= 4) {
            blank(range);
            after_blank = is_blank;
            continue;
        }
        in_indented_code = false;
        if let Some(opening) = opening_fence(content) {
            fence = Some(opening);
            blank(range);
            after_blank = false;
            continue;
        }
        if !is_blank && indent >= 4 && after_blank && !in_list {
            in_indented_code = true;
            blank(range);
            after_blank = false;
            continue;
        }
        if !is_blank && indent < 4 {
            if starts_with_list_marker(content.trim_start()) {
                in_list = true;
            } else if indent == 0 && after_blank {
                in_list = false;
            }
        }
        after_blank = is_blank;
    }
    String::from_utf8(bytes).expect("only whole lines of UTF-8 were replaced by spaces")
}

/// Width of the leading whitespace of `line`, a tab counting as 4 columns.
fn indentation(line: &str) -> usize {
    line.chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .map(|c| if c == '\t' { 4 } else { 1 })
        .sum()
}

/// Strips indentation and block quote markers (`>`).
fn strip_block_prefix(line: &str) -> &str {
    let mut rest = line.trim_start();
    while let Some(quoted) = rest.strip_prefix('>') {
        rest = quoted.trim_start();
    }
    rest
}

/// If `line` opens a code fence, its character and length.
fn opening_fence(line: &str) -> Option<(char, usize)> {
    let rest = strip_block_prefix(line);
    let fence_char = rest.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let len = rest.chars().take_while(|c| *c == fence_char).count();
    // A backtick fence's info string cannot contain a backtick (otherwise
    // ```` ```x``` ```` is an inline code span).
    let info = &rest[len..];
    (len >= 3 && !(fence_char == '`' && info.contains('`'))).then_some((fence_char, len))
}

/// Whether `line` closes a fence of `len` times `fence_char`.
fn is_closing_fence(line: &str, fence_char: char, len: usize) -> bool {
    let rest = strip_block_prefix(line);
    let run = rest.chars().take_while(|c| *c == fence_char).count();
    run >= len && rest[run..].trim().is_empty()
}

/// Whether `line` (without indentation) starts with a list item marker.
fn starts_with_list_marker(line: &str) -> bool {
    let after_marker = if let Some(rest) = line.strip_prefix(['-', '*', '+']) {
        rest
    } else {
        let digits = line.chars().take_while(char::is_ascii_digit).count();
        match line[digits..].strip_prefix(['.', ')']) {
            Some(rest) if (1..=9).contains(&digits) => rest,
            _ => return false,
        }
    };
    after_marker.is_empty() || after_marker.starts_with([' ', '\t'])
}

/// Length of the run of backticks starting at `start`.
fn backtick_run(bytes: &[u8], start: usize) -> usize {
    bytes[start..].iter().take_while(|b| **b == b'`').count()
}

/// End of the code span whose opening run of `len` backticks ends at `from`:
/// the offset after the next run of exactly `len` backticks in the same
/// paragraph. `None` if there is none (the backticks are then literal).
fn code_span_end(bytes: &[u8], from: usize, len: usize) -> Option<usize> {
    let mut i = from;
    let mut line_is_blank = false;
    while i < bytes.len() {
        match bytes[i] {
            b'`' => {
                let run = backtick_run(bytes, i);
                if run == len {
                    return Some(i + run);
                }
                i += run;
                line_is_blank = false;
            }
            b'\n' if line_is_blank => return None, // End of the paragraph.
            b'\n' => {
                line_is_blank = true;
                i += 1;
            }
            b' ' | b'\t' | b'\r' => i += 1,
            _ => {
                line_is_blank = false;
                i += 1;
            }
        }
    }
    None
}

/// Parses `(target "optional title")` from just after the `(` at `start`.
/// Returns the target (backslash escapes removed) and the offset after `)`.
fn inline_destination(text: &str, start: usize) -> Option<(String, usize)> {
    let bytes = text.as_bytes();
    let mut i = skip_link_whitespace(bytes, start);
    let target = if bytes.get(i) == Some(&b'<') {
        let end = i + 1 + text[i + 1..].find(['>', '\n'])?;
        if bytes[end] != b'>' {
            return None;
        }
        let target = &text[i + 1..end];
        i = end + 1;
        target
    } else {
        let target_start = i;
        let mut depth = 0usize;
        while let Some(&b) = bytes.get(i) {
            match b {
                b'\\' if bytes.get(i + 1).is_some_and(u8::is_ascii_punctuation) => i += 1,
                b'(' => depth += 1,
                b')' if depth == 0 => break,
                b')' => depth -= 1,
                _ if b.is_ascii_whitespace() || b.is_ascii_control() => break,
                _ => {}
            }
            i += 1;
        }
        &text[target_start..i]
    };
    i = skip_link_whitespace(bytes, i);
    if let Some(&quote @ (b'"' | b'\'' | b'(')) = bytes.get(i) {
        let close = if quote == b'(' { b')' } else { quote };
        i += 1 + bytes[i + 1..].iter().position(|&b| b == close)? + 1;
        i = skip_link_whitespace(bytes, i);
    }
    (bytes.get(i) == Some(&b')')).then(|| (unescape(target), i + 1))
}

/// Skips spaces and tabs and at most one line ending.
fn skip_link_whitespace(bytes: &[u8], mut i: usize) -> usize {
    let mut newlines = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b' ' | b'\t' | b'\r' => {}
            b'\n' if newlines == 0 => newlines += 1,
            _ => break,
        }
        i += 1;
    }
    i
}

/// The target of a reference definition `[label]: target` (at most 3 spaces
/// of indentation). Footnote definitions `[^label]: text` are not links.
fn reference_definition(line: &str) -> Option<String> {
    if indentation(line) > 3 {
        return None;
    }
    let rest = line.trim_start().strip_prefix('[')?;
    let label_end = rest.find(']')?;
    let label = &rest[..label_end];
    if label.trim().is_empty() || label.starts_with('^') {
        return None;
    }
    let rest = rest[label_end + 1..].strip_prefix(':')?.trim_start();
    let target = match rest.strip_prefix('<') {
        Some(bracketed) => &bracketed[..bracketed.find('>')?],
        None => rest.split_whitespace().next()?,
    };
    Some(unescape(target))
}

/// Removes markdown backslash escapes.
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match chars.peek() {
            Some(next) if c == '\\' && next.is_ascii_punctuation() => {}
            _ => out.push(c),
        }
    }
    out
}

/// Whether `target` starts with a URL scheme such as `https:` or `mailto:`.
fn has_url_scheme(target: &str) -> bool {
    let Some((scheme, _)) = target.split_once(':') else {
        return false;
    };
    scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// Decodes `%XX` escapes (e.g. `%20`) in a link path.
fn percent_decode(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| path.to_owned())
}

// ---------------------------------------------------------------------------
// Paths and temporary folders
// ---------------------------------------------------------------------------

/// Resolves `.` and `..` without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir if out.file_name().is_some() => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// `path` relative to the book root when it is inside it, for messages.
fn display_path(root: &Path, path: &Path) -> String {
    let path = normalize(path);
    path.strip_prefix(normalize(root))
        .unwrap_or(&path)
        .display()
        .to_string()
}

/// A fresh folder under the system's temporary folder, removed on drop (so
/// also when a test panics).
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let path = std::env::temp_dir().join(format!(
            "steploop-book-test-{}-{}-{label}-{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
        ));
        fs::create_dir(&path).unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
        TempDir(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

// ---------------------------------------------------------------------------
// Tests of the checks themselves: each broken book must be caught
// ---------------------------------------------------------------------------

const FIXTURE_BOOK_TOML: &str = r#"[book]
title = "fixture"
src = "chapters"

[build]
create-missing = false
"#;

const FIXTURE_SUMMARY: &str = "# Summary

[Introduction](intro.md)

- [The chapter](chapter.md)
- [A draft]()
";

const FIXTURE_INTRO: &str = "# Introduction\n\nSee [the chapter](chapter.md).\n";

/// A three-line example with one anchor.
const FIXTURE_EXAMPLE: &str = "// ANCHOR: main
fn main() {}
// ANCHOR_END: main
";

/// Writes a small book laid out like the real one (`book.toml`,
/// `chapters/`, `examples/`) whose `chapters/chapter.md` is `chapter`.
fn fixture_book(chapter: &str) -> TempDir {
    let dir = TempDir::new("fixture");
    let files = [
        ("book.toml", FIXTURE_BOOK_TOML),
        ("chapters/SUMMARY.md", FIXTURE_SUMMARY),
        ("chapters/intro.md", FIXTURE_INTRO),
        ("chapters/chapter.md", chapter),
        (
            "chapters/diagram.svg",
            "<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n",
        ),
        ("examples/demo.rs", FIXTURE_EXAMPLE),
    ];
    for (path, contents) in files {
        let path = dir.path().join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, contents).unwrap();
    }
    dir
}

#[test]
fn missing_include_file_is_reported() {
    let book = fixture_book("# Chapter\n\n```rust\n{{#include ../examples/missing.rs}}\n```\n");
    assert_eq!(
        check_book(book.path()),
        [
            "chapters/chapter.md:4: {{#include ../examples/missing.rs}}: \
          examples/missing.rs does not exist"
        ]
    );
}

#[test]
fn missing_anchor_is_reported() {
    let book = fixture_book("# Chapter\n\n```rust\n{{#include ../examples/demo.rs:setup}}\n```\n");
    assert_eq!(
        check_book(book.path()),
        [
            "chapters/chapter.md:4: {{#include ../examples/demo.rs:setup}}: \
          no anchor `setup` in examples/demo.rs \
          (anchors are `// ANCHOR: name` / `// ANCHOR_END: name`)"
        ]
    );
}

#[test]
fn indented_include_is_reported() {
    let book = fixture_book(
        "# Chapter\n\n- An item:\n\n  ```rust\n  {{#include ../examples/demo.rs}}\n  ```\n\n\
         - Another, with one line:\n\n  ```rust\n  {{#include ../examples/demo.rs:2}}\n  ```\n",
    );
    assert_eq!(
        check_book(book.path()),
        [
            "chapters/chapter.md:6: {{#include ../examples/demo.rs}}: indented, but only the \
             first line of examples/demo.rs would be: a list item or an indented block ends at \
             the first line less indented than it; put the listing at the start of the line, \
             after the list"
        ]
    );
}

#[test]
fn empty_line_range_is_reported() {
    let book = fixture_book("# Chapter\n\n```rust\n{{#include ../examples/demo.rs:100:}}\n```\n");
    assert_eq!(
        check_book(book.path()),
        [
            "chapters/chapter.md:4: {{#include ../examples/demo.rs:100:}}: \
          line range `100:` selects no non-blank line of examples/demo.rs (3 lines)"
        ]
    );
}

#[test]
fn link_to_missing_page_is_reported() {
    let book = fixture_book(
        "# Chapter\n\nBack to [the start](intro.md), on to [the end](ending.md#top).\n",
    );
    assert_eq!(
        check_book(book.path()),
        ["chapters/chapter.md:3: [the end](ending.md#top): no such page chapters/ending.md"]
    );
}

#[test]
fn correct_book_has_no_problems_and_builds() {
    let book = fixture_book(
        "# Chapter

{{#title The chapter}}

```rust
{{#include ../examples/demo.rs}}
```

```rust
{{#include ../examples/demo.rs:main}}
```

```rust
{{#rustdoc_include ../examples/demo.rs:2}}
```

```rust
{{#include ../examples/demo.rs:2:3}}
{{#include ../examples/demo.rs::2}}
{{#include ../examples/demo.rs:2:}}
```

![A diagram](diagram.svg \"title\") and [the introduction](./intro.md#introduction),
[its page](intro.html), [this page](#chapter), [the web](https://example.com/missing.md),
[mail](mailto:someone@example.com) and [a reference][intro].

[intro]: intro.md
",
    );
    assert_eq!(check_book(book.path()), Vec::<String>::new());

    let mut loaded = load_book(book.path()).unwrap();
    let out = TempDir::new("fixture-build");
    build_book_into(&mut loaded, out.path()).unwrap();
    // mdBook agrees: every directive was expanded.
    let page = fs::read_to_string(out.path().join("chapter.html")).unwrap();
    assert!(page.contains("fn main() {}"), "{page}");
    assert!(!page.contains("{{#"), "{page}");
    assert!(out.path().join("diagram.svg").is_file());
}

/// Why this test exists: mdBook builds each of the broken books above
/// without an error.
#[test]
fn mdbook_alone_builds_the_broken_books() {
    for chapter in [
        "{{#include ../examples/missing.rs}}\n",
        "{{#include ../examples/demo.rs:setup}}\n",
        "{{#include ../examples/demo.rs:100:}}\n",
        "[the end](ending.md)\n",
    ] {
        let book = fixture_book(chapter);
        assert_eq!(check_book(book.path()).len(), 1, "{chapter}");
        let mut loaded = load_book(book.path()).unwrap();
        let out = TempDir::new("broken-build");
        build_book_into(&mut loaded, out.path()).unwrap();
    }
}

#[test]
fn code_and_escapes_are_not_links_but_includes_in_code_are_checked() {
    let book = fixture_book(
        "# Chapter

Inline code: `[not a link](gone.md)` and ``[nor this](gone.md)``.
An escaped directive: \\{{#include ../examples/gone.rs}}.
<!-- [a comment](gone.md) -->

```text
[not a link](gone.md)
```

~~~~
```
[still code](gone.md)
~~~~

    [indented code](gone.md)

- A list item

    [a link in the list item](gone-too.md)

[^note]: A footnote, not a link: see chapter 2.

```rust
{{#include ../examples/gone.rs:2:3}}
```
",
    );
    assert_eq!(
        check_book(book.path()),
        [
            "chapters/chapter.md:20: [a link in the list item](gone-too.md): \
             no such page chapters/gone-too.md",
            "chapters/chapter.md:25: {{#include ../examples/gone.rs:2:3}}: \
             examples/gone.rs does not exist",
        ]
    );
}

#[test]
fn other_bad_includes_and_links_are_reported() {
    let book = fixture_book(
        "# Chapter

{{#include ../examples/demo.rs:4}}
{{#rustdoc_include ../examples/demo.rs:other}}
{{#include ../examples}}
{{#playground ../examples/gone.rs editable}}
[a page outside](../README.md) and [an image](missing.png).
[not a chapter](stray.md)
",
    );
    fs::write(book.path().join("chapters/stray.md"), "# Stray\n").unwrap();
    fs::write(
        book.path().join("examples/demo.rs"),
        "// ANCHOR: other\nfn main() {}\n// ANCHOR_END: main\n",
    )
    .unwrap();
    assert_eq!(
        check_book(book.path()),
        [
            "chapters/chapter.md:3: {{#include ../examples/demo.rs:4}}: \
             line range `4` selects no non-blank line of examples/demo.rs (3 lines)",
            "chapters/chapter.md:4: {{#rustdoc_include ../examples/demo.rs:other}}: \
             anchor `other` in examples/demo.rs is never closed \
             (no `ANCHOR_END: other` after `ANCHOR: other`)",
            "chapters/chapter.md:5: {{#include ../examples}}: examples is not a file",
            "chapters/chapter.md:6: {{#playground ../examples/gone.rs editable}}: \
             examples/gone.rs does not exist",
            "chapters/chapter.md:7: [a page outside](../README.md): README.md is outside \
             the book's source folder chapters, so it is not part of the built book",
            "chapters/chapter.md:7: [an image](missing.png): no such file chapters/missing.png",
            "chapters/chapter.md:8: [not a chapter](stray.md): chapters/stray.md is not \
             a chapter in SUMMARY.md (or is a draft), so it is not rendered",
        ]
    );
}

#[test]
fn directive_syntax_mirrors_mdbook() {
    let lines = |spec: &str, start, end| Selection::Lines {
        spec: spec.to_owned(),
        start,
        end,
    };
    assert_eq!(parse_selection(None, false), lines("", 0, None));
    assert_eq!(parse_selection(Some("5"), false), lines("5", 4, Some(5)));
    assert_eq!(
        parse_selection(Some("2:4"), false),
        lines("2:4", 1, Some(4))
    );
    assert_eq!(parse_selection(Some("2:"), false), lines("2:", 1, None));
    assert_eq!(parse_selection(Some(":4"), false), lines(":4", 0, Some(4)));
    assert_eq!(
        parse_selection(Some("0:2"), false),
        lines("0:2", 0, Some(2))
    );
    assert_eq!(
        parse_selection(Some("main"), true),
        Selection::Anchor {
            name: "main".to_owned(),
            all_sections: true
        }
    );

    let found = |text| {
        find_directives(text)
            .into_iter()
            .map(|d| (d.text, d.path))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        found("{{#include a.rs}} {{ #include  b.rs:1 }} {{#rustdoc_include c.rs:x}}"),
        [
            ("{{#include a.rs}}", "a.rs"),
            ("{{ #include  b.rs:1 }}", "b.rs"),
            ("{{#rustdoc_include c.rs:x}}", "c.rs"),
        ]
    );
    // Escaped, unknown, malformed and incomplete directives are not includes.
    assert_eq!(
        found("\\{{#include a.rs}}\n{{#title T}}\n{{#include}}\n{{#include }}\n{{#include x.rs"),
        []
    );
    // A directive may span lines, and `{{{#include` still contains one.
    assert_eq!(
        found("{{#include\n  d.rs\n}} {{{#include e.rs}}"),
        [
            ("{{#include\n  d.rs\n}}", "d.rs"),
            ("{{#include e.rs}}", "e.rs")
        ]
    );
    assert_eq!(
        anchor_marker("    // ANCHOR: setup-1 more", "ANCHOR:"),
        Some("setup-1")
    );
    assert_eq!(anchor_marker("// ANCHOR_END: x", "ANCHOR:"), None);
}

#[test]
fn a_line_of_the_last_stage_missing_from_the_book_is_reported() {
    let book = fixture_book(
        "# Chapter

```rust
{{#include ../stages/stage01/src/lib.rs:first}}
```

```rust
{{#include ../stages/stage02/src/lib.rs:second}}
```
",
    );
    let files = [
        (
            "stages/stage01/src/lib.rs",
            "// ANCHOR: first\npub fn one() {}\n// ANCHOR_END: first\n",
        ),
        (
            "stages/stage02/src/lib.rs",
            "// ANCHOR: first\npub fn one() {}\n// ANCHOR_END: first\n\
             // ANCHOR: second\npub fn two() {}\n// ANCHOR_END: second\npub fn three() {}\n",
        ),
    ];
    for (path, contents) in files {
        let path = book.path().join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, contents).unwrap();
    }
    let loaded = load_book(book.path()).unwrap();
    // `one` is shown from stage 1, `two` from stage 2; `three` nowhere.
    assert_eq!(
        lines_of_last_stage_not_shown(&loaded, &book.path().join("stages")),
        ["stages/stage02/src/lib.rs:7: pub fn three() {}"]
    );
}
