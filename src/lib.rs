//! paasc: compiles an app spec (`app.paas`) into every artifact of a
//! five-stage immutable-infrastructure pipeline on AWS.
//!
//! Pipeline: source text -> `syntax` (AST with spans) -> `resolve` (use
//! files, stdlib, params) -> `validate` (env overlays, interpolation,
//! every semantic rule) -> `model` (typed, validated) -> `emit`
//! (artifacts). Diagnostics accumulate across phases; only emission stops
//! on errors. The library never touches the disk except through the
//! `Loader` the caller passes, and the network only in `deploy`, behind
//! its cargo feature.

pub mod bootstrap;
pub mod chef_repo;
#[cfg(feature = "deploy")]
pub mod deploy;
pub mod diagnostics;
pub mod diff;
pub mod emit;
pub mod format;
pub mod hash;
pub mod lsp;
pub mod model;
pub mod resolve;
pub mod schema;
pub mod source;
pub mod syntax;
pub mod validate;
#[cfg(feature = "deploy")]
pub mod worker;

use diagnostics::{Code, Diagnostic, Diagnostics};
use model::App;
use resolve::Loader;
use source::SourceMap;

/// Which envs a compilation returns models for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Envs {
    /// The app without overlays (env `default`).
    Default,
    /// One env by name (`default` = no overlay).
    Named(String),
    /// The default and every declared env.
    All,
}

/// The result of checking or compiling a spec.
#[derive(Debug)]
pub struct Compilation {
    pub sources: SourceMap,
    /// Sorted by file and position; duplicates (found in several envs) once.
    pub diagnostics: Vec<Diagnostic>,
    /// One model per selected env; empty when there are errors.
    pub apps: Vec<App>,
}

impl Compilation {
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity() == diagnostics::Severity::Error)
    }
}

/// Checks and lowers a spec. The default and every env are always
/// validated (an error in any env is an error of the spec); models are
/// returned for `envs` only, and only when there is no error at all.
/// `require_app`: a file without `app` is an error (build, deploy) or
/// fine (check, for library files).
pub fn compile(
    root: &str,
    loader: &dyn Loader,
    envs: &Envs,
    sets: &[(String, String)],
    require_app: bool,
) -> Compilation {
    compile_with(root, loader, envs, sets, require_app, None)
}

/// The directory of the chef repo for a spec: `chef_repo` when given, else
/// the spec's own directory (where `cookbooks/` and `roles/` sit beside it).
pub fn chef_repo_dir(root: &str, chef_repo: Option<&str>) -> String {
    match chef_repo {
        Some(dir) => dir.to_string(),
        None => match root.rfind('/') {
            Some(0) => "/".to_string(),
            Some(i) => root.get(..i).unwrap_or(".").to_string(),
            None => ".".to_string(),
        },
    }
}

/// Like `compile`, with the run list checked against the chef repo at
/// `chef_repo` instead of the one beside the spec (none there is fine).
pub fn compile_with(
    root: &str,
    loader: &dyn Loader,
    envs: &Envs,
    sets: &[(String, String)],
    require_app: bool,
    chef_repo: Option<&str>,
) -> Compilation {
    let mut diags = Diagnostics::default();
    let mut prog = resolve::load(root, loader, sets, &mut diags);
    prog.chef_repo = chef_repo::load(&chef_repo_dir(root, chef_repo), loader);
    validate::program(&prog, &mut diags);
    let mut apps = Vec::new();
    match &prog.app {
        None => {
            // A library file (only modules) is fine to check; a file that
            // defines nothing at all is an error for check as for build.
            if (require_app || !prog.defines_anything()) && !diags.has_errors() {
                diags.push(
                    Diagnostic::new(Code::NoApp, format!("`{}` defines no app", prog.root_file_name))
                        .help("add `app NAME { region = \"...\" account = \"...\" service { port = 8080 } }`"),
                );
            }
        }
        Some(app) => {
            let declared = validate::env_names(app);
            let mut all: Vec<Option<String>> = vec![None];
            all.extend(declared.iter().cloned().map(Some));
            if let Envs::Named(n) = envs {
                if n != validate::DEFAULT_ENV && !declared.contains(n) {
                    all.push(Some(n.clone()));
                }
            }
            for env in &all {
                let wanted = match envs {
                    Envs::Default => env.is_none(),
                    Envs::All => true,
                    Envs::Named(n) if n == validate::DEFAULT_ENV => env.is_none(),
                    Envs::Named(n) => env.as_deref() == Some(n.as_str()),
                };
                if let Some(model) = validate::lower(&prog, env.as_deref(), &mut diags) {
                    if wanted {
                        apps.push(model);
                    }
                }
            }
        }
    }
    if diags.has_errors() {
        apps.clear();
    }
    Compilation {
        sources: prog.sources,
        diagnostics: diags.into_sorted(),
        apps,
    }
}

/// The params a spec declares (in its own file and the files it `use`s).
pub fn declared_params(root: &str, loader: &dyn Loader) -> std::collections::BTreeSet<String> {
    let prog = resolve::load(root, loader, &[], &mut Diagnostics::default());
    prog.params.into_keys().collect()
}

/// Compiles a spec file from disk for one env (`None` = default); Err holds
/// the rendered diagnostics. A convenience for tests and tools.
pub fn compile_file(
    path: &std::path::Path,
    env: Option<&str>,
    sets: &[(String, String)],
) -> Result<App, String> {
    let envs = match env {
        Some(e) => Envs::Named(e.to_string()),
        None => Envs::Default,
    };
    let c = compile(
        &path.to_string_lossy(),
        &resolve::FsLoader,
        &envs,
        sets,
        true,
    );
    if c.has_errors() {
        let style = diagnostics::render::Style {
            color: false,
            width: 100,
        };
        return Err(c
            .diagnostics
            .iter()
            .map(|d| diagnostics::render::human(d, &c.sources, style))
            .collect());
    }
    c.apps
        .into_iter()
        .next()
        .ok_or_else(|| "no app".to_string())
}
