//! Rendering diagnostics for people (miette's graphical report) and for
//! tools (one JSON object per line).
//!
//! Positions in JSON are 1-based lines and columns counted in characters;
//! `end_line`/`end_column` point just past the span's last character.

use super::{Diagnostic, Severity};
use crate::source::{SourceMap, Span};
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource};
use serde::Serialize;
use std::fmt;

/// How human output looks.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
    pub width: usize,
}

/// miette's graphical report for one diagnostic, ending in a newline.
pub fn human(d: &Diagnostic, sources: &SourceMap, style: Style) -> String {
    let theme = if style.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(style.width)
        .with_links(false);
    let report = Report::build(d, sources);
    let mut out = String::new();
    if handler.render_report(&mut out, &report).is_err() {
        out = format!("{}: {}\n", d.code.as_str(), d.message);
    }
    out
}

#[derive(Debug, Serialize)]
pub struct JsonLabel {
    pub message: String,
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

#[derive(Debug, Serialize)]
pub struct JsonDiagnostic {
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
    pub file: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub end_line: Option<usize>,
    pub end_column: Option<usize>,
    pub labels: Vec<JsonLabel>,
    pub help: Option<String>,
}

pub fn to_json(d: &Diagnostic, sources: &SourceMap) -> JsonDiagnostic {
    let labels: Vec<JsonLabel> = d
        .labels
        .iter()
        .filter_map(|l| {
            let f = sources.get(l.span.file)?;
            let (line, column) = f.line_col(l.span.start as usize);
            let (end_line, end_column) = f.line_col(l.span.end as usize);
            Some(JsonLabel {
                message: l.message.clone(),
                file: f.name.clone(),
                line,
                column,
                end_line,
                end_column,
            })
        })
        .collect();
    let first = labels.first();
    JsonDiagnostic {
        severity: d.severity(),
        code: d.code.as_str(),
        message: d.message.clone(),
        file: first.map(|l| l.file.clone()),
        line: first.map(|l| l.line),
        column: first.map(|l| l.column),
        end_line: first.map(|l| l.end_line),
        end_column: first.map(|l| l.end_column),
        labels,
        help: d.help.clone(),
    }
}

/// One JSON object, no trailing newline.
pub fn json_line(d: &Diagnostic, sources: &SourceMap) -> String {
    serde_json::to_string(&to_json(d, sources)).unwrap_or_default()
}

/// A miette view of one diagnostic: labels in the primary file are shown
/// together; labels in other files become related reports.
#[derive(Debug)]
struct Report {
    message: String,
    code: Option<&'static str>,
    severity: miette::Severity,
    help: Option<String>,
    source: Option<NamedSource<String>>,
    labels: Vec<LabeledSpan>,
    related: Vec<Report>,
}

impl Report {
    fn build(d: &Diagnostic, sources: &SourceMap) -> Report {
        let severity = match d.severity() {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        };
        let primary = d.primary_span().map(|s| s.file);
        let mut labels = Vec::new();
        let mut related = Vec::new();
        for (i, l) in d.labels.iter().enumerate() {
            if Some(l.span.file) == primary {
                labels.push(labeled(l.span, &l.message, i == 0));
            } else {
                related.push(Report {
                    message: l.message.clone(),
                    code: None,
                    severity: miette::Severity::Advice,
                    help: None,
                    source: named(sources, l.span),
                    labels: vec![labeled(l.span, &l.message, false)],
                    related: Vec::new(),
                });
            }
        }
        Report {
            message: d.message.clone(),
            code: Some(d.code.as_str()),
            severity,
            help: d.help.clone(),
            source: d.primary_span().and_then(|s| named(sources, s)),
            labels,
            related,
        }
    }
}

fn labeled(span: Span, message: &str, primary: bool) -> LabeledSpan {
    let text = if message.is_empty() {
        None
    } else {
        Some(message.to_string())
    };
    if primary {
        LabeledSpan::new_primary_with_span(text, (span.start as usize, span.len()))
    } else {
        LabeledSpan::new_with_span(text, (span.start as usize, span.len()))
    }
}

fn named(sources: &SourceMap, span: Span) -> Option<NamedSource<String>> {
    sources
        .get(span.file)
        .map(|f| NamedSource::new(f.name.clone(), f.text.clone()))
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.code.map(|c| Box::new(c) as Box<dyn fmt::Display>)
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(
                self.related.iter().map(|r| r as &dyn miette::Diagnostic),
            ))
        }
    }
}
