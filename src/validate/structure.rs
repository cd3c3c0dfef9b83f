//! The shape of the program, checked once against the schema table: keys
//! and blocks a block does not take (with did-you-mean), attributes written
//! as blocks and the reverse, check lines out of place, keys and blocks
//! written twice, and the env overlays (names, the reserved `default`,
//! duplicates, nesting). None of this depends on the env, so it runs once
//! per program, on the syntax tree, before any env is lowered.

use super::tree::show;
use super::DEFAULT_ENV;
use crate::diagnostics::{suggest, Code, Diagnostic, Diagnostics};
use crate::resolve::{check_name, duplicate, Program};
use crate::schema::{self, BlockDef, Content};
use crate::syntax::ast::{Block, Ident, Item};

/// Checks the app and every user-defined `base` once.
pub fn check(prog: &Program, diags: &mut Diagnostics) {
    if let Some(app) = &prog.app {
        block(&schema::APP, &app.items, diags);
        duplicates(&app.items, diags);
        for (_, overlay) in envs(app, diags) {
            duplicates(&overlay.items, diags);
        }
    }
    for def in prog.bases.values().filter(|d| !d.stdlib) {
        block(&schema::BASE, &def.block.items, diags);
        duplicates(&def.block.items, diags);
    }
}

/// The `env NAME { ... }` overlays of an app, in source order; reports
/// nameless, reserved, misnamed, duplicate and nested ones when `diags` is
/// given (the structural pass) and stays silent otherwise (lowering).
pub fn envs<'a>(app: &'a Block, diags: &mut Diagnostics) -> Vec<(&'a Ident, &'a Block)> {
    let mut out: Vec<(&Ident, &Block)> = Vec::new();
    for item in &app.items {
        let Item::Block(b) = item else { continue };
        if b.name.name != "env" {
            continue;
        }
        let Some(label) = &b.label else {
            diags.push(
                Diagnostic::new(Code::Misplaced, "`env` needs a name")
                    .label(b.name.span, "write `env NAME { ... }`")
                    .help("for example `env prod { fleet { min = 3 } }`"),
            );
            continue;
        };
        check_name(label, "env", diags);
        if label.name == DEFAULT_ENV {
            diags.push(
                Diagnostic::new(Code::ReservedEnv, "`default` is not a name an env can have")
                    .label(label.span, "reserved for the app without an overlay")
                    .help("the keys outside any `env` are the default; name this env differently, e.g. `env dev`"),
            );
            continue;
        }
        if let Some((prev, _)) = out.iter().find(|(l, _)| l.name == label.name) {
            diags.push(duplicate("env", &label.name, prev.span, label.span));
            continue;
        }
        for inner in &b.items {
            if let Item::Block(nested) = inner {
                if nested.name.name == "env" {
                    diags.push(
                        Diagnostic::new(Code::UnknownBlock, "env overlays cannot nest")
                            .label(nested.name.span, "`env` inside `env`")
                            .help("declare every env directly inside `app`"),
                    );
                }
            }
        }
        out.push((label, b));
    }
    out
}

/// The items of one block of kind `def`, and the blocks inside it.
fn block(def: &'static BlockDef, items: &[Item], diags: &mut Diagnostics) {
    let keys: Vec<&str> = def.key_names().collect();
    let what = def.name;
    for item in items {
        match item {
            Item::Attr(a) => {
                if def.content == Content::AnyKey {
                    continue;
                }
                let k = a.key.name.as_str();
                if keys.contains(&k) {
                    continue;
                }
                if def.takes_block(k) {
                    diags.push(
                        Diagnostic::new(
                            Code::BlockShape,
                            format!("`{k}` is a block, not an attribute"),
                        )
                        .label(a.key.span, "written as `key = value`")
                        .help(format!("write `{k} {{ ... }}`")),
                    );
                    continue;
                }
                let help = suggest(k, keys.iter().copied())
                    .or_else(|| Some(format!("`{what}` takes: {}", keys.join(", "))));
                diags.push(
                    Diagnostic::new(Code::UnknownKey, format!("unknown key `{k}` in `{what}`"))
                        .label(a.key.span, "unknown key")
                        .maybe_help(help),
                );
            }
            Item::Block(b) => {
                let k = b.name.name.as_str();
                if def.name == "env" && k == "env" {
                    continue; // reported by `envs`
                }
                if def.content == Content::AnyKey {
                    continue; // the reader says what such a block should be
                }
                if def.takes_block(k) {
                    if k == "env" {
                        // Overlays are checked against `env`; a nameless one
                        // is reported by `envs` and read no further.
                        if b.label.is_some() {
                            block(&schema::ENV, &b.items, diags);
                        }
                        continue;
                    }
                    if let Some(l) = &b.label {
                        diags.push(
                            Diagnostic::new(Code::UnknownBlock, format!("`{k}` takes no name"))
                                .label(l.span, "unexpected name")
                                .help(format!("write `{k} {{ ... }}`")),
                        );
                        continue;
                    }
                    if let Some(child) = schema::block(k) {
                        block(child, &b.items, diags);
                    }
                    continue;
                }
                if keys.contains(&k) {
                    diags.push(
                        Diagnostic::new(
                            Code::BlockShape,
                            format!("`{k}` is an attribute, not a block"),
                        )
                        .label(b.name.span, "written as a block")
                        .help(format!("write `{k} = value`")),
                    );
                    continue;
                }
                let help = if def.blocks.is_empty() {
                    Some(format!("`{what}` takes no blocks"))
                } else {
                    suggest(k, def.blocks.iter().copied()).or_else(|| {
                        Some(format!(
                            "`{what}` takes the blocks: {}",
                            def.blocks.join(", ")
                        ))
                    })
                };
                diags.push(
                    Diagnostic::new(
                        Code::UnknownBlock,
                        format!("unknown block `{k}` in `{what}`"),
                    )
                    .label(b.name.span, "unknown block")
                    .maybe_help(help),
                );
            }
            Item::Check(c) => {
                if def.content != Content::Keys {
                    continue; // checks are read by `verify`/`controls`; tags say what they miss
                }
                let k = &c.kind.name;
                let d = match c.args.first() {
                    Some(first) if keys.contains(&k.as_str()) && c.args.len() == 1 => {
                        Diagnostic::new(Code::MisplacedCheck, format!("missing `=` after `{k}`"))
                            .label(c.kind.span.to(first.span), "an attribute needs `=`")
                            .help(format!("write `{k} = {}`", show(first)))
                    }
                    None => {
                        let help =
                            suggest(k, keys.iter().copied().chain(def.blocks.iter().copied()));
                        Diagnostic::new(
                            Code::MisplacedCheck,
                            format!("`{k}` is neither an attribute nor a block here"),
                        )
                        .label(c.span, "expected `key = value` or `name { ... }`")
                        .maybe_help(help)
                    }
                    Some(_) => Diagnostic::new(
                        Code::MisplacedCheck,
                        format!("check line `{k}` outside `verify`"),
                    )
                    .label(c.span, "checks belong in `verify` or a `controls` pack")
                    .help("move it into `verify { ... }`, or write an attribute as `key = value`"),
                };
                diags.push(d);
            }
            Item::Use { .. } | Item::Param { .. } => {}
        }
    }
}

/// Keys and blocks written twice in one block and the blocks inside it
/// (both places labelled). Named `env` overlays are checked on their own.
fn duplicates(items: &[Item], diags: &mut Diagnostics) {
    let mut keys: Vec<&Ident> = Vec::new();
    let mut blocks: Vec<(&Ident, Option<&Ident>)> = Vec::new();
    for item in items {
        match item {
            Item::Attr(a) => {
                if let Some(prev) = keys.iter().find(|p| p.name == a.key.name) {
                    diags.push(duplicate("key", &a.key.name, prev.span, a.key.span));
                } else {
                    keys.push(&a.key);
                }
            }
            Item::Block(b) if b.name.name == "env" && b.label.is_some() => {}
            Item::Block(b) => {
                let label = b.label.as_ref();
                if let Some((prev, _)) = blocks.iter().find(|(n, l)| {
                    n.name == b.name.name && l.map(|l| &l.name) == label.map(|l| &l.name)
                }) {
                    let what = match label {
                        Some(l) => format!("{} {}", b.name.name, l.name),
                        None => b.name.name.clone(),
                    };
                    diags.push(duplicate("block", &what, prev.span, b.name.span));
                } else {
                    blocks.push((&b.name, label));
                    duplicates(&b.items, diags);
                }
            }
            _ => {}
        }
    }
}
