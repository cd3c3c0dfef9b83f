//! `verify` lines and `controls` packs -> typed checks.

use super::tree::Cx;
use super::values::is_path;
use crate::diagnostics::{suggest, Code, Diagnostic};
use crate::model::{Check, FileState, PortState, Verify};
use crate::resolve::Program;
use crate::syntax::ast::{CheckLine, Item, Value, ValueKind};

const KINDS: &[&str] = &[
    "port", "service", "package", "file", "command", "http", "controls",
];

fn bad(c: &CheckLine, span: crate::source::Span, what: &str, usage: &str) -> Diagnostic {
    Diagnostic::new(
        Code::BadCheck,
        format!("malformed `{}` check: {what}", c.kind.name),
    )
    .label(span, what.to_string())
    .help(format!("write `{usage}`"))
}

/// Reads the check lines of `verify`, expanding packs in place.
pub fn verify(cx: &mut Cx, prog: &Program, lines: &[&CheckLine]) -> Vec<Verify> {
    let mut out = Vec::new();
    for c in lines {
        if c.kind.name == "controls" {
            let Some(name) = c.args.first().and_then(|a| match &a.kind {
                ValueKind::Name(n) => Some((n.clone(), a.span)),
                _ => None,
            }) else {
                cx.push(bad(c, c.span, "expected a pack name", "controls NAME"));
                continue;
            };
            if let Some(extra) = c.args.get(1) {
                cx.push(bad(
                    c,
                    extra.span,
                    "unexpected text after the pack name",
                    "controls NAME",
                ));
            }
            match prog.packs.get(&name.0) {
                Some(def) => {
                    let lines: Vec<&CheckLine> = def
                        .block
                        .items
                        .iter()
                        .filter_map(|i| match i {
                            Item::Check(c) => Some(c),
                            _ => None,
                        })
                        .collect();
                    let checks = lines.iter().filter_map(|l| check(cx, l, false)).collect();
                    out.push(Verify::Pack {
                        name: name.0,
                        checks,
                    });
                }
                None => {
                    let help = suggest(&name.0, prog.packs.keys().map(|s| s.as_str()))
                        .unwrap_or_else(|| {
                            format!(
                                "known packs: {}",
                                prog.packs.keys().cloned().collect::<Vec<_>>().join(", ")
                            )
                        });
                    cx.push(
                        Diagnostic::new(
                            Code::UnknownControls,
                            format!("unknown control pack `{}`", name.0),
                        )
                        .label(name.1, "no `controls` definition by this name")
                        .help(help),
                    );
                }
            }
        } else if let Some(check) = check(cx, c, true) {
            out.push(Verify::Check { check });
        }
    }
    out
}

/// Validates the check lines of a `controls` definition (packs are read
/// when used; this reports problems even in unused packs).
pub fn pack_lines(cx: &mut Cx, block: &crate::syntax::ast::Block) {
    for item in &block.items {
        match item {
            Item::Check(c) => {
                let _ = check(cx, c, false);
            }
            other => cx.push(
                Diagnostic::new(Code::BadCheck, "a `controls` pack holds only check lines")
                    .label(other.span(), "not a check")
                    .help("write checks such as `port 22 closed`, one a line"),
            ),
        }
    }
}

fn word(v: Option<&Value>) -> Option<&str> {
    match v.map(|v| &v.kind) {
        Some(ValueKind::Name(n)) => Some(n.as_str()),
        _ => None,
    }
}

fn check(cx: &mut Cx, c: &CheckLine, allow_controls: bool) -> Option<Check> {
    let a = &c.args;
    if a.iter().any(|v| v.kind == ValueKind::Invalid) {
        return None; // already reported where the literal was parsed
    }
    let end = c.span;
    match c.kind.name.as_str() {
        "port" => {
            let usage = "port N listening|closed";
            let Some(n) = a.first().and_then(|v| {
                if let ValueKind::Int(n) = v.kind {
                    Some((n, v.span))
                } else {
                    None
                }
            }) else {
                cx.push(bad(
                    c,
                    a.first().map(|v| v.span).unwrap_or(end),
                    "expected a port number",
                    usage,
                ));
                return None;
            };
            if !(1..=65535).contains(&n.0) {
                cx.push(
                    Diagnostic::new(Code::Port, format!("port `{}` out of range", n.0))
                        .label(n.1, "ports are 1 to 65535")
                        .help("use a port from 1 to 65535"),
                );
                return None;
            }
            let state = match word(a.get(1)) {
                Some("listening") => PortState::Listening,
                Some("closed") => PortState::Closed,
                _ => {
                    let span = a.get(1).map(|v| v.span).unwrap_or(end);
                    let got = word(a.get(1)).unwrap_or("");
                    let d = bad(c, span, "expected `listening` or `closed`", usage);
                    cx.push(match suggest(got, ["listening", "closed"]) {
                        Some(h) => d.help(h),
                        None => d,
                    });
                    return None;
                }
            };
            if n.0 == 22 && state == PortState::Listening {
                cx.push(
                    Diagnostic::new(Code::SshPort, "port 22 (SSH) is expected to listen")
                        .label(n.1, "SSH is never opened")
                        .help("hosts are reached through Session Manager; write `port 22 closed`"),
                );
                return None;
            }
            extra(cx, c, 2, usage);
            Some(Check::Port {
                port: n.0 as u16,
                state,
            })
        }
        "service" => {
            let usage = "service NAME running";
            let Some(name) = name_arg(cx, a.first()) else {
                cx.push(bad(
                    c,
                    a.first().map(|v| v.span).unwrap_or(end),
                    "expected a service name",
                    usage,
                ));
                return None;
            };
            if word(a.get(1)) != Some("running") {
                cx.push(bad(
                    c,
                    a.get(1).map(|v| v.span).unwrap_or(end),
                    "expected `running`",
                    usage,
                ));
                return None;
            }
            extra(cx, c, 2, usage);
            Some(Check::Service { name })
        }
        "package" => {
            let usage = "package NAME \">= 1.2.3\"";
            let Some(name) = name_arg(cx, a.first()) else {
                cx.push(bad(
                    c,
                    a.first().map(|v| v.span).unwrap_or(end),
                    "expected a package name",
                    usage,
                ));
                return None;
            };
            let constraint = match a.get(1) {
                None => None,
                Some(v) => {
                    let text = match &v.kind {
                        ValueKind::Str(_) => cx.string(v)?,
                        _ => {
                            cx.push(bad(
                                c,
                                v.span,
                                "expected a version constraint in quotes",
                                usage,
                            ));
                            return None;
                        }
                    };
                    let ok = {
                        let t = text.trim();
                        let op_end = t
                            .find(|ch: char| ch.is_ascii_alphanumeric())
                            .unwrap_or(t.len());
                        let (op, ver) = t.split_at(op_end);
                        matches!(
                            op.trim(),
                            "" | "=" | "==" | ">=" | "<=" | ">" | "<" | "~>" | "!="
                        ) && !ver.is_empty()
                            && ver.chars().all(|ch| {
                                ch.is_ascii_alphanumeric()
                                    || matches!(ch, '.' | '-' | '_' | '+' | ':' | '~')
                            })
                    };
                    if !ok {
                        cx.push(bad(c, v.span, "not a version constraint", usage));
                        return None;
                    }
                    Some(text.trim().to_string())
                }
            };
            extra(cx, c, 2, usage);
            Some(Check::Package { name, constraint })
        }
        "file" => {
            let usage = "file \"/path\" exists|absent [mode \"0644\"] [owner NAME]";
            let path = quoted_path(
                cx,
                c,
                usage,
                "must start with `/` and contain no spaces",
                "write the full path, e.g. `\"/etc/app.conf\"`",
            )?;
            let state = match word(a.get(1)) {
                Some("exists") => FileState::Exists,
                Some("absent") => FileState::Absent,
                _ => {
                    cx.push(bad(
                        c,
                        a.get(1).map(|v| v.span).unwrap_or(end),
                        "expected `exists` or `absent`",
                        usage,
                    ));
                    return None;
                }
            };
            let mut mode = None;
            let mut owner = None;
            let mut i = 2;
            while i < a.len() {
                match word(a.get(i)) {
                    Some("mode") if mode.is_none() => {
                        let Some(v) = a.get(i + 1).filter(|v| matches!(v.kind, ValueKind::Str(_)))
                        else {
                            cx.push(bad(
                                c,
                                a.get(i + 1).or(a.get(i)).map_or(c.span, |v| v.span),
                                "expected a mode in quotes",
                                usage,
                            ));
                            return None;
                        };
                        let m = cx.string(v)?;
                        if !((3..=4).contains(&m.len())
                            && m.bytes().all(|b| (b'0'..=b'7').contains(&b)))
                        {
                            cx.push(
                                Diagnostic::new(
                                    Code::FileMode,
                                    format!("`{}` is not a file mode", m.escape_debug()),
                                )
                                .label(v.span, "expected 3 or 4 octal digits")
                                .help("write a mode like `\"0644\"`"),
                            );
                            return None;
                        }
                        mode = Some(m);
                        i += 2;
                    }
                    Some("owner") if owner.is_none() => {
                        let Some(o) = name_arg(cx, a.get(i + 1)) else {
                            cx.push(bad(
                                c,
                                a.get(i + 1).or(a.get(i)).map_or(c.span, |v| v.span),
                                "expected an owner name",
                                usage,
                            ));
                            return None;
                        };
                        owner = Some(o);
                        i += 2;
                    }
                    _ => {
                        cx.push(bad(
                            c,
                            a.get(i).map_or(c.span, |v| v.span),
                            "expected `mode` or `owner`",
                            usage,
                        ));
                        return None;
                    }
                }
            }
            if state == FileState::Absent && (mode.is_some() || owner.is_some()) {
                cx.push(bad(
                    c,
                    c.span,
                    "an absent file has no mode or owner",
                    "file \"/path\" absent",
                ));
                return None;
            }
            Some(Check::File {
                path,
                state,
                mode,
                owner,
            })
        }
        "command" => {
            let usage = "command \"cmd\" exits N";
            let Some(cv) = a.first().filter(|v| matches!(v.kind, ValueKind::Str(_))) else {
                cx.push(bad(
                    c,
                    a.first().map(|v| v.span).unwrap_or(end),
                    "expected a quoted command",
                    usage,
                ));
                return None;
            };
            let command = cx.string(cv)?;
            let code = keyword_then_int(cx, c, "exits", "an exit code", usage)?;
            if !(0..=255).contains(&code.0) {
                cx.push(
                    Diagnostic::new(Code::Range, format!("exit code `{}` out of range", code.0))
                        .label(code.1, "exit codes are 0 to 255")
                        .help("use an exit code from 0 to 255"),
                );
                return None;
            }
            extra(cx, c, 3, usage);
            Some(Check::Command {
                command,
                exit: code.0 as i32,
            })
        }
        "http" => {
            let usage = "http \"/path\" returns N";
            let path = quoted_path(
                cx,
                c,
                usage,
                "must start with `/`",
                "write the request path, e.g. `\"/healthz\"`",
            )?;
            let code = keyword_then_int(cx, c, "returns", "an HTTP status", usage)?;
            if !(100..=599).contains(&code.0) {
                cx.push(
                    Diagnostic::new(
                        Code::Range,
                        format!("HTTP status `{}` out of range", code.0),
                    )
                    .label(code.1, "HTTP statuses are 100 to 599")
                    .help("use a status such as 200"),
                );
                return None;
            }
            extra(cx, c, 3, usage);
            Some(Check::Http {
                path,
                status: code.0 as u16,
            })
        }
        "controls" if !allow_controls => {
            cx.push(bad(
                c,
                c.kind.span,
                "packs cannot include other packs",
                "controls NAME (in verify only)",
            ));
            None
        }
        other => {
            let help = suggest(other, KINDS.iter().copied())
                .unwrap_or_else(|| format!("checks are: {}", KINDS.join(", ")));
            cx.push(
                Diagnostic::new(Code::BadCheck, format!("unknown check `{other}`"))
                    .label(c.kind.span, "not a check")
                    .help(help),
            );
            None
        }
    }
}

/// The first argument as an absolute path in quotes (`file`, `http`).
fn quoted_path(cx: &mut Cx, c: &CheckLine, usage: &str, label: &str, help: &str) -> Option<String> {
    let Some(pv) = c
        .args
        .first()
        .filter(|v| matches!(v.kind, ValueKind::Str(_)))
    else {
        cx.push(bad(
            c,
            c.args.first().map(|v| v.span).unwrap_or(c.span),
            "expected a quoted path",
            usage,
        ));
        return None;
    };
    let path = cx.string(pv)?;
    if !is_path(&path) {
        cx.push(
            Diagnostic::new(
                Code::Path,
                format!("`{}` is not an absolute path", path.escape_debug()),
            )
            .label(pv.span, label)
            .help(help),
        );
        return None;
    }
    Some(path)
}

/// `... KEYWORD N` at argument positions 1 and 2 (`exits 0`, `returns 200`).
fn keyword_then_int(
    cx: &mut Cx,
    c: &CheckLine,
    keyword: &str,
    what: &str,
    usage: &str,
) -> Option<(i64, crate::source::Span)> {
    let a = &c.args;
    if word(a.get(1)) != Some(keyword) {
        cx.push(bad(
            c,
            a.get(1).map(|v| v.span).unwrap_or(c.span),
            &format!("expected `{keyword}`"),
            usage,
        ));
        return None;
    }
    match a.get(2) {
        Some(Value {
            kind: ValueKind::Int(n),
            span,
        }) => Some((*n, *span)),
        other => {
            cx.push(bad(
                c,
                other.map(|v| v.span).unwrap_or(c.span),
                &format!("expected {what}"),
                usage,
            ));
            None
        }
    }
}

fn name_arg(cx: &mut Cx, v: Option<&Value>) -> Option<String> {
    let v = v?;
    match &v.kind {
        ValueKind::Name(n) => Some(n.clone()),
        ValueKind::Str(_) => cx.string(v),
        _ => None,
    }
}

fn extra(cx: &mut Cx, c: &CheckLine, expected: usize, usage: &str) {
    if let Some(v) = c.args.get(expected) {
        let span = v.span.to(c.args.last().map(|l| l.span).unwrap_or(v.span));
        cx.push(bad(
            c,
            span,
            "unexpected text at the end of the check",
            usage,
        ));
    }
}
