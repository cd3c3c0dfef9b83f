//! Where `use` files come from: the filesystem for the CLI, memory for tests.

use std::collections::BTreeMap;

pub trait Loader {
    /// Reads a spec file by the path paasc derived for it.
    fn read(&self, path: &str) -> std::io::Result<Vec<u8>>;

    /// The entries of a directory, `(name, is_dir)`, sorted by name (a Chef
    /// repo's cookbooks and roles). Symbolic links are left out. Loaders
    /// without directories answer `Unsupported`, which reads as "no repo".
    fn list(&self, dir: &str) -> std::io::Result<Vec<(String, bool)>> {
        let _ = dir;
        Err(std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            "this loader lists no directories",
        ))
    }
}

/// Reads from the filesystem, relative to the current directory.
pub struct FsLoader;

impl Loader for FsLoader {
    fn read(&self, path: &str) -> std::io::Result<Vec<u8>> {
        std::fs::read(path)
    }

    fn list(&self, dir: &str) -> std::io::Result<Vec<(String, bool)>> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let kind = entry.file_type()?;
            if kind.is_symlink() {
                continue;
            }
            out.push((
                entry.file_name().to_string_lossy().into_owned(),
                kind.is_dir(),
            ));
        }
        out.sort();
        Ok(out)
    }
}

/// Files held in memory by path (tests, editors with unsaved buffers).
#[derive(Default)]
pub struct MemLoader {
    pub files: BTreeMap<String, Vec<u8>>,
}

impl MemLoader {
    pub fn with(mut self, path: &str, text: impl Into<Vec<u8>>) -> Self {
        self.files
            .insert(super::paths::normalize(path), text.into());
        self
    }
}

impl Loader for MemLoader {
    fn read(&self, path: &str) -> std::io::Result<Vec<u8>> {
        self.files
            .get(&super::paths::normalize(path))
            .cloned()
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"))
    }

    fn list(&self, dir: &str) -> std::io::Result<Vec<(String, bool)>> {
        let dir = super::paths::normalize(dir);
        let prefix = if dir.is_empty() || dir == "." {
            String::new()
        } else {
            format!("{}/", dir.trim_end_matches('/'))
        };
        let mut out: Vec<(String, bool)> = Vec::new();
        for path in self.files.keys() {
            let Some(rest) = path.strip_prefix(&prefix) else {
                continue;
            };
            let entry = match rest.split_once('/') {
                Some((d, _)) => (d.to_string(), true),
                None => (rest.to_string(), false),
            };
            if !out.contains(&entry) {
                out.push(entry);
            }
        }
        if out.is_empty() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no such directory",
            ));
        }
        out.sort();
        Ok(out)
    }
}
