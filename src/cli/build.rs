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

pub fn run(args: &SpecArgs, env: Option<&str>, all_envs: bool, out: &Path) -> ExitCode {
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
