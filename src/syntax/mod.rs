//! Text -> syntax tree with spans. pest stays behind this door: no pest rule
//! name ever reaches a person (see `expected_words`).
//!
//! Input: one file's text and its `FileId`. Output: an `ast::File` and the
//! syntax diagnostics. Parsing never stops at the first error: a line that
//! fits nothing becomes a recovered node, is diagnosed on its own, and the
//! parse goes on at the next attribute or block. Nesting depth is checked
//! before pest runs, so deep input cannot overflow the stack.

pub mod ast;
mod parser;

pub use parser::parse;

/// Deepest block nesting accepted.
pub const MAX_DEPTH: usize = 32;
