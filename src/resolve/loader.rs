//! Where `use` files come from: the filesystem for the CLI, memory for tests.

use std::collections::BTreeMap;

pub trait Loader {
    /// Reads a spec file by the path paasc derived for it.
    fn read(&self, path: &str) -> std::io::Result<Vec<u8>>;
}

/// Reads from the filesystem, relative to the current directory.
pub struct FsLoader;

impl Loader for FsLoader {
    fn read(&self, path: &str) -> std::io::Result<Vec<u8>> {
        std::fs::read(path)
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
}
