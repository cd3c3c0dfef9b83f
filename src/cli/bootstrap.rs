//! `paasc bootstrap FILE... --tools DIR [-o DIR]`: the platform modules.
//!
//! Compiles every spec (every env) exactly as `build` does, reads and
//! hashes the tools directory, derives the platforms and writes
//! `OUT/platform/<account>-<region>/` for each, every one into a temporary
//! sibling renamed into place. Nothing is written unless every spec, every
//! tool and every module is good.

use super::build::write_atomically;
use super::output::{internal, print_plain, report, INTERNAL_ERROR};
use super::{MessageFormat, SpecArgs, SpecOptions};
use paasc::bootstrap::{self, tools::ToolFile, Failure, Spec};
use paasc::resolve::FsLoader;
use paasc::Envs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct BootstrapArgs {
    /// The specs whose pipelines the platform runs (every env of each).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Directory of the runner's and builders' tools, each checked against
    /// its vendor's checksum (see docs/bootstrap.md for the list).
    #[arg(long, value_name = "DIR")]
    pub tools: PathBuf,
    /// Output directory (modules go to OUT/platform/<account>-<region>/).
    #[arg(short = 'o', long = "out", default_value = "out")]
    pub out: PathBuf,
    /// Override a `param` of the specs: `--set name=value` (repeatable).
    #[arg(long = "set", value_name = "NAME=VALUE", value_parser = super::parse_set)]
    pub sets: Vec<(String, String)>,
    /// How diagnostics are printed.
    #[arg(long, value_enum, default_value = "human")]
    pub message_format: MessageFormat,
}

pub fn run(args: &BootstrapArgs) -> ExitCode {
    let mut compiled = Vec::new();
    let mut failed = false;
    for file in &args.files {
        let spec_args = SpecArgs {
            file: file.clone(),
            opts: SpecOptions {
                sets: args.sets.clone(),
                message_format: args.message_format,
                deny_warnings: false,
                chef_repo: None,
            },
        };
        let root = match super::output::readable(&spec_args) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(2);
            }
        };
        // Params are per spec: a `--set` the spec does not declare is not
        // an error here (another spec may declare it).
        let declared = paasc::declared_params(&root, &FsLoader);
        let sets: Vec<(String, String)> = args
            .sets
            .iter()
            .filter(|(k, _)| declared.contains(k))
            .cloned()
            .collect();
        let c = paasc::compile(&root, &FsLoader, &Envs::All, &sets, true);
        failed |= report(&c, &spec_args);
        compiled.push((file.clone(), c));
    }
    if failed {
        return ExitCode::from(1);
    }
    let tools = match read_tools(&args.tools) {
        Ok(t) => t,
        Err(e) => {
            eprintln!(
                "error: cannot read the tools directory `{}`: {e}",
                args.tools.display()
            );
            return ExitCode::from(2);
        }
    };
    let names: Vec<String> = compiled
        .iter()
        .map(|(f, _)| {
            f.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
        .collect();
    let specs: Vec<Spec> = compiled
        .iter()
        .zip(&names)
        .map(|((_, c), name)| Spec {
            file: name,
            apps: &c.apps,
        })
        .collect();
    let modules = match bootstrap::bootstrap(&specs, &tools) {
        Ok(m) => m,
        Err(Failure::Diagnostics(diags)) => {
            print_plain(&diags, args.message_format);
            return ExitCode::from(1);
        }
        Err(Failure::Internal(e)) => {
            internal(&e, args.message_format);
            return ExitCode::from(INTERNAL_ERROR);
        }
    };
    for m in &modules {
        let dir = args.out.join(bootstrap::module_dir(&m.platform));
        match write_atomically(&dir, &m.artifacts) {
            Ok(()) => eprintln!("wrote {} ({} files)", dir.display(), m.artifacts.len()),
            Err(e) => {
                eprintln!("error: cannot write `{}`: {e}", dir.display());
                return ExitCode::from(2);
            }
        }
    }
    ExitCode::SUCCESS
}

/// Every regular file of the tools directory, with its sha256 and size.
fn read_tools(dir: &Path) -> std::io::Result<Vec<ToolFile>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if !entry.file_type()?.is_file() {
            continue;
        }
        let bytes = std::fs::read(entry.path())?;
        out.push(ToolFile {
            file: entry.file_name().to_string_lossy().into_owned(),
            sha256: paasc::hash::sha256_hex(&bytes),
            bytes: bytes.len() as u64,
        });
    }
    out.sort_by(|a, b| a.file.cmp(&b.file));
    Ok(out)
}
