//! The syntax tree: exactly what the file says, every node with its span.

use crate::source::Span;

#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StrPart {
    Text(String),
    Interp(Ident),
}

#[derive(Debug, Clone, PartialEq)]
pub enum ValueKind {
    Str(Vec<StrPart>),
    Int(i64),
    Decimal(f64),
    /// `30s`, `30GiB`, `60%`: the number as written and its unit.
    Quantity {
        amount: f64,
        unit: String,
    },
    Bool(bool),
    /// A bare name: `blue-green`, `amazon-linux-2023`, `root`.
    Name(String),
    List(Vec<Value>),
    /// A literal that was already diagnosed (e.g. an integer too large);
    /// readers skip it silently so it causes no follow-on errors.
    Invalid,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    pub kind: ValueKind,
    pub span: Span,
}

impl Value {
    /// A person's word for the value's type, for "expected X, found Y".
    pub fn type_name(&self) -> &'static str {
        match &self.kind {
            ValueKind::Str(_) => "a string",
            ValueKind::Int(_) => "an integer",
            ValueKind::Decimal(_) => "a decimal",
            ValueKind::Quantity { unit, .. } if unit == "%" => "a percentage",
            ValueKind::Quantity { unit, .. } if matches!(unit.as_str(), "s" | "m" | "h" | "d") => {
                "a duration"
            }
            ValueKind::Quantity { .. } => "a size",
            ValueKind::Bool(_) => "a boolean",
            ValueKind::Name(_) => "a name",
            ValueKind::List(_) => "a list",
            ValueKind::Invalid => "an invalid value",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Attr {
    pub key: Ident,
    pub value: Value,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub name: Ident,
    pub label: Option<Ident>,
    pub items: Vec<Item>,
    pub span: Span,
    /// A syntax error was recovered from inside this block (directly).
    pub had_errors: bool,
}

/// `port 8080 listening`: a verify check, one a line.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckLine {
    pub kind: Ident,
    pub args: Vec<Value>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Use {
        path: Value,
        span: Span,
    },
    Param {
        name: Ident,
        value: Value,
        span: Span,
    },
    Attr(Attr),
    Block(Block),
    Check(CheckLine),
}

impl Item {
    pub fn span(&self) -> Span {
        match self {
            Item::Use { span, .. } | Item::Param { span, .. } => *span,
            Item::Attr(a) => a.span,
            Item::Block(b) => b.span,
            Item::Check(c) => c.span,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct File {
    pub items: Vec<Item>,
    pub had_errors: bool,
}
