//! `paasc fmt`: one canonical layout for a spec, every comment kept.
//!
//! Input: one file's text. Output: the formatted text, or the file's syntax
//! diagnostics (a file that does not parse is never rewritten).
//!
//! The layout: two spaces per block level; one item per line, except
//! attributes the author put on one line (`min = 3  max = 3  desired = 3`),
//! which stay together, two spaces apart; `=` aligned within a run of
//! one-attribute lines (a blank line, a comment line, a block or a check
//! ends the run); blocks always open on their header's line and close on
//! their own; a list stays on one line when it was written on one, else one
//! element per line with a trailing comma; a blank line wherever the author
//! left one or more (never at the start or end of a block); own-line
//! comments at their item's indent; trailing comments two spaces after the
//! line; one newline at the end.
//!
//! Invariants: every token is copied verbatim from the source (keys,
//! strings with their escapes and `${}`, numbers, units, names), so the
//! formatted file means exactly what the original did; formatting is
//! idempotent (tests/format.rs checks both over every example).

use crate::diagnostics::Diagnostics;
use crate::source::{FileId, Span};
use crate::syntax::ast::{Attr, Block, File, Item, Value, ValueKind};

/// The canonical layout of `text`, or its syntax errors.
pub fn format(text: &str) -> Result<String, Diagnostics> {
    let mut diags = Diagnostics::default();
    let file = crate::syntax::parse(text, FileId(0), &mut diags);
    if diags.has_errors() || file.had_errors {
        return Err(diags);
    }
    Ok(format_parsed(text, &file))
}

/// Formats an already parsed file (its spans index `text`).
pub fn format_parsed(text: &str, file: &File) -> String {
    let mut f = Formatter {
        src: text,
        comments: comments(text),
        next: 0,
        out: Vec::new(),
    };
    f.body(&file.items, 0, text.len());
    let mut lines = align(f.out);
    while matches!(lines.last(), Some(Line::Blank)) {
        lines.pop();
    }
    let mut s = String::with_capacity(text.len() + 64);
    for line in lines {
        line.render(&mut s);
    }
    s
}

/// A comment: `#` or `//` to the end of its line.
struct Comment {
    start: usize,
    end: usize,
    /// Nothing but blanks before it on its line.
    own_line: bool,
}

/// Every comment of a file that parsed: outside strings (which cannot span
/// lines), from `#` or `//` to the end of the line.
fn comments(text: &str) -> Vec<Comment> {
    let mut out = Vec::new();
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        let bytes = line.as_bytes();
        let mut i = 0;
        let mut in_string = false;
        while i < bytes.len() {
            match bytes.get(i) {
                Some(b'\\') if in_string => i += 1,
                Some(b'"') => in_string = !in_string,
                Some(b'#') if !in_string => break,
                Some(b'/') if !in_string && bytes.get(i + 1) == Some(&b'/') => break,
                _ => {}
            }
            i += 1;
        }
        if i < bytes.len() {
            let body = line.trim_end_matches(['\n', '\r']);
            let own_line = body.get(..i).is_some_and(|b| b.trim().is_empty());
            out.push(Comment {
                start: line_start + i,
                end: line_start + body.trim_end().len(),
                own_line,
            });
        }
        line_start += line.len();
    }
    out
}

/// One output line before alignment.
enum Line {
    Blank,
    /// Text at an indent, maybe with a trailing comment.
    Text {
        indent: usize,
        text: String,
        trailing: Option<String>,
    },
    /// A line whose head is padded when aligned: an attribute
    /// (`key = value`), a param (`param name = value`) or a one-line block
    /// (`fleet { min = 1 }`, separator `{`).
    Attr {
        indent: usize,
        key: String,
        pad: usize,
        sep: &'static str,
        value: String,
        trailing: Option<String>,
    },
}

impl Line {
    fn render(self, s: &mut String) {
        let (indent, text, trailing) = match self {
            Line::Blank => {
                s.push('\n');
                return;
            }
            Line::Text {
                indent,
                text,
                trailing,
            } => (indent, text, trailing),
            Line::Attr {
                indent,
                key,
                pad,
                sep,
                value,
                trailing,
            } => {
                let width = key.chars().count();
                let spaces = " ".repeat(pad.saturating_sub(width));
                (indent, format!("{key}{spaces} {sep} {value}"), trailing)
            }
        };
        for _ in 0..indent {
            s.push_str("  ");
        }
        s.push_str(text.trim_end());
        if let Some(c) = trailing {
            if !text.is_empty() {
                s.push_str("  ");
            }
            s.push_str(&c);
        }
        s.push('\n');
    }
}

/// Pads the keys of each run of one-attribute lines at one indent.
fn align(mut lines: Vec<Line>) -> Vec<Line> {
    let mut i = 0;
    while i < lines.len() {
        let Some(Line::Attr { indent, .. }) = lines.get(i) else {
            i += 1;
            continue;
        };
        let indent = *indent;
        let mut j = i;
        let mut width = 0;
        while let Some(Line::Attr { indent: k, key, .. }) = lines.get(j) {
            if *k != indent {
                break;
            }
            width = width.max(key.chars().count());
            j += 1;
        }
        for line in lines.iter_mut().take(j).skip(i) {
            if let Line::Attr { pad, .. } = line {
                *pad = width;
            }
        }
        i = j;
    }
    lines
}

struct Formatter<'a> {
    src: &'a str,
    comments: Vec<Comment>,
    /// The first comment not yet written.
    next: usize,
    out: Vec<Line>,
}

fn range(span: Span) -> (usize, usize) {
    (span.start as usize, span.end as usize)
}

impl Formatter<'_> {
    fn text(&self, span: Span) -> &str {
        let (s, e) = range(span);
        self.src.get(s..e).unwrap_or_default()
    }

    fn between(&self, from: usize, to: usize) -> &str {
        self.src.get(from..to.max(from)).unwrap_or_default()
    }

    fn comment_text(&self, c: &Comment) -> String {
        self.between(c.start, c.end).to_string()
    }

    /// A blank line when the author left one between `from` and `to`, and
    /// the output is not at the start of a body.
    fn blank_between(&mut self, from: usize, to: usize, at_start: bool) {
        let gap = self.between(from, to);
        let blank = gap
            .split('\n')
            .skip(1)
            .take(gap.matches('\n').count().saturating_sub(1))
            .any(|l| l.trim().is_empty());
        if blank && !at_start && !matches!(self.out.last(), Some(Line::Blank)) {
            self.out.push(Line::Blank);
        }
    }

    /// Writes the own-line comments before `pos` (and any comment the
    /// layout could not attach elsewhere) at `indent`; returns where the
    /// last one ended.
    fn comments_before(
        &mut self,
        pos: usize,
        indent: usize,
        mut last: usize,
        at_start: &mut bool,
    ) -> usize {
        while let Some(c) = self.comments.get(self.next) {
            if c.start >= pos {
                break;
            }
            let (start, end) = (c.start, c.end);
            let text = self.comment_text(c);
            self.next += 1;
            self.blank_between(last, start, *at_start);
            self.out.push(Line::Text {
                indent,
                text: String::new(),
                trailing: Some(text),
            });
            *at_start = false;
            last = end;
        }
        last
    }

    /// The comment right after `pos` on the same line, taken.
    fn trailing(&mut self, pos: usize) -> Option<String> {
        let c = self.comments.get(self.next)?;
        if c.own_line || c.start < pos || self.between(pos, c.start).contains('\n') {
            return None;
        }
        let text = self.comment_text(c);
        self.next += 1;
        Some(text)
    }

    /// A body's items at `indent`, up to `end` (its closing brace, or EOF).
    fn body(&mut self, items: &[Item], indent: usize, end: usize) {
        let mut at_start = true;
        let mut last = match items.first() {
            Some(first) => self.before_body(range(first.span()).0),
            None => self.before_body(end),
        };
        let mut i = 0;
        while let Some(item) = items.get(i) {
            let (start, _) = range(item.span());
            last = self.comments_before(start, indent, last, &mut at_start);
            self.blank_between(last, start, at_start);
            at_start = false;
            // Attributes the author wrote on one line stay on one line.
            let mut group: Vec<&Attr> = Vec::new();
            if let Item::Attr(a) = item {
                group.push(a);
                while let Some(Item::Attr(b)) = items.get(i + group.len()) {
                    let prev = group.last().map_or(0, |p| range(p.span).1);
                    if self.between(prev, range(b.span).0).contains('\n')
                        || self
                            .comments
                            .get(self.next)
                            .is_some_and(|c| c.start < range(b.span).0)
                    {
                        break;
                    }
                    group.push(b);
                }
            }
            last = match (item, group.len()) {
                (Item::Attr(a), 1) => self.attr(a, indent),
                (Item::Attr(_), _) => {
                    let text = group
                        .iter()
                        .map(|a| {
                            format!(
                                "{} = {}",
                                self.text(a.key.span),
                                self.inline_value(&a.value)
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("  ");
                    let end = group.last().map_or(start, |a| range(a.span).1);
                    let trailing = self.trailing(end);
                    self.out.push(Line::Text {
                        indent,
                        text,
                        trailing,
                    });
                    end
                }
                (Item::Block(b), _) => self.block(b, indent),
                (Item::Use { path, span }, _) => {
                    let text = format!("use {}", self.text(path.span));
                    self.line(indent, text, range(*span).1)
                }
                (Item::Param { name, value, span }, _) => {
                    let key = format!("param {}", self.text(name.span));
                    let value = self.inline_value(value);
                    let end = range(*span).1;
                    let trailing = self.trailing(end);
                    self.out.push(Line::Attr {
                        indent,
                        key,
                        pad: 0,
                        sep: "=",
                        value,
                        trailing,
                    });
                    end
                }
                (Item::Check(c), _) => {
                    let mut text = self.text(c.kind.span).to_string();
                    for a in &c.args {
                        text.push(' ');
                        text.push_str(self.text(a.span));
                    }
                    self.line(indent, text, range(c.span).1)
                }
            };
            i += group.len().max(1);
        }
        self.comments_before(end, indent, last, &mut at_start);
    }

    /// Where a body's content starts being compared for blank lines: its
    /// opening line's end (a blank line right after `{` is dropped).
    fn before_body(&self, first: usize) -> usize {
        let upto = self.between(0, first);
        upto.rfind('\n').map_or(first, |i| i.min(first))
    }

    fn line(&mut self, indent: usize, text: String, end: usize) -> usize {
        let trailing = self.trailing(end);
        self.out.push(Line::Text {
            indent,
            text,
            trailing,
        });
        end
    }

    fn attr(&mut self, a: &Attr, indent: usize) -> usize {
        let key = self.text(a.key.span).to_string();
        let value = self.value(&a.value);
        let end = range(a.span).1;
        // A multi-line list: its first line carries the key; the rest follow.
        let mut lines = value.lines();
        let first = lines.next().unwrap_or_default().to_string();
        let rest: Vec<String> = lines.map(str::to_string).collect();
        if rest.is_empty() {
            let trailing = self.trailing(end);
            self.out.push(Line::Attr {
                indent,
                key,
                pad: 0,
                sep: "=",
                value: first,
                trailing,
            });
        } else {
            self.out.push(Line::Text {
                indent,
                text: format!("{key} = {first}"),
                trailing: None,
            });
            self.list_lines(&a.value, indent);
        }
        end
    }

    /// A block written on one line holding only attributes, and no
    /// comment inside: it stays on one line.
    fn one_line(&self, b: &Block) -> Option<String> {
        let (start, end) = range(b.span);
        let inside = self.comments.get(self.next).is_some_and(|c| c.start < end);
        if b.items.is_empty() || inside || self.between(start, end).contains('\n') {
            return None;
        }
        let attrs: Option<Vec<String>> = b
            .items
            .iter()
            .map(|i| match i {
                Item::Attr(a) => Some(format!(
                    "{} = {}",
                    self.text(a.key.span),
                    self.inline_value(&a.value)
                )),
                _ => None,
            })
            .collect();
        Some(format!("{} }}", attrs?.join("  ")))
    }

    fn block(&mut self, b: &Block, indent: usize) -> usize {
        let (start, end) = range(b.span);
        let mut head = self.text(b.name.span).to_string();
        if let Some(l) = &b.label {
            head.push(' ');
            head.push_str(self.text(l.span));
        }
        if let Some(value) = self.one_line(b) {
            let trailing = self.trailing(end);
            self.out.push(Line::Attr {
                indent,
                key: head,
                pad: 0,
                sep: "{",
                value,
                trailing,
            });
            return end;
        }
        head.push_str(" {");
        // The opening brace: the first `{` after the header.
        let header_end = b
            .label
            .as_ref()
            .map_or(range(b.name.span).1, |l| range(l.span).1);
        let open = self
            .between(header_end, end)
            .find('{')
            .map_or(start, |i| header_end + i + 1);
        let trailing = self.trailing(open);
        self.out.push(Line::Text {
            indent,
            text: head,
            trailing,
        });
        let close = end.saturating_sub(1);
        self.body(&b.items, indent + 1, close);
        self.line(indent, "}".into(), end)
    }

    /// A value on one line (lists written on one line stay so).
    fn inline_value(&self, v: &Value) -> String {
        match &v.kind {
            ValueKind::List(items) => {
                let inner: Vec<String> = items.iter().map(|i| self.inline_value(i)).collect();
                format!("[{}]", inner.join(", "))
            }
            _ => self.text(v.span).to_string(),
        }
    }

    /// A value: one line, or for a list written over several lines its
    /// opening bracket (the elements follow as lines of their own).
    fn value(&self, v: &Value) -> String {
        match &v.kind {
            ValueKind::List(items) if !items.is_empty() && self.text(v.span).contains('\n') => {
                "[\n]".into()
            }
            _ => self.inline_value(v),
        }
    }

    /// The elements of a multi-line list, one a line, then its `]`.
    fn list_lines(&mut self, v: &Value, indent: usize) {
        let ValueKind::List(items) = &v.kind else {
            return;
        };
        let (_, end) = range(v.span);
        let mut at_start = true;
        let mut last = range(v.span).0 + 1;
        for item in items {
            let (start, item_end) = range(item.span);
            last = self.comments_before(start, indent + 1, last, &mut at_start);
            self.blank_between(last, start, at_start);
            at_start = false;
            // The comma after the element, if the author wrote one.
            let after = self.between(item_end, end);
            let comma = after
                .find(|c: char| !c.is_whitespace())
                .filter(|i| after.get(*i..*i + 1) == Some(","))
                .map_or(item_end, |i| item_end + i + 1);
            let trailing = self.trailing(comma);
            self.out.push(Line::Text {
                indent: indent + 1,
                text: format!("{},", self.inline_value(item)),
                trailing,
            });
            last = comma;
        }
        self.comments_before(end.saturating_sub(1), indent + 1, last, &mut at_start);
        self.line(indent, "]".into(), end);
    }
}
