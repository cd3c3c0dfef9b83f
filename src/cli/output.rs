//! Printing diagnostics and choosing the exit code.

use super::{MessageFormat, SpecArgs};
use paasc::diagnostics::render::{human, json_line, Style};
use paasc::diagnostics::Severity;
use paasc::Compilation;
use std::io::{IsTerminal, Write};

/// Prints every diagnostic; returns true when the run must fail (errors, or
/// warnings under `--deny-warnings`).
pub fn report(c: &Compilation, args: &SpecArgs) -> bool {
    let mut out = Out::default();
    let failed = report_to(c, args, &mut out);
    out.print();
    failed
}

/// What one spec's run prints, held so that specs compiled side by side
/// print in a stable order.
#[derive(Default)]
pub struct Out {
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    pub fn print(&self) {
        let _ = std::io::stdout().lock().write_all(self.stdout.as_bytes());
        let _ = std::io::stderr().lock().write_all(self.stderr.as_bytes());
    }
    pub fn err(&mut self, line: impl AsRef<str>) {
        self.stderr.push_str(line.as_ref());
        self.stderr.push('\n');
    }
}

/// How human reports look on stderr: coloured on a terminal unless
/// `NO_COLOR` is set, 100 columns.
pub fn stderr_style() -> Style {
    let color = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    Style { color, width: 100 }
}

/// `report`, into `out`.
pub fn report_to(c: &Compilation, args: &SpecArgs, out: &mut Out) -> bool {
    use std::fmt::Write as _;
    let errors = c
        .diagnostics
        .iter()
        .filter(|d| d.severity() == Severity::Error)
        .count();
    let warnings = c.diagnostics.len() - errors;
    match args.opts.message_format {
        MessageFormat::Json => {
            for d in &c.diagnostics {
                let _ = writeln!(out.stdout, "{}", json_line(d, &c.sources));
            }
        }
        MessageFormat::Human => {
            let style = stderr_style();
            for d in &c.diagnostics {
                out.stderr.push_str(&human(d, &c.sources, style));
            }
            if errors + warnings > 0 {
                let _ = writeln!(
                    out.stderr,
                    "{}: {}",
                    args.file.display(),
                    summary(errors, warnings)
                );
            }
        }
    }
    errors > 0 || (args.opts.deny_warnings && warnings > 0)
}

/// Prints an emitter's internal error (a paasc bug) in the chosen format;
/// the caller exits with [`INTERNAL_ERROR`].
pub fn internal(e: &paasc::emit::InternalError, format: MessageFormat) {
    print_plain(&[e.diagnostic()], format);
}

/// `internal`, into `out`.
pub fn internal_to(e: &paasc::emit::InternalError, format: MessageFormat, out: &mut Out) {
    let sources = paasc::source::SourceMap::default();
    let d = e.diagnostic();
    match format {
        MessageFormat::Json => {
            out.stdout.push_str(&json_line(&d, &sources));
            out.stdout.push('\n');
        }
        MessageFormat::Human => out.stderr.push_str(&human(
            &d,
            &sources,
            Style {
                color: false,
                width: 100,
            },
        )),
    }
}

/// Prints diagnostics that point into no file (bootstrap's tool and
/// cross-spec problems, internal errors).
pub fn print_plain(diags: &[paasc::diagnostics::Diagnostic], format: MessageFormat) {
    let sources = paasc::source::SourceMap::default();
    for d in diags {
        match format {
            MessageFormat::Json => println!("{}", json_line(d, &sources)),
            MessageFormat::Human => {
                let style = Style {
                    color: false,
                    width: 100,
                };
                eprint!("{}", human(d, &sources, style));
            }
        }
    }
}

/// Exit code of an internal error (a bug in paasc, not in the spec).
pub const INTERNAL_ERROR: u8 = 3;

fn summary(errors: usize, warnings: usize) -> String {
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    match (errors, warnings) {
        (0, w) => plural(w, "warning"),
        (e, 0) => plural(e, "error"),
        (e, w) => format!("{} and {}", plural(e, "error"), plural(w, "warning")),
    }
}

/// Reads the root file up front so a missing file is an I/O error (exit 2),
/// not a diagnostic about the spec.
/// Compiles the spec with the chef repo the arguments name (an explicit
/// `--chef-repo` that holds no `cookbooks/` or `roles/` is a usage error).
pub fn compile(
    args: &SpecArgs,
    root: &str,
    envs: &paasc::Envs,
    require_app: bool,
) -> Result<paasc::Compilation, String> {
    compile_with_loader(args, root, envs, require_app, &paasc::resolve::FsLoader)
}

/// `compile`, reading through `loader` (many specs share a caching one).
pub fn compile_with_loader(
    args: &SpecArgs,
    root: &str,
    envs: &paasc::Envs,
    require_app: bool,
    loader: &dyn paasc::resolve::Loader,
) -> Result<paasc::Compilation, String> {
    let repo = args
        .opts
        .chef_repo
        .as_ref()
        .map(|d| d.to_string_lossy().into_owned());
    if let Some(dir) = &repo {
        if !std::path::Path::new(dir).join("cookbooks").is_dir()
            && !std::path::Path::new(dir).join("roles").is_dir()
        {
            return Err(format!(
                "error: `--chef-repo {dir}` has no `cookbooks/` or `roles/` directory"
            ));
        }
    }
    Ok(paasc::compile_with(
        root,
        loader,
        envs,
        &args.opts.sets,
        require_app,
        repo.as_deref(),
    ))
}

pub fn readable(args: &SpecArgs) -> Result<String, String> {
    match std::fs::metadata(&args.file) {
        Ok(m) if m.is_file() => Ok(args.file.to_string_lossy().into_owned()),
        Ok(_) => Err(format!("error: `{}` is not a file", args.file.display())),
        Err(e) => Err(format!("error: cannot read `{}`: {e}", args.file.display())),
    }
}
