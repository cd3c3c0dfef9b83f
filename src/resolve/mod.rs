//! Loads the root file, its `use` files and the embedded stdlib; collects
//! definitions (`base`, `controls`, `param`, the one `app`).
//!
//! Input: the root path, a `Loader` and `--set` overrides. Output: a
//! `Program` holding every parsed file in the `SourceMap` and the
//! definitions by name, plus diagnostics. Nothing here interprets app keys;
//! env overlays and interpolation run in `validate`, per env.

mod loader;
pub mod paths;
mod stdlib;

pub use loader::{FsLoader, Loader, MemLoader};

use crate::diagnostics::{suggest, Code, Diagnostic, Diagnostics};
use crate::source::{FileId, SourceMap, Span};
use crate::syntax::ast::{Block, File, Ident, Item, Value, ValueKind};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// A `base` or `controls` definition.
#[derive(Debug, Clone)]
pub struct Def {
    pub name: Ident,
    pub block: Block,
    pub stdlib: bool,
}

#[derive(Debug, Clone)]
pub struct Param {
    pub name: Ident,
    /// The default, or the `--set` value converted to the default's type.
    pub value: Value,
}

#[derive(Debug)]
pub struct Program {
    pub sources: SourceMap,
    pub root: FileId,
    /// The root file's name without directories (for headers and the manifest).
    pub root_file_name: String,
    /// sha256 over the root file and every `use`d file, in load order.
    pub source_sha256: String,
    pub bases: BTreeMap<String, Def>,
    pub packs: BTreeMap<String, Def>,
    pub params: BTreeMap<String, Param>,
    pub app: Option<Block>,
    /// Every `${name}` used anywhere in user files (for unused-param warnings).
    pub interpolated: std::collections::BTreeSet<String>,
    /// The chef repo the run list is checked against (`compile` loads it).
    pub chef_repo: Option<crate::chef_repo::Repo>,
}

impl Program {
    /// Whether the user's files define anything: an app, or a module or
    /// param of their own (a library file). An empty file does not.
    pub fn defines_anything(&self) -> bool {
        self.app.is_some()
            || !self.params.is_empty()
            || self.bases.values().any(|d| !d.stdlib)
            || self.packs.values().any(|d| !d.stdlib)
    }
}

/// Loads and collects. Always returns a program, however broken the input.
pub fn load(
    root: &str,
    loader: &dyn Loader,
    sets: &[(String, String)],
    diags: &mut Diagnostics,
) -> Program {
    let mut st = State {
        sources: SourceMap::default(),
        hasher: Sha256::new(),
        stack: Vec::new(),
        loaded: BTreeMap::new(),
        files: Vec::new(),
    };
    let root_id = match loader.read(root) {
        Ok(bytes) => st.add_file(root.to_string(), bytes, false, diags),
        Err(e) => {
            // The CLI reads the root itself and reports I/O errors with exit 2;
            // a library caller still gets a diagnostic.
            let id = st.sources.add(root.to_string(), String::new());
            diags.push(Diagnostic::new(
                Code::UseNotFound,
                format!("cannot read `{root}`: {e}"),
            ));
            id
        }
    };
    st.visit(root_id, root, loader, diags);
    let mut prog = Program {
        sources: SourceMap::default(),
        root: root_id,
        root_file_name: paths::file_name(root),
        source_sha256: String::new(),
        bases: BTreeMap::new(),
        packs: BTreeMap::new(),
        params: BTreeMap::new(),
        app: None,
        interpolated: Default::default(),
        chef_repo: None,
    };
    // Stdlib first so user definitions that clash point at both places.
    let mut stdlib_files = Vec::new();
    for file in &stdlib::STDLIB {
        let id = st.sources.add(file.name.to_string(), file.text.to_string());
        stdlib_files.push((id, (file.tree)(id)));
    }
    for (id, file) in &stdlib_files {
        collect(&mut prog, *id, file, true, root_id, diags);
    }
    let files = std::mem::take(&mut st.files);
    for (id, file) in &files {
        collect(&mut prog, *id, file, false, root_id, diags);
        for item in &file.items {
            gather_interpolations(item, &mut prog.interpolated);
        }
    }
    apply_sets(&mut prog, sets, diags);
    prog.source_sha256 = crate::hash::hex(&st.hasher.finalize());
    prog.sources = st.sources;
    prog
}

struct State {
    sources: SourceMap,
    hasher: Sha256,
    /// Files being loaded, for cycle detection: (normalised path, id).
    stack: Vec<(String, FileId)>,
    loaded: BTreeMap<String, FileId>,
    files: Vec<(FileId, File)>,
}

impl State {
    fn add_file(
        &mut self,
        name: String,
        bytes: Vec<u8>,
        _stdlib: bool,
        diags: &mut Diagnostics,
    ) -> FileId {
        self.hasher.update(&bytes);
        match String::from_utf8(bytes) {
            Ok(text) => self.sources.add(name, text),
            Err(e) => {
                let bad = e.utf8_error().valid_up_to();
                let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
                // The lossy text keeps every byte before `bad` at the same
                // offset; the bad byte becomes U+FFFD (3 bytes).
                let id = self.sources.add(name, text);
                diags.push(
                    Diagnostic::new(Code::InvalidUtf8, "file is not valid UTF-8")
                        .label(
                            Span::new(id, bad, bad + '\u{FFFD}'.len_utf8()),
                            "this byte is not UTF-8",
                        )
                        .help("save the file as UTF-8"),
                );
                id
            }
        }
    }

    fn visit(&mut self, id: FileId, path: &str, loader: &dyn Loader, diags: &mut Diagnostics) {
        let norm = paths::normalize(path);
        self.loaded.insert(norm.clone(), id);
        self.stack.push((norm, id));
        let text = self
            .sources
            .get(id)
            .map(|f| f.text.clone())
            .unwrap_or_default();
        let invalid_utf8 = diags
            .iter()
            .any(|d| d.code == Code::InvalidUtf8 && d.primary_span().map(|s| s.file) == Some(id));
        let file = if invalid_utf8 {
            File::default()
        } else {
            crate::syntax::parse(&text, id, diags)
        };
        let uses: Vec<(String, Span)> = file
            .items
            .iter()
            .filter_map(|i| match i {
                Item::Use {
                    path:
                        Value {
                            kind: ValueKind::Str(parts),
                            span,
                        },
                    ..
                } => Some((plain(parts)?, *span)),
                _ => None,
            })
            .collect();
        self.files.push((id, file));
        for (rel, span) in uses {
            let target = paths::join(path, &rel);
            let norm = paths::normalize(&target);
            if let Some(pos) = self.stack.iter().position(|(p, _)| *p == norm) {
                let chain: Vec<String> = self
                    .stack
                    .iter()
                    .skip(pos)
                    .map(|(_, fid)| {
                        self.sources
                            .get(*fid)
                            .map(|f| format!("`{}`", f.name))
                            .unwrap_or_default()
                    })
                    .collect();
                diags.push(
                    Diagnostic::new(
                        Code::UseCycle,
                        format!(
                            "`use` cycle: {} uses `{}` again",
                            chain.join(" -> "),
                            target
                        ),
                    )
                    .label(span, "this `use` closes the cycle")
                    .help("move the shared definitions into a file that both use"),
                );
                continue;
            }
            if self.loaded.contains_key(&norm) {
                continue; // Diamond: already loaded once, its definitions are in.
            }
            match loader.read(&target) {
                Ok(bytes) => {
                    let fid = self.add_file(target.clone(), bytes, false, diags);
                    self.visit(fid, &target, loader, diags);
                }
                Err(e) => diags.push(
                    Diagnostic::new(Code::UseNotFound, format!("cannot read `{target}`: {e}"))
                        .label(span, "this file cannot be loaded")
                        .help("paths in `use` are relative to the file that contains the `use`"),
                ),
            }
        }
        self.stack.pop();
    }
}

/// The text of a string without interpolation, or None.
fn plain(parts: &[crate::syntax::ast::StrPart]) -> Option<String> {
    let mut s = String::new();
    for p in parts {
        match p {
            crate::syntax::ast::StrPart::Text(t) => s.push_str(t),
            crate::syntax::ast::StrPart::Interp(_) => return None,
        }
    }
    Some(s)
}

const TOP_BLOCKS: &[&str] = &["app", "base", "controls"];

fn collect(
    prog: &mut Program,
    id: FileId,
    file: &File,
    stdlib: bool,
    root: FileId,
    diags: &mut Diagnostics,
) {
    for item in &file.items {
        match item {
            Item::Use { .. } => {}
            Item::Param { name, value, .. } => {
                if let Some(prev) = prog.params.get(&name.name) {
                    diags.push(duplicate("param", &name.name, prev.name.span, name.span));
                } else if matches!(value.kind, ValueKind::List(_)) {
                    diags.push(
                        Diagnostic::new(
                            Code::WrongType,
                            format!("param `{}` must have a single value", name.name),
                        )
                        .label(value.span, "a list")
                        .help("params hold a string, number or boolean"),
                    );
                } else {
                    prog.params.insert(
                        name.name.clone(),
                        Param {
                            name: name.clone(),
                            value: value.clone(),
                        },
                    );
                }
            }
            Item::Block(b) => match b.name.name.as_str() {
                "app" => {
                    if id != root || stdlib {
                        diags.push(
                            Diagnostic::new(Code::AppPlacement, "`app` in a `use`d file")
                                .label(b.name.span, "apps belong in the file given to paasc")
                                .help("keep only `base`, `controls` and `param` in files that are `use`d"),
                        );
                    } else if let Some(prev) = &prog.app {
                        diags.push(
                            Diagnostic::new(Code::AppPlacement, "more than one `app` in a file")
                                .label(b.name.span, "second `app`")
                                .label(prev.name.span, "first `app` here")
                                .help("put each app in its own file"),
                        );
                    } else {
                        prog.app = Some(b.clone());
                    }
                }
                kind @ ("base" | "controls") => {
                    let Some(label) = &b.label else {
                        diags.push(
                            Diagnostic::new(Code::Misplaced, format!("`{kind}` needs a name"))
                                .label(b.name.span, format!("write `{kind} NAME {{ ... }}`")),
                        );
                        continue;
                    };
                    check_name(label, kind, diags);
                    let map = if kind == "base" {
                        &mut prog.bases
                    } else {
                        &mut prog.packs
                    };
                    if let Some(prev) = map.get(&label.name) {
                        let what = if kind == "base" {
                            "base image"
                        } else {
                            "control pack"
                        };
                        let mut d = duplicate(what, &label.name, prev.name.span, label.span);
                        if prev.stdlib {
                            d = d.help(format!(
                                "`{}` is part of the stdlib: pick another name",
                                label.name
                            ));
                        }
                        diags.push(d);
                    } else {
                        map.insert(
                            label.name.clone(),
                            Def {
                                name: label.clone(),
                                block: b.clone(),
                                stdlib,
                            },
                        );
                    }
                }
                other => diags.push(
                    Diagnostic::new(
                        Code::UnknownBlock,
                        format!("unknown top-level block `{other}`"),
                    )
                    .label(b.name.span, "not known here")
                    .maybe_help(
                        suggest(other, TOP_BLOCKS.iter().copied()).or_else(|| {
                            Some(
                                "a file holds `use`, `param`, `base`, `controls` and one `app`"
                                    .into(),
                            )
                        }),
                    ),
                ),
            },
            Item::Attr(a) => diags.push(
                Diagnostic::new(
                    Code::Misplaced,
                    format!("attribute `{}` outside any block", a.key.name),
                )
                .label(a.span, "not inside `app { ... }`")
                .help("move it into the `app` block"),
            ),
            Item::Check(c) => diags.push(
                Diagnostic::new(
                    Code::Misplaced,
                    format!("unexpected `{}` at the top of the file", c.kind.name),
                )
                .label(c.span, "not understood here")
                .help("a file holds `use`, `param`, `base`, `controls` and one `app`"),
            ),
        }
    }
}

/// App, env, base and controls names become parts of AWS names.
pub fn check_name(name: &Ident, what: &str, diags: &mut Diagnostics) {
    let n = &name.name;
    let ok = n.len() <= 32
        && n.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && n.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
    if !ok {
        let lower = n.to_ascii_lowercase().replace('_', "-");
        let help = if n.len() > 32 {
            "use at most 32 characters".to_string()
        } else {
            format!("write `{lower}`")
        };
        diags.push(
            Diagnostic::new(
                Code::NameCase,
                format!("{what} name `{n}` must be lowercase letters, digits and `-`"),
            )
            .label(name.span, "not a valid name")
            .help(help),
        );
    }
}

pub fn duplicate(what: &str, name: &str, first: Span, second: Span) -> Diagnostic {
    Diagnostic::new(Code::Duplicate, format!("{what} `{name}` is defined twice"))
        .label(second, "defined again here")
        .label(first, "first defined here")
        .help("remove one of them")
}

fn apply_sets(prog: &mut Program, sets: &[(String, String)], diags: &mut Diagnostics) {
    for (name, text) in sets {
        let Some(param) = prog.params.get_mut(name) else {
            let names: Vec<&str> = prog.params.keys().map(|s| s.as_str()).collect();
            let help = suggest(name, names.iter().copied()).or_else(|| {
                if names.is_empty() {
                    Some("the spec declares no params; add `param NAME = default` to it".into())
                } else {
                    Some(format!("declared params: {}", names.join(", ")))
                }
            });
            diags.push(
                Diagnostic::new(
                    Code::UnknownParam,
                    format!("`--set {name}=...` names no param of the spec"),
                )
                .maybe_help(help),
            );
            continue;
        };
        let span = param.value.span;
        let kind = match &param.value.kind {
            ValueKind::Str(_) | ValueKind::Name(_) => {
                Some(ValueKind::Str(vec![crate::syntax::ast::StrPart::Text(
                    text.clone(),
                )]))
            }
            ValueKind::Int(_) => text.trim().parse::<i64>().ok().map(ValueKind::Int),
            ValueKind::Decimal(_) => text.trim().parse::<f64>().ok().map(ValueKind::Decimal),
            ValueKind::Bool(_) => match text.trim() {
                "true" => Some(ValueKind::Bool(true)),
                "false" => Some(ValueKind::Bool(false)),
                _ => None,
            },
            ValueKind::Quantity { unit, .. } => {
                let t = text.trim();
                t.strip_suffix(unit.as_str())
                    .and_then(|n| n.parse::<f64>().ok())
                    .map(|amount| ValueKind::Quantity {
                        amount,
                        unit: unit.clone(),
                    })
            }
            ValueKind::List(_) | ValueKind::Invalid => None,
        };
        match kind {
            Some(kind) => param.value = Value { kind, span },
            None => diags.push(
                Diagnostic::new(
                    Code::ParamType,
                    format!("`--set {name}={text}` does not fit the param's type"),
                )
                .label(span, format!("the default is {}", param.value.type_name()))
                .help(format!("pass {} like the default", param.value.type_name())),
            ),
        }
    }
}

fn gather_interpolations(item: &Item, out: &mut std::collections::BTreeSet<String>) {
    fn value(v: &Value, out: &mut std::collections::BTreeSet<String>) {
        match &v.kind {
            ValueKind::Str(parts) => {
                for p in parts {
                    if let crate::syntax::ast::StrPart::Interp(i) = p {
                        out.insert(i.name.clone());
                    }
                }
            }
            ValueKind::List(items) => items.iter().for_each(|v| value(v, out)),
            _ => {}
        }
    }
    match item {
        Item::Use { path, .. } => value(path, out),
        Item::Param { value: v, .. } => value(v, out),
        Item::Attr(a) => value(&a.value, out),
        Item::Check(c) => c.args.iter().for_each(|v| value(v, out)),
        Item::Block(b) => b.items.iter().for_each(|i| gather_interpolations(i, out)),
    }
}
