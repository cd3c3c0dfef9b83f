//! Where a deploy goes: the credentials' account (STS) and the platform
//! `paasc bootstrap` created there, read from `/paas/platform/`.
//!
//! Input: the clients and the app. Output: a `Target` (bucket, role, keys,
//! runner) or one `DeployError` a person can act on: wrong account, no
//! platform, an app the platform does not know, no registered runner.
//! Invariants: only reads (`sts:GetCallerIdentity`, `ssm:GetParameter`);
//! nothing here writes, so a refused deploy leaves the account untouched.
//! Flags (`--artifact-bucket`, `--role-arn`, `--runner-instance-id`) win
//! over what the platform says.

use super::aws::Clients;
use super::error::{classify, Context, DeployError};
use super::DeployOptions;
use crate::model::names::platform as names;
use crate::model::platform::{PlatformApp, PlatformConfig};
use crate::model::{App, Workers};

/// Everything a deploy needs from the platform, after the flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The deploying identity (`arn:aws:sts::...:assumed-role/...`), for the audit record.
    pub caller: String,
    pub artifact_bucket: String,
    pub role_arn: String,
    /// Encrypts the parameters, the uploads and the Terraform state.
    pub platform_key_arn: String,
    pub state_bucket: String,
    /// The runner of `workers = ssm` pipelines (None for activity workers).
    pub runner_instance_id: Option<String>,
}

fn ctx<'a>(clients: &'a Clients, operation: &'a str) -> Context<'a> {
    Context {
        operation,
        endpoint: &clients.endpoint,
        kms_key: names::KMS_ALIAS,
        bucket: "",
        state_machine: "",
        secret: None,
        attempts: clients.timeouts.max_attempts,
        operation_timeout: clients.timeouts.operation,
    }
}

/// A parameter's value, or None when it does not exist.
async fn parameter(clients: &Clients, name: &str) -> Result<Option<String>, DeployError> {
    match clients
        .ssm
        .get_parameter()
        .name(name)
        .with_decryption(true)
        .send()
        .await
    {
        Ok(out) => Ok(out.parameter().and_then(|p| p.value()).map(str::to_string)),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_parameter_not_found()) =>
        {
            Ok(None)
        }
        Err(e) => Err(classify(&ctx(clients, "ssm:GetParameter"), e)),
    }
}

/// Checks the account and reads the platform; refuses before any write.
pub async fn discover(
    clients: &Clients,
    app: &App,
    opts: &DeployOptions,
) -> Result<Target, DeployError> {
    let identity = clients
        .sts
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| classify(&ctx(clients, "sts:GetCallerIdentity"), e))?;
    let account = identity.account().unwrap_or_default().to_string();
    if account != app.pipeline.account {
        return Err(DeployError::WrongAccount {
            have: account,
            want: app.pipeline.account.clone(),
            release: app.release_key(),
        });
    }
    let no_platform = || DeployError::NoPlatform {
        account: app.pipeline.account.clone(),
        region: app.region.clone(),
    };
    let config_text = parameter(clients, names::CONFIG_PARAMETER)
        .await?
        .ok_or_else(no_platform)?;
    let config: PlatformConfig =
        serde_json::from_str(&config_text).map_err(|e| DeployError::BadPlatform {
            parameter: names::CONFIG_PARAMETER.to_string(),
            detail: e.to_string(),
        })?;
    let app_parameter = names::app_parameter(&app.name, &app.env);
    let entry_text = parameter(clients, &app_parameter).await?.ok_or_else(|| {
        DeployError::UnknownToPlatform {
            release: app.release_key(),
            account: app.pipeline.account.clone(),
            region: app.region.clone(),
        }
    })?;
    let entry: PlatformApp =
        serde_json::from_str(&entry_text).map_err(|e| DeployError::BadPlatform {
            parameter: app_parameter.clone(),
            detail: e.to_string(),
        })?;
    let runner_instance_id = match (&opts.runner_instance_id, app.pipeline.workers) {
        (Some(id), _) => Some(id.clone()),
        (None, Workers::Ssm) => {
            let registered = parameter(clients, &config.runner_instance_parameter)
                .await?
                .filter(|id| !id.is_empty());
            match registered {
                Some(id) => Some(id),
                // A dry run starts nothing: it plans without a runner.
                None if opts.dry_run => None,
                None => {
                    return Err(DeployError::RunnerNotRegistered {
                        account: app.pipeline.account.clone(),
                        region: app.region.clone(),
                        parameter: config.runner_instance_parameter.clone(),
                    })
                }
            }
        }
        (None, _) => None,
    };
    Ok(Target {
        caller: identity.arn().unwrap_or_default().to_string(),
        artifact_bucket: opts
            .artifact_bucket
            .clone()
            .unwrap_or(config.artifact_bucket),
        role_arn: opts
            .role_arn
            .clone()
            .unwrap_or(entry.state_machine_role_arn),
        platform_key_arn: config.platform_key_arn,
        state_bucket: config.state_bucket,
        runner_instance_id,
    })
}
