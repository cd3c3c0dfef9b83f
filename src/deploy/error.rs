//! Deploy failures as data: one variant per thing a person can act on, each
//! rendering as one clear line (lowercase, no final period, no backtrace).
//!
//! Input: the SDK's `SdkError` of any operation (typed service errors, time-outs,
//! dispatch failures) plus what the deploy was doing. Output: a `DeployError`.
//! Invariants: no message ever contains a parameter value (service messages
//! from Parameter Store are passed through `redact` first) or a credential.

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::error::SdkError;
use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

/// What went wrong, in terms a person can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeployError {
    /// The credential chain found nothing (or a provider failed).
    NoCredentials {
        detail: String,
    },
    /// AWS rejected the credentials themselves (unknown key, bad signature, expired).
    BadCredentials {
        code: String,
        message: String,
    },
    /// Connecting failed (refused, DNS, TLS) after the configured retries.
    Unreachable {
        endpoint: String,
        operation: String,
        detail: String,
    },
    /// The endpoint accepted the connection but did not answer in time.
    TimedOut {
        endpoint: String,
        operation: String,
        after: Duration,
    },
    AccessDenied {
        operation: String,
        message: String,
    },
    /// The KMS key does not exist, is disabled, or may not be used.
    KmsKey {
        key: String,
        operation: String,
        message: String,
    },
    Throttled {
        operation: String,
        attempts: u32,
    },
    InvalidDefinition {
        state_machine: String,
        message: String,
    },
    BucketMissing {
        bucket: String,
    },
    ParameterTooLarge {
        name: String,
        bytes: usize,
    },
    /// The artifacts handed to deploy lack a file it needs.
    MissingArtifact {
        path: String,
    },
    /// A real deploy needs the instance that runs the pipeline's commands.
    NoRunner,
    /// Another release of the app and env is running: nothing was written.
    ReleaseInProgress {
        release: String,
        execution: String,
        started: String,
    },
    /// The credentials belong to another account than the pipeline's.
    WrongAccount {
        have: String,
        want: String,
        release: String,
    },
    /// `paasc bootstrap` has not created a platform in this account and region.
    NoPlatform {
        account: String,
        region: String,
    },
    /// The platform exists but was bootstrapped without this app and env.
    UnknownToPlatform {
        release: String,
        account: String,
        region: String,
    },
    /// The platform's runner has not written its instance id (yet).
    RunnerNotRegistered {
        account: String,
        region: String,
        parameter: String,
    },
    /// The run list needs cookbooks or roles and there is no chef repo to
    /// vendor them from (found before any AWS call).
    NoChefRepo {
        spec: String,
        needs: String,
    },
    /// A platform parameter is not what the platform module writes.
    BadPlatform {
        parameter: String,
        detail: String,
    },
    /// `--wait`: the execution ended in FAILED, TIMED_OUT or ABORTED.
    ExecutionFailed {
        execution: String,
        status: String,
        stage: Option<String>,
        error: String,
        cause: String,
    },
    /// Any other service error, with its code.
    Aws {
        operation: String,
        code: String,
        message: String,
    },
    /// The async runtime could not start, or a document failed to serialize.
    Internal {
        message: String,
    },
}

impl fmt::Display for DeployError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeployError::NoCredentials { detail } => write!(
                f,
                "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, \
                 or run with an instance or task role ({detail})"
            ),
            DeployError::BadCredentials { code, message } => {
                write!(f, "AWS rejected the credentials ({code}): {message}")
            }
            DeployError::Unreachable { endpoint, operation, detail } => {
                write!(f, "cannot reach {endpoint} ({operation}): {detail}")
            }
            DeployError::TimedOut { endpoint, operation, after } => write!(
                f,
                "{endpoint} did not answer {operation} within {}s: is the endpoint up and is it an AWS endpoint",
                after.as_secs()
            ),
            DeployError::AccessDenied { operation, message } => write!(
                f,
                "access denied on {operation}: {message} (the permissions deploy needs are in docs/deploy-iam-policy.json)"
            ),
            DeployError::KmsKey { key, operation, message } => write!(
                f,
                "KMS key `{key}` cannot be used ({operation}): {message} (check that it exists in the app's region, \
                 is enabled, and its policy lets the deploying identity encrypt with it)"
            ),
            DeployError::Throttled { operation, attempts } => write!(
                f,
                "AWS throttled {operation} and it still failed after {attempts} attempts: try again in a minute"
            ),
            DeployError::InvalidDefinition { state_machine, message } => {
                write!(f, "Step Functions rejected the definition of `{state_machine}`: {message}")
            }
            DeployError::BucketMissing { bucket } => write!(
                f,
                "artifact bucket `{bucket}` does not exist: create it (SSE-KMS, versioned) or pass --artifact-bucket"
            ),
            DeployError::ParameterTooLarge { name, bytes } => write!(
                f,
                "parameter `{name}` would be {bytes} bytes, more than Parameter Store allows (4096 standard, 8192 advanced)"
            ),
            DeployError::MissingArtifact { path } => {
                write!(f, "the artifacts to deploy have no `{path}`: deploy what `paasc build` writes")
            }
            DeployError::ReleaseInProgress {
                release,
                execution,
                started,
            } => write!(
                f,
                "another release of {release} is running (execution {execution}, started {started}): \
                 wait for it to end (or stop it), then deploy again; nothing was written"
            ),
            DeployError::NoRunner => write!(
                f,
                "no runner instance: pass --runner-instance-id with the EC2 instance (in the pipeline account) \
                 that runs the pipeline's SSM commands"
            ),
            DeployError::WrongAccount { have, want, release } => write!(
                f,
                "the credentials belong to account {have}, but {release} runs its pipeline in account {want}: \
                 deploy with credentials of {want}"
            ),
            DeployError::NoPlatform { account, region } => write!(
                f,
                "no paasc platform in account {account}, region {region}: run paasc bootstrap"
            ),
            DeployError::UnknownToPlatform { release, account, region } => write!(
                f,
                "the paasc platform in account {account}, region {region} was bootstrapped without {release}: \
                 run paasc bootstrap with this spec too and apply its module"
            ),
            DeployError::RunnerNotRegistered { account, region, parameter } => write!(
                f,
                "the paasc platform in account {account}, region {region} has no registered runner ({parameter} \
                 is not set): the runner writes it when it boots; check its auto scaling group, or pass --runner-instance-id"
            ),
            DeployError::NoChefRepo { spec, needs } => write!(
                f,
                "the run list needs {needs}, but there is no chef repo: put them in cookbooks/ and roles/ beside {spec} \
                 (Chef's layout: cookbooks/NAME/metadata.rb, cookbooks/NAME/recipes/RECIPE.rb, roles/NAME.json), or pass --chef-repo DIR"
            ),
            DeployError::BadPlatform { parameter, detail } => write!(
                f,
                "the platform parameter {parameter} is not what paasc bootstrap writes ({detail}): re-apply the platform module"
            ),
            DeployError::ExecutionFailed { execution, status, stage, error, cause } => {
                write!(f, "execution `{execution}` {status}")?;
                if let Some(stage) = stage {
                    write!(f, " in stage {stage}")?;
                }
                match (error.is_empty(), cause.is_empty()) {
                    (true, true) => Ok(()),
                    (false, true) => write!(f, ": {error}"),
                    (true, false) => write!(f, ": {cause}"),
                    (false, false) => write!(f, ": {error}: {cause}"),
                }
            }
            DeployError::Aws { operation, code, message } => write!(f, "{operation} failed: {code}: {message}"),
            DeployError::Internal { message } => write!(f, "internal error: {message}"),
        }
    }
}

impl StdError for DeployError {}

/// What a failed call was doing, for the message.
pub(crate) struct Context<'a> {
    /// e.g. `s3:PutObject`.
    pub operation: &'a str,
    /// Where calls go: the endpoint URL or `AWS (<region>)`.
    pub endpoint: &'a str,
    pub kms_key: &'a str,
    pub bucket: &'a str,
    pub state_machine: &'a str,
    /// A value that must never appear in a message (a parameter value).
    pub secret: Option<&'a str>,
    pub attempts: u32,
    pub operation_timeout: Duration,
}

/// Classifies any SDK error. Typed service errors are recognised by their
/// error code, which the SDK parses from the response for modeled and
/// unmodeled errors alike (throttling and access denied are unmodeled on
/// most operations).
pub(crate) fn classify<E, R>(ctx: &Context<'_>, err: SdkError<E, R>) -> DeployError
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    R: fmt::Debug + Send + Sync + 'static,
{
    let operation = ctx.operation.to_string();
    if let Some(detail) = credentials_failure(&err) {
        return DeployError::NoCredentials { detail };
    }
    match &err {
        SdkError::TimeoutError(_) => DeployError::TimedOut {
            endpoint: ctx.endpoint.to_string(),
            operation,
            after: ctx.operation_timeout,
        },
        SdkError::DispatchFailure(d) if d.is_timeout() => DeployError::TimedOut {
            endpoint: ctx.endpoint.to_string(),
            operation,
            after: ctx.operation_timeout,
        },
        SdkError::DispatchFailure(_) => DeployError::Unreachable {
            endpoint: ctx.endpoint.to_string(),
            operation,
            detail: innermost(&err),
        },
        SdkError::ServiceError(service) => {
            let e = service.err();
            let code = e.code().unwrap_or("Unknown").to_string();
            let message = redact(e.message().unwrap_or("no message"), ctx.secret);
            from_code(ctx, operation, code, message)
        }
        _ => DeployError::Aws {
            operation,
            code: "Unknown".into(),
            message: redact(&innermost(&err), ctx.secret),
        },
    }
}

fn from_code(ctx: &Context<'_>, operation: String, code: String, message: String) -> DeployError {
    match code.as_str() {
        "ThrottlingException"
        | "Throttling"
        | "TooManyRequestsException"
        | "RequestLimitExceeded"
        | "SlowDown"
        | "TooManyUpdates"
        | "ProvisionedThroughputExceededException"
        | "RequestThrottled" => DeployError::Throttled {
            operation,
            attempts: ctx.attempts,
        },
        "AccessDenied"
        | "AccessDeniedException"
        | "UnauthorizedOperation"
        | "UnauthorizedAccess"
        | "AllAccessDisabled" => DeployError::AccessDenied { operation, message },
        "UnrecognizedClientException"
        | "InvalidClientTokenId"
        | "InvalidAccessKeyId"
        | "SignatureDoesNotMatch"
        | "InvalidSignatureException"
        | "ExpiredToken"
        | "ExpiredTokenException"
        | "IncompleteSignature"
        | "MissingAuthenticationToken" => DeployError::BadCredentials { code, message },
        "InvalidKeyId" | "KMSInvalidStateException" => DeployError::KmsKey {
            key: ctx.kms_key.to_string(),
            operation,
            message,
        },
        c if c.starts_with("KMS.") || c.starts_with("Kms") => DeployError::KmsKey {
            key: ctx.kms_key.to_string(),
            operation,
            message,
        },
        "InvalidDefinition" => DeployError::InvalidDefinition {
            state_machine: ctx.state_machine.to_string(),
            message,
        },
        "NoSuchBucket" => DeployError::BucketMissing {
            bucket: ctx.bucket.to_string(),
        },
        _ => DeployError::Aws {
            operation,
            code,
            message,
        },
    }
}

/// The credential chain's own error, if that is what failed.
fn credentials_failure<E, R>(err: &SdkError<E, R>) -> Option<String>
where
    E: StdError + 'static,
    R: fmt::Debug + 'static,
{
    let mut source: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = source {
        if let Some(c) = e.downcast_ref::<aws_credential_types::provider::error::CredentialsError>()
        {
            return Some(innermost_of(c));
        }
        source = e.source();
    }
    None
}

fn innermost<E, R>(err: &SdkError<E, R>) -> String
where
    E: StdError + 'static,
    R: fmt::Debug + 'static,
{
    innermost_of(err)
}

/// The deepest message of an error chain: the SDK's outer layers say only
/// "dispatch failure"; the cause ("Connection refused") is at the bottom.
fn innermost_of(err: &(dyn StdError + 'static)) -> String {
    let mut last = err.to_string();
    let mut source = err.source();
    while let Some(e) = source {
        let text = e.to_string();
        if !text.is_empty() {
            last = text;
        }
        source = e.source();
    }
    last
}

/// Removes `secret` and anything AWS quotes back as `Value '...'` from a
/// service message (validation messages echo the rejected value).
pub(crate) fn redact(message: &str, secret: Option<&str>) -> String {
    let mut out = match secret {
        Some(s) if !s.is_empty() => message.replace(s, "<redacted>"),
        _ => message.to_string(),
    };
    let mut from = 0;
    while let Some(start) = out[from..]
        .find("alue '")
        .map(|i| i + from + "alue '".len())
    {
        let Some(len) = out[start..].find('\'') else {
            break;
        };
        out.replace_range(start..start + len, "<redacted>");
        from = start + "<redacted>'".len();
    }
    out
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

    #[test]
    fn redacts_secrets_and_echoed_values() {
        let m = redact(
            "1 validation error detected: Value 'top secret' at 'value' failed",
            None,
        );
        assert_eq!(
            m,
            "1 validation error detected: Value '<redacted>' at 'value' failed"
        );
        assert_eq!(
            redact("bad hunter2 here", Some("hunter2")),
            "bad <redacted> here"
        );
        assert_eq!(redact("no quotes", None), "no quotes");
        assert_eq!(
            redact("value 'a' and value 'b'", None),
            "value '<redacted>' and value '<redacted>'"
        );
    }

    #[test]
    fn messages_are_lowercase_lines_without_final_period() {
        let errors = [
            DeployError::NoRunner,
            DeployError::Throttled {
                operation: "sfn:StartExecution".into(),
                attempts: 3,
            },
            DeployError::BucketMissing { bucket: "b".into() },
            DeployError::ParameterTooLarge {
                name: "/paas/a/b/config".into(),
                bytes: 9000,
            },
        ];
        for e in errors {
            let text = e.to_string();
            assert!(!text.ends_with('.'), "{text}");
            assert!(!text.contains('\n'), "{text}");
        }
    }
}
