//! Typed reading of one block's keys through the schema table.
//!
//! A block reader asks `Fields` for its keys by name; each read looks the
//! key up in the block's [`BlockDef`], reads the value with the type the
//! table gives, applies the table's [`Rule`] and locates its problem at the
//! value. Asking for a key the table does not list is a paasc bug (a debug
//! assertion and the schema tests catch it); under test every read is
//! recorded, so a test can prove that every key of the table is read.

use super::tree::{Cx, NBlock, Node};
use crate::schema::rules::Rule;
use crate::schema::{BlockDef, Key, Ty};
use crate::source::Span;
use crate::syntax::ast::Attr;

/// The outcome of reading one key.
#[derive(Debug, Clone, PartialEq)]
pub enum Field<T> {
    /// Not written: the caller's default applies.
    Absent,
    /// Written and valid, with the value's span.
    Ok(T, Span),
    /// Written and wrong; the problem is reported already.
    Bad,
}

impl<T> Field<T> {
    /// The value, or `default` when absent; None when it was wrong.
    pub fn or(self, default: T) -> Option<T> {
        match self {
            Field::Absent => Some(default),
            Field::Ok(v, _) => Some(v),
            Field::Bad => None,
        }
    }
    pub fn or_else(self, default: impl FnOnce() -> T) -> Option<T> {
        match self {
            Field::Absent => Some(default()),
            Field::Ok(v, _) => Some(v),
            Field::Bad => None,
        }
    }
    /// `Some(None)` when absent, `Some(Some(v))` when valid, None when wrong.
    pub fn optional(self) -> Option<Option<T>> {
        match self {
            Field::Absent => Some(None),
            Field::Ok(v, _) => Some(Some(v)),
            Field::Bad => None,
        }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Field<U> {
        match self {
            Field::Absent => Field::Absent,
            Field::Ok(v, s) => Field::Ok(f(v), s),
            Field::Bad => Field::Bad,
        }
    }
}

/// One merged block (or none: every key absent) read against its table.
pub struct Fields<'n, 'a> {
    pub def: &'static BlockDef,
    node: Option<&'n Node<'a>>,
    /// The block's name where it is written (for labels about the block).
    name_span: Option<Span>,
}

#[cfg(test)]
thread_local! {
    /// Every (block, key) read since the thread started (schema coverage test).
    pub static READ: std::cell::RefCell<std::collections::BTreeSet<(&'static str, &'static str)>> =
        Default::default();
}

impl<'n, 'a> Fields<'n, 'a> {
    pub fn new(def: &'static BlockDef, node: Option<&'n Node<'a>>) -> Self {
        Fields {
            def,
            node,
            name_span: None,
        }
    }

    /// The fields of a merged sub-block (all absent when it is not written).
    pub fn of(def: &'static BlockDef, block: Option<&'n NBlock<'a>>) -> Self {
        Fields {
            def,
            node: block.map(|b| &b.node),
            name_span: block.map(|b| b.name.span),
        }
    }

    /// Where the block's name is written, when it is.
    pub fn block_span(&self) -> Option<Span> {
        self.name_span
    }

    pub fn node(&self) -> Option<&'n Node<'a>> {
        self.node
    }

    /// Whether the block had a recovered syntax error (missing keys then
    /// are likely a consequence, not worth a second diagnostic).
    pub fn had_errors(&self) -> bool {
        self.node.is_some_and(|n| n.had_errors)
    }

    fn entry(&self, key: &str) -> Option<&'static Key> {
        let entry = self.def.key(key);
        debug_assert!(
            entry.is_some(),
            "`{}.{key}` is read but not in the schema table",
            self.def.name
        );
        #[cfg(test)]
        if let Some(k) = entry {
            READ.with(|r| r.borrow_mut().insert((self.def.name, k.name)));
        }
        entry
    }

    /// The attribute as written, for readers that interpret it themselves.
    pub fn attr(&self, key: &str) -> Option<&'a Attr> {
        self.entry(key)?;
        self.node.and_then(|n| n.attr(key))
    }

    fn rule(&self, key: &str) -> Rule {
        self.def.key(key).map_or(Rule::None, |k| k.rule)
    }

    fn ty(&self, key: &str) -> Option<Ty> {
        self.def.key(key).map(|k| k.ty)
    }

    pub fn string(&self, cx: &mut Cx, key: &str) -> Field<String> {
        let Some(a) = self.attr(key) else {
            return Field::Absent;
        };
        let value = if self.ty(key) == Some(Ty::Name) {
            cx.name(&a.value)
        } else {
            cx.string(&a.value)
        };
        let Some(s) = value else { return Field::Bad };
        if let Rule::Str(check) = self.rule(key) {
            if let Err(p) = check(key, &s) {
                cx.push(p.at(a.value.span));
                return Field::Bad;
            }
        }
        Field::Ok(s, a.value.span)
    }

    pub fn int(&self, cx: &mut Cx, key: &str) -> Field<i64> {
        let Some(a) = self.attr(key) else {
            return Field::Absent;
        };
        let Some(n) = cx.int(&a.value) else {
            return Field::Bad;
        };
        if let Rule::Int(check) = self.rule(key) {
            if let Err(p) = check(key, n) {
                cx.push(p.at(a.value.span));
                return Field::Bad;
            }
        }
        Field::Ok(n, a.value.span)
    }

    pub fn boolean(&self, cx: &mut Cx, key: &str) -> Field<bool> {
        let Some(a) = self.attr(key) else {
            return Field::Absent;
        };
        match cx.boolean(&a.value) {
            Some(b) => Field::Ok(b, a.value.span),
            None => Field::Bad,
        }
    }

    /// Seconds.
    pub fn duration(&self, cx: &mut Cx, key: &str) -> Field<u64> {
        let Some(a) = self.attr(key) else {
            return Field::Absent;
        };
        let Some(secs) = cx.duration(&a.value) else {
            return Field::Bad;
        };
        if let Rule::Seconds(check) = self.rule(key) {
            if let Err(p) = check(key, secs) {
                cx.push(p.at(a.value.span));
                return Field::Bad;
            }
        }
        Field::Ok(secs, a.value.span)
    }

    /// Whole GiB.
    pub fn size_gib(&self, cx: &mut Cx, key: &str) -> Field<u64> {
        let Some(a) = self.attr(key) else {
            return Field::Absent;
        };
        let Some(gib) = cx.size_gib(&a.value) else {
            return Field::Bad;
        };
        if let Rule::Gib(check) = self.rule(key) {
            if let Err(p) = check(key, gib) {
                cx.push(p.at(a.value.span));
                return Field::Bad;
            }
        }
        Field::Ok(gib, a.value.span)
    }

    pub fn percent(&self, cx: &mut Cx, key: &str) -> Field<u8> {
        let Some(a) = self.attr(key) else {
            return Field::Absent;
        };
        match cx.percent(&a.value) {
            Some(p) => Field::Ok(p, a.value.span),
            None => Field::Bad,
        }
    }

    /// One of the choices the table lists; `what` names them in messages
    /// ("`x` is not a valid release strategy").
    pub fn choice(&self, cx: &mut Cx, key: &str, what: &str) -> Field<&'static str> {
        let Some(a) = self.attr(key) else {
            return Field::Absent;
        };
        let choices: &'static [&'static str] = match self.ty(key) {
            Some(Ty::Choice(c)) => c,
            _ => &[],
        };
        match cx.choice(&a.value, what, choices) {
            Some(c) => Field::Ok(c, a.value.span),
            None => Field::Bad,
        }
    }

    /// A list of strings, each with its span; the table's item rule is
    /// applied to each, and every bad item reported.
    pub fn string_list(&self, cx: &mut Cx, key: &str) -> Field<Vec<(String, Span)>> {
        let Some(a) = self.attr(key) else {
            return Field::Absent;
        };
        let Some(items) = cx.string_list(&a.value) else {
            return Field::Bad;
        };
        if let Rule::Item(check) = self.rule(key) {
            let mut ok = true;
            for (s, span) in &items {
                if let Err(p) = check(key, s) {
                    cx.push(p.at(*span));
                    ok = false;
                }
            }
            if !ok {
                return Field::Bad;
            }
        }
        Field::Ok(items, a.value.span)
    }
}
