//! The docs and the tables they document agree. The language reference
//! and the schema table: every table in `docs/language.md` between `<!-- schema:BLOCK -->` and `<!-- /schema -->`
//! is exactly what `paasc::schema::markdown` renders for that block, and
//! every block with keys has such a table. `UPDATE_DOCS=1 cargo test --test
//! schema_docs` rewrites the tables from the schema (and the tools table of
//! `docs/bootstrap.md` from the tool catalogue).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use paasc::schema::{self, Content};
use std::path::Path;

fn doc_path() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/language.md")
}

/// The text with every marked table replaced by the schema's rendering,
/// and the names of the blocks that have a marker.
fn regenerate(text: &str) -> (String, Vec<String>) {
    let mut out = String::new();
    let mut rest = text;
    let mut seen = Vec::new();
    while let Some(i) = rest.find("<!-- schema:") {
        let after = &rest[i + "<!-- schema:".len()..];
        let name_end = after.find(" -->").expect("marker closes with ` -->`");
        let name = &after[..name_end];
        let def = schema::block(name).unwrap_or_else(|| panic!("no block `{name}` in the schema"));
        let close = after
            .find("<!-- /schema -->")
            .expect("every marker has `<!-- /schema -->`");
        out.push_str(&rest[..i]);
        out.push_str(&format!(
            "<!-- schema:{name} -->\n{}",
            schema::markdown(def)
        ));
        seen.push(name.to_string());
        rest = &after[close..];
    }
    out.push_str(rest);
    (out, seen)
}

#[test]
fn the_reference_tables_are_the_schema() {
    let path = doc_path();
    let text = std::fs::read_to_string(&path).unwrap();
    let (fresh, seen) = regenerate(&text);
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &fresh).unwrap();
        return;
    }
    for def in schema::BLOCKS {
        if def.content == Content::Keys && !def.keys.is_empty() && def.name != "env" {
            assert!(
                seen.iter().any(|s| s == def.name),
                "docs/language.md has no `<!-- schema:{} -->` table",
                def.name
            );
        }
    }
    assert!(
        fresh == text,
        "docs/language.md disagrees with the schema table; run `UPDATE_DOCS=1 cargo test --test schema_docs` and review the diff"
    );
}

#[test]
fn every_check_kind_is_documented() {
    let text = std::fs::read_to_string(doc_path()).unwrap();
    for (kind, usage, _) in schema::CHECKS {
        assert!(
            text.contains(usage),
            "docs/language.md does not show `{usage}` ({kind})"
        );
    }
}

/// docs/bootstrap.md's table of tools between `<!-- tools -->` and
/// `<!-- /tools -->` is the catalogue's (`UPDATE_DOCS=1` rewrites it).
#[test]
fn the_tools_table_is_the_catalogue() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/bootstrap.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let (open, close) = ("<!-- tools -->\n", "<!-- /tools -->");
    let start = text
        .find(open)
        .expect("docs/bootstrap.md has `<!-- tools -->`")
        + open.len();
    let end = start + text[start..].find(close).expect("and `<!-- /tools -->`");
    let fresh = format!(
        "{}{}{}",
        &text[..start],
        paasc::bootstrap::tools::markdown_table(),
        &text[end..]
    );
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &fresh).unwrap();
        return;
    }
    assert!(
        fresh == text,
        "docs/bootstrap.md's tools table disagrees with the catalogue; run `UPDATE_DOCS=1 cargo test --test schema_docs`"
    );
}
