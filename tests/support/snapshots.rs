//! Snapshot helpers shared by the snapshot tests: one report per case, so a
//! failing fixture never hides the others, and the compiler version
//! redacted, so a version bump changes no snapshot.

use std::panic::{catch_unwind, AssertUnwindSafe};

/// Runs `check` for every case and fails once at the end, naming every case
/// that failed (each failing snapshot is also written as `.snap.new`).
pub fn each<T>(
    cases: impl IntoIterator<Item = T>,
    name: impl Fn(&T) -> String,
    check: impl Fn(&T),
) {
    let mut failed = Vec::new();
    let mut count = 0;
    for case in cases {
        count += 1;
        let label = name(&case);
        let outcome = catch_unwind(AssertUnwindSafe(|| redacted(|| check(&case))));
        if outcome.is_err() {
            failed.push(label);
        }
    }
    assert!(count > 0, "no cases to check");
    assert!(
        failed.is_empty(),
        "{} of {count} cases failed (review with `cargo insta review` or INSTA_UPDATE=always):\n  {}",
        failed.len(),
        failed.join("\n  ")
    );
}

/// Runs `f` with the compiler version replaced by `[version]` in snapshots.
pub fn redacted<R>(f: impl FnOnce() -> R) -> R {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(
        &regex_escape(&format!("paasc {}", env!("CARGO_PKG_VERSION"))),
        "paasc [version]",
    );
    settings.bind(f)
}

fn regex_escape(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
