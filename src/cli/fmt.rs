//! `paasc fmt [FILE|DIR|-]... [--check]`: rewrites specs in the canonical
//! layout (`paasc::format`).
//!
//! A directory means every `.paas` file under it (sorted; hidden
//! directories skipped); `-` formats stdin to stdout. A file with syntax
//! errors gets its diagnostics and is left untouched. A rewrite is atomic:
//! the new text goes to a temporary file beside the old one, which is then
//! renamed over it (its permissions kept). Exit codes: 0 every file
//! formatted (or, with `--check`, already formatted); 1 `--check` found an
//! unformatted file, or a file has syntax errors; 2 a file cannot be read
//! or written.

use paasc::diagnostics::render::human;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct FmtArgs {
    /// Files or directories to format (default: the current directory);
    /// `-` reads stdin and writes stdout.
    pub paths: Vec<PathBuf>,
    /// Write nothing: name each file that is not formatted and exit 1.
    #[arg(long)]
    pub check: bool,
}

#[derive(PartialEq, Eq, PartialOrd, Ord, Clone, Copy)]
enum Status {
    Ok,
    Unformatted,
    Io,
}

pub fn run(args: &FmtArgs) -> ExitCode {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let mut worst = Status::Ok;
    for path in &paths {
        let status = if path.as_os_str() == "-" {
            stdin(args.check)
        } else if path.is_dir() {
            let mut s = Status::Ok;
            for file in specs_under(path) {
                s = s.max(one(&file, args.check));
            }
            s
        } else {
            one(path, args.check)
        };
        worst = worst.max(status);
    }
    match worst {
        Status::Ok => ExitCode::SUCCESS,
        Status::Unformatted => ExitCode::from(1),
        Status::Io => ExitCode::from(2),
    }
}

fn specs_under(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'))
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "paas"))
        .map(|e| e.into_path())
        .collect();
    out.sort();
    out
}

/// Formats `text`; prints its syntax errors under `name` when it has some.
fn formatted(name: &str, text: &str) -> Option<String> {
    match paasc::format::format(text) {
        Ok(s) => Some(s),
        Err(diags) => {
            let mut sources = paasc::source::SourceMap::default();
            sources.add(name.to_string(), text.to_string());
            let style = super::output::stderr_style();
            let mut err = std::io::stderr().lock();
            for d in diags.into_sorted() {
                let _ = write!(err, "{}", human(&d, &sources, style));
            }
            let _ = writeln!(err, "{name}: not formatted: it has syntax errors");
            None
        }
    }
}

fn one(path: &Path, check: bool) -> Status {
    let name = path.display().to_string();
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: cannot read `{name}`: {e}");
            return Status::Io;
        }
    };
    let Some(new) = formatted(&name, &text) else {
        return Status::Unformatted;
    };
    if new == text {
        return Status::Ok;
    }
    if check {
        println!("{name}");
        return Status::Unformatted;
    }
    match replace(path, &new) {
        Ok(()) => {
            println!("{name}");
            Status::Ok
        }
        Err(e) => {
            eprintln!("error: cannot write `{name}`: {e}");
            Status::Io
        }
    }
}

/// Writes `text` beside `path`, then renames it over `path`.
fn replace(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{file_name}.paasc-fmt-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        if let Ok(meta) = std::fs::metadata(path) {
            std::fs::set_permissions(&tmp, meta.permissions())?;
        }
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn stdin(check: bool) -> Status {
    let mut text = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut text) {
        eprintln!("error: cannot read stdin: {e}");
        return Status::Io;
    }
    let Some(new) = formatted("<stdin>", &text) else {
        return Status::Unformatted;
    };
    if check {
        if new == text {
            return Status::Ok;
        }
        println!("<stdin>");
        return Status::Unformatted;
    }
    print!("{new}");
    Status::Ok
}
