//! The deploy plan: every name, key, parameter and input a deploy will use,
//! computed from the model and the built artifacts without any network.
//!
//! Input: the validated `App`, the artifacts of `paasc build` (including
//! `manifest.json`) and the `DeployOptions`. Output: a `Plan`.
//! Invariants: the content hash is the sha256 of the manifest bytes (the
//! manifest lists every artifact's sha256, so it stands for all of them); the
//! execution name is a valid Step Functions name (1..=80 characters from
//! `[A-Za-z0-9_-]`) that ends in the first 12 hex digits of that hash;
//! parameters are checked against Parameter Store's size limits here, so an
//! oversized one stops the deploy before anything is written.

use super::error::DeployError;
use super::platform::Target;
use crate::emit::Artifact;
use crate::model::names::{parameter, path, ToolStage};
use crate::model::{App, Workers};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Largest value of a standard-tier parameter, in bytes.
pub const STANDARD_MAX_BYTES: usize = 4096;
/// Largest value of an advanced-tier parameter, in bytes.
pub const ADVANCED_MAX_BYTES: usize = 8192;
/// Step Functions' limit on execution names.
pub const EXECUTION_NAME_MAX: usize = 80;
/// Hex digits of the content hash kept in the execution name.
const NAME_HASH_DIGITS: usize = 12;

/// Parameter Store tier, chosen from the value's size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    Standard,
    Advanced,
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Tier::Standard => "Standard",
            Tier::Advanced => "Advanced",
        })
    }
}

/// One SecureString parameter to write. `Debug` never shows the value.
#[derive(Clone, PartialEq, Eq)]
pub struct ParameterPlan {
    pub name: String,
    pub tier: Tier,
    pub bytes: usize,
    pub(crate) value: String,
}

impl fmt::Debug for ParameterPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParameterPlan")
            .field("name", &self.name)
            .field("tier", &self.tier)
            .field("bytes", &self.bytes)
            .field("value", &"<redacted>")
            .finish()
    }
}

/// One object to upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectPlan {
    /// Path in the output layout, e.g. `terraform/main.tf`.
    pub path: String,
    /// Full object key: the artifact prefix followed by `path`.
    pub key: String,
    /// Lowercase hex sha256 of the body.
    pub sha256: String,
    pub(crate) body: String,
}

/// The execution input, exactly as the generated state machine reads it
/// (see the cross-artifact contract).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecutionInput {
    pub artifact_bucket: String,
    pub artifact_prefix: String,
    pub parameter_path: String,
    pub content_hash: String,
    pub version: String,
    /// Empty for pipelines served by activity workers.
    pub runner_instance_id: String,
    pub state_bucket: String,
    pub platform_key: String,
    pub caller: String,
}

/// The `artifacts` parameter: where the pipeline finds this deploy's files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArtifactsDocument {
    pub bucket: String,
    pub prefix: String,
    pub content_hash: String,
    /// Output-layout path -> lowercase hex sha256.
    pub objects: BTreeMap<String, String>,
}

/// Everything a deploy does, before it does it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub region: String,
    pub bucket: String,
    /// `<app>/<env>/<version>/<content-hash>/`.
    pub prefix: String,
    pub content_hash: String,
    /// The KMS key for parameters and objects, as passed to SSM and S3.
    pub kms_key_id: String,
    pub parameters: Vec<ParameterPlan>,
    pub objects: Vec<ObjectPlan>,
    pub state_machine_name: String,
    pub role_arn: String,
    /// The ASL text, byte for byte as generated.
    pub definition: String,
    pub execution_name: String,
    /// The runner of a `workers = ssm` pipeline; None for activity workers.
    pub runner_instance_id: Option<String>,
    /// `workers = activity`: the activities the state machine's stages wait
    /// on, as (name, ARN), in stage order; empty for SSM workers.
    pub activities: Vec<(String, String)>,
    pub parameter_path: String,
    pub version: String,
    pub state_bucket: String,
    pub caller: String,
}

impl Plan {
    /// The execution input.
    pub fn input(&self) -> ExecutionInput {
        ExecutionInput {
            artifact_bucket: self.bucket.clone(),
            artifact_prefix: self.prefix.clone(),
            parameter_path: self.parameter_path.clone(),
            content_hash: self.content_hash.clone(),
            version: self.version.clone(),
            runner_instance_id: self.runner_instance_id.clone().unwrap_or_default(),
            state_bucket: self.state_bucket.clone(),
            platform_key: self.kms_key_id.clone(),
            caller: self.caller.clone(),
        }
    }
}

pub use crate::hash::sha256_hex;

/// `<app>-<env>-<version>-<first 12 hex of hash>`, shortened (never the hash)
/// to Step Functions' 80 characters; characters outside `[A-Za-z0-9_-]`
/// (dots and pluses of versions) become `_`, since CloudWatch-logged
/// executions accept nothing else.
pub fn execution_name(app: &App, content_hash: &str) -> String {
    let hash: String = content_hash.chars().take(NAME_HASH_DIGITS).collect();
    let head: String = format!("{}-{}-{}", app.name, app.env, app.version)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(EXECUTION_NAME_MAX - 1 - hash.len())
        .collect();
    format!("{head}-{hash}")
}

fn parameter(name: String, value: String) -> Result<ParameterPlan, DeployError> {
    let bytes = value.len();
    let tier = if bytes <= STANDARD_MAX_BYTES {
        Tier::Standard
    } else if bytes <= ADVANCED_MAX_BYTES {
        Tier::Advanced
    } else {
        return Err(DeployError::ParameterTooLarge { name, bytes });
    };
    Ok(ParameterPlan {
        name,
        tier,
        bytes,
        value,
    })
}

fn find<'a>(artifacts: &'a [Artifact], path: &str) -> Result<&'a Artifact, DeployError> {
    artifacts
        .iter()
        .find(|a| a.path == path)
        .ok_or_else(|| DeployError::MissingArtifact {
            path: path.to_string(),
        })
}

/// Computes the plan for the platform `target` (already read, flags
/// applied). Fails only on what no call to AWS could fix: a missing manifest
/// or state machine, a parameter too large for Parameter Store.
pub fn plan(app: &App, artifacts: &[Artifact], target: &Target) -> Result<Plan, DeployError> {
    let manifest = find(artifacts, path::MANIFEST)?;
    let definition = find(artifacts, path::STATE_MACHINE)?.contents.clone();
    let content_hash = sha256_hex(manifest.contents.as_bytes());
    let bucket = target.artifact_bucket.clone();
    let prefix = format!("{}/{}/{}/{}/", app.name, app.env, app.version, content_hash);

    let mut objects: Vec<ObjectPlan> = artifacts
        .iter()
        .map(|a| ObjectPlan {
            path: a.path.clone(),
            key: format!("{prefix}{}", a.path),
            sha256: sha256_hex(a.contents.as_bytes()),
            body: a.contents.clone(),
        })
        .collect();
    objects.sort_by(|a, b| a.path.cmp(&b.path));
    objects.dedup_by(|a, b| a.path == b.path);

    let doc = ArtifactsDocument {
        bucket: bucket.clone(),
        prefix: prefix.clone(),
        content_hash: content_hash.clone(),
        objects: objects
            .iter()
            .map(|o| (o.path.clone(), o.sha256.clone()))
            .collect(),
    };
    let path = app.parameter_path();
    let parameters = vec![
        parameter(app.parameter(parameter::CONFIG), to_json(app)?)?,
        parameter(app.parameter(parameter::ARTIFACTS), to_json(&doc)?)?,
    ];

    Ok(Plan {
        region: app.region.clone(),
        execution_name: execution_name(app, &content_hash),
        bucket,
        prefix,
        content_hash,
        kms_key_id: target.platform_key_arn.clone(),
        parameters,
        objects,
        state_machine_name: app.state_machine_name(),
        role_arn: target.role_arn.clone(),
        definition,
        runner_instance_id: target.runner_instance_id.clone(),
        activities: match app.pipeline.workers {
            Workers::Activity => ToolStage::ALL
                .iter()
                .map(|s| {
                    let arn = app.activity_arn(*s);
                    let name = arn.rsplit(':').next().unwrap_or_default().to_string();
                    (name, arn)
                })
                .collect(),
            Workers::Ssm => Vec::new(),
        },
        parameter_path: path,
        version: app.version.clone(),
        state_bucket: target.state_bucket.clone(),
        caller: target.caller.clone(),
    })
}

fn to_json<T: Serialize>(value: &T) -> Result<String, DeployError> {
    serde_json::to_string(value).map_err(|e| DeployError::Internal {
        message: e.to_string(),
    })
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;
    use crate::model::sample;

    fn artifacts() -> Vec<Artifact> {
        vec![
            Artifact::new("manifest.json", "{\"artifacts\":[]}\n"),
            Artifact::new(
                path::STATE_MACHINE,
                "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Succeed\"}}}",
            ),
            Artifact::new("chef/node.json", "{}"),
        ]
    }

    fn target(app: &App) -> Target {
        Target {
            caller: "arn:aws:sts::777788889999:assumed-role/ci/run-1".into(),
            artifact_bucket: app.artifact_bucket(),
            role_arn: app.pipeline_role_arn(),
            platform_key_arn:
                "arn:aws:kms:eu-west-1:777788889999:key/1234abcd-12ab-34cd-56ef-1234567890ab".into(),
            state_bucket: app.state_bucket(),
            runner_instance_id: Some("i-0123456789abcdef0".into()),
        }
    }

    #[test]
    fn names_follow_the_contract() {
        let app = sample::shop_prod();
        let p = plan(&app, &artifacts(), &target(&app)).unwrap();
        assert_eq!(p.content_hash, sha256_hex(b"{\"artifacts\":[]}\n"));
        assert_eq!(p.prefix, format!("shop/prod/1.4.0/{}/", p.content_hash));
        assert_eq!(p.bucket, "paas-artifacts-777788889999-eu-west-1");
        assert_eq!(p.state_machine_name, "paas-shop-prod");
        assert_eq!(
            p.role_arn,
            "arn:aws:iam::777788889999:role/paas-sfn-shop-prod"
        );
        assert_eq!(p.kms_key_id, target(&app).platform_key_arn);
        assert_eq!(
            p.execution_name,
            format!("shop-prod-1_4_0-{}", &p.content_hash[..12])
        );
        assert_eq!(p.parameters[0].name, "/paas/shop/prod/config");
        assert_eq!(p.parameters[1].name, "/paas/shop/prod/artifacts");
        assert_eq!(p.objects.len(), 3);
        assert!(p.objects.iter().all(|o| o.key.starts_with(&p.prefix)));
        let input = p.input();
        assert_eq!(input.state_bucket, "paas-tfstate-777788889999-eu-west-1");
        assert_eq!(input.platform_key, p.kms_key_id);
        assert_eq!(
            input.caller,
            "arn:aws:sts::777788889999:assumed-role/ci/run-1"
        );
        assert_eq!(input.runner_instance_id, "i-0123456789abcdef0");
    }

    #[test]
    fn the_input_has_the_fields_the_state_machine_reads() {
        let app = sample::minimal();
        let p = plan(&app, &artifacts(), &target(&app)).unwrap();
        let value = serde_json::to_value(p.input()).unwrap();
        let mut keys: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort();
        let mut want = crate::model::names::input::ALL.to_vec();
        want.sort();
        assert_eq!(keys, want);
    }

    #[test]
    fn the_app_key_is_an_alias_arn_when_the_pipeline_runs_elsewhere() {
        let shop = sample::shop_prod();
        assert!(shop.bakes_elsewhere());
        assert_eq!(
            shop.kms_key_arn(),
            format!("arn:aws:kms:{}:222233334444:alias/shop", shop.region)
        );
    }

    #[test]
    fn execution_names_fit_step_functions() {
        let mut app = sample::minimal();
        app.name = "a".repeat(32);
        app.env = "e".repeat(32);
        app.version = "1.0.0+build.".to_string() + &"9".repeat(60);
        let hash = sha256_hex(b"x");
        let name = execution_name(&app, &hash);
        assert_eq!(name.len(), EXECUTION_NAME_MAX);
        assert!(name.ends_with(&format!("-{}", &hash[..12])));
        assert!(name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    }

    #[test]
    fn tiers_follow_the_size() {
        assert_eq!(
            parameter("p".into(), "x".repeat(4096)).unwrap().tier,
            Tier::Standard
        );
        assert_eq!(
            parameter("p".into(), "x".repeat(4097)).unwrap().tier,
            Tier::Advanced
        );
        assert_eq!(
            parameter("p".into(), "x".repeat(8192)).unwrap().tier,
            Tier::Advanced
        );
        let err = parameter("p".into(), "x".repeat(8193)).unwrap_err();
        assert!(matches!(
            err,
            DeployError::ParameterTooLarge { bytes: 8193, .. }
        ));
    }

    #[test]
    fn debug_never_shows_parameter_values() {
        let p = parameter("p".into(), "s3cr3t-value".into()).unwrap();
        assert!(!format!("{p:?}").contains("s3cr3t"));
    }

    #[test]
    fn missing_manifest_or_state_machine_is_an_error() {
        let app = sample::minimal();
        let only_asl = vec![Artifact::new(path::STATE_MACHINE, "{}")];
        assert!(matches!(
            plan(&app, &only_asl, &target(&app)),
            Err(DeployError::MissingArtifact { .. })
        ));
    }
}
