//! `paasc bootstrap`: from the validated models of every spec and env, the
//! platforms (one per account and region) and their Terraform modules.
//!
//! Input: each spec's file name and models (every env), the files of the
//! tools directory (name, sha256, size; the CLI reads them). Output: the
//! platforms with their artifacts, or diagnostics (the same app and env in
//! two specs, a tool missing or ambiguous); nothing is half-done.
//!
//! Each pipeline's IAM actions come from its generated state machine (the
//! Task states of `emit::stepfunctions::definition`), so the state machine
//! roles grant exactly what the pipelines call.

pub mod tools;

use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::emit::{self, Artifact, InternalError};
use crate::model::names::{platform as names, ToolStage};
use crate::model::platform::{HostApp, HostPart, PipelineApp, PipelinePart, Platform, Tool};
use crate::model::{App, Kms, Workers};
use std::collections::{BTreeMap, BTreeSet};
use tools::{Need, ToolFile, KINDS};

/// One spec given to bootstrap: its file name and the model of every env.
pub struct Spec<'a> {
    pub file: &'a str,
    pub apps: &'a [App],
}

/// A platform and the files of its module (paths inside `platform/<acct>-<region>/`).
pub struct Module {
    pub platform: Platform,
    pub artifacts: Vec<Artifact>,
}

/// What went wrong: problems of the inputs (reported like a spec's), or a
/// paasc bug.
pub enum Failure {
    Diagnostics(Vec<Diagnostic>),
    Internal(InternalError),
}

/// The platforms the specs need and their modules, sorted by directory.
pub fn bootstrap(specs: &[Spec], tools: &[ToolFile]) -> Result<Vec<Module>, Failure> {
    let platforms = plan(specs, tools).map_err(Failure::Diagnostics)?;
    let mut modules = Vec::new();
    for platform in platforms {
        let mut artifacts = emit::platform::emit(&platform).map_err(Failure::Internal)?;
        let manifest = manifest(&platform, &artifacts).map_err(Failure::Internal)?;
        artifacts.push(manifest);
        artifacts.sort_by(|a, b| a.path.cmp(&b.path));
        modules.push(Module {
            platform,
            artifacts,
        });
    }
    Ok(modules)
}

/// Every app and env once (by name and env), with the spec it came from.
fn apps_once<'a>(specs: &'a [Spec<'a>], diags: &mut Diagnostics) -> Vec<(&'a str, &'a App)> {
    let mut seen: BTreeMap<(String, String), &str> = BTreeMap::new();
    let mut out = Vec::new();
    for spec in specs {
        for app in spec.apps {
            let key = (app.name.clone(), app.env.clone());
            if let Some(first) = seen.get(&key) {
                if *first != spec.file {
                    diags.push(
                        Diagnostic::new(
                            Code::DuplicateRelease,
                            format!(
                                "app `{}` env `{}` is in `{}` and in `{}`",
                                app.name, app.env, first, spec.file
                            ),
                        )
                        .help("an app and env is released by one pipeline: rename the app in one of the specs"),
                    );
                }
                continue;
            }
            seen.insert(key, spec.file);
            out.push((spec.file, app));
        }
    }
    out
}

/// The platform model of every account and region the specs touch.
pub fn plan(specs: &[Spec], tool_files: &[ToolFile]) -> Result<Vec<Platform>, Vec<Diagnostic>> {
    let mut diags = Diagnostics::default();
    let apps = apps_once(specs, &mut diags);

    let mut by_place: BTreeMap<(String, String), Platform> = BTreeMap::new();
    let place = |account: &str, region: &str| -> (String, String) {
        (account.to_string(), region.to_string())
    };
    let mut sources: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    // Pipeline side.
    let mut pipelines: BTreeMap<(String, String), Vec<&App>> = BTreeMap::new();
    let mut hosts: BTreeMap<(String, String), Vec<&App>> = BTreeMap::new();
    for (file, app) in &apps {
        let pk = place(&app.pipeline.account, &app.region);
        let hk = place(&app.account, &app.region);
        sources
            .entry(pk.clone())
            .or_default()
            .insert(file.to_string());
        sources
            .entry(hk.clone())
            .or_default()
            .insert(file.to_string());
        pipelines.entry(pk).or_default().push(app);
        hosts.entry(hk).or_default().push(app);
    }

    // The first region of each hosting account creates its Auto Scaling
    // service-linked role (an account has one).
    let mut first_region: BTreeMap<String, String> = BTreeMap::new();
    for (account, region) in hosts.keys() {
        first_region
            .entry(account.clone())
            .or_insert_with(|| region.clone());
    }

    for ((account, region), apps) in &pipelines {
        let tools = tools_for(apps, tool_files, &mut diags);
        let mut subnets: Vec<String> = apps
            .iter()
            .filter_map(|a| a.pipeline.subnet.clone())
            .collect();
        subnets.sort();
        subnets.dedup();
        let mut entries: Vec<PipelineApp> = apps.iter().map(|a| pipeline_app(a)).collect();
        entries.sort_by(|a, b| (&a.name, &a.env).cmp(&(&b.name, &b.env)));
        let part = PipelinePart {
            activity_workers: apps.iter().any(|a| a.pipeline.workers == Workers::Activity),
            apps: entries,
            subnets,
            tools,
        };
        let key = (account.clone(), region.clone());
        by_place
            .entry(key.clone())
            .or_insert_with(|| empty(account, region))
            .pipeline = Some(part);
    }
    for ((account, region), apps) in &hosts {
        let mut trusted: Vec<String> = Vec::new();
        let mut entries: Vec<HostApp> = Vec::new();
        for app in apps {
            trusted.push(app.runner_role_arn());
            trusted.push(app.pipeline_role_arn());
            entries.push(host_app(app));
        }
        trusted.sort();
        trusted.dedup();
        entries.sort_by(|a, b| (&a.name, &a.env).cmp(&(&b.name, &b.env)));
        let part = HostPart {
            trusted,
            apps: entries,
            create_autoscaling_role: first_region.get(account) == Some(region),
        };
        by_place
            .entry((account.clone(), region.clone()))
            .or_insert_with(|| empty(account, region))
            .host = Some(part);
    }
    for (key, platform) in by_place.iter_mut() {
        platform.sources = sources
            .get(key)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default();
    }
    if diags.has_errors() {
        return Err(diags.into_sorted());
    }
    Ok(by_place.into_values().collect())
}

fn empty(account: &str, region: &str) -> Platform {
    Platform {
        account: account.to_string(),
        region: region.to_string(),
        pipeline: None,
        host: None,
        sources: Vec::new(),
    }
}

fn pipeline_app(app: &App) -> PipelineApp {
    let calls = emit::stepfunctions::iam_actions(&emit::stepfunctions::definition(app));
    let activities = match app.pipeline.workers {
        Workers::Activity => ToolStage::ALL
            .iter()
            .map(|s| app.activity_arn(*s))
            .collect(),
        _ => Vec::new(),
    };
    PipelineApp {
        name: app.name.clone(),
        env: app.env.clone(),
        account: app.account.clone(),
        state_machine_name: app.state_machine_name(),
        role_name: app.pipeline_role_name(),
        actions: calls.own.into_iter().collect(),
        remote_actions: calls.remote.into_iter().collect(),
        provision_role_arn: app.provision_role_arn(),
        app_key: app.kms_key_arn(),
        topic_arn: app.notification_topic(),
        parameter_path: app.parameter_path(),
        document_prefix: app.ssm_document_prefix(),
        activities,
    }
}

fn host_app(app: &App) -> HostApp {
    let calls = emit::stepfunctions::iam_actions(&emit::stepfunctions::definition(app));
    HostApp {
        name: app.name.clone(),
        env: app.env.clone(),
        managed_key_alias: matches!(app.kms, Kms::Managed).then(|| app.managed_kms_alias()),
        share: app.image.share.clone(),
        runner_role_arn: app.runner_role_arn(),
        buckets: vec![app.logs.bucket.clone(), app.alb_logs_bucket()],
        log_group: app.log_group(),
        remote_actions: calls.remote.into_iter().collect(),
        prefix: app.prefix(),
    }
}

/// The tools a platform's pipelines need, found in the tools directory.
fn tools_for(apps: &[&App], files: &[ToolFile], diags: &mut Diagnostics) -> Vec<Tool> {
    let needs = |need: Need| match need {
        Need::Always => true,
        Need::ActivityWorkers => apps.iter().any(|a| a.pipeline.workers == Workers::Activity),
        Need::RpmBuilders => apps
            .iter()
            .any(|a| tools::rpm_family(&a.image.base.platform)),
        Need::DebBuilders => apps
            .iter()
            .any(|a| tools::deb_family(&a.image.base.platform)),
    };
    let mut out = Vec::new();
    for kind in KINDS.iter().filter(|k| needs(k.need)) {
        let found: Vec<(&ToolFile, String)> = files
            .iter()
            .filter_map(|f| kind.version(&f.file).map(|v| (f, v)))
            .collect();
        match found.as_slice() {
            [] => diags.push(
                Diagnostic::new(
                    Code::ToolMissing,
                    format!("the tools directory has no `{}` ({})", kind.name, kind.pattern),
                )
                .help(format!(
                    "download it from {}, check it against the vendor's checksum, and put it in the tools directory as `{}`",
                    kind.source, kind.pattern
                )),
            ),
            [(file, version)] => {
                // The app modules and templates pin exact versions: the
                // runner must have those, offline.
                let pins: Vec<(&App, &str)> = apps
                    .iter()
                    .filter_map(|a| match kind.name {
                        "packer-plugin-amazon" => Some((*a, a.pipeline.packer_plugin.as_str())),
                        "terraform-provider-aws" => Some((*a, a.pipeline.aws_provider.as_str())),
                        _ => None,
                    })
                    .filter(|(_, pin)| pin != version)
                    .collect();
                for (app, pin) in pins {
                    let key = if kind.name == "packer-plugin-amazon" { "packer_plugin" } else { "aws_provider" };
                    diags.push(
                        Diagnostic::new(
                            Code::ToolVersion,
                            format!(
                                "the tools directory has {} {version} (`{}`), but {} requires {pin}",
                                kind.name,
                                file.file,
                                app.release_key()
                            ),
                        )
                        .help(format!(
                            "put `{}` in the tools directory, or set `pipeline.{key} = \"{version}\"` in the spec",
                            kind.pattern.replace("VERSION", pin)
                        )),
                    );
                }
                out.push(Tool {
                name: kind.name.to_string(),
                file: file.file.clone(),
                version: version.clone(),
                sha256: file.sha256.clone(),
                bytes: file.bytes,
                target: kind.target,
                });
            }
            several => diags.push(
                Diagnostic::new(
                    Code::ToolAmbiguous,
                    format!(
                        "the tools directory has {} files for `{}`: {}",
                        several.len(),
                        kind.name,
                        several.iter().map(|(f, _)| format!("`{}`", f.file)).collect::<Vec<_>>().join(", ")
                    ),
                )
                .help("keep the one version the runner should install"),
            ),
        }
    }
    out.sort_by(|a, b| a.file.cmp(&b.file));
    out
}

/// `manifest.json` of a platform module: every file with its size and sha256.
fn manifest(platform: &Platform, artifacts: &[Artifact]) -> Result<Artifact, InternalError> {
    #[derive(serde::Serialize)]
    struct Entry<'a> {
        path: &'a str,
        bytes: usize,
        sha256: String,
    }
    #[derive(serde::Serialize)]
    struct Manifest<'a> {
        generated_by: String,
        account: &'a str,
        region: &'a str,
        sources: &'a [String],
        artifacts: Vec<Entry<'a>>,
    }
    let m = Manifest {
        generated_by: format!("paasc {}", env!("CARGO_PKG_VERSION")),
        account: &platform.account,
        region: &platform.region,
        sources: &platform.sources,
        artifacts: artifacts
            .iter()
            .map(|a| Entry {
                path: &a.path,
                bytes: a.contents.len(),
                sha256: crate::hash::sha256_hex(a.contents.as_bytes()),
            })
            .collect(),
    };
    Ok(Artifact::new(
        crate::model::names::path::MANIFEST,
        emit::pretty_json("platform", &m)?,
    ))
}

/// Where a module goes: `platform/<account>-<region>`.
pub fn module_dir(platform: &Platform) -> String {
    emit::platform::dir(platform)
}

/// A platform's parameter holding its description (for messages).
pub const CONFIG_PARAMETER: &str = names::CONFIG_PARAMETER;
