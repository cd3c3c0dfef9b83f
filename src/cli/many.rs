//! Many specs in one run (`check` and `build`): which files, compiled side
//! by side across the cores, their `use`d files read once.
//!
//! Invariants: the files are in the order given, a directory's top-level
//! `.paas` files sorted by name; each file's output is held and printed in
//! that order, whichever finishes first; the exit code is the worst one.

use paasc::resolve::Loader;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

/// The spec files named: files as given, a directory as every top-level
/// `.paas` file in it (sorted). A directory without one is an error.
pub fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut specs: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| format!("error: cannot read `{}`: {e}", p.display()))?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|f| f.is_file() && f.extension().is_some_and(|x| x == "paas"))
                .collect();
            specs.sort();
            if specs.is_empty() {
                return Err(format!("error: `{}` holds no `.paas` file", p.display()));
            }
            out.extend(specs);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// The cores this process may use, asked once (on Linux the answer reads
/// the cgroup's CPU quota files).
fn cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// `f` over every item, on as many threads as there are cores (the calling
/// one among them), each taking the next item as it finishes one; results
/// in the items' order.
pub fn parallel<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    if items.len() <= 1 {
        return items.iter().map(&f).collect();
    }
    let threads = cores().min(items.len());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    let work = || loop {
        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let Some(item) = items.get(i) else { break };
        let r = f(item);
        if let Ok(mut all) = results.lock() {
            if let Some(slot) = all.get_mut(i) {
                *slot = Some(r);
            }
        }
    };
    std::thread::scope(|s| {
        for _ in 1..threads {
            s.spawn(work);
        }
        work();
    });
    results
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .collect()
}

/// The filesystem, each file read once per run (a `use`d file shared by
/// many specs, the stdlib aside, which is embedded).
#[derive(Default)]
pub struct CachedFs {
    files: Mutex<HashMap<String, Arc<Vec<u8>>>>,
}

impl Loader for CachedFs {
    fn read(&self, path: &str) -> std::io::Result<Vec<u8>> {
        if let Some(bytes) = self.files.lock().ok().and_then(|f| f.get(path).cloned()) {
            return Ok(bytes.as_ref().clone());
        }
        let bytes = std::fs::read(path)?;
        if let Ok(mut f) = self.files.lock() {
            f.insert(path.to_string(), Arc::new(bytes.clone()));
        }
        Ok(bytes)
    }
    fn list(&self, dir: &str) -> std::io::Result<Vec<(String, bool)>> {
        paasc::resolve::FsLoader.list(dir)
    }
}
