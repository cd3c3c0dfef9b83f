//! What the language server answers, without the protocol: diagnostics per
//! file, hover, completion, definitions and symbols, over byte offsets.
//!
//! Input: a document's path and text, and a `Loader` that sees the
//! editor's unsaved buffers over the disk. Output: plain data; `super`
//! turns offsets into UTF-16 positions and data into LSP types.
//!
//! Invariants: the diagnostics are exactly `check`'s (same compile, every
//! env); every answer is computed from the current text, and none of them
//! can panic on any input (the parse and the compile are total).

use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::resolve::Loader;
use crate::schema::{self, BlockDef, Content, Ty};
use crate::source::{FileId, SourceMap, Span};
use crate::syntax::ast::{Item, StrPart, ValueKind};
use crate::Envs;
use std::collections::BTreeMap;

/// One file's diagnostics, by the file's path (as paasc names it).
pub struct FileDiagnostics {
    pub path: String,
    pub text: String,
    pub diagnostics: Vec<Diagnostic>,
}

/// `check` of the document as root: its diagnostics grouped by the file
/// each points into (the stdlib's are shown on the root, at its start).
pub fn diagnostics(path: &str, loader: &dyn Loader) -> Vec<FileDiagnostics> {
    let c = crate::compile(path, loader, &Envs::All, &[], false);
    let mut by_file: BTreeMap<u32, Vec<Diagnostic>> = BTreeMap::new();
    let root = c
        .sources
        .files()
        .find(|(_, f)| f.name == path)
        .map_or(0, |(id, _)| id.0);
    by_file.entry(root).or_default();
    for d in c.diagnostics {
        let file = d.primary_span().map_or(root, |s| s.file.0);
        let file = match c.sources.get(FileId(file)) {
            Some(f) if !f.name.starts_with('<') => file,
            _ => root,
        };
        by_file.entry(file).or_default().push(d);
    }
    by_file
        .into_iter()
        .filter_map(|(id, diagnostics)| {
            let f = c.sources.get(FileId(id))?;
            Some(FileDiagnostics {
                path: f.name.clone(),
                text: f.text.clone(),
                diagnostics,
            })
        })
        .collect()
}

/// The block path at `offset` (`["app", "fleet"]`), read lexically so it
/// works in half-typed text: `name [label] {` opens, `}` closes; strings
/// and comments are skipped.
pub fn blocks_at(text: &str, offset: usize) -> Vec<String> {
    let upto = text.get(..offset.min(text.len())).unwrap_or(text);
    let mut stack: Vec<String> = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut chars = upto.chars().peekable();
    let mut word = String::new();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                while let Some(s) = chars.next() {
                    match s {
                        '\\' => {
                            chars.next();
                        }
                        '"' | '\n' => break,
                        _ => {}
                    }
                }
                word.clear();
                words.push("\"\"".into());
            }
            '#' => {
                for s in chars.by_ref() {
                    if s == '\n' {
                        break;
                    }
                }
                words.clear();
            }
            '/' if chars.peek() == Some(&'/') => {
                for s in chars.by_ref() {
                    if s == '\n' {
                        break;
                    }
                }
                words.clear();
            }
            '{' => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                // `env prod {` is `env`, `fleet {` is `fleet`.
                let name = words.first().cloned().unwrap_or_default();
                stack.push(name);
                words.clear();
            }
            '}' => {
                stack.pop();
                words.clear();
                word.clear();
            }
            '\n' => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                words.clear();
            }
            c if c.is_whitespace() => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            '=' => {
                word.clear();
                words.clear();
                words.push("=".into());
            }
            c => word.push(c),
        }
    }
    stack
}

/// The schema of the innermost block of a path (`env` overlays take the
/// app's blocks; `attributes` and `tags` any key).
pub fn block_def(path: &[String]) -> Option<&'static BlockDef> {
    path.last().and_then(|n| schema::block(n))
}

/// The word under (or just before) `offset` and where it starts.
fn word_at(text: &str, offset: usize) -> (usize, &str) {
    let offset = offset.min(text.len());
    let is_word = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-');
    let before = text.get(..offset).unwrap_or_default();
    let start = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_word(*c))
        .last()
        .map_or(offset, |(i, _)| i);
    let after = text.get(offset..).unwrap_or_default();
    let end = offset + after.find(|c: char| !is_word(c)).unwrap_or(after.len());
    (start, text.get(start..end).unwrap_or_default())
}

/// Hover text at `offset`: the explain text of a diagnostic there, else
/// the doc of the key, block or check under the cursor.
pub fn hover(text: &str, offset: usize, diagnostics: &[Diagnostic]) -> Option<String> {
    for d in diagnostics {
        if let Some(s) = d.primary_span() {
            if (s.start as usize) <= offset && offset <= s.end as usize {
                return Some(format!(
                    "**{}** `{}`: {}\n\n{}",
                    d.code.title(),
                    d.code.as_str(),
                    d.message,
                    d.code.explain()
                ));
            }
        }
    }
    let (start, word) = word_at(text, offset);
    if word.is_empty() {
        return None;
    }
    let line_start = text
        .get(..start)
        .and_then(|t| t.rfind('\n'))
        .map_or(0, |i| i + 1);
    let before = text.get(line_start..start).unwrap_or_default();
    let after = text.get(start + word.len()..).unwrap_or_default();
    let path = blocks_at(text, start);
    // A key: the first word of its line, followed by `=`.
    if before.trim().is_empty() && after.trim_start().starts_with('=') {
        let def = block_def(&path)?;
        return match def.key(word) {
            Some(k) => Some(schema::hover(def, k)),
            None if def.content == Content::AnyKey => Some(format!("`{}`: {}", def.name, def.doc)),
            None => None,
        };
    }
    // A block: followed by `{` (or a label and `{`).
    if let Some(b) = schema::block(word) {
        let rest = after.trim_start();
        if rest.starts_with('{') || b.labelled {
            return Some(format!("`{}` block: {}", b.name, b.doc));
        }
    }
    // A check: the first word of a line in `verify` or `controls`.
    if before.trim().is_empty() && block_def(&path).is_some_and(|d| d.content == Content::Checks) {
        if let Some((_, usage, doc)) = schema::CHECKS.iter().find(|(k, _, _)| *k == word) {
            return Some(format!("`{usage}`\n\n{doc}"));
        }
    }
    None
}

/// A completion item, before it becomes an LSP one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    pub label: String,
    pub kind: CompletionKind,
    pub detail: String,
    pub doc: String,
    /// What to insert (defaults to the label).
    pub insert: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompletionKind {
    Key,
    Block,
    Value,
    Check,
    Param,
    Module,
    Keyword,
}

/// What the program defines, for completion and definitions: bases,
/// control packs and params, each with where it is defined.
pub struct Names {
    pub sources: SourceMap,
    pub bases: Vec<(String, Span, bool)>,
    pub packs: Vec<(String, Span, bool)>,
    pub params: Vec<(String, Span)>,
    pub envs: Vec<String>,
}

pub fn names(path: &str, loader: &dyn Loader) -> Names {
    let mut diags = Diagnostics::default();
    let prog = crate::resolve::load(path, loader, &[], &mut diags);
    let envs = prog
        .app
        .as_ref()
        .map(|app| {
            app.items
                .iter()
                .filter_map(|i| match i {
                    Item::Block(b) if b.name.name == "env" => {
                        b.label.as_ref().map(|l| l.name.clone())
                    }
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    Names {
        bases: prog
            .bases
            .values()
            .map(|d| (d.name.name.clone(), d.name.span, d.stdlib))
            .collect(),
        packs: prog
            .packs
            .values()
            .map(|d| (d.name.name.clone(), d.name.span, d.stdlib))
            .collect(),
        params: prog
            .params
            .values()
            .map(|p| (p.name.name.clone(), p.name.span))
            .collect(),
        envs,
        sources: prog.sources,
    }
}

/// Completions at `offset`.
pub fn complete(text: &str, offset: usize, names: &Names) -> Vec<Completion> {
    let offset = offset.min(text.len());
    let line_start = text
        .get(..offset)
        .and_then(|t| t.rfind('\n'))
        .map_or(0, |i| i + 1);
    let line = text.get(line_start..offset).unwrap_or_default();
    let path = blocks_at(text, offset);
    let item = |label: &str, kind, detail: &str, doc: &str| Completion {
        label: label.to_string(),
        kind,
        detail: detail.to_string(),
        doc: doc.to_string(),
        insert: None,
    };
    // Inside `${`: the params.
    if let Some(open) = line.rfind("${") {
        if !line.get(open..).unwrap_or_default().contains('}') {
            return names
                .params
                .iter()
                .map(|(n, _)| item(n, CompletionKind::Param, "param", ""))
                .collect();
        }
    }
    let def = block_def(&path);
    // After `key =`: the key's values.
    if let Some((key, _)) = line.split_once('=') {
        let key = key.trim();
        let Some(def) = def else { return Vec::new() };
        let Some(k) = def.key(key) else {
            return Vec::new();
        };
        return match (def.name, k.name, k.ty) {
            ("image", "base", _) => names
                .bases
                .iter()
                .map(|(n, _, stdlib)| {
                    item(
                        n,
                        CompletionKind::Module,
                        if *stdlib {
                            "stdlib base image"
                        } else {
                            "base image"
                        },
                        "",
                    )
                })
                .collect(),
            (_, _, Ty::Choice(choices)) => choices
                .iter()
                .map(|c| item(c, CompletionKind::Value, &k.ty.words(), k.doc))
                .collect(),
            (_, _, Ty::Boolean) => ["true", "false"]
                .iter()
                .map(|c| item(c, CompletionKind::Value, "boolean", k.doc))
                .collect(),
            _ => Vec::new(),
        };
    }
    let words: Vec<&str> = line.split_whitespace().collect();
    // `controls NAME` in verify: the packs.
    if matches!(words.as_slice(), ["controls"] | ["controls", _])
        && (line.ends_with(' ') || words.len() == 2)
        && def.is_some_and(|d| d.content == Content::Checks)
    {
        return names
            .packs
            .iter()
            .map(|(n, _, stdlib)| {
                item(
                    n,
                    CompletionKind::Module,
                    if *stdlib {
                        "stdlib control pack"
                    } else {
                        "control pack"
                    },
                    "",
                )
            })
            .collect();
    }
    // `env NAME`: the envs already declared.
    if matches!(words.as_slice(), ["env"] | ["env", _])
        && path.last().map(String::as_str) == Some("app")
    {
        return names
            .envs
            .iter()
            .map(|e| item(e, CompletionKind::Value, "env", ""))
            .collect();
    }
    if words.len() > 1 || (words.len() == 1 && line.ends_with(' ')) {
        return Vec::new();
    }
    // At the start of a line: what the block takes.
    let Some(def) = def else {
        if path.is_empty() {
            let mut out: Vec<Completion> = schema::TOP_BLOCKS
                .iter()
                .filter_map(|b| schema::block(b))
                .map(|b| Completion {
                    insert: Some(format!("{} ", b.name)),
                    ..item(b.name, CompletionKind::Block, "block", b.doc)
                })
                .collect();
            out.push(item(
                "use",
                CompletionKind::Keyword,
                "use \"FILE.paas\"",
                "use the params, bases and control packs of another file",
            ));
            out.push(item(
                "param",
                CompletionKind::Keyword,
                "param NAME = VALUE",
                "a value `--set NAME=...` can override",
            ));
            return out;
        }
        return Vec::new();
    };
    let mut out = Vec::new();
    match def.content {
        Content::Checks => {
            for (k, usage, doc) in schema::CHECKS {
                if *k == "controls" && def.name != "verify" {
                    continue;
                }
                out.push(item(k, CompletionKind::Check, usage, doc));
            }
        }
        Content::Keys | Content::AnyKey => {
            for k in def.keys {
                out.push(Completion {
                    insert: Some(format!("{} = ", k.name)),
                    ..item(
                        k.name,
                        CompletionKind::Key,
                        &format!("{}, default {}", k.ty.words(), k.default),
                        k.doc,
                    )
                });
            }
        }
    }
    for b in def.blocks {
        if let Some(bd) = schema::block(b) {
            out.push(Completion {
                insert: Some(if bd.labelled {
                    format!("{b} ")
                } else {
                    format!("{b} {{")
                }),
                ..item(b, CompletionKind::Block, "block", bd.doc)
            });
        }
    }
    out
}

/// Where the thing at `offset` is defined: a `${param}`, a base or pack
/// name, or the file of a `use`.
pub enum Target {
    /// A span in one of `names.sources`.
    Span(Span),
    /// A `use`d file, by path.
    File(String),
}

pub fn definition(path: &str, text: &str, offset: usize, names: &Names) -> Option<Target> {
    let mut diags = Diagnostics::default();
    let file = crate::syntax::parse(text, FileId(0), &mut diags);
    // A `use "path"` under the cursor.
    for item in &file.items {
        if let Item::Use { path: p, span } = item {
            if (span.start as usize) <= offset && offset <= span.end as usize {
                if let ValueKind::Str(parts) = &p.kind {
                    let rel: String = parts
                        .iter()
                        .filter_map(|s| match s {
                            StrPart::Text(t) => Some(t.as_str()),
                            StrPart::Interp(_) => None,
                        })
                        .collect();
                    return Some(Target::File(crate::resolve::paths::join(path, &rel)));
                }
            }
        }
    }
    // `${name}`: the param.
    let line_start = text
        .get(..offset.min(text.len()))
        .and_then(|t| t.rfind('\n'))
        .map_or(0, |i| i + 1);
    let (start, word) = word_at(text, offset);
    let before = text.get(line_start..start).unwrap_or_default();
    if before.ends_with("${") {
        return names
            .params
            .iter()
            .find(|(n, _)| n == word)
            .map(|(_, s)| Target::Span(*s));
    }
    // A base or pack name.
    names
        .bases
        .iter()
        .chain(names.packs.iter())
        .find(|(n, _, _)| n == word)
        .map(|(_, s, _)| Target::Span(*s))
}

/// A document symbol, before it becomes an LSP one.
pub struct Symbol {
    pub name: String,
    pub detail: Option<String>,
    pub kind: SymbolKind,
    pub span: Span,
    pub name_span: Span,
    pub children: Vec<Symbol>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SymbolKind {
    Block,
    Key,
    Param,
    File,
    Check,
}

pub fn symbols(text: &str) -> Vec<Symbol> {
    let mut diags = Diagnostics::default();
    let file = crate::syntax::parse(text, FileId(0), &mut diags);
    fn walk(items: &[Item]) -> Vec<Symbol> {
        items
            .iter()
            .map(|i| match i {
                Item::Block(b) => Symbol {
                    name: match &b.label {
                        Some(l) => format!("{} {}", b.name.name, l.name),
                        None => b.name.name.clone(),
                    },
                    detail: schema::block(&b.name.name).map(|d| d.doc.to_string()),
                    kind: SymbolKind::Block,
                    span: b.span,
                    name_span: b.name.span,
                    children: walk(&b.items),
                },
                Item::Attr(a) => Symbol {
                    name: a.key.name.clone(),
                    detail: None,
                    kind: SymbolKind::Key,
                    span: a.span,
                    name_span: a.key.span,
                    children: Vec::new(),
                },
                Item::Param { name, span, .. } => Symbol {
                    name: name.name.clone(),
                    detail: Some("param".into()),
                    kind: SymbolKind::Param,
                    span: *span,
                    name_span: name.span,
                    children: Vec::new(),
                },
                Item::Use { path, span } => Symbol {
                    name: "use".into(),
                    detail: None,
                    kind: SymbolKind::File,
                    span: *span,
                    name_span: path.span,
                    children: Vec::new(),
                },
                Item::Check(c) => Symbol {
                    name: c.kind.name.clone(),
                    detail: None,
                    kind: SymbolKind::Check,
                    span: c.span,
                    name_span: c.kind.span,
                    children: Vec::new(),
                },
            })
            .collect()
    }
    walk(&file.items)
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )]
    use super::*;

    #[test]
    fn the_block_path_is_read_from_half_typed_text() {
        let text = "app shop {\n  env prod {\n    fleet {\n      mi";
        assert_eq!(blocks_at(text, text.len()), ["app", "env", "fleet"]);
        let text = "app shop {\n  name = \"a { b\" # {\n  fleet { min = 1 }\n  ";
        assert_eq!(blocks_at(text, text.len()), ["app"]);
        assert!(blocks_at("", 0).is_empty());
    }

    #[test]
    fn hover_names_the_key_s_type_and_doc() {
        let text = "app shop {\n  fleet {\n    desired = 2\n  }\n}\n";
        let at = text.find("desired").unwrap() + 2;
        let h = hover(text, at, &[]).unwrap();
        assert!(h.contains("fleet.desired"), "{h}");
        let at = text.find("fleet").unwrap() + 1;
        assert!(hover(text, at, &[]).unwrap().contains("`fleet` block"));
    }
}
