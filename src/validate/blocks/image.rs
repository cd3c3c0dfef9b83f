//! `image`: the base, instance type, root volume, sharing, the Chef run list
//! and the node attributes.

use super::super::fields::Field;
use super::super::tree::{Cx, NBlock, Node};
use super::super::values::{self as v, RunEntry};
use super::base::base_def;
use super::sub;
use crate::diagnostics::{suggest, Code, Diagnostic};
use crate::model::{Image, RunListItem};
use crate::resolve::Program;
use crate::schema;
use crate::source::Span;
use crate::syntax::ast::{Value, ValueKind};

pub(super) fn image(cx: &mut Cx, prog: &Program, app: &Node) -> Option<Image> {
    let f = sub(app, &schema::IMAGE);
    let mut ok = true;
    let base_name = match f.string(cx, "base") {
        Field::Absent => Some(("amazon-linux-2023".to_string(), None)),
        Field::Ok(n, span) => Some((n, Some(span))),
        Field::Bad => None,
    };
    let base = base_name.and_then(|(n, span)| match prog.bases.get(&n) {
        Some(def) => base_def(cx, def),
        None => {
            let help = suggest(&n, prog.bases.keys().map(|s| s.as_str())).unwrap_or_else(|| {
                format!(
                    "known bases: {}",
                    prog.bases.keys().cloned().collect::<Vec<_>>().join(", ")
                )
            });
            let mut d =
                Diagnostic::new(Code::UnknownBase, format!("unknown base image `{n}`")).help(help);
            if let Some(s) = span {
                d = d.label(s, "no `base` definition by this name");
            }
            cx.push(d);
            None
        }
    });
    // User base definitions are checked even when unused.
    for def in prog.bases.values().filter(|d| !d.stdlib) {
        let _ = base_def(cx, def);
    }
    let instance = f.string(cx, "instance").or_else(|| "t3.micro".to_string());
    let volume_gib = f.size_gib(cx, "volume").or(20).map(|g| g as u32);
    let mut share = Vec::new();
    match f.string_list(cx, "share") {
        Field::Ok(items, _) => {
            for (s, _) in items {
                if !share.contains(&s) {
                    share.push(s);
                }
            }
        }
        Field::Bad => ok = false,
        Field::Absent => {}
    }
    let mut chef = Vec::new();
    let mut located = Vec::new();
    match f.string_list(cx, "chef") {
        Field::Ok(items, _) => {
            for (s, span) in items {
                match run_list_item(cx, &s, span) {
                    Some(item) => {
                        located.push((item.clone(), span));
                        chef.push(item);
                    }
                    None => ok = false,
                }
            }
        }
        Field::Bad => ok = false,
        Field::Absent => {}
    }
    // With a chef repo, every entry must resolve there (and is vendored).
    let vendor = match &prog.chef_repo {
        Some(repo) if ok => {
            let app_name = cx.vars.get("app").cloned().unwrap_or_default();
            match crate::chef_repo::resolve::resolve(repo, &located, &app_name) {
                Ok(v) => Some(v),
                Err(diags) => {
                    ok = false;
                    for d in diags {
                        cx.push(d);
                    }
                    None
                }
            }
        }
        _ => None,
    };
    let attributes = attributes(cx, f.node().and_then(|n| n.block("attributes")));
    let img = Image {
        base: base?,
        instance: instance?,
        volume_gib: volume_gib?,
        share,
        chef,
        attributes: attributes?,
        vendor,
    };
    ok.then_some(img)
}

/// One run-list entry, or None (reported).
fn run_list_item(cx: &mut Cx, s: &str, span: Span) -> Option<RunListItem> {
    match v::run_list_entry(s) {
        RunEntry::Ok {
            role,
            name,
            version,
        } => Some(RunListItem::new(role, name, version)),
        RunEntry::BadVersion(ver) => {
            cx.push(
                Diagnostic::new(
                    Code::CookbookVersion,
                    format!("`{}` is not a cookbook version", ver.escape_debug()),
                )
                .label(span, "expected `x.y` or `x.y.z`")
                .help("pin a version like `nginx@12.2.0`"),
            );
            None
        }
        RunEntry::Bad => {
            cx.push(
                Diagnostic::new(Code::RunList, format!("`{}` is not a run-list entry", s.escape_debug()))
                    .label(span, "not a recipe or role")
                    .help("write `\"cookbook\"`, `\"cookbook::recipe@1.2.3\"`, `\"recipe[...]\"` or `\"role[name]\"`"),
            );
            None
        }
    }
}

fn attributes(
    cx: &mut Cx,
    b: Option<&NBlock>,
) -> Option<serde_json::Map<String, serde_json::Value>> {
    let mut root = serde_json::Map::new();
    let Some(b) = b else { return Some(root) };
    for blk in &b.node.blocks {
        cx.push(
            Diagnostic::new(
                Code::UnknownBlock,
                "`attributes` takes dotted keys, not blocks",
            )
            .label(blk.name.span, "a block")
            .help("write `a.b = value`"),
        );
    }
    let mut ok = true;
    for c in &b.node.checks {
        ok = false;
        cx.push(
            Diagnostic::new(Code::MisplacedCheck, "missing `=` in attribute")
                .label(c.span, "an attribute needs `=`")
                .help("write `a.b = value`"),
        );
    }
    let mut seen: Vec<(Vec<String>, Span)> = Vec::new();
    for a in &b.node.attrs {
        let path: Vec<String> = a.key.name.split('.').map(str::to_string).collect();
        if path.iter().any(|p| p.is_empty()) {
            ok = false;
            cx.push(
                Diagnostic::new(
                    Code::AttributePath,
                    format!("`{}` has an empty path segment", a.key.name),
                )
                .label(a.key.span, "empty segment")
                .help("remove the extra `.`"),
            );
            continue;
        }
        if let Some((_, other)) = seen
            .iter()
            .find(|(p, _)| p.starts_with(&path) || path.starts_with(p))
        {
            ok = false;
            cx.push(
                Diagnostic::new(
                    Code::AttributePath,
                    format!("`{}` conflicts with another attribute path", a.key.name),
                )
                .label(a.key.span, "this path")
                .label(*other, "overlaps this one")
                .help("a path cannot be both a value and an object"),
            );
            continue;
        }
        seen.push((path.clone(), a.key.span));
        let Some(value) = json_value(cx, &a.value) else {
            ok = false;
            continue;
        };
        insert_path(&mut root, &path, value);
    }
    ok.then_some(root)
}

/// Inserts `value` at a dotted path; conflicts were ruled out by the caller.
fn insert_path(
    map: &mut serde_json::Map<String, serde_json::Value>,
    path: &[String],
    value: serde_json::Value,
) {
    match path {
        [] => {}
        [last] => {
            map.insert(last.clone(), value);
        }
        [first, rest @ ..] => {
            let entry = map
                .entry(first.clone())
                .or_insert_with(|| serde_json::Value::Object(Default::default()));
            if let serde_json::Value::Object(inner) = entry {
                insert_path(inner, rest, value);
            }
        }
    }
}

fn json_value(cx: &mut Cx, val: &Value) -> Option<serde_json::Value> {
    Some(match &val.kind {
        ValueKind::Str(_) => serde_json::Value::String(cx.string(val)?),
        ValueKind::Int(n) => serde_json::Value::from(*n),
        ValueKind::Decimal(d) => serde_json::Number::from_f64(*d).map(serde_json::Value::Number)?,
        ValueKind::Bool(b) => serde_json::Value::Bool(*b),
        ValueKind::Invalid => return None,
        ValueKind::List(items) => serde_json::Value::Array(
            items
                .iter()
                .map(|i| json_value(cx, i))
                .collect::<Option<Vec<_>>>()?,
        ),
        ValueKind::Name(n) => {
            cx.push(
                Diagnostic::new(
                    Code::WrongType,
                    "expected a string, number, boolean or list",
                )
                .label(val.span, "a bare name")
                .help(format!("put it in quotes: `\"{n}\"`")),
            );
            return None;
        }
        ValueKind::Quantity { .. } => {
            cx.push(
                Diagnostic::new(
                    Code::WrongType,
                    "Chef attributes take plain values, not quantities",
                )
                .label(val.span, "a quantity")
                .help("write the number the cookbook expects, e.g. `300` or `\"5m\"`"),
            );
            return None;
        }
    })
}
