//! The project's own examples (`examples/*.paas`, sorted): every test that
//! covers "every example" reads this list, so a new example is covered by
//! all of them at once.

#![allow(dead_code)]

use std::path::PathBuf;

/// `examples/<name>.paas`, relative to the crate root, sorted.
pub fn files() -> Vec<String> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut out: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".paas"))
        .map(|n| format!("examples/{n}"))
        .collect();
    out.sort();
    out
}

/// The file names only (`shop.paas`).
pub fn names() -> Vec<String> {
    files()
        .into_iter()
        .map(|f| f.trim_start_matches("examples/").to_string())
        .collect()
}
