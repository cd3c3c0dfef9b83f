//! Lexical path handling for `use`: joins and normalises without touching
//! the disk, so results do not depend on the current directory's contents.

/// `use` paths are relative to the directory of the file that uses them.
pub fn join(using_file: &str, rel: &str) -> String {
    if rel.starts_with('/') {
        return rel.to_string();
    }
    match using_file.rfind('/') {
        Some(i) => normalize(&format!("{}/{}", &using_file[..i], rel)),
        None => normalize(rel),
    }
}

/// Removes `.` and resolves `..` lexically; keeps leading `..`.
pub fn normalize(path: &str) -> String {
    let absolute = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if matches!(parts.last(), Some(p) if *p != "..") {
                    parts.pop();
                } else if !absolute {
                    parts.push("..");
                }
            }
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else if joined.is_empty() {
        ".".to_string()
    } else {
        joined
    }
}

/// The last path component.
pub fn file_name(path: &str) -> String {
    path.rsplit('/').next().unwrap_or(path).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_relative_to_the_using_file() {
        assert_eq!(
            join("../shared/examples/ledger.paas", "lib/x.paas"),
            "../shared/examples/lib/x.paas"
        );
        assert_eq!(join("a.paas", "./lib/../b.paas"), "b.paas");
        assert_eq!(join("/abs/a.paas", "../b.paas"), "/b.paas");
    }
}
