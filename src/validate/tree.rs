//! The merged view of an app for one env, and typed reading of its values.
//!
//! `Node` is a block's attributes, sub-blocks and check lines after env
//! overlays were merged in (attributes replace, blocks merge deeply, a
//! list of checks replaces the one below). `Cx` evaluates values into
//! typed data, pushing a located diagnostic for every mismatch.

use crate::diagnostics::{suggest, Code, Diagnostic, Diagnostics};
use crate::resolve::duplicate;
use crate::source::Span;
use crate::syntax::ast::{Attr, CheckLine, Ident, Item, StrPart, Value, ValueKind};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default)]
pub struct Node<'a> {
    pub attrs: Vec<&'a Attr>,
    pub blocks: Vec<NBlock<'a>>,
    pub checks: Vec<&'a CheckLine>,
    pub had_errors: bool,
}

#[derive(Debug, Clone)]
pub struct NBlock<'a> {
    pub name: &'a Ident,
    pub label: Option<&'a Ident>,
    pub node: Node<'a>,
}

impl<'a> Node<'a> {
    /// Builds a node from block items, reporting duplicate keys and blocks.
    /// `env` blocks are left out (the caller handles overlays).
    pub fn build(items: &'a [Item], had_errors: bool, diags: &mut Diagnostics) -> Node<'a> {
        let mut node = Node {
            had_errors,
            ..Node::default()
        };
        for item in items {
            match item {
                Item::Attr(a) => {
                    if let Some(prev) = node.attrs.iter().find(|p| p.key.name == a.key.name) {
                        diags.push(duplicate("key", &a.key.name, prev.key.span, a.key.span));
                    } else {
                        node.attrs.push(a);
                    }
                }
                Item::Block(b) if b.name.name == "env" && b.label.is_some() => {}
                Item::Block(b) => {
                    let label = b.label.as_ref();
                    if let Some(prev) = node.blocks.iter().find(|p| {
                        p.name.name == b.name.name
                            && p.label.map(|l| &l.name) == label.map(|l| &l.name)
                    }) {
                        let what = match label {
                            Some(l) => format!("{} {}", b.name.name, l.name),
                            None => b.name.name.clone(),
                        };
                        diags.push(duplicate("block", &what, prev.name.span, b.name.span));
                    } else {
                        let child = Node::build(&b.items, b.had_errors, diags);
                        node.blocks.push(NBlock {
                            name: &b.name,
                            label,
                            node: child,
                        });
                    }
                }
                Item::Check(c) => node.checks.push(c),
                Item::Use { .. } | Item::Param { .. } => {}
            }
        }
        node
    }

    /// Merges an overlay into this node.
    pub fn merge(&mut self, overlay: &Node<'a>) {
        for a in &overlay.attrs {
            match self.attrs.iter_mut().find(|b| b.key.name == a.key.name) {
                Some(slot) => *slot = a,
                None => self.attrs.push(a),
            }
        }
        for b in &overlay.blocks {
            let same = |x: &NBlock| {
                x.name.name == b.name.name && x.label.map(|l| &l.name) == b.label.map(|l| &l.name)
            };
            match self.blocks.iter_mut().find(|x| same(x)) {
                Some(slot) => slot.node.merge(&b.node),
                None => self.blocks.push(b.clone()),
            }
        }
        if !overlay.checks.is_empty() {
            self.checks = overlay.checks.clone();
        }
        self.had_errors |= overlay.had_errors;
    }

    pub fn attr(&self, key: &str) -> Option<&'a Attr> {
        self.attrs.iter().copied().find(|a| a.key.name == key)
    }

    pub fn block(&self, name: &str) -> Option<&NBlock<'a>> {
        self.blocks.iter().find(|b| b.name.name == name)
    }
}

/// What a quantity's unit measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Seconds per unit.
    Duration(u64),
    /// MiB per unit.
    Size(u64),
    Percent,
}

pub const UNITS: &[&str] = &["s", "m", "h", "d", "MiB", "GiB", "TiB", "%"];

pub fn unit(u: &str) -> Option<Unit> {
    Some(match u {
        "s" => Unit::Duration(1),
        "m" => Unit::Duration(60),
        "h" => Unit::Duration(3600),
        "d" => Unit::Duration(86400),
        "MiB" => Unit::Size(1),
        "GiB" => Unit::Size(1024),
        "TiB" => Unit::Size(1024 * 1024),
        "%" => Unit::Percent,
        _ => return None,
    })
}

/// Units people write that paasc spells differently.
fn unit_synonym(u: &str) -> Option<&'static str> {
    Some(match u.to_ascii_lowercase().as_str() {
        "sec" | "secs" | "second" | "seconds" => "s",
        "min" | "mins" | "minute" | "minutes" => "m",
        "hr" | "hrs" | "hour" | "hours" => "h",
        "day" | "days" => "d",
        "mb" | "mib" => "MiB",
        "gb" | "gib" | "g" => "GiB",
        "tb" | "tib" => "TiB",
        _ => return None,
    })
}

/// Evaluates values in the context of one app and env.
pub struct Cx<'d> {
    pub diags: &'d mut Diagnostics,
    /// Interpolation names and their values.
    pub vars: BTreeMap<String, String>,
}

impl Cx<'_> {
    pub fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn wrong_type(&mut self, v: &Value, expected: &str, help: Option<String>) {
        let d = Diagnostic::new(
            Code::WrongType,
            format!("expected {expected}, found {}", v.type_name()),
        )
        .label(v.span, format!("expected {expected}"))
        .maybe_help(help);
        self.push(d);
    }

    /// Interpolates a string value.
    pub fn eval_parts(&mut self, parts: &[StrPart]) -> Option<String> {
        let mut out = String::new();
        let mut ok = true;
        for p in parts {
            match p {
                StrPart::Text(t) => out.push_str(t),
                StrPart::Interp(id) => match self.vars.get(&id.name) {
                    Some(v) => out.push_str(v),
                    None => {
                        let names: Vec<String> = self.vars.keys().cloned().collect();
                        let help = suggest(&id.name, names.iter().map(|s| s.as_str()))
                            .unwrap_or_else(|| format!("names available: {}", names.join(", ")));
                        self.push(
                            Diagnostic::new(
                                Code::UndefinedName,
                                format!("undefined name `{}`", id.name),
                            )
                            .label(id.span, "not a param or built-in")
                            .help(help),
                        );
                        ok = false;
                    }
                },
            }
        }
        ok.then_some(out)
    }

    pub fn string(&mut self, v: &Value) -> Option<String> {
        match &v.kind {
            ValueKind::Str(parts) => self.eval_parts(parts),
            ValueKind::Name(n) => {
                self.wrong_type(v, "a string", Some(format!("put it in quotes: `\"{n}\"`")));
                None
            }
            ValueKind::Int(n) => {
                self.wrong_type(v, "a string", Some(format!("put it in quotes: `\"{n}\"`")));
                None
            }
            _ => {
                self.wrong_type(v, "a string", None);
                None
            }
        }
    }

    /// A bare name or a string (enum-like values and references).
    pub fn name(&mut self, v: &Value) -> Option<String> {
        match &v.kind {
            ValueKind::Name(n) => Some(n.clone()),
            ValueKind::Str(parts) => self.eval_parts(parts),
            _ => {
                self.wrong_type(v, "a name", None);
                None
            }
        }
    }

    pub fn choice(
        &mut self,
        v: &Value,
        what: &str,
        choices: &[&'static str],
    ) -> Option<&'static str> {
        let n = self.name(v)?;
        if let Some(c) = choices.iter().find(|c| **c == n) {
            return Some(c);
        }
        let help = suggest(&n, choices.iter().copied())
            .unwrap_or_else(|| format!("choose one of: {}", choices.join(", ")));
        self.push(
            Diagnostic::new(Code::InvalidChoice, format!("`{n}` is not a valid {what}"))
                .label(v.span, format!("expected one of: {}", choices.join(", ")))
                .help(help),
        );
        None
    }

    pub fn int(&mut self, v: &Value) -> Option<i64> {
        match &v.kind {
            ValueKind::Int(n) => Some(*n),
            ValueKind::Str(parts) => {
                let text = self.eval_parts(parts);
                let help = text
                    .filter(|t| t.parse::<i64>().is_ok())
                    .map(|t| format!("remove the quotes: `{t}`"));
                self.wrong_type(v, "an integer", help);
                None
            }
            ValueKind::Quantity { amount, unit } if unit == "%" => {
                self.wrong_type(
                    v,
                    "an integer",
                    Some(format!("write `{amount}` without `%`")),
                );
                None
            }
            _ => {
                self.wrong_type(v, "an integer", None);
                None
            }
        }
    }

    pub fn boolean(&mut self, v: &Value) -> Option<bool> {
        match &v.kind {
            ValueKind::Bool(b) => Some(*b),
            _ => {
                self.wrong_type(v, "`true` or `false`", None);
                None
            }
        }
    }

    /// A quantity of the wanted kind; `Unit` carries the multiplier.
    fn quantity(
        &mut self,
        v: &Value,
        want: &str,
        example: &str,
        pick: fn(Unit) -> Option<u64>,
    ) -> Option<f64> {
        match &v.kind {
            ValueKind::Quantity { amount, unit: u } => match unit(u) {
                None => {
                    let help = unit_synonym(u)
                        .map(|s| format!("did you mean `{s}`?"))
                        .or_else(|| suggest(u, UNITS.iter().copied()))
                        .unwrap_or_else(|| format!("write {want} like `{example}`"));
                    self.push(
                        Diagnostic::new(Code::UnknownUnit, format!("unknown unit `{u}`"))
                            .label(v.span, "not a known unit")
                            .help(help),
                    );
                    None
                }
                Some(kind) => match pick(kind) {
                    Some(mult) => Some(amount * mult as f64),
                    None => {
                        self.push(
                            Diagnostic::new(
                                Code::WrongUnit,
                                format!("expected {want}, found {}", v.type_name()),
                            )
                            .label(v.span, format!("expected {want}"))
                            .help(format!("write {want} like `{example}`")),
                        );
                        None
                    }
                },
            },
            ValueKind::Int(n) => {
                self.push(
                    Diagnostic::new(
                        Code::WrongUnit,
                        format!("expected {want}, found a plain number"),
                    )
                    .label(v.span, "missing a unit")
                    .help(format!(
                        "add a unit, e.g. `{n}{}`",
                        example.trim_start_matches(|c: char| c.is_ascii_digit())
                    )),
                );
                None
            }
            _ => {
                self.wrong_type(v, want, Some(format!("write {want} like `{example}`")));
                None
            }
        }
    }

    /// Seconds.
    pub fn duration(&mut self, v: &Value) -> Option<u64> {
        let secs = self.quantity(v, "a duration", "5m", |u| match u {
            Unit::Duration(m) => Some(m),
            _ => None,
        })?;
        if secs.fract() != 0.0 || secs < 0.0 || secs > u64::MAX as f64 / 2.0 {
            self.push(
                Diagnostic::new(
                    Code::NumberRange,
                    "duration is not a whole number of seconds",
                )
                .label(v.span, "fractional seconds")
                .help("use a smaller unit, e.g. `90s` instead of `1.5m`"),
            );
            return None;
        }
        Some(secs as u64)
    }

    /// Whole GiB.
    pub fn size_gib(&mut self, v: &Value) -> Option<u64> {
        let mib = self.quantity(v, "a size", "30GiB", |u| match u {
            Unit::Size(m) => Some(m),
            _ => None,
        })?;
        if mib.fract() != 0.0 || (mib as u64) % 1024 != 0 {
            self.push(
                Diagnostic::new(Code::Volume, "volume size is not a whole number of GiB")
                    .label(v.span, "EBS volumes are sized in whole GiB")
                    .help("round it to whole GiB, e.g. `30GiB`"),
            );
            return None;
        }
        Some(mib as u64 / 1024)
    }

    /// 1..=100.
    pub fn percent(&mut self, v: &Value) -> Option<u8> {
        let p = self.quantity(v, "a percentage", "60%", |u| match u {
            Unit::Percent => Some(1),
            _ => None,
        })?;
        if !(1.0..=100.0).contains(&p) || p.fract() != 0.0 {
            self.push(
                Diagnostic::new(Code::Percent, format!("percentage `{p}%` out of range"))
                    .label(v.span, "must be a whole percentage from 1% to 100%")
                    .help("use a value from 1% to 100%"),
            );
            return None;
        }
        Some(p as u8)
    }

    /// A list of strings, each with its span.
    pub fn string_list(&mut self, v: &Value) -> Option<Vec<(String, Span)>> {
        match &v.kind {
            ValueKind::List(items) => {
                let mut out = Vec::new();
                let mut ok = true;
                for item in items {
                    match self.string(item) {
                        Some(s) => out.push((s, item.span)),
                        None => ok = false,
                    }
                }
                ok.then_some(out)
            }
            ValueKind::Str(_) => {
                let text = show(v);
                self.wrong_type(
                    v,
                    "a list",
                    Some(format!("wrap it in brackets: `[{text}]`")),
                );
                None
            }
            _ => {
                self.wrong_type(v, "a list", None);
                None
            }
        }
    }
}

/// A value written back as source text (for help messages).
pub fn show(v: &Value) -> String {
    match &v.kind {
        ValueKind::Str(parts) => {
            let mut s = String::from("\"");
            for p in parts {
                match p {
                    StrPart::Text(t) => s.push_str(&t.replace('\\', "\\\\").replace('"', "\\\"")),
                    StrPart::Interp(i) => {
                        s.push_str("${");
                        s.push_str(&i.name);
                        s.push('}');
                    }
                }
            }
            s.push('"');
            s
        }
        ValueKind::Int(n) => n.to_string(),
        ValueKind::Decimal(d) => d.to_string(),
        ValueKind::Quantity { amount, unit } => format!("{amount}{unit}"),
        ValueKind::Bool(b) => b.to_string(),
        ValueKind::Name(n) => n.clone(),
        ValueKind::Invalid => "...".to_string(),
        ValueKind::List(items) => format!(
            "[{}]",
            items.iter().map(show).collect::<Vec<_>>().join(", ")
        ),
    }
}
