//! The stdlib: base images and control packs, written in the language and
//! embedded in the binary; shown in diagnostics as `<stdlib/...>`.
//!
//! Input: nothing at run time. Output: each stdlib file's name, its text
//! (which diagnostics, hover and go-to-definition point into) and its
//! syntax tree for a given file id. The generated `parsed.rs` builds the
//! trees instead of the parser, which would run at every process start (the
//! stdlib was two fifths of what one build parsed; docs/performance.md).
//!
//! Invariants:
//! - `stdlib/*.paas` stay the source. `parsed.rs` records their
//!   fingerprint, and a build whose stdlib text differs from it fails to
//!   compile. `PAASC_REGEN=1 cargo test --lib stdlib` lets it compile and
//!   rewrites the file; a plain `cargo test` then checks the result.
//! - `parsed.rs` is exactly what the generator makes of the stdlib today.
//!   Besides a stdlib edit, a change to the parser or the syntax tree can
//!   also make it stale.
//! - Each tree equals what `syntax::parse` makes of the text, spans
//!   included, and the stdlib parses without a diagnostic (tests).
//! - If `parsed.rs` stops compiling (the syntax tree changed), replace its
//!   functions' bodies with `File::default()`, then regenerate.

#[rustfmt::skip]
mod parsed;

use crate::hash::{Fingerprint, REGENERATING};
use crate::source::{FileId, Span};
use crate::syntax::ast::{File, Ident, StrPart, Value, ValueKind};

pub(super) struct StdFile {
    /// The name diagnostics show, `<stdlib/NAME.paas>`.
    pub name: &'static str,
    pub text: &'static str,
    /// The syntax tree of `text`, its spans in file `id`.
    pub tree: fn(id: FileId) -> File,
}

pub(super) const STDLIB: [StdFile; 2] = [
    StdFile {
        name: "<stdlib/images.paas>",
        text: include_str!("../../stdlib/images.paas"),
        tree: parsed::images,
    },
    StdFile {
        name: "<stdlib/controls.paas>",
        text: include_str!("../../stdlib/controls.paas"),
        tree: parsed::controls,
    },
];

/// The fingerprint of every stdlib file's name and text, in order.
const fn fingerprint(mut files: &[StdFile]) -> u64 {
    let mut f = Fingerprint::new();
    while let [file, rest @ ..] = files {
        f = f.add(file.name).add(file.text);
        files = rest;
    }
    f.value()
}

const _: () = assert!(
    REGENERATING || fingerprint(&STDLIB) == parsed::FINGERPRINT,
    "src/resolve/stdlib/parsed.rs is stale (a stdlib file changed): \
     run `PAASC_REGEN=1 cargo test --lib stdlib`, then `cargo test`"
);

// Constructors the generated trees are written in.

/// The span `[start, end)` in `file`.
fn sp(file: FileId, start: u32, end: u32) -> Span {
    Span { file, start, end }
}

fn ident(file: FileId, name: &str, start: u32, end: u32) -> Ident {
    Ident {
        name: name.to_string(),
        span: sp(file, start, end),
    }
}

/// A string literal without interpolation.
fn text(file: FileId, text: &str, start: u32, end: u32) -> Value {
    Value {
        kind: ValueKind::Str(vec![StrPart::Text(text.to_string())]),
        span: sp(file, start, end),
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )]
    use super::{fingerprint, STDLIB};
    use crate::diagnostics::Diagnostics;
    use crate::source::{FileId, Span};
    use crate::syntax::ast::{
        Attr, Block, CheckLine, File, Ident, Item, StrPart, Value, ValueKind,
    };
    use std::fmt::Write as _;

    const GENERATED: &str = "src/resolve/stdlib/parsed.rs";

    fn parse(text: &str, id: FileId) -> File {
        let mut diags = Diagnostics::default();
        let file = crate::syntax::parse(text, id, &mut diags);
        assert!(diags.is_empty(), "the stdlib must parse cleanly: {diags:?}");
        file
    }

    /// Rust expressions rebuilding the tree, spans in the variable `f`.
    struct Gen(String);

    impl Gen {
        fn span(&mut self, s: Span) {
            write!(self.0, "sp(f, {}, {})", s.start, s.end).unwrap();
        }
        fn ident(&mut self, i: &Ident) {
            let Span { start, end, .. } = i.span;
            write!(self.0, "ident(f, {:?}, {start}, {end})", i.name).unwrap();
        }
        fn value(&mut self, v: &Value) {
            if let ValueKind::Str(parts) = &v.kind {
                if let [StrPart::Text(t)] = parts.as_slice() {
                    let Span { start, end, .. } = v.span;
                    write!(self.0, "text(f, {t:?}, {start}, {end})").unwrap();
                    return;
                }
            }
            self.0.push_str("Value { kind: ");
            match &v.kind {
                ValueKind::Str(parts) => {
                    self.0.push_str("ValueKind::Str(vec![");
                    for p in parts {
                        match p {
                            StrPart::Text(t) => {
                                write!(self.0, "StrPart::Text({t:?}.into()), ").unwrap()
                            }
                            StrPart::Interp(i) => {
                                self.0.push_str("StrPart::Interp(");
                                self.ident(i);
                                self.0.push_str("), ");
                            }
                        }
                    }
                    self.0.push_str("])");
                }
                ValueKind::Int(n) => write!(self.0, "ValueKind::Int({n})").unwrap(),
                ValueKind::Decimal(d) => write!(self.0, "ValueKind::Decimal({d:?})").unwrap(),
                ValueKind::Quantity { amount, unit } => write!(
                    self.0,
                    "ValueKind::Quantity {{ amount: {amount:?}, unit: {unit:?}.into() }}"
                )
                .unwrap(),
                ValueKind::Bool(b) => write!(self.0, "ValueKind::Bool({b})").unwrap(),
                ValueKind::Name(n) => write!(self.0, "ValueKind::Name({n:?}.into())").unwrap(),
                ValueKind::List(items) => {
                    self.0.push_str("ValueKind::List(vec![");
                    for v in items {
                        self.value(v);
                        self.0.push_str(", ");
                    }
                    self.0.push_str("])");
                }
                ValueKind::Invalid => panic!("the stdlib holds an invalid literal"),
            }
            self.0.push_str(", span: ");
            self.span(v.span);
            self.0.push_str(" }");
        }
        fn items(&mut self, items: &[Item], depth: usize) {
            let pad = "    ".repeat(depth);
            self.0.push_str("vec![\n");
            for item in items {
                self.0.push_str(&pad);
                self.0.push_str("    ");
                match item {
                    Item::Use { path, span } => {
                        self.0.push_str("Item::Use { path: ");
                        self.value(path);
                        self.0.push_str(", span: ");
                        self.span(*span);
                        self.0.push_str(" }");
                    }
                    Item::Param { name, value, span } => {
                        self.0.push_str("Item::Param { name: ");
                        self.ident(name);
                        self.0.push_str(", value: ");
                        self.value(value);
                        self.0.push_str(", span: ");
                        self.span(*span);
                        self.0.push_str(" }");
                    }
                    Item::Attr(Attr { key, value, span }) => {
                        self.0.push_str("Item::Attr(Attr { key: ");
                        self.ident(key);
                        self.0.push_str(", value: ");
                        self.value(value);
                        self.0.push_str(", span: ");
                        self.span(*span);
                        self.0.push_str(" })");
                    }
                    Item::Check(CheckLine { kind, args, span }) => {
                        self.0.push_str("Item::Check(CheckLine { kind: ");
                        self.ident(kind);
                        self.0.push_str(", args: vec![");
                        for a in args {
                            self.value(a);
                            self.0.push_str(", ");
                        }
                        self.0.push_str("], span: ");
                        self.span(*span);
                        self.0.push_str(" })");
                    }
                    Item::Block(Block {
                        name,
                        label,
                        items,
                        span,
                        had_errors,
                    }) => {
                        self.0.push_str("Item::Block(Block {\n");
                        write!(self.0, "{pad}        name: ").unwrap();
                        self.ident(name);
                        write!(self.0, ",\n{pad}        label: ").unwrap();
                        match label {
                            Some(l) => {
                                self.0.push_str("Some(");
                                self.ident(l);
                                self.0.push(')');
                            }
                            None => self.0.push_str("None"),
                        }
                        write!(self.0, ",\n{pad}        items: ").unwrap();
                        self.items(items, depth + 2);
                        write!(self.0, ",\n{pad}        span: ").unwrap();
                        self.span(*span);
                        write!(
                            self.0,
                            ",\n{pad}        had_errors: {had_errors},\n{pad}    }})"
                        )
                        .unwrap();
                    }
                }
                self.0.push_str(",\n");
            }
            write!(self.0, "{pad}]").unwrap();
        }
    }

    /// The function name of a stdlib file: `<stdlib/images.paas>` -> `images`.
    fn fn_name(name: &str) -> &str {
        name.trim_start_matches("<stdlib/")
            .trim_end_matches(".paas>")
    }

    fn generate() -> String {
        let mut g = Gen(String::from(
            "//! The stdlib's syntax trees: generated from `stdlib/*.paas` by\n\
             //! `PAASC_REGEN=1 cargo test --lib stdlib`. Do not edit; see `stdlib.rs`.\n\n\
             #![allow(unused_imports)]\n\n\
             use super::{ident, sp, text};\n\
             use crate::source::FileId;\n\
             use crate::syntax::ast::{Attr, Block, CheckLine, File, Item, StrPart, Value, ValueKind};\n",
        ));
        writeln!(
            g.0,
            "\n/// The fingerprint of the stdlib this was generated from.\n\
             pub(super) const FINGERPRINT: u64 = {:#018x};",
            fingerprint(&STDLIB)
        )
        .unwrap();
        for file in &STDLIB {
            let tree = parse(file.text, FileId(0));
            assert!(!tree.had_errors);
            write!(
                g.0,
                "\n/// `stdlib/{}.paas`.\npub(super) fn {}(f: FileId) -> File {{\n    File {{\n        items: ",
                fn_name(file.name),
                fn_name(file.name)
            )
            .unwrap();
            g.items(&tree.items, 2);
            g.0.push_str(",\n        had_errors: false,\n    }\n}\n");
        }
        g.0
    }

    #[test]
    fn parsed_rs_is_generated_from_the_stdlib() {
        let want = generate();
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(GENERATED);
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        if have != want {
            if crate::hash::REGENERATING {
                std::fs::write(&path, &want).unwrap();
            } else {
                panic!(
                    "{GENERATED} is stale (the stdlib, the parser or the syntax tree changed): \
                     run `PAASC_REGEN=1 cargo test --lib stdlib`, then `cargo test`, and \
                     commit the stdlib and {GENERATED} together"
                );
            }
        }
    }

    #[test]
    fn generated_trees_are_what_the_parser_makes() {
        if crate::hash::REGENERATING {
            return;
        }
        for file in &STDLIB {
            // Not 0: the ids must come from the argument, not be spelled in.
            let id = FileId(7);
            assert_eq!((file.tree)(id), parse(file.text, id), "{}", file.name);
        }
    }
}
