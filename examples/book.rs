//! Builds the book as HTML and says where to open it: `cargo run --example book`.
//!
//! This is what `mdbook build` does, without installing mdBook: the library that the book check
//! (`tests/book.rs`) builds with is already a dependency of the tests, so the first run
//! compiles it once and later runs take a second. The pages go where `book.toml` says
//! (`target/book`), and the last line printed is the address of the first page, for a browser.
//!
//! `cargo run --example book -- DIR` builds into `DIR` instead.

use mdbook_driver::MDBook;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = std::env::args_os().nth(1).map(PathBuf::from);
    match build(root, out.as_deref()) {
        Ok(index) => {
            println!("the book is built; open it in a browser:");
            println!("file://{}", index.display());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("{error}");
            ExitCode::FAILURE
        }
    }
}

/// Builds the book whose `book.toml` is in `root` into `out` (or the configured build folder)
/// and returns the absolute path of its first page.
fn build(root: &Path, out: Option<&Path>) -> Result<PathBuf, String> {
    let mut book = MDBook::load(root)
        .map_err(|e| format!("cannot load the book at {}: {e:#}", root.display()))?;
    if let Some(out) = out {
        book.config.build.build_dir = out.to_path_buf();
    }
    book.build()
        .map_err(|e| format!("building the book failed: {e:#}"))?;
    let index = book.build_dir_for("html").join("index.html");
    let index = std::fs::canonicalize(&index)
        .map_err(|e| format!("the build wrote no {}: {e}", index.display()))?;
    Ok(index)
}
