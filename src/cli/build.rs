//! `paasc build`: compile, then write DIR/<app>/<env>/ atomically.
//!
//! Each app/env directory is written into a temporary sibling and renamed
//! into place, so a failed build (spec errors, I/O errors, a crash) leaves
//! the previous output exactly as it was. Every app/env of a spec is staged
//! (each emitter's files written as soon as it returns) before any is
//! swapped in.

use super::many::{expand, parallel, CachedFs};
use super::output::{compile_with_loader, internal_to, readable, report_to, Out, INTERNAL_ERROR};
use super::{SpecArgs, SpecsArgs};
use paasc::emit::{Artifact, InternalError, ManifestEntry};
use paasc::model::App;
use paasc::Envs;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub fn run(
    args: &SpecsArgs,
    env: Option<&str>,
    all_envs: bool,
    out_dir: &Path,
    check: bool,
) -> ExitCode {
    let files = match expand(&args.files) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let envs = match (env, all_envs) {
        (_, true) => Envs::All,
        (Some(e), false) => Envs::Named(e.to_string()),
        (None, false) => Envs::Default,
    };
    // First every spec is compiled (side by side), so that two specs
    // building the same app and env are refused before anything is written.
    let loader = CachedFs::default();
    let compiled = parallel(&files, |f| {
        let spec = args.one(f);
        let mut out = Out::default();
        let apps = compile_one(&spec, &envs, &loader, &mut out);
        (spec, apps, out)
    });
    let mut owner: BTreeMap<(String, String), &Path> = BTreeMap::new();
    let mut clashes = Vec::new();
    for (spec, apps, _) in &compiled {
        for app in apps.as_ref().map_or(&[][..], Vec::as_slice) {
            let key = (app.name.clone(), app.env.clone());
            match owner.get(&key) {
                Some(first) => clashes.push(format!(
                    "error: `{}` and `{}` both build {}/{}: build them into different output directories",
                    first.display(),
                    spec.file.display(),
                    app.name,
                    app.env
                )),
                None => {
                    owner.insert(key, &spec.file);
                }
            }
        }
    }
    if !clashes.is_empty() {
        for (_, _, out) in &compiled {
            out.print();
        }
        for c in clashes {
            eprintln!("{c}");
        }
        return ExitCode::from(2);
    }
    let written = parallel(&compiled, |(spec, apps, _)| {
        let mut out = Out::default();
        let code = match apps {
            Err(code) => *code,
            Ok(apps) if check => check_one(spec, apps, env, all_envs, out_dir, &mut out),
            Ok(apps) => write_one(spec, apps, out_dir, &mut out),
        };
        (code, out)
    });
    let mut worst = 0;
    for ((_, _, first), (code, then)) in compiled.iter().zip(&written) {
        first.print();
        then.print();
        worst = worst.max(*code);
    }
    ExitCode::from(worst)
}

/// Compiles one spec and reports its diagnostics: its models, or the exit
/// code of its failure.
fn compile_one(
    args: &SpecArgs,
    envs: &Envs,
    loader: &CachedFs,
    out: &mut Out,
) -> Result<Vec<App>, u8> {
    let root = match readable(args) {
        Ok(r) => r,
        Err(e) => {
            out.err(e);
            return Err(2);
        }
    };
    let c = match compile_with_loader(args, &root, envs, true, loader) {
        Ok(c) => c,
        Err(e) => {
            out.err(e);
            return Err(2);
        }
    };
    if report_to(&c, args, out) {
        return Err(1);
    }
    Ok(c.apps)
}

/// `build --check` of one spec: emits its apps and compares them.
fn check_one(
    args: &SpecArgs,
    apps: &[App],
    env: Option<&str>,
    all_envs: bool,
    out_dir: &Path,
    out: &mut Out,
) -> u8 {
    let mut built = Vec::new();
    for app in apps {
        match paasc::emit::build(app) {
            Ok(artifacts) => built.push((app, artifacts)),
            Err(e) => {
                internal_to(&e, args.opts.message_format, out);
                return INTERNAL_ERROR;
            }
        }
    }
    compare(args, env, all_envs, out_dir, &built, out)
}

/// Emits one spec's apps and writes them: every app/env is staged (emitted
/// and written into its temporary sibling) before any is swapped in, so an
/// internal or I/O error in any env leaves every output directory as it was.
fn write_one(args: &SpecArgs, apps: &[App], out_dir: &Path, out: &mut Out) -> u8 {
    let mut staged = Vec::new();
    for app in apps {
        let dir = out_dir.join(&app.name).join(&app.env);
        match stage(app, &dir) {
            Ok(s) => staged.push(s),
            Err(StageError::Internal(e)) => {
                internal_to(&e, args.opts.message_format, out);
                return INTERNAL_ERROR;
            }
            Err(StageError::Io(e)) => {
                out.err(format!("error: cannot write `{}`: {e}", dir.display()));
                return 2;
            }
        }
    }
    for (s, files) in staged {
        let dir = s.dir.clone();
        match s.swap_in() {
            Ok(()) => out.err(format!("wrote {} ({files} files)", dir.display())),
            Err(e) => {
                out.err(format!("error: cannot write `{}`: {e}", dir.display()));
                return 2;
            }
        }
    }
    0
}

enum StageError {
    Internal(InternalError),
    Io(std::io::Error),
}

/// Emits `app` into a temporary sibling of `dir`, each emitter's files
/// written (and hashed for the manifest) as soon as it returns, so only one
/// emitter's output is held at a time; then the manifest. The same files as
/// `paasc::emit::build`. Returns the staged directory and its file count.
///
/// On one thread: spreading one spec's emitters over two cores was
/// measured (docs/performance.md) to cost a quarter more CPU for no steady
/// gain in wall time; many specs use the cores one spec each.
fn stage(app: &App, dir: &Path) -> Result<(Staged, usize), StageError> {
    let staged = Staged::new(dir).map_err(StageError::Io)?;
    let mut entries = Vec::new();
    for (_, emit) in paasc::emit::EMITTERS {
        let artifacts = emit(app).map_err(StageError::Internal)?;
        staged.write(&artifacts).map_err(StageError::Io)?;
        entries.extend(artifacts.iter().map(ManifestEntry::of));
    }
    let files = entries.len() + 1;
    let manifest = paasc::emit::manifest_of(app, entries).map_err(StageError::Internal)?;
    staged
        .write(std::slice::from_ref(&manifest))
        .map_err(StageError::Io)?;
    Ok((staged, files))
}

fn sibling(dir: &Path, tag: &str) -> PathBuf {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    dir.with_file_name(format!(".{name}.{tag}-{}", std::process::id()))
}

/// Writes all files into a fresh temporary sibling, then swaps it in.
pub fn write_atomically(dir: &Path, artifacts: &[Artifact]) -> std::io::Result<()> {
    let staged = Staged::new(dir)?;
    staged.write(artifacts)?;
    staged.swap_in()
}

/// A directory's next contents, written into a temporary sibling until
/// [`Staged::swap_in`]; dropped before that, the sibling is removed.
pub struct Staged {
    dir: PathBuf,
    tmp: PathBuf,
}

impl Staged {
    /// An empty temporary sibling of `dir` (its parents made).
    pub fn new(dir: &Path) -> std::io::Result<Staged> {
        std::fs::create_dir_all(dir.parent().unwrap_or(Path::new(".")))?;
        let tmp = sibling(dir, "tmp");
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp)?;
        }
        std::fs::create_dir(&tmp)?;
        Ok(Staged {
            dir: dir.to_path_buf(),
            tmp,
        })
    }

    /// Writes `artifacts` into the sibling.
    pub fn write(&self, artifacts: &[Artifact]) -> std::io::Result<()> {
        // Each directory once: an emitter's files share their parents.
        let mut made: Vec<&str> = Vec::new();
        for a in artifacts {
            if let Some((parent, _)) = a.path.rsplit_once('/') {
                if !made.contains(&parent) {
                    std::fs::create_dir_all(self.tmp.join(parent))?;
                    made.push(parent);
                }
            }
            std::fs::write(self.tmp.join(&a.path), a.contents.as_bytes())?;
        }
        Ok(())
    }

    /// Replaces `dir` with the sibling: the previous output goes at once,
    /// or stays exactly as it was when the swap fails.
    pub fn swap_in(self) -> std::io::Result<()> {
        let old = sibling(&self.dir, "old");
        if self.dir.exists() {
            std::fs::rename(&self.dir, &old)?;
        }
        if let Err(e) = std::fs::rename(&self.tmp, &self.dir) {
            // Put the previous output back before reporting.
            if old.exists() {
                let _ = std::fs::rename(&old, &self.dir);
            }
            return Err(e);
        }
        if old.exists() {
            std::fs::remove_dir_all(&old)?;
        }
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if self.tmp.exists() {
            let _ = std::fs::remove_dir_all(&self.tmp);
        }
    }
}

/// `build --check`: every file of each app/env directory against what this
/// build would write there; writes nothing.
fn compare(
    args: &SpecArgs,
    env: Option<&str>,
    all_envs: bool,
    out_dir: &Path,
    built: &[(&paasc::model::App, Vec<Artifact>)],
    out: &mut Out,
) -> u8 {
    let mut problems = 0usize;
    for (app, artifacts) in built {
        let dir = out_dir.join(&app.name).join(&app.env);
        let mut present = match files_under(&dir) {
            Ok(f) => f,
            Err(e) => {
                out.err(format!("error: cannot read `{}`: {e}", dir.display()));
                return 2;
            }
        };
        for a in artifacts {
            let path = dir.join(&a.path);
            match present.remove(&a.path) {
                false => {
                    out.err(format!("missing  {}", path.display()));
                    problems += 1;
                }
                true => match std::fs::read(&path) {
                    Ok(bytes) if bytes == a.contents.as_bytes() => {}
                    Ok(_) => {
                        out.err(format!("stale    {}", path.display()));
                        problems += 1;
                    }
                    Err(e) => {
                        out.err(format!("error: cannot read `{}`: {e}", path.display()));
                        return 2;
                    }
                },
            }
        }
        for extra in &present {
            out.err(format!("extra    {}", dir.join(extra).display()));
            problems += 1;
        }
    }
    if problems == 0 {
        out.err(format!(
            "up to date: {} ({} director{})",
            out_dir.display(),
            built.len(),
            if built.len() == 1 { "y" } else { "ies" }
        ));
        return 0;
    }
    let mut command = format!("paasc build {}", args.file.display());
    match (env, all_envs) {
        (_, true) => command.push_str(" --all-envs"),
        (Some(e), false) => command.push_str(&format!(" --env {e}")),
        (None, false) => {}
    }
    for (k, v) in &args.opts.sets {
        command.push_str(&format!(" --set {k}={v}"));
    }
    if let Some(repo) = &args.opts.chef_repo {
        command.push_str(&format!(" --chef-repo {}", repo.display()));
    }
    command.push_str(&format!(" -o {}", out_dir.display()));
    out.err(format!(
        "{problems} file{} out of date; regenerate with: {command}",
        if problems == 1 { " is" } else { "s are" }
    ));
    1
}

/// Every file under `dir` by its path relative to `dir` (`/`-separated);
/// empty when `dir` does not exist.
fn files_under(dir: &Path) -> std::io::Result<std::collections::BTreeSet<String>> {
    let mut out = std::collections::BTreeSet::new();
    if !dir.exists() {
        return Ok(out);
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let entry = entry?;
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                stack.push(path);
            } else if let Ok(rel) = path.strip_prefix(dir) {
                let rel: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                out.insert(rel.join("/"));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut n: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        n.sort();
        n
    }

    #[test]
    fn a_staged_directory_replaces_the_old_one_or_vanishes() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("app").join("prod");
        write_atomically(&dir, &[Artifact::new("old.txt", "old")]).unwrap();

        // Dropped before the swap (an error in another env): nothing changes.
        let staged = Staged::new(&dir).unwrap();
        staged
            .write(&[Artifact::new("a/b/new.txt", "new")])
            .unwrap();
        drop(staged);
        assert_eq!(names(&root.path().join("app")), vec!["prod"]);
        assert_eq!(names(&dir), vec!["old.txt"]);

        // Swapped in: exactly the new files, no sibling left.
        let staged = Staged::new(&dir).unwrap();
        staged
            .write(&[
                Artifact::new("a/b/new.txt", "new"),
                Artifact::new("a/c.txt", "c"),
            ])
            .unwrap();
        staged.swap_in().unwrap();
        assert_eq!(names(&root.path().join("app")), vec!["prod"]);
        assert_eq!(names(&dir), vec!["a"]);
        assert_eq!(
            std::fs::read_to_string(dir.join("a/b/new.txt")).unwrap(),
            "new"
        );
    }
}
