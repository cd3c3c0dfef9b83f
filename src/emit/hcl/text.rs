//! Text post-processing of formatted HCL, what the `hcl` crate cannot
//! express: `terraform fmt` alignment of `=`, empty blocks as `name {}`, and
//! comments inside blocks (the inline `#checkov:skip=` directives).
//!
//! Input: the output of `hcl::format::to_string` (two-space indents, one space
//! around `=`). Output, in one pass ([`finish`]): the same text with `=`
//! aligned exactly as hclwrite's `formatCells` does, empty blocks collapsed,
//! and skip comments after resource header lines.

use super::Skip;
use std::borrow::Cow;

/// Width of `s` in characters (the alignment is by character, as
/// hclwrite's).
fn width(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().count()
    }
}

/// Appends `lines` joined by `\n` to `out`, the `=` of consecutive
/// single-line attributes aligned as `terraform fmt` aligns them: a line
/// takes part when it has an `=` after its first token whose right-hand side
/// closes every bracket it opens; any other line (blank, block header,
/// closing brace, comment, multi-line value opener) ends the run. Within a
/// run every `=` moves to one column past the longest key. After each
/// resource header line (and its `\n`), the comments of its skips.
fn align_into(out: &mut String, lines: &[(&str, Option<usize>)], skips: &[(String, String)]) {
    fn lead(line: &str, eq: usize) -> &str {
        line.get(..eq).unwrap_or(line).trim_end()
    }
    let last = lines.len().saturating_sub(1);
    let mut index = 0;
    for run in lines.chunk_by(|a, b| a.1.is_some() && b.1.is_some()) {
        let longest = run
            .iter()
            .filter_map(|(l, eq)| eq.map(|eq| width(lead(l, eq))))
            .max()
            .unwrap_or(0);
        for (line, eq) in run {
            match eq {
                None => out.push_str(line),
                Some(eq) => {
                    let key = lead(line, *eq);
                    out.push_str(key);
                    let pad = longest.saturating_sub(width(key)) + 1;
                    out.extend(std::iter::repeat_n(' ', pad));
                    out.push('=');
                    let rest = line.get(eq + 1..).unwrap_or("").trim_start();
                    if !rest.is_empty() {
                        out.push(' ');
                        out.push_str(rest);
                    }
                }
            }
            if index < last {
                out.push('\n');
            }
            push_skips(out, line, skips);
            index += 1;
        }
    }
}

/// `terraform fmt` writes an empty block as `name {}`; the `hcl` crate
/// indents the inside of the braces (`name {    }`). The line's `name {`,
/// when it is such a block (the caller appends the `}`).
fn collapsed(line: &str) -> Option<&str> {
    let open = line.rfind('{')?;
    let inner = line.get(open + 1..)?;
    let spaces = inner.strip_suffix('}')?;
    let before = line.get(..open)?;
    if spaces.bytes().all(|c| c == b' ') && before.ends_with(' ') {
        line.get(..=open)
    } else {
        None
    }
}

/// Formatted HCL (the `hcl` crate's text) as `terraform fmt` writes it, in
/// one pass: headed by `header` and a blank line, empty blocks collapsed,
/// `=` aligned, and each skip as `#checkov:skip=ID:reason` on the line after
/// the header of its resource (`resource "TYPE" "NAME" {`), indented like
/// the block's attributes; ending in exactly one newline. Skips whose
/// resource is absent are dropped: a skip that does not apply to an emitted
/// resource must not appear.
pub fn finish(header: &str, formatted: &str, skips: &[Skip]) -> String {
    let raw: Vec<Cow<'_, str>> = formatted
        .split('\n')
        .map(|line| match collapsed(line) {
            Some(head) => Cow::Owned(format!("{head}}}")),
            None => Cow::Borrowed(line),
        })
        .collect();
    let lines: Vec<(&str, Option<usize>)> = raw
        .iter()
        .map(|l| (l.as_ref(), assign_position(l)))
        .collect();
    let mut out = String::with_capacity(header.len() + formatted.len() + formatted.len() / 8);
    out.push_str(header);
    out.push('\n');
    align_into(&mut out, &lines, &skip_lines(skips));
    let body_end = out.trim_end_matches('\n').len().max(header.len() + 1);
    out.truncate(body_end);
    out.push('\n');
    out
}

/// Each skip's resource header line and the comment that follows it.
fn skip_lines(skips: &[Skip]) -> Vec<(String, String)> {
    skips
        .iter()
        .map(|skip| {
            // `data.TYPE` names a data source, any other kind a resource.
            let header = match skip.kind.strip_prefix("data.") {
                Some(kind) => format!("data \"{kind}\" \"{}\" {{", skip.name),
                None => format!("resource \"{}\" \"{}\" {{", skip.kind, skip.name),
            };
            (
                header,
                format!("  #checkov:skip={}:{}\n", skip.id, skip.reason),
            )
        })
        .collect()
}

/// After `line` (already in `out`), the comments of the skips it heads.
fn push_skips(out: &mut String, line: &str, headers: &[(String, String)]) {
    if !(line.starts_with("resource ") || line.starts_with("data ")) {
        return;
    }
    for (header, comment) in headers {
        if line == header {
            if !out.ends_with('\n') {
                out.push('\n');
            }
            out.push_str(comment);
        }
    }
}

/// Byte index of the assignment `=` of `line`, when the line is a complete
/// one-line attribute (or object item).
fn assign_position(line: &str) -> Option<usize> {
    let trimmed = line.trim_start();
    if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with("//") {
        return None;
    }
    let bytes = line.as_bytes();
    let first = line.len() - trimmed.len();
    let mut in_string = false;
    let mut eq: Option<usize> = None;
    let mut depth: i64 = 0;
    let mut k = first;
    while let Some(&c) = bytes.get(k) {
        if in_string {
            match c {
                b'\\' => k += 1,
                b'"' => in_string = false,
                _ => {}
            }
        } else {
            match c {
                b'"' => in_string = true,
                b'{' | b'[' | b'(' if eq.is_some() => depth += 1,
                b'}' | b']' | b')' if eq.is_some() => depth -= 1,
                b'=' if eq.is_none() && k > first => {
                    let prev = bytes.get(k - 1).copied().unwrap_or(b' ');
                    let next = bytes.get(k + 1).copied().unwrap_or(b' ');
                    let operator =
                        matches!(prev, b'=' | b'!' | b'<' | b'>') || matches!(next, b'=' | b'>');
                    if !operator {
                        eq = Some(k);
                    }
                }
                _ => {}
            }
        }
        k += 1;
    }
    match eq {
        Some(pos) if depth == 0 => Some(pos),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `finish` without its header line.
    fn body(text: &str, skips: &[Skip]) -> String {
        let all = finish("#", text, skips);
        all.strip_prefix("#\n").unwrap_or(&all).to_string()
    }

    fn align_assignments(text: &str) -> String {
        body(text, &[])
    }

    #[test]
    fn aligns_runs_and_breaks_on_blocks_blanks_and_openers() {
        let input = "resource \"a\" \"b\" {\n  name = \"x\"\n  description = \"y = z\"\n  tags = {\n    \"k\" = \"v\"\n    \"long-key\" = \"w\"\n  }\n\n  id = 1\n  nested {\n    a = 1\n  }\n}\n";
        let expected = "resource \"a\" \"b\" {\n  name        = \"x\"\n  description = \"y = z\"\n  tags = {\n    \"k\"        = \"v\"\n    \"long-key\" = \"w\"\n  }\n\n  id = 1\n  nested {\n    a = 1\n  }\n}\n";
        assert_eq!(align_assignments(input), expected);
    }

    #[test]
    fn one_line_brackets_and_operators() {
        let input = "  a = [\"x\"]\n  condition = var.a >= 0 && var.a == 1\n  bb = f(\"=\")\n";
        let expected = "  a         = [\"x\"]\n  condition = var.a >= 0 && var.a == 1\n  bb        = f(\"=\")\n";
        assert_eq!(align_assignments(input), expected);
    }

    #[test]
    fn keys_with_equals_inside_quotes() {
        let input = "    \"a=b\" = \"1\"\n    \"c\" = \"2\"\n";
        assert_eq!(
            align_assignments(input),
            "    \"a=b\" = \"1\"\n    \"c\"   = \"2\"\n"
        );
    }

    #[test]
    fn empty_blocks_collapse() {
        assert_eq!(
            body("  a {\n    allow {      }\n  }\n  b = \"{ }\"\n", &[]),
            "  a {\n    allow {}\n  }\n  b = \"{ }\"\n"
        );
    }

    #[test]
    fn skips_go_after_their_header_only() {
        let skip = Skip {
            kind: "aws_s3_bucket",
            name: "x".into(),
            id: "CKV_AWS_18",
            reason: "why".into(),
        };
        let text = "resource \"aws_s3_bucket\" \"x\" {\n  bucket = \"b\"\n}\n\nresource \"aws_s3_bucket\" \"xy\" {\n}\n";
        let out = body(text, &[skip]);
        assert_eq!(
            out,
            "resource \"aws_s3_bucket\" \"x\" {\n  #checkov:skip=CKV_AWS_18:why\n  bucket = \"b\"\n}\n\nresource \"aws_s3_bucket\" \"xy\" {\n}\n"
        );
    }
}
