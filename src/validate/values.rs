//! Checks for the shapes of AWS identifiers and other formatted strings.
//! Pure predicates and parsers: diagnostics are made by the callers.

pub fn is_account(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_hex_id(s: &str, prefix: &str) -> bool {
    s.strip_prefix(prefix).is_some_and(|h| {
        (h.len() == 8 || h.len() == 17)
            && h.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

pub fn is_vpc(s: &str) -> bool {
    is_hex_id(s, "vpc-")
}

pub fn is_subnet(s: &str) -> bool {
    is_hex_id(s, "subnet-")
}

/// An IPv4 CIDR with no host bits set; returns a corrected form when the only
/// problem is host bits.
pub fn cidr(s: &str) -> Result<(), Option<String>> {
    let (ip, len) = s.split_once('/').ok_or(None)?;
    let len: u32 = len.parse().map_err(|_| None)?;
    if len > 32 {
        return Err(None);
    }
    let octets: Vec<&str> = ip.split('.').collect();
    if octets.len() != 4 {
        return Err(None);
    }
    let mut addr: u32 = 0;
    for o in octets {
        if o.is_empty() || o.len() > 3 || !o.bytes().all(|b| b.is_ascii_digit()) {
            return Err(None);
        }
        let n: u32 = o.parse().map_err(|_| None)?;
        if n > 255 {
            return Err(None);
        }
        addr = (addr << 8) | n;
    }
    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    if addr & !mask != 0 {
        let net = addr & mask;
        return Err(Some(format!(
            "{}.{}.{}.{}/{}",
            net >> 24,
            (net >> 16) & 255,
            (net >> 8) & 255,
            net & 255,
            len
        )));
    }
    Ok(())
}

pub fn is_bucket(s: &str) -> bool {
    let b = s.as_bytes();
    (3..=63).contains(&b.len())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'.' || *c == b'-')
        && b.first().is_some_and(|c| c.is_ascii_alphanumeric())
        && b.last().is_some_and(|c| c.is_ascii_alphanumeric())
        && !s.contains("..")
        && !s.contains(".-")
        && !s.contains("-.")
        && !s.starts_with("xn--")
        && !s.ends_with("-s3alias")
        && cidr(&format!("{s}/32")).is_err()
}

pub fn is_table(s: &str) -> bool {
    (3..=255).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

pub fn is_queue(s: &str) -> bool {
    let base = s.strip_suffix(".fifo").unwrap_or(s);
    (1..=80).contains(&s.len())
        && !base.is_empty()
        && base
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
}

/// An absolute path with no whitespace or control characters.
pub fn is_path(s: &str) -> bool {
    s.starts_with('/') && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

pub fn is_version(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'+' | b'-'))
}

/// A parsed ARN: `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`.
pub struct Arn<'a> {
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

pub fn arn(s: &str) -> Option<Arn<'_>> {
    let mut it = s.splitn(6, ':');
    if it.next()? != "arn" {
        return None;
    }
    let partition = it.next()?;
    if !matches!(partition, "aws" | "aws-cn" | "aws-us-gov") {
        return None;
    }
    let service = it.next()?;
    let region = it.next()?;
    let account = it.next()?;
    let resource = it.next()?;
    if service.is_empty() || resource.is_empty() {
        return None;
    }
    Some(Arn {
        service,
        region,
        account,
        resource,
    })
}

fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && [8, 4, 4, 4, 12]
            .iter()
            .zip(&groups)
            .all(|(n, g)| g.len() == *n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// ACM certificate resource part: `certificate/<uuid>`.
pub fn is_certificate_resource(r: &str) -> bool {
    r.strip_prefix("certificate/").is_some_and(is_uuid)
}

/// KMS key resource part: `key/<uuid>` or `key/mrk-<hex32>`.
pub fn is_kms_key_resource(r: &str) -> bool {
    r.strip_prefix("key/").is_some_and(|k| {
        is_uuid(k)
            || k.strip_prefix("mrk-")
                .is_some_and(|h| h.len() == 32 && h.bytes().all(|b| b.is_ascii_hexdigit()))
    })
}

/// SNS topic names: 1-256 of letters, digits, `-`, `_` (`.fifo` allowed).
pub fn is_topic_resource(r: &str) -> bool {
    let base = r.strip_suffix(".fifo").unwrap_or(r);
    (1..=256).contains(&r.len())
        && !base.is_empty()
        && base
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
}

pub fn is_alias(s: &str) -> bool {
    s.strip_prefix("alias/").is_some_and(|a| {
        (1..=250).contains(&a.len())
            && a.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'-'))
    })
}

/// A Chef run-list entry, normalised: (is_role, name, version).
pub enum RunEntry {
    Ok {
        role: bool,
        name: String,
        version: Option<String>,
    },
    BadVersion(String),
    Bad,
}

pub fn run_list_entry(s: &str) -> RunEntry {
    let (role, inner) = if let Some(r) = s.strip_prefix("role[").and_then(|r| r.strip_suffix(']')) {
        (true, r)
    } else if let Some(r) = s.strip_prefix("recipe[").and_then(|r| r.strip_suffix(']')) {
        (false, r)
    } else {
        (false, s)
    };
    let name_ok = |n: &str| {
        !n.is_empty()
            && n.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
    };
    if role {
        return if name_ok(inner) {
            RunEntry::Ok {
                role,
                name: inner.to_string(),
                version: None,
            }
        } else {
            RunEntry::Bad
        };
    }
    let (name, version) = match inner.split_once('@') {
        Some((n, v)) => (n, Some(v)),
        None => (inner, None),
    };
    let recipe_ok = match name.split_once("::") {
        Some((cb, r)) => name_ok(cb) && name_ok(r),
        None => name_ok(name),
    };
    if !recipe_ok {
        return RunEntry::Bad;
    }
    if let Some(v) = version {
        let parts: Vec<&str> = v.split('.').collect();
        if !(2..=3).contains(&parts.len())
            || !parts
                .iter()
                .all(|p| !p.is_empty() && p.len() <= 9 && p.bytes().all(|b| b.is_ascii_digit()))
        {
            return RunEntry::BadVersion(v.to_string());
        }
    }
    RunEntry::Ok {
        role: false,
        name: name.to_string(),
        version: version.map(str::to_string),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs() {
        assert!(cidr("10.0.0.0/8").is_ok());
        assert!(cidr("0.0.0.0/0").is_ok());
        assert_eq!(cidr("10.1.0.0/8"), Err(Some("10.0.0.0/8".into())));
        assert_eq!(cidr("10.0.0/8"), Err(None));
        assert_eq!(cidr("10.0.0.256/32"), Err(None));
    }

    #[test]
    fn buckets() {
        assert!(is_bucket("payments-logs-999988887777"));
        assert!(!is_bucket("Payments"));
        assert!(!is_bucket("ab"));
        assert!(!is_bucket("192.168.1.1"));
    }

    #[test]
    fn run_list() {
        assert!(matches!(
            run_list_entry("nginx::default@12.2.0"),
            RunEntry::Ok {
                version: Some(_),
                ..
            }
        ));
        assert!(matches!(
            run_list_entry("role[payments-web]"),
            RunEntry::Ok { role: true, .. }
        ));
        assert!(matches!(run_list_entry("java@17"), RunEntry::BadVersion(_)));
        assert!(matches!(run_list_entry("recipe[]"), RunEntry::Bad));
    }
}
