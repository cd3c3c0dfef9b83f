//! Text post-processing of formatted HCL, the two things the `hcl` crate
//! cannot express: `terraform fmt` alignment of `=` and comments inside
//! blocks (the inline `#checkov:skip=` directives).
//!
//! Input: the output of `hcl::format::to_string` (two-space indents, one space
//! around `=`). Output: the same text with `=` aligned exactly as hclwrite's
//! `formatCells` does, and skip comments after resource header lines.

use super::Skip;

/// Aligns the `=` of consecutive single-line attributes, as `terraform fmt`:
/// a line takes part when it has an `=` after its first token whose
/// right-hand side closes every bracket it opens; any other line (blank,
/// block header, closing brace, comment, multi-line value opener) ends the
/// run. Within a run every `=` moves to one column past the longest key.
pub fn align_assignments(text: &str) -> String {
    let lines: Vec<(&str, Option<usize>)> =
        text.split('\n').map(|l| (l, assign_position(l))).collect();
    fn lead(line: &str, eq: usize) -> &str {
        line.get(..eq).unwrap_or(line).trim_end()
    }
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    for run in lines.chunk_by(|a, b| a.1.is_some() && b.1.is_some()) {
        let width = run
            .iter()
            .filter_map(|(l, eq)| eq.map(|eq| lead(l, eq).chars().count()))
            .max()
            .unwrap_or(0);
        for (line, eq) in run {
            let Some(eq) = eq else {
                out.push(line.to_string());
                continue;
            };
            let key = lead(line, *eq);
            let pad = width.saturating_sub(key.chars().count()) + 1;
            let rest = line.get(eq + 1..).unwrap_or("").trim_start();
            out.push(if rest.is_empty() {
                format!("{key}{}=", " ".repeat(pad))
            } else {
                format!("{key}{}= {rest}", " ".repeat(pad))
            });
        }
    }
    out.join("\n")
}

/// `terraform fmt` writes an empty block as `name {}`; the `hcl` crate
/// indents the inside of the braces (`name {    }`). Collapse those.
pub fn collapse_empty_blocks(text: &str) -> String {
    let lines: Vec<String> = text
        .split('\n')
        .map(|line| {
            if let Some(open) = line.rfind('{') {
                let inner = &line[open + 1..];
                if inner.ends_with('}')
                    && inner[..inner.len() - 1].chars().all(|c| c == ' ')
                    && line[..open].ends_with(' ')
                {
                    return format!("{}{{}}", &line[..open]);
                }
            }
            line.to_string()
        })
        .collect();
    lines.join("\n")
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

/// Inserts each skip as `#checkov:skip=ID:reason` on the line after the
/// header of its resource (`resource "TYPE" "NAME" {`), indented like the
/// block's attributes. Skips whose resource is absent are dropped: a skip
/// that does not apply to an emitted resource must not appear.
pub fn insert_skips(text: &str, skips: &[Skip]) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        out.push_str(line);
        let header = line.trim_end_matches('\n');
        for skip in skips {
            // `data.TYPE` names a data source, any other kind a resource.
            let wanted = match skip.kind.strip_prefix("data.") {
                Some(kind) => format!("data \"{kind}\" \"{}\" {{", skip.name),
                None => format!("resource \"{}\" \"{}\" {{", skip.kind, skip.name),
            };
            if header == wanted {
                if !line.ends_with('\n') {
                    out.push('\n');
                }
                out.push_str(&format!("  #checkov:skip={}:{}\n", skip.id, skip.reason));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
            collapse_empty_blocks("  a {\n    allow {      }\n  }\n  b = \"{ }\"\n"),
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
        let out = insert_skips(text, &[skip]);
        assert_eq!(
            out,
            "resource \"aws_s3_bucket\" \"x\" {\n  #checkov:skip=CKV_AWS_18:why\n  bucket = \"b\"\n}\n\nresource \"aws_s3_bucket\" \"xy\" {\n}\n"
        );
    }
}
