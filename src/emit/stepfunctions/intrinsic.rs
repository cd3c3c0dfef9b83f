//! Text helpers for the state machine's intrinsic functions.

/// Escapes text for use inside an intrinsic-function string literal
/// (`'...'`), where `'`, `{`, `}` and `\\` are special.
pub fn intrinsic_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\'' | '{' | '}' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
