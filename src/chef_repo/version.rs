//! Cookbook versions and constraints, as Chef reads them.
//!
//! A version is `x.y.z` (Chef also accepts `x.y`, meaning `x.y.0`). A
//! constraint is an operator and a version: `= 1.2.3`, `>= 1.0`, `> 1`,
//! `< 2.0`, `<= 2.0.1`, `~> 2.1` (pessimistic: `>= 2.1`, `< 3.0`) or `~> 2.1.3`
//! (`>= 2.1.3`, `< 2.2.0`); a bare version means `=`.

use std::cmp::Ordering;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version(pub u64, pub u64, pub u64);

impl Version {
    pub fn parse(text: &str) -> Option<Version> {
        let parts: Vec<&str> = text.trim().split('.').collect();
        let num = |s: &str| -> Option<u64> {
            (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse().ok())
                .flatten()
        };
        match parts.as_slice() {
            [a, b] => Some(Version(num(a)?, num(b)?, 0)),
            [a, b, c] => Some(Version(num(a)?, num(b)?, num(c)?)),
            _ => None,
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ge,
    Gt,
    Le,
    Lt,
    /// `~>`, with how many parts the version was written with (2 or 3).
    Pessimistic(u8),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constraint {
    pub op: Op,
    pub version: Version,
    /// As written, for messages (`~> 2.1`).
    pub text: String,
}

impl Constraint {
    pub fn parse(text: &str) -> Option<Constraint> {
        let t = text.trim();
        let (op, rest) = [
            ("~>", None),
            (">=", Some(Op::Ge)),
            ("<=", Some(Op::Le)),
            ("=", Some(Op::Eq)),
            (">", Some(Op::Gt)),
            ("<", Some(Op::Lt)),
        ]
        .iter()
        .find_map(|(sym, op)| t.strip_prefix(sym).map(|r| (*op, r.trim())))
        .map_or((Some(Op::Eq), t), |(op, r)| (op, r));
        let version = Version::parse(rest)?;
        let op = match op {
            Some(op) => op,
            None => Op::Pessimistic(if rest.split('.').count() == 2 { 2 } else { 3 }),
        };
        Some(Constraint {
            op,
            version,
            text: t.to_string(),
        })
    }

    /// Exactly this version.
    pub fn exact(version: Version) -> Constraint {
        Constraint {
            op: Op::Eq,
            version,
            text: format!("= {version}"),
        }
    }

    pub fn allows(&self, v: Version) -> bool {
        let c = v.cmp(&self.version);
        match self.op {
            Op::Eq => c == Ordering::Equal,
            Op::Ge => c != Ordering::Less,
            Op::Gt => c == Ordering::Greater,
            Op::Le => c != Ordering::Greater,
            Op::Lt => c == Ordering::Less,
            Op::Pessimistic(parts) => {
                let upper = if parts == 2 {
                    Version(self.version.0 + 1, 0, 0)
                } else {
                    Version(self.version.0, self.version.1 + 1, 0)
                };
                c != Ordering::Less && v < upper
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn allows(c: &str, v: &str) -> bool {
        Constraint::parse(c)
            .unwrap()
            .allows(Version::parse(v).unwrap())
    }

    #[test]
    fn constraints_as_chef_reads_them() {
        assert!(allows("= 1.2.3", "1.2.3"));
        assert!(!allows("= 1.2.3", "1.2.4"));
        assert!(allows("1.2", "1.2.0"));
        assert!(allows(">= 1.0", "2.5.1"));
        assert!(!allows("> 2.5.1", "2.5.1"));
        assert!(allows("< 3.0", "2.9.9"));
        assert!(Constraint::parse("< 3").is_none());
        assert!(allows("~> 2.1", "2.9.0"));
        assert!(!allows("~> 2.1", "3.0.0"));
        assert!(allows("~> 2.1.3", "2.1.9"));
        assert!(!allows("~> 2.1.3", "2.2.0"));
        assert!(!allows("~> 2.1.3", "2.1.2"));
        assert!(Constraint::parse(">= x").is_none());
        assert_eq!(Version::parse("12.2").unwrap(), Version(12, 2, 0));
        assert!(Version::parse("1").is_none() && Version::parse("1.2.3.4").is_none());
    }
}
