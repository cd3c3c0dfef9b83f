//! `paasc lsp`: a language server over stdio (the `lsp-server` and
//! `lsp-types` crates rust-analyzer uses).
//!
//! Input: JSON-RPC from the editor. Output: diagnostics (published on open,
//! change and save, to every file they point into), hover, completion,
//! go-to-definition, document formatting and document symbols; all computed
//! by `analysis` from the editor's current text.
//!
//! Invariants: positions are UTF-16 code units, as LSP requires (`LineIndex`);
//! a request's handler that fails answers an error and the server goes on;
//! a file that no longer has diagnostics gets an empty list, so nothing
//! stale stays in the editor; the stdlib's `<stdlib/...>` files are written
//! once to a cache directory so that definitions can open them.

pub mod analysis;

use crate::resolve::Loader;
use lsp_server::{Connection, Message, Notification, Request, Response};
use lsp_types::notification::Notification as _;
use lsp_types::request::Request as _;
use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionOptions, Diagnostic as LspDiagnostic,
    DiagnosticSeverity, DocumentSymbol, GotoDefinitionResponse, Hover, HoverContents,
    InitializeParams, Location, MarkupContent, MarkupKind, NumberOrString, OneOf, Position,
    PublishDiagnosticsParams, Range, ServerCapabilities, SymbolKind, TextDocumentSyncCapability,
    TextDocumentSyncKind, TextEdit, Url,
};
use std::collections::{BTreeMap, BTreeSet};

/// Byte offsets and UTF-16 positions of one text.
pub struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, starts }
    }

    pub fn position(&self, offset: usize) -> Position {
        let offset = offset.min(self.text.len());
        let line = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = self.starts.get(line).copied().unwrap_or(0);
        let character: usize = self
            .text
            .get(start..offset)
            .map_or(0, |s| s.chars().map(char::len_utf16).sum());
        Position::new(
            u32::try_from(line).unwrap_or(u32::MAX),
            u32::try_from(character).unwrap_or(u32::MAX),
        )
    }

    pub fn offset(&self, p: Position) -> usize {
        let Some(&start) = self.starts.get(p.line as usize) else {
            return self.text.len();
        };
        let line = self.text.get(start..).unwrap_or_default();
        let line = line.split('\n').next().unwrap_or_default();
        let mut units = 0u32;
        for (i, c) in line.char_indices() {
            if units >= p.character {
                return start + i;
            }
            units += u32::try_from(c.len_utf16()).unwrap_or(1);
        }
        start + line.len()
    }

    pub fn range(&self, start: usize, end: usize) -> Range {
        Range::new(self.position(start), self.position(end))
    }
}

/// The editor's open documents over the disk.
#[derive(Default)]
struct Overlay {
    docs: BTreeMap<String, String>,
}

impl Loader for Overlay {
    fn read(&self, path: &str) -> std::io::Result<Vec<u8>> {
        let path = crate::resolve::paths::normalize(path);
        match self.docs.get(&path) {
            Some(t) => Ok(t.clone().into_bytes()),
            None => std::fs::read(&path),
        }
    }
    fn list(&self, dir: &str) -> std::io::Result<Vec<(String, bool)>> {
        crate::resolve::FsLoader.list(dir)
    }
}

struct Server {
    overlay: Overlay,
    /// For each open root, the files its last diagnostics went to.
    published: BTreeMap<String, BTreeSet<String>>,
    /// The last diagnostics per file (for hover on a diagnostic).
    current: BTreeMap<String, Vec<crate::diagnostics::Diagnostic>>,
}

fn path_of(uri: &Url) -> Option<String> {
    uri.to_file_path()
        .ok()
        .map(|p| crate::resolve::paths::normalize(&p.to_string_lossy()))
}

fn uri_of(path: &str) -> Option<Url> {
    Url::from_file_path(path).ok()
}

/// Serves one editor over stdin and stdout until it says `exit`.
pub fn serve() -> Result<(), String> {
    let (connection, io) = Connection::stdio();
    let capabilities = ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        hover_provider: Some(lsp_types::HoverProviderCapability::Simple(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec!["{".into(), "=".into(), " ".into()]),
            ..CompletionOptions::default()
        }),
        definition_provider: Some(OneOf::Left(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        document_symbol_provider: Some(OneOf::Left(true)),
        ..ServerCapabilities::default()
    };
    let caps = serde_json::to_value(capabilities).map_err(|e| e.to_string())?;
    let init = connection
        .initialize_start()
        .map_err(|e| format!("initialize: {e}"))?;
    let _: Option<InitializeParams> = serde_json::from_value(init.1).ok();
    connection
        .initialize_finish(
            init.0,
            serde_json::json!({
                "capabilities": caps,
                "serverInfo": { "name": "paasc", "version": env!("CARGO_PKG_VERSION") },
            }),
        )
        .map_err(|e| format!("initialize: {e}"))?;
    let mut server = Server {
        overlay: Overlay::default(),
        published: BTreeMap::new(),
        current: BTreeMap::new(),
    };
    for msg in &connection.receiver {
        match msg {
            Message::Request(req) => {
                if connection.handle_shutdown(&req).unwrap_or(true) {
                    break;
                }
                let id = req.id.clone();
                let answer =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| server.request(&req)));
                let response = match answer {
                    Ok(Ok(result)) => Response::new_ok(id, result),
                    Ok(Err(e)) => {
                        Response::new_err(id, lsp_server::ErrorCode::InvalidParams as i32, e)
                    }
                    Err(_) => Response::new_err(
                        id,
                        lsp_server::ErrorCode::InternalError as i32,
                        "paasc lsp: internal error".into(),
                    ),
                };
                let _ = connection.sender.send(Message::Response(response));
            }
            Message::Notification(n) => {
                let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    server.notification(&n)
                }));
                if let Ok(messages) = out {
                    for m in messages {
                        let _ = connection.sender.send(Message::Notification(m));
                    }
                }
            }
            Message::Response(_) => {}
        }
    }
    drop(connection);
    io.join().map_err(|e| e.to_string())
}

fn params<T: serde::de::DeserializeOwned>(v: &serde_json::Value) -> Result<T, String> {
    serde_json::from_value(v.clone()).map_err(|e| format!("bad params: {e}"))
}

impl Server {
    fn text(&self, uri: &Url) -> Result<(String, String), String> {
        let path = path_of(uri).ok_or_else(|| format!("not a file URI: {uri}"))?;
        let text = match self.overlay.docs.get(&path) {
            Some(t) => t.clone(),
            None => std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?,
        };
        Ok((path, text))
    }

    fn notification(&mut self, n: &Notification) -> Vec<Notification> {
        use lsp_types::notification::{
            DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, DidSaveTextDocument,
        };
        let path = match n.method.as_str() {
            DidOpenTextDocument::METHOD => {
                let Ok(p) = params::<lsp_types::DidOpenTextDocumentParams>(&n.params) else {
                    return Vec::new();
                };
                let Some(path) = path_of(&p.text_document.uri) else {
                    return Vec::new();
                };
                self.overlay.docs.insert(path.clone(), p.text_document.text);
                path
            }
            DidChangeTextDocument::METHOD => {
                let Ok(p) = params::<lsp_types::DidChangeTextDocumentParams>(&n.params) else {
                    return Vec::new();
                };
                let Some(path) = path_of(&p.text_document.uri) else {
                    return Vec::new();
                };
                // Full sync: the last change holds the whole text.
                if let Some(c) = p.content_changes.into_iter().last() {
                    self.overlay.docs.insert(path.clone(), c.text);
                }
                path
            }
            DidSaveTextDocument::METHOD => {
                let Ok(p) = params::<lsp_types::DidSaveTextDocumentParams>(&n.params) else {
                    return Vec::new();
                };
                let Some(path) = path_of(&p.text_document.uri) else {
                    return Vec::new();
                };
                path
            }
            DidCloseTextDocument::METHOD => {
                let Ok(p) = params::<lsp_types::DidCloseTextDocumentParams>(&n.params) else {
                    return Vec::new();
                };
                let Some(path) = path_of(&p.text_document.uri) else {
                    return Vec::new();
                };
                self.overlay.docs.remove(&path);
                let mut out = Vec::new();
                for file in self.published.remove(&path).unwrap_or_default() {
                    out.extend(publish(&file, Vec::new()));
                }
                return out;
            }
            _ => return Vec::new(),
        };
        self.check(&path)
    }

    /// `check` of one root: publishes to every file it reports on, and
    /// clears the files it no longer does.
    fn check(&mut self, root: &str) -> Vec<Notification> {
        let mut out = Vec::new();
        let mut now = BTreeSet::new();
        for f in analysis::diagnostics(root, &self.overlay) {
            let index = LineIndex::new(&f.text);
            let list: Vec<LspDiagnostic> = f
                .diagnostics
                .iter()
                .map(|d| to_lsp(d, &index, f.path == root || d.primary_span().is_none()))
                .collect();
            self.current.insert(f.path.clone(), f.diagnostics);
            now.insert(f.path.clone());
            out.extend(publish(&f.path, list));
        }
        for stale in self
            .published
            .get(root)
            .cloned()
            .unwrap_or_default()
            .difference(&now)
        {
            self.current.remove(stale);
            out.extend(publish(stale, Vec::new()));
        }
        self.published.insert(root.to_string(), now);
        out
    }

    fn request(&mut self, req: &Request) -> Result<serde_json::Value, String> {
        use lsp_types::request::{
            Completion, DocumentSymbolRequest, Formatting, GotoDefinition, HoverRequest,
        };
        let json = |v: &dyn erased::Serialize| v.to_json();
        match req.method.as_str() {
            HoverRequest::METHOD => {
                let p: lsp_types::HoverParams = params(&req.params)?;
                let (path, text) = self.text(&p.text_document_position_params.text_document.uri)?;
                let index = LineIndex::new(&text);
                let offset = index.offset(p.text_document_position_params.position);
                let diags = self.current.get(&path).cloned().unwrap_or_default();
                Ok(match analysis::hover(&text, offset, &diags) {
                    Some(md) => json(&Hover {
                        contents: HoverContents::Markup(MarkupContent {
                            kind: MarkupKind::Markdown,
                            value: md,
                        }),
                        range: None,
                    }),
                    None => serde_json::Value::Null,
                })
            }
            Completion::METHOD => {
                let p: lsp_types::CompletionParams = params(&req.params)?;
                let (path, text) = self.text(&p.text_document_position.text_document.uri)?;
                let index = LineIndex::new(&text);
                let offset = index.offset(p.text_document_position.position);
                let names = analysis::names(&path, &self.overlay);
                let items: Vec<CompletionItem> = analysis::complete(&text, offset, &names)
                    .into_iter()
                    .map(|c| CompletionItem {
                        label: c.label,
                        kind: Some(match c.kind {
                            analysis::CompletionKind::Key => CompletionItemKind::PROPERTY,
                            analysis::CompletionKind::Block => CompletionItemKind::STRUCT,
                            analysis::CompletionKind::Value => CompletionItemKind::ENUM_MEMBER,
                            analysis::CompletionKind::Check => CompletionItemKind::FUNCTION,
                            analysis::CompletionKind::Param => CompletionItemKind::VARIABLE,
                            analysis::CompletionKind::Module => CompletionItemKind::MODULE,
                            analysis::CompletionKind::Keyword => CompletionItemKind::KEYWORD,
                        }),
                        detail: Some(c.detail),
                        documentation: (!c.doc.is_empty())
                            .then_some(lsp_types::Documentation::String(c.doc)),
                        insert_text: c.insert,
                        ..CompletionItem::default()
                    })
                    .collect();
                Ok(json(&items))
            }
            GotoDefinition::METHOD => {
                let p: lsp_types::GotoDefinitionParams = params(&req.params)?;
                let (path, text) = self.text(&p.text_document_position_params.text_document.uri)?;
                let index = LineIndex::new(&text);
                let offset = index.offset(p.text_document_position_params.position);
                let names = analysis::names(&path, &self.overlay);
                let location = match analysis::definition(&path, &text, offset, &names) {
                    Some(analysis::Target::File(f)) => {
                        uri_of(&f).map(|uri| Location::new(uri, Range::default()))
                    }
                    Some(analysis::Target::Span(s)) => names.sources.get(s.file).and_then(|f| {
                        let file = if f.name.starts_with("<stdlib/") {
                            stdlib_file(&f.name, &f.text)?
                        } else {
                            f.name.clone()
                        };
                        let index = LineIndex::new(&f.text);
                        uri_of(&file).map(|uri| {
                            Location::new(uri, index.range(s.start as usize, s.end as usize))
                        })
                    }),
                    None => None,
                };
                Ok(match location {
                    Some(l) => json(&GotoDefinitionResponse::Scalar(l)),
                    None => serde_json::Value::Null,
                })
            }
            Formatting::METHOD => {
                let p: lsp_types::DocumentFormattingParams = params(&req.params)?;
                let (_, text) = self.text(&p.text_document.uri)?;
                Ok(match crate::format::format(&text) {
                    Ok(new) if new != text => {
                        let index = LineIndex::new(&text);
                        json(&vec![TextEdit::new(index.range(0, text.len()), new)])
                    }
                    Ok(_) => json(&Vec::<TextEdit>::new()),
                    // A file with syntax errors is not formatted.
                    Err(_) => serde_json::Value::Null,
                })
            }
            DocumentSymbolRequest::METHOD => {
                let p: lsp_types::DocumentSymbolParams = params(&req.params)?;
                let (_, text) = self.text(&p.text_document.uri)?;
                let index = LineIndex::new(&text);
                let symbols: Vec<DocumentSymbol> = analysis::symbols(&text)
                    .into_iter()
                    .map(|s| symbol(s, &index))
                    .collect();
                Ok(json(&symbols))
            }
            other => Err(format!("paasc lsp does not answer {other}")),
        }
    }
}

/// A tiny object-safe "serialize to JSON" (serde's `Serialize` is not).
mod erased {
    pub trait Serialize {
        fn to_json(&self) -> serde_json::Value;
    }
    impl<T: serde::Serialize> Serialize for T {
        fn to_json(&self) -> serde_json::Value {
            serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
        }
    }
}

#[allow(deprecated)]
fn symbol(s: analysis::Symbol, index: &LineIndex) -> DocumentSymbol {
    DocumentSymbol {
        name: s.name,
        detail: s.detail,
        kind: match s.kind {
            analysis::SymbolKind::Block => SymbolKind::STRUCT,
            analysis::SymbolKind::Key => SymbolKind::PROPERTY,
            analysis::SymbolKind::Param => SymbolKind::VARIABLE,
            analysis::SymbolKind::File => SymbolKind::FILE,
            analysis::SymbolKind::Check => SymbolKind::EVENT,
        },
        tags: None,
        deprecated: None,
        range: index.range(s.span.start as usize, s.span.end as usize),
        selection_range: index.range(s.name_span.start as usize, s.name_span.end as usize),
        children: Some(s.children.into_iter().map(|c| symbol(c, index)).collect()),
    }
}

fn to_lsp(d: &crate::diagnostics::Diagnostic, index: &LineIndex, here: bool) -> LspDiagnostic {
    let range = match d.primary_span() {
        Some(s) if here => index.range(s.start as usize, s.end as usize),
        _ => Range::default(),
    };
    let mut message = d.message.clone();
    if let Some(l) = d.labels.first() {
        if !l.message.is_empty() {
            message.push_str(&format!(": {}", l.message));
        }
    }
    if let Some(h) = &d.help {
        message.push_str(&format!("\nhelp: {h}"));
    }
    LspDiagnostic {
        range,
        severity: Some(match d.severity() {
            crate::diagnostics::Severity::Error => DiagnosticSeverity::ERROR,
            crate::diagnostics::Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(d.code.as_str().to_string())),
        source: Some("paasc".into()),
        message,
        ..LspDiagnostic::default()
    }
}

fn publish(path: &str, diagnostics: Vec<LspDiagnostic>) -> Option<Notification> {
    let uri = uri_of(path)?;
    Some(Notification::new(
        lsp_types::notification::PublishDiagnostics::METHOD.to_string(),
        PublishDiagnosticsParams {
            uri,
            diagnostics,
            version: None,
        },
    ))
}

/// The stdlib file's text, written once under the temporary directory so an
/// editor can open it (`<stdlib/images.paas>` is no path).
fn stdlib_file(name: &str, text: &str) -> Option<String> {
    let file = name.trim_start_matches("<stdlib/").trim_end_matches('>');
    let dir = std::env::temp_dir().join(format!(
        "paasc-{}-stdlib-{}",
        env!("CARGO_PKG_VERSION"),
        crate::hash::sha256_hex(text.as_bytes())
            .get(..12)
            .unwrap_or_default()
    ));
    let path = dir.join(file);
    if !path.is_file() {
        std::fs::create_dir_all(&dir).ok()?;
        std::fs::write(&path, text).ok()?;
    }
    Some(path.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn positions_are_utf16_code_units() {
        let text = "a = \"é😀\"\nb = 1\n";
        let index = LineIndex::new(text);
        let b = text.find('b').unwrap();
        assert_eq!(index.position(b), Position::new(1, 0));
        let quote = text.rfind('"').unwrap();
        // é is one unit, 😀 two: the closing quote is at 4 + 1 + 1 + 2.
        assert_eq!(index.position(quote), Position::new(0, 8));
        assert_eq!(index.offset(Position::new(0, 8)), quote);
        assert_eq!(index.offset(Position::new(9, 0)), text.len());
        assert_eq!(index.offset(Position::new(1, 99)), text.len() - 1);
    }
}
