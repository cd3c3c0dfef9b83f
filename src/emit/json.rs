//! A JSON tree for emitters that build large documents (the state machine).
//!
//! Input: nodes built with [`node!`] (the same grammar as `serde_json::json!`)
//! or by hand. Output: anything serde writes, byte for byte what the same
//! `serde_json::Value` would give with `preserve_order` (members in insertion
//! order; [`Obj::insert`] replaces in place, [`Obj::remove`] swaps the last
//! member in, as `serde_json::Map` does).
//!
//! Why not `Value`: an object there is an `IndexMap` (a hash table and an
//! entry vector, each key an owned `String`), and `json!` copies every value
//! it interpolates through `to_value`. The state machine holds thousands of
//! small objects; in a fresh process each fresh page of heap costs more than
//! the work that fills it (docs/performance.md). Here an object is one vector
//! of members, literal keys and strings are borrowed, and interpolated values
//! are moved in.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use std::borrow::Cow;

/// Text that is a literal (borrowed) or built (owned).
pub type Text = Cow<'static, str>;

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Null,
    Bool(bool),
    U64(u64),
    I64(i64),
    Str(Text),
    Arr(Vec<Node>),
    Obj(Obj),
}

/// An object: members in insertion order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Obj(Vec<(Text, Node)>);

impl Obj {
    pub fn new() -> Self {
        Obj(Vec::new())
    }

    /// Sets `key`: in place if it is present (the old value is returned),
    /// else at the end.
    pub fn insert(&mut self, key: Text, value: Node) -> Option<Node> {
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => Some(std::mem::replace(v, value)),
            None => {
                self.0.push((key, value));
                None
            }
        }
    }

    /// Removes `key`, moving the last member into its place (`serde_json`'s
    /// `Map::remove` with `preserve_order`, which the output's member order
    /// was first written with).
    pub fn remove(&mut self, key: &str) -> Option<Node> {
        let i = self.0.iter().position(|(k, _)| k == key)?;
        Some(self.0.swap_remove(i).1)
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        self.0.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn values(&self) -> impl Iterator<Item = &Node> {
        self.0.iter().map(|(_, v)| v)
    }
}

impl Extend<(Text, Node)> for Obj {
    fn extend<I: IntoIterator<Item = (Text, Node)>>(&mut self, members: I) {
        for (k, v) in members {
            self.insert(k, v);
        }
    }
}

impl<K: Into<Text>> FromIterator<(K, Node)> for Obj {
    fn from_iter<I: IntoIterator<Item = (K, Node)>>(members: I) -> Self {
        let mut o = Obj::new();
        for (k, v) in members {
            o.insert(k.into(), v);
        }
        o
    }
}

impl IntoIterator for Obj {
    type Item = (Text, Node);
    type IntoIter = std::vec::IntoIter<(Text, Node)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl Node {
    pub fn as_obj_mut(&mut self) -> Option<&mut Obj> {
        match self {
            Node::Obj(o) => Some(o),
            _ => None,
        }
    }

    pub fn as_obj(&self) -> Option<&Obj> {
        match self {
            Node::Obj(o) => Some(o),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_obj().and_then(|o| o.get(key))
    }

    /// The member at a slash-separated path of keys (`/Parameters/Item`),
    /// as `serde_json::Value::pointer_mut` for objects.
    pub fn pointer_mut(&mut self, path: &str) -> Option<&mut Node> {
        path.split('/')
            .skip(1)
            .try_fold(self, |n, key| n.as_obj_mut()?.get_mut(key))
    }
}

/// A literal in `node!`: strings are borrowed, not copied.
pub trait Literal {
    fn node(self) -> Node;
}

impl Literal for &'static str {
    fn node(self) -> Node {
        Node::Str(Cow::Borrowed(self))
    }
}

impl Literal for i32 {
    fn node(self) -> Node {
        Node::from(self)
    }
}

impl Literal for u64 {
    fn node(self) -> Node {
        Node::U64(self)
    }
}

impl Literal for bool {
    fn node(self) -> Node {
        Node::Bool(self)
    }
}

impl From<String> for Node {
    fn from(s: String) -> Self {
        Node::Str(Cow::Owned(s))
    }
}

impl From<&String> for Node {
    fn from(s: &String) -> Self {
        Node::Str(Cow::Owned(s.clone()))
    }
}

impl From<&str> for Node {
    fn from(s: &str) -> Self {
        Node::Str(Cow::Owned(s.to_string()))
    }
}

impl From<&&str> for Node {
    fn from(s: &&str) -> Self {
        Node::from(*s)
    }
}

impl<T: Into<Node> + Clone> From<&[T]> for Node {
    fn from(items: &[T]) -> Self {
        Node::Arr(items.iter().cloned().map(Into::into).collect())
    }
}

impl From<bool> for Node {
    fn from(b: bool) -> Self {
        Node::Bool(b)
    }
}

macro_rules! unsigned {
    ($($t:ty),*) => {$(
        impl From<$t> for Node {
            fn from(n: $t) -> Self {
                Node::U64(u64::from(n))
            }
        }
    )*};
}
unsigned!(u8, u16, u32, u64);

impl From<usize> for Node {
    fn from(n: usize) -> Self {
        // usize is at most 64 bits on every target paasc builds for.
        Node::U64(n as u64)
    }
}

impl From<i32> for Node {
    fn from(n: i32) -> Self {
        Node::from(i64::from(n))
    }
}

impl From<i64> for Node {
    fn from(n: i64) -> Self {
        // `serde_json::Number` keeps non-negative integers as u64.
        match u64::try_from(n) {
            Ok(u) => Node::U64(u),
            Err(_) => Node::I64(n),
        }
    }
}

impl From<Obj> for Node {
    fn from(o: Obj) -> Self {
        Node::Obj(o)
    }
}

impl<T: Into<Node>> From<Vec<T>> for Node {
    fn from(items: Vec<T>) -> Self {
        Node::Arr(items.into_iter().map(Into::into).collect())
    }
}

impl Serialize for Node {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Node::Null => s.serialize_unit(),
            Node::Bool(b) => s.serialize_bool(*b),
            Node::U64(n) => s.serialize_u64(*n),
            Node::I64(n) => s.serialize_i64(*n),
            Node::Str(t) => s.serialize_str(t),
            Node::Arr(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for i in items {
                    seq.serialize_element(i)?;
                }
                seq.end()
            }
            Node::Obj(o) => o.serialize(s),
        }
    }
}

impl Serialize for Obj {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k.as_ref(), v)?;
        }
        map.end()
    }
}

/// For comparing with `serde_json` in tests.
#[cfg(test)]
impl From<Node> for serde_json::Value {
    fn from(n: Node) -> Self {
        use serde_json::Value;
        match n {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(b),
            Node::U64(n) => Value::from(n),
            Node::I64(n) => Value::from(n),
            Node::Str(t) => Value::String(t.into_owned()),
            Node::Arr(items) => Value::Array(items.into_iter().map(Value::from).collect()),
            Node::Obj(o) => Value::Object(
                o.into_iter()
                    .map(|(k, v)| (k.into_owned(), Value::from(v)))
                    .collect(),
            ),
        }
    }
}

/// A [`Node`] in `serde_json::json!`'s grammar. Literal strings are
/// borrowed; any other value is converted with `Node::from`, which moves it.
macro_rules! node {
    // Arrays: elements munched one at a time.
    (@array [$($elems:expr,)*]) => { vec![$($elems,)*] };
    (@array [$($elems:expr),*]) => { vec![$($elems),*] };
    (@array [$($elems:expr,)*] null $($rest:tt)*) => {
        $crate::emit::json::node!(@array [$($elems,)* $crate::emit::json::node!(null)] $($rest)*)
    };
    (@array [$($elems:expr,)*] [$($array:tt)*] $($rest:tt)*) => {
        $crate::emit::json::node!(@array [$($elems,)* $crate::emit::json::node!([$($array)*])] $($rest)*)
    };
    (@array [$($elems:expr,)*] {$($map:tt)*} $($rest:tt)*) => {
        $crate::emit::json::node!(@array [$($elems,)* $crate::emit::json::node!({$($map)*})] $($rest)*)
    };
    (@array [$($elems:expr,)*] $next:literal, $($rest:tt)*) => {
        $crate::emit::json::node!(@array [$($elems,)* $crate::emit::json::node!($next),] $($rest)*)
    };
    (@array [$($elems:expr,)*] $last:literal) => {
        $crate::emit::json::node!(@array [$($elems,)* $crate::emit::json::node!($last)])
    };
    (@array [$($elems:expr,)*] $next:expr, $($rest:tt)*) => {
        $crate::emit::json::node!(@array [$($elems,)* $crate::emit::json::node!($next),] $($rest)*)
    };
    (@array [$($elems:expr,)*] $last:expr) => {
        $crate::emit::json::node!(@array [$($elems,)* $crate::emit::json::node!($last)])
    };
    (@array [$($elems:expr),*] , $($rest:tt)*) => {
        $crate::emit::json::node!(@array [$($elems,)*] $($rest)*)
    };

    // Objects: a key's tokens, then its value, then the rest.
    (@object $object:ident () () ()) => {};
    (@object $object:ident [$($key:tt)+] ($value:expr) , $($rest:tt)*) => {
        let _ = $object.insert(($($key)+).into(), $value);
        $crate::emit::json::node!(@object $object () ($($rest)*) ($($rest)*));
    };
    (@object $object:ident [$($key:tt)+] ($value:expr)) => {
        let _ = $object.insert(($($key)+).into(), $value);
    };
    (@object $object:ident ($($key:tt)+) (: null $($rest:tt)*) $copy:tt) => {
        $crate::emit::json::node!(@object $object [$($key)+] ($crate::emit::json::node!(null)) $($rest)*);
    };
    (@object $object:ident ($($key:tt)+) (: [$($array:tt)*] $($rest:tt)*) $copy:tt) => {
        $crate::emit::json::node!(@object $object [$($key)+] ($crate::emit::json::node!([$($array)*])) $($rest)*);
    };
    (@object $object:ident ($($key:tt)+) (: {$($map:tt)*} $($rest:tt)*) $copy:tt) => {
        $crate::emit::json::node!(@object $object [$($key)+] ($crate::emit::json::node!({$($map)*})) $($rest)*);
    };
    (@object $object:ident ($($key:tt)+) (: $value:literal , $($rest:tt)*) $copy:tt) => {
        $crate::emit::json::node!(@object $object [$($key)+] ($crate::emit::json::node!($value)) , $($rest)*);
    };
    (@object $object:ident ($($key:tt)+) (: $value:literal) $copy:tt) => {
        $crate::emit::json::node!(@object $object [$($key)+] ($crate::emit::json::node!($value)));
    };
    (@object $object:ident ($($key:tt)+) (: $value:expr , $($rest:tt)*) $copy:tt) => {
        $crate::emit::json::node!(@object $object [$($key)+] ($crate::emit::json::node!($value)) , $($rest)*);
    };
    (@object $object:ident ($($key:tt)+) (: $value:expr) $copy:tt) => {
        $crate::emit::json::node!(@object $object [$($key)+] ($crate::emit::json::node!($value)));
    };
    (@object $object:ident () (($key:expr) : $($rest:tt)*) $copy:tt) => {
        $crate::emit::json::node!(@object $object ($key) (: $($rest)*) (: $($rest)*));
    };
    (@object $object:ident ($($key:tt)*) ($tt:tt $($rest:tt)*) $copy:tt) => {
        $crate::emit::json::node!(@object $object ($($key)* $tt) ($($rest)*) ($($rest)*));
    };

    (null) => { $crate::emit::json::Node::Null };
    ([]) => { $crate::emit::json::Node::Arr(Vec::new()) };
    ([ $($tt:tt)+ ]) => {
        $crate::emit::json::Node::Arr($crate::emit::json::node!(@array [] $($tt)+))
    };
    ({}) => { $crate::emit::json::Node::Obj($crate::emit::json::Obj::new()) };
    ({ $($tt:tt)+ }) => {
        $crate::emit::json::Node::Obj({
            let mut object = $crate::emit::json::Obj::new();
            $crate::emit::json::node!(@object object () ($($tt)+) ($($tt)+));
            object
        })
    };
    ($lit:literal) => { $crate::emit::json::Literal::node($lit) };
    ($other:expr) => { $crate::emit::json::Node::from($other) };
}
pub(crate) use node;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    /// The same document built both ways prints the same bytes.
    #[test]
    fn prints_what_json_prints() {
        let name = String::from("Bake");
        let items = vec![node!({ "a": 1 }), node!(null)];
        let built = node!({
            "Type": "Task",
            "Next": name,
            "Count": 3u64,
            "Negative": -2,
            "On": true,
            "List": ["x", 2, null, { "k": "v" }],
            "Items": items,
            ("computed".to_string()): { "nested": [] },
            "Empty": {},
        });
        let value = json!({
            "Type": "Task",
            "Next": "Bake",
            "Count": 3,
            "Negative": -2,
            "On": true,
            "List": ["x", 2, null, { "k": "v" }],
            "Items": [{ "a": 1 }, null],
            "computed": { "nested": [] },
            "Empty": {},
        });
        assert_eq!(
            serde_json::to_string_pretty(&built).unwrap(),
            serde_json::to_string_pretty(&value).unwrap()
        );
        assert_eq!(serde_json::Value::from(built), value);
    }

    /// Insert replaces in place and remove swaps the last member in, as
    /// `serde_json::Map` with `preserve_order` does.
    #[test]
    fn member_order_follows_serde_json_map() {
        let mut o = Obj::new();
        let mut m = serde_json::Map::new();
        for k in ["a", "b", "c", "d"] {
            o.insert(k.into(), node!(k));
            m.insert(k.into(), json!(k));
        }
        o.insert("b".into(), node!(2));
        m.insert("b".into(), json!(2));
        o.remove("a");
        m.remove("a");
        o.insert("a".into(), node!(1));
        m.insert("a".into(), json!(1));
        assert_eq!(
            serde_json::to_string(&o).unwrap(),
            serde_json::to_string(&m).unwrap()
        );
    }
}
