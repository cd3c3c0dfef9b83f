//! The pest-driven parser and its error recovery.

use super::ast::*;
use super::MAX_DEPTH;
use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::source::{FileId, Span};
use pest::iterators::Pair;
use pest::Parser as _;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/paas.pest"]
struct PaasParser;

/// Parses one file. Never panics; every problem becomes a diagnostic.
pub fn parse(text: &str, file: FileId, diags: &mut Diagnostics) -> File {
    let braces = check_braces(text, file);
    let too_deep = braces.iter().any(|d| d.code == Code::TooDeep);
    let unbalanced = !braces.is_empty();
    for d in braces {
        diags.push(d);
    }
    if too_deep {
        return File {
            items: Vec::new(),
            had_errors: true,
        };
    }
    match PaasParser::parse(Rule::file, text) {
        Ok(mut pairs) => {
            let mut b = Builder {
                file,
                text,
                diags,
                had_errors: false,
            };
            let items = match pairs.next() {
                Some(file_pair) => b.items(file_pair.into_inner(), true),
                None => Vec::new(),
            };
            let had_errors = b.had_errors || unbalanced;
            File { items, had_errors }
        }
        Err(e) => {
            // The tolerant grammar only fails when braces do not pair up, which
            // `check_braces` already reported precisely.
            if !unbalanced {
                diags.push(syntax_error(&e, text, file, 0));
            }
            File {
                items: Vec::new(),
                had_errors: true,
            }
        }
    }
}

/// Reports unbalanced braces and excessive nesting, skipping strings and comments.
fn check_braces(text: &str, file: FileId) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut stack: Vec<usize> = Vec::new();
    let bytes = text.as_bytes();
    let at = |i: usize| bytes.get(i).copied();
    let mut i = 0;
    while let Some(c) = at(i) {
        match c {
            b'"' => {
                i += 1;
                while let Some(c) = at(i).filter(|c| *c != b'"' && *c != b'\n') {
                    i += if c == b'\\' && at(i + 1).is_some_and(|n| n != b'\n') {
                        2
                    } else {
                        1
                    };
                }
            }
            b'#' => {
                while at(i).is_some_and(|c| c != b'\n') {
                    i += 1;
                }
            }
            b'/' if at(i + 1) == Some(b'/') => {
                while at(i).is_some_and(|c| c != b'\n') {
                    i += 1;
                }
            }
            b'{' => {
                stack.push(i);
                if stack.len() > MAX_DEPTH {
                    out.push(
                        Diagnostic::new(
                            Code::TooDeep,
                            format!("blocks nested more than {MAX_DEPTH} levels deep"),
                        )
                        .label(Span::new(file, i, i + 1), "this block is too deep")
                        .help("flatten the spec; deep nesting usually means unbalanced braces"),
                    );
                    return out;
                }
            }
            b'}' if stack.pop().is_none() => {
                out.push(
                    Diagnostic::new(Code::Delimiter, "unexpected `}`")
                        .label(Span::new(file, i, i + 1), "this `}` closes nothing")
                        .help("remove it, or add the `{` it was meant to close"),
                );
            }
            _ => {}
        }
        i += 1;
    }
    for open in stack {
        out.push(
            Diagnostic::new(Code::Delimiter, "unclosed `{`")
                .label(Span::new(file, open, open + 1), "this `{` is never closed")
                .help("add a `}` where the block ends"),
        );
    }
    out
}

struct Builder<'a> {
    file: FileId,
    text: &'a str,
    diags: &'a mut Diagnostics,
    had_errors: bool,
}

impl Builder<'_> {
    fn span(&self, p: &Pair<Rule>) -> Span {
        let s = p.as_span();
        Span::new(self.file, s.start(), s.end())
    }

    /// Items of a file (top) or block body.
    fn items<'i>(&mut self, pairs: impl Iterator<Item = Pair<'i, Rule>>, top: bool) -> Vec<Item> {
        let mut items = Vec::new();
        for p in pairs {
            match p.as_rule() {
                Rule::use_stmt => {
                    let span = self.span(&p);
                    if let Some(s) = p.into_inner().find(|q| q.as_rule() == Rule::string) {
                        let path = self.value(s);
                        items.push(Item::Use { path, span });
                    }
                }
                Rule::param_stmt => {
                    let span = self.span(&p);
                    let mut inner = p
                        .into_inner()
                        .filter(|q| !matches!(q.as_rule(), Rule::kw_param | Rule::eq));
                    if let (Some(n), Some(v)) = (inner.next(), inner.next()) {
                        let name = self.ident(&n);
                        let value = self.value(v);
                        items.push(Item::Param { name, value, span });
                    }
                }
                Rule::attr => {
                    if let Some(a) = self.attr(p) {
                        items.push(Item::Attr(a));
                    }
                }
                Rule::block => items.push(Item::Block(self.block(p))),
                Rule::check => {
                    let span = self.span(&p);
                    let mut inner = p.into_inner();
                    if let Some(k) = inner.next() {
                        let kind = self.ident(&k);
                        let args = inner.map(|a| self.value(a)).collect();
                        items.push(Item::Check(CheckLine { kind, args, span }));
                    }
                }
                Rule::recover => {
                    self.had_errors = true;
                    let start = p.as_span().start();
                    let rule = if top {
                        Rule::strict_top
                    } else {
                        Rule::strict_body
                    };
                    let d = self.recovered(start, p.as_str(), rule);
                    self.diags.push(d);
                }
                Rule::stray_close => {
                    // Reported by the brace check.
                    self.had_errors = true;
                }
                _ => {}
            }
        }
        items
    }

    fn block(&mut self, p: Pair<Rule>) -> Block {
        let span = self.span(&p);
        let outer_errors = std::mem::replace(&mut self.had_errors, false);
        let mut name = None;
        let mut label = None;
        let mut inner_pairs = Vec::new();
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::ident if name.is_none() => name = Some(self.ident(&q)),
                Rule::label => label = q.into_inner().next().map(|i| self.ident(&i)),
                Rule::open | Rule::close => {}
                _ => inner_pairs.push(q),
            }
        }
        let body = self.items(inner_pairs.into_iter(), false);
        let had_errors = std::mem::replace(&mut self.had_errors, outer_errors);
        self.had_errors |= had_errors;
        let name = name.unwrap_or(Ident {
            name: String::new(),
            span,
        });
        Block {
            name,
            label,
            items: body,
            span,
            had_errors,
        }
    }

    fn attr(&mut self, p: Pair<Rule>) -> Option<Attr> {
        let span = self.span(&p);
        let mut inner = p.into_inner().filter(|q| q.as_rule() != Rule::eq);
        let first = inner.next()?;
        let key = if first.as_rule() == Rule::string {
            self.string_key(first)
        } else {
            self.ident(&first)
        };
        let value = self.value(inner.next()?);
        Some(Attr { key, value, span })
    }

    /// A quoted key: its text, without interpolation.
    fn string_key(&mut self, p: Pair<Rule>) -> Ident {
        let span = self.span(&p);
        let mut name = String::new();
        for part in self.string_parts(p) {
            match part {
                StrPart::Text(t) => name.push_str(&t),
                StrPart::Interp(i) => self.diags.push(
                    Diagnostic::new(Code::Syntax, "keys cannot interpolate")
                        .label(i.span, "`${...}` in a key")
                        .help("write the key out in full"),
                ),
            }
        }
        Ident { name, span }
    }

    fn ident(&self, p: &Pair<Rule>) -> Ident {
        Ident {
            name: p.as_str().to_string(),
            span: self.span(p),
        }
    }

    fn value(&mut self, p: Pair<Rule>) -> Value {
        let span = self.span(&p);
        let kind = match p.as_rule() {
            Rule::string => ValueKind::Str(self.string_parts(p)),
            Rule::integer => {
                match p.as_str().parse::<i64>() {
                    Ok(n) => ValueKind::Int(n),
                    Err(_) => {
                        self.diags.push(
                        Diagnostic::new(Code::NumberRange, "integer too large")
                            .label(span, "does not fit in 64 bits")
                            .help("integers range from -9223372036854775808 to 9223372036854775807"),
                    );
                        ValueKind::Invalid
                    }
                }
            }
            Rule::decimal => ValueKind::Decimal(p.as_str().parse::<f64>().unwrap_or(0.0)),
            Rule::quantity => {
                let mut inner = p.into_inner();
                let amount = inner
                    .next()
                    .map(|n| n.as_str().parse::<f64>().unwrap_or(f64::INFINITY))
                    .unwrap_or(0.0);
                let unit = inner
                    .next()
                    .map(|u| u.as_str().to_string())
                    .unwrap_or_default();
                ValueKind::Quantity { amount, unit }
            }
            Rule::boolean => ValueKind::Bool(p.as_str() == "true"),
            Rule::name => ValueKind::Name(p.as_str().to_string()),
            Rule::list => ValueKind::List(
                p.into_inner()
                    .filter(|q| {
                        !matches!(q.as_rule(), Rule::lbracket | Rule::rbracket | Rule::comma)
                    })
                    .map(|q| self.value(q))
                    .collect(),
            ),
            _ => ValueKind::Name(p.as_str().to_string()),
        };
        Value { kind, span }
    }

    fn string_parts(&mut self, p: Pair<Rule>) -> Vec<StrPart> {
        let mut parts: Vec<StrPart> = Vec::new();
        let push_text = |parts: &mut Vec<StrPart>, s: &str| match parts.last_mut() {
            Some(StrPart::Text(t)) => t.push_str(s),
            _ => parts.push(StrPart::Text(s.to_string())),
        };
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::text => push_text(&mut parts, q.as_str()),
                Rule::escape => {
                    let raw = q.as_str();
                    let decoded = match raw {
                        "\\n" => Some("\n".to_string()),
                        "\\t" => Some("\t".to_string()),
                        "\\r" => Some("\r".to_string()),
                        "\\\\" => Some("\\".to_string()),
                        "\\\"" => Some("\"".to_string()),
                        "\\$" => Some("$".to_string()),
                        _ if raw.starts_with("\\u{") => u32::from_str_radix(
                            raw.trim_start_matches("\\u{").trim_end_matches('}'),
                            16,
                        )
                        .ok()
                        .and_then(char::from_u32)
                        .map(|c| c.to_string()),
                        _ => None,
                    };
                    match decoded {
                        Some(s) => push_text(&mut parts, &s),
                        None => {
                            let span = self.span(&q);
                            self.diags.push(
                                Diagnostic::new(Code::BadEscape, format!("unknown escape sequence `{raw}`"))
                                    .label(span, "not an escape")
                                    .help("valid escapes: \\\\ \\\" \\n \\t \\r \\$ \\u{HEX}; write `\\\\` for a backslash"),
                            );
                        }
                    }
                }
                Rule::interp => {
                    if let Some(i) = q.into_inner().next() {
                        parts.push(StrPart::Interp(self.ident(&i)));
                    }
                }
                _ => {}
            }
        }
        parts
    }

    /// Diagnoses a line the tolerant grammar could only skip.
    fn recovered(&self, start: usize, skipped: &str, rule: Rule) -> Diagnostic {
        if let Some((s, e)) = unterminated_string(skipped) {
            return Diagnostic::new(Code::UnterminatedString, "unterminated string")
                .label(
                    Span::new(self.file, start + s, start + e),
                    "this string has no closing `\"`",
                )
                .help("close the string with `\"` on the same line");
        }
        let rest = self.text.get(start..).unwrap_or("");
        match PaasParser::parse(rule, rest) {
            Err(e) => syntax_error(&e, self.text, self.file, start),
            Ok(_) => {
                let end = start + skipped.len();
                Diagnostic::new(Code::Syntax, "unexpected text")
                    .label(Span::new(self.file, start, end), "not understood here")
            }
        }
    }
}

/// Byte range (relative) of a string literal that is not closed on its line.
fn unterminated_string(text: &str) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(&c) = bytes.get(i) {
        match c {
            b'#' => return None,
            b'/' if bytes.get(i + 1) == Some(&b'/') => return None,
            b'"' => {
                let open = i;
                i += 1;
                loop {
                    match bytes.get(i) {
                        None | Some(b'\n') => {
                            let end = text[open..]
                                .find('\n')
                                .map(|n| open + n)
                                .unwrap_or(text.len());
                            return Some((open, end.max(open + 1)));
                        }
                        Some(b'"') => break,
                        Some(b'\\') => i += 2,
                        Some(_) => i += 1,
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

fn syntax_error(
    e: &pest::error::Error<Rule>,
    text: &str,
    file: FileId,
    offset: usize,
) -> Diagnostic {
    let pos = match e.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    };
    let at = offset + pos;
    let (found, len) = found_at(text, at);
    let mut words = Vec::new();
    if let pest::error::ErrorVariant::ParsingError { positives, .. } = &e.variant {
        for r in positives {
            if let Some(w) = expected_words(*r) {
                words.push(w.to_string());
            }
        }
    }
    words.sort();
    words.dedup();
    if words.iter().any(|w| w == "a value") {
        words.retain(|w| {
            !matches!(
                w.as_str(),
                "a string" | "a number" | "`[`" | "`true`" | "`false`"
            )
        });
    }
    let expected = join_or(&words);
    let message = if expected.is_empty() {
        format!("unexpected {found}")
    } else {
        format!("expected {expected}, found {found}")
    };
    let span = Span::new(file, at, at + len);
    let label = if expected.is_empty() {
        "not understood here".to_string()
    } else {
        format!("expected {expected}")
    };
    let help = if words.iter().any(|w| w == "a value") {
        "write the value after `=`, e.g. `min = 1` or `health = \"/healthz\"`".to_string()
    } else if expected.is_empty() {
        "remove the text, or see docs/language.md for what belongs here".to_string()
    } else {
        format!("write {expected} here, or remove what does not belong")
    };
    Diagnostic::new(Code::Syntax, message)
        .label(span, label)
        .help(help)
}

fn join_or(words: &[String]) -> String {
    match words {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

/// What a person sees for a pest rule; None for rules that are noise.
fn expected_words(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::string | Rule::text | Rule::escape => "a string",
        Rule::quantity
        | Rule::decimal
        | Rule::integer
        | Rule::boolean
        | Rule::name
        | Rule::list
        | Rule::number => "a value",
        Rule::ident | Rule::label => "a name",
        Rule::unit => "a unit",
        Rule::interp => "`${name}`",
        Rule::attr => "an attribute",
        Rule::block => "a block",
        Rule::check => "a check",
        Rule::open => "`{`",
        Rule::eq => "`=`",
        Rule::lbracket => "`[`",
        Rule::rbracket => "`]`",
        Rule::comma => "`,`",
        Rule::close | Rule::stray_close => "`}`",
        Rule::kw_use => "`use`",
        Rule::kw_param => "`param`",
        Rule::use_stmt => "`use`",
        Rule::param_stmt => "`param`",
        Rule::EOI => "end of file",
        Rule::file
        | Rule::strict_top
        | Rule::strict_body
        | Rule::recover
        | Rule::balanced
        | Rule::loose_string
        | Rule::line_comment
        | Rule::WHITESPACE
        | Rule::COMMENT
        | Rule::top_item
        | Rule::body_item
        | Rule::line_end
        | Rule::inline_ws
        | Rule::value
        | Rule::scalar
        | Rule::ident_start
        | Rule::ident_char => return None,
    })
}

/// A person's description of the text at `at`, and the length to underline.
fn found_at(text: &str, at: usize) -> (String, usize) {
    let rest = text.get(at..).unwrap_or("");
    let Some(c) = rest.chars().next() else {
        return ("end of file".to_string(), 0);
    };
    if c == '\n' || c == '\r' {
        // Zero width: the label stays on the line where something is missing.
        return ("end of line".to_string(), 0);
    }
    let word: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        .take(40)
        .collect();
    if word.is_empty() {
        (format!("`{c}`"), c.len_utf8())
    } else {
        let len = word.len();
        (format!("`{word}`"), len)
    }
}
