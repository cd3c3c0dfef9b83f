//! `paasc build`: compile, then write DIR/<app>/<env>/ atomically.
//!
//! Each app/env directory is written into a temporary sibling and renamed
//! into place, so a failed build (spec errors, I/O errors, a crash) leaves
//! the previous output exactly as it was.

use super::output::{internal, readable, report, INTERNAL_ERROR};
use super::SpecArgs;
use paasc::emit::Artifact;
use paasc::Envs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub fn run(
    args: &SpecArgs,
    env: Option<&str>,
    all_envs: bool,
    out: &Path,
    check: bool,
) -> ExitCode {
    let root = match readable(args) {
        Ok(r) => r,
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
    let c = match super::output::compile(args, &root, &envs, true) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    if report(&c, args) {
        return ExitCode::from(1);
    }
    // Everything is emitted before anything is written: an internal error
    // in any env leaves every output directory as it was.
    let mut built = Vec::new();
    for app in &c.apps {
        match paasc::emit::build(app) {
            Ok(artifacts) => built.push((app, artifacts)),
            Err(e) => {
                internal(&e, args.message_format);
                return ExitCode::from(INTERNAL_ERROR);
            }
        }
    }
    if check {
        return compare(args, env, all_envs, out, &built);
    }
    for (app, artifacts) in &built {
        let dir = out.join(&app.name).join(&app.env);
        match write_atomically(&dir, artifacts) {
            Ok(()) => eprintln!("wrote {} ({} files)", dir.display(), artifacts.len()),
            Err(e) => {
                eprintln!("error: cannot write `{}`: {e}", dir.display());
                return ExitCode::from(2);
            }
        }
    }
    ExitCode::SUCCESS
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
    let parent = dir.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)?;
    let tmp = sibling(dir, "tmp");
    let result = (|| {
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp)?;
        }
        for a in artifacts {
            let path = tmp.join(&a.path);
            if let Some(p) = path.parent() {
                std::fs::create_dir_all(p)?;
            }
            std::fs::write(&path, a.contents.as_bytes())?;
        }
        let old = sibling(dir, "old");
        if dir.exists() {
            std::fs::rename(dir, &old)?;
        }
        if let Err(e) = std::fs::rename(&tmp, dir) {
            // Put the previous output back before reporting.
            if old.exists() {
                let _ = std::fs::rename(&old, dir);
            }
            return Err(e);
        }
        if old.exists() {
            std::fs::remove_dir_all(&old)?;
        }
        Ok(())
    })();
    if result.is_err() && tmp.exists() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result
}

/// `build --check`: every file of each app/env directory against what this
/// build would write there; writes nothing.
fn compare(
    args: &SpecArgs,
    env: Option<&str>,
    all_envs: bool,
    out: &Path,
    built: &[(&paasc::model::App, Vec<Artifact>)],
) -> ExitCode {
    let mut problems = 0usize;
    for (app, artifacts) in built {
        let dir = out.join(&app.name).join(&app.env);
        let mut present = match files_under(&dir) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("error: cannot read `{}`: {e}", dir.display());
                return ExitCode::from(2);
            }
        };
        for a in artifacts {
            let path = dir.join(&a.path);
            match present.remove(&a.path) {
                false => {
                    eprintln!("missing  {}", path.display());
                    problems += 1;
                }
                true => match std::fs::read(&path) {
                    Ok(bytes) if bytes == a.contents.as_bytes() => {}
                    Ok(_) => {
                        eprintln!("stale    {}", path.display());
                        problems += 1;
                    }
                    Err(e) => {
                        eprintln!("error: cannot read `{}`: {e}", path.display());
                        return ExitCode::from(2);
                    }
                },
            }
        }
        for extra in &present {
            eprintln!("extra    {}", dir.join(extra).display());
            problems += 1;
        }
    }
    if problems == 0 {
        eprintln!(
            "up to date: {} ({} director{})",
            out.display(),
            built.len(),
            if built.len() == 1 { "y" } else { "ies" }
        );
        return ExitCode::SUCCESS;
    }
    let mut command = format!("paasc build {}", args.file.display());
    match (env, all_envs) {
        (_, true) => command.push_str(" --all-envs"),
        (Some(e), false) => command.push_str(&format!(" --env {e}")),
        (None, false) => {}
    }
    for (k, v) in &args.sets {
        command.push_str(&format!(" --set {k}={v}"));
    }
    if let Some(repo) = &args.chef_repo {
        command.push_str(&format!(" --chef-repo {}", repo.display()));
    }
    command.push_str(&format!(" -o {}", out.display()));
    eprintln!(
        "{problems} file{} out of date; regenerate with: {command}",
        if problems == 1 { " is" } else { "s are" }
    );
    ExitCode::from(1)
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
