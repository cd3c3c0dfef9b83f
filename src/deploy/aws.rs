//! The AWS calls of a deploy: client set-up (time-outs, retries, TLS) and one
//! thin wrapper per operation that turns SDK errors into `DeployError`s.
//!
//! Input: a `Plan` and configured clients. Output: the results the deploy
//! flow needs (ARNs, statuses, history events), nothing else.
//! Invariants: every client carries the explicit `TimeoutConfig` and
//! `RetryConfig` of `DeployOptions::timeouts`; S3 uses path-style addressing
//! whenever an endpoint URL is configured (emulators serve no virtual hosts);
//! parameter values are passed to `classify` as secrets to redact.

use super::error::{classify, Context, DeployError};
use super::plan::{ObjectPlan, ParameterPlan, Plan, Tier};
use super::{DeployOptions, Timeouts};
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;
use aws_sdk_sfn::types::{HistoryEvent, StateMachineType};
use aws_sdk_ssm::types::{DocumentFormat, DocumentType, ParameterTier, ParameterType};

/// The three service clients a deploy uses, and where they point.
#[derive(Debug, Clone)]
pub struct Clients {
    pub ssm: aws_sdk_ssm::Client,
    pub s3: aws_sdk_s3::Client,
    pub sfn: aws_sdk_sfn::Client,
    pub sts: aws_sdk_sts::Client,
    /// For messages: the endpoint URL, or `AWS`.
    pub endpoint: String,
    pub timeouts: Timeouts,
}

impl Clients {
    /// Standard credential chain and config files, the given region, and
    /// `opts.endpoint_url` (else `AWS_ENDPOINT_URL`, else AWS itself).
    pub async fn from_env(region: &str, opts: &DeployOptions) -> Clients {
        Clients::with_credentials(region, opts, None).await
    }

    /// Like `from_env`, with these credentials instead of the chain's when
    /// given (a library caller's own, or a test's per account).
    pub async fn with_credentials(
        region: &str,
        opts: &DeployOptions,
        credentials: Option<aws_credential_types::Credentials>,
    ) -> Clients {
        let t = opts.timeouts;
        // ring, not aws-lc: same rustls, no C toolchain, much faster to build.
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
                aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
            ))
            .build_https();
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(region.to_string()))
            .http_client(http)
            .timeout_config(timeout_config(t))
            .retry_config(retry_config(t));
        if let Some(url) = &opts.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        if let Some(c) = credentials {
            loader = loader.credentials_provider(c);
        }
        let config = loader.load().await;
        let endpoint = config
            .endpoint_url()
            .map_or_else(|| format!("AWS ({region})"), str::to_string);
        let s3_config = aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(config.endpoint_url().is_some())
            .build();
        Clients {
            ssm: aws_sdk_ssm::Client::new(&config),
            s3: aws_sdk_s3::Client::from_conf(s3_config),
            sfn: aws_sdk_sfn::Client::new(&config),
            sts: aws_sdk_sts::Client::new(&config),
            endpoint,
            timeouts: t,
        }
    }

    pub(crate) fn calls<'a>(&'a self, plan: &'a Plan) -> Calls<'a> {
        Calls {
            clients: self,
            plan,
        }
    }
}

/// The explicit time-outs (the SDK's defaults have none for reads, so a
/// server that accepts and never answers would hang a deploy forever).
pub fn timeout_config(t: Timeouts) -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(t.connect)
        .read_timeout(t.attempt)
        .operation_attempt_timeout(t.attempt)
        .operation_timeout(t.operation)
        .build()
}

/// Standard mode: retries throttling and transient errors with back-off.
pub fn retry_config(t: Timeouts) -> RetryConfig {
    RetryConfig::standard().with_max_attempts(t.max_attempts.max(1))
}

/// An existing state machine, as far as a deploy cares.
pub(crate) struct Machine {
    pub arn: String,
    pub definition: String,
    pub role_arn: String,
}

/// Execution ARNs follow from the machine's: `...:stateMachine:M` ->
/// `...:execution:M:NAME` (saves a call and works for any account).
pub(crate) fn execution_arn(machine_arn: &str, name: &str) -> String {
    format!(
        "{}:{name}",
        machine_arn.replacen(":stateMachine:", ":execution:", 1)
    )
}

pub(crate) struct Calls<'a> {
    clients: &'a Clients,
    plan: &'a Plan,
}

impl<'a> Calls<'a> {
    fn ctx(&self, operation: &'a str, secret: Option<&'a str>) -> Context<'a> {
        Context {
            operation,
            endpoint: &self.clients.endpoint,
            kms_key: &self.plan.kms_key_id,
            bucket: &self.plan.bucket,
            state_machine: &self.plan.state_machine_name,
            secret,
            attempts: self.clients.timeouts.max_attempts,
            operation_timeout: self.clients.timeouts.operation,
        }
    }

    pub async fn find_state_machine(&self) -> Result<Option<Machine>, DeployError> {
        let name = &self.plan.state_machine_name;
        let mut token: Option<String> = None;
        let arn = loop {
            let page = self
                .clients
                .sfn
                .list_state_machines()
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| classify(&self.ctx("states:ListStateMachines", None), e))?;
            if let Some(m) = page.state_machines().iter().find(|m| m.name() == name) {
                break m.state_machine_arn().to_string();
            }
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => return Ok(None),
            }
        };
        let described = self
            .clients
            .sfn
            .describe_state_machine()
            .state_machine_arn(&arn)
            .send()
            .await
            .map_err(|e| classify(&self.ctx("states:DescribeStateMachine", None), e))?;
        Ok(Some(Machine {
            arn,
            definition: described.definition().to_string(),
            role_arn: described.role_arn().to_string(),
        }))
    }

    /// An execution of the state machine that is running now (its name and
    /// start), if any: one release at a time per app and env.
    pub async fn running_execution(
        &self,
        machine_arn: &str,
    ) -> Result<Option<(String, String)>, DeployError> {
        let page = self
            .clients
            .sfn
            .list_executions()
            .state_machine_arn(machine_arn)
            .status_filter(aws_sdk_sfn::types::ExecutionStatus::Running)
            .max_results(1)
            .send()
            .await
            .map_err(|e| classify(&self.ctx("states:ListExecutions", None), e))?;
        Ok(page.executions().first().map(|e| {
            (
                e.name().to_string(),
                aws_smithy_types::date_time::DateTime::fmt(
                    e.start_date(),
                    aws_smithy_types::date_time::Format::DateTime,
                )
                .unwrap_or_default(),
            )
        }))
    }

    /// The status of an execution, or None when it does not exist.
    pub async fn execution_status(&self, arn: &str) -> Result<Option<String>, DeployError> {
        match self.describe_execution(arn).await {
            Ok(d) => Ok(Some(d.status().as_str().to_string())),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_execution_does_not_exist()) =>
            {
                Ok(None)
            }
            Err(e) => Err(classify(&self.ctx("states:DescribeExecution", None), e)),
        }
    }

    pub async fn describe_execution(
        &self,
        arn: &str,
    ) -> Result<
        aws_sdk_sfn::operation::describe_execution::DescribeExecutionOutput,
        aws_sdk_sfn::error::SdkError<
            aws_sdk_sfn::operation::describe_execution::DescribeExecutionError,
        >,
    > {
        self.clients
            .sfn
            .describe_execution()
            .execution_arn(arn)
            .send()
            .await
    }

    pub async fn describe(&self, arn: &str) -> Result<(String, String, String), DeployError> {
        let d = self
            .describe_execution(arn)
            .await
            .map_err(|e| classify(&self.ctx("states:DescribeExecution", None), e))?;
        Ok((
            d.status().as_str().to_string(),
            d.error().unwrap_or_default().to_string(),
            d.cause().unwrap_or_default().to_string(),
        ))
    }

    /// The whole history, oldest first, without execution data (inputs and
    /// outputs stay out of the terminal).
    pub async fn history(&self, arn: &str) -> Result<Vec<HistoryEvent>, DeployError> {
        let mut events = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .clients
                .sfn
                .get_execution_history()
                .execution_arn(arn)
                .include_execution_data(false)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| classify(&self.ctx("states:GetExecutionHistory", None), e))?;
            events.extend(page.events().iter().cloned());
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => return Ok(events),
            }
        }
    }

    pub async fn put_parameter(&self, p: &ParameterPlan) -> Result<(), DeployError> {
        let first = self.put_parameter_tier(p, p.tier).await;
        match first {
            // Parameter Store never downgrades a parameter that was once
            // Advanced; keeping it Advanced is the only way to overwrite it.
            Err(e) if p.tier == Tier::Standard && is_downgrade_refusal(&e) => self
                .put_parameter_tier(p, Tier::Advanced)
                .await
                .map_err(|e| classify(&self.ctx("ssm:PutParameter", Some(&p.value)), e)),
            other => other.map_err(|e| classify(&self.ctx("ssm:PutParameter", Some(&p.value)), e)),
        }
    }

    async fn put_parameter_tier(
        &self,
        p: &ParameterPlan,
        tier: Tier,
    ) -> Result<
        (),
        aws_sdk_ssm::error::SdkError<aws_sdk_ssm::operation::put_parameter::PutParameterError>,
    > {
        let tier = match tier {
            Tier::Standard => ParameterTier::Standard,
            Tier::Advanced => ParameterTier::Advanced,
        };
        self.clients
            .ssm
            .put_parameter()
            .name(&p.name)
            .value(&p.value)
            .r#type(ParameterType::SecureString)
            .key_id(&self.plan.kms_key_id)
            .tier(tier)
            .overwrite(true)
            .description("written by paasc deploy")
            .send()
            .await
            .map(|_| ())
    }

    pub async fn put_object(&self, o: &ObjectPlan) -> Result<(), DeployError> {
        let digest = hex_to_bytes(&o.sha256);
        self.clients
            .s3
            .put_object()
            .bucket(&self.plan.bucket)
            .key(&o.key)
            .body(ByteStream::from(o.body.clone().into_bytes()))
            .content_type(content_type(&o.path))
            .server_side_encryption(ServerSideEncryption::AwsKms)
            .ssekms_key_id(&self.plan.kms_key_id)
            // S3 verifies the body against this; the hex copy is for people.
            .checksum_sha256(aws_smithy_types::base64::encode(digest))
            .metadata("sha256", &o.sha256)
            .send()
            .await
            .map_err(|e| classify(&self.ctx("s3:PutObject", None), e))?;
        Ok(())
    }

    /// What registering `content` as the command document `name` needs:
    /// read only (for `--dry-run` and before writing).
    pub async fn document_action(
        &self,
        name: &str,
        content: &str,
    ) -> Result<super::MachineAction, DeployError> {
        match self.clients.ssm.get_document().name(name).send().await {
            Ok(doc) if doc.content() == Some(content) => Ok(super::MachineAction::Unchanged),
            Ok(_) => Ok(super::MachineAction::Update),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_invalid_document()) =>
            {
                Ok(super::MachineAction::Create)
            }
            Err(e) => Err(classify(&self.ctx("ssm:GetDocument", None), e)),
        }
    }

    /// Registers an SSM command document the state machine runs: creates it,
    /// or adds `content` as a new version and makes that the default.
    pub async fn put_document(
        &self,
        name: &str,
        content: &str,
        action: super::MachineAction,
    ) -> Result<(), DeployError> {
        match action {
            super::MachineAction::Unchanged => Ok(()),
            super::MachineAction::Create => self
                .clients
                .ssm
                .create_document()
                .name(name)
                .content(content)
                .document_type(DocumentType::Command)
                .document_format(DocumentFormat::Json)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| classify(&self.ctx("ssm:CreateDocument", None), e)),
            super::MachineAction::Update => {
                let out = self
                    .clients
                    .ssm
                    .update_document()
                    .name(name)
                    .content(content)
                    .document_format(DocumentFormat::Json)
                    .document_version("$LATEST")
                    .send()
                    .await
                    .map_err(|e| classify(&self.ctx("ssm:UpdateDocument", None), e))?;
                let version = out
                    .document_description()
                    .and_then(|d| d.document_version())
                    .unwrap_or("$LATEST")
                    .to_string();
                self.clients
                    .ssm
                    .update_document_default_version()
                    .name(name)
                    .document_version(version)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| classify(&self.ctx("ssm:UpdateDocumentDefaultVersion", None), e))
            }
        }
    }

    /// Whether the activity exists with the ARN the state machine names.
    pub async fn activity_exists(&self, arn: &str) -> Result<bool, DeployError> {
        match self
            .clients
            .sfn
            .describe_activity()
            .activity_arn(arn)
            .send()
            .await
        {
            Ok(a) => Ok(a.activity_arn() == arn),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_activity_does_not_exist()) =>
            {
                Ok(false)
            }
            Err(e) => Err(classify(&self.ctx("states:DescribeActivity", None), e)),
        }
    }

    /// Creates an activity, then reads it back: the ARN must be the one
    /// the state machine's Task names (same account, region and name).
    pub async fn create_activity(&self, name: &str, arn: &str) -> Result<(), DeployError> {
        let out = self
            .clients
            .sfn
            .create_activity()
            .name(name)
            .send()
            .await
            .map_err(|e| classify(&self.ctx("states:CreateActivity", None), e))?;
        if out.activity_arn() != arn || !self.activity_exists(arn).await? {
            return Err(DeployError::Internal {
                message: format!(
                    "created activity {name} as {}, but the state machine waits on {arn}",
                    out.activity_arn()
                ),
            });
        }
        Ok(())
    }

    pub async fn create_state_machine(&self) -> Result<String, DeployError> {
        let out = self
            .clients
            .sfn
            .create_state_machine()
            .name(&self.plan.state_machine_name)
            .definition(&self.plan.definition)
            .role_arn(&self.plan.role_arn)
            .r#type(StateMachineType::Standard)
            .send()
            .await
            .map_err(|e| classify(&self.ctx("states:CreateStateMachine", None), e))?;
        Ok(out.state_machine_arn().to_string())
    }

    pub async fn update_state_machine(&self, arn: &str) -> Result<(), DeployError> {
        self.clients
            .sfn
            .update_state_machine()
            .state_machine_arn(arn)
            .definition(&self.plan.definition)
            .role_arn(&self.plan.role_arn)
            .send()
            .await
            .map_err(|e| classify(&self.ctx("states:UpdateStateMachine", None), e))?;
        Ok(())
    }

    /// Starts the execution; false when one with this name already exists.
    pub async fn start_execution(
        &self,
        machine_arn: &str,
        input: &str,
    ) -> Result<bool, DeployError> {
        match self
            .clients
            .sfn
            .start_execution()
            .state_machine_arn(machine_arn)
            .name(&self.plan.execution_name)
            .input(input)
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_execution_already_exists()) =>
            {
                Ok(false)
            }
            Err(e) => Err(classify(&self.ctx("states:StartExecution", None), e)),
        }
    }
}

/// Parameter Store's refusal to turn an Advanced parameter back into a
/// Standard one (a `ValidationException` that says so).
fn is_downgrade_refusal(
    e: &aws_sdk_ssm::error::SdkError<aws_sdk_ssm::operation::put_parameter::PutParameterError>,
) -> bool {
    use aws_sdk_ssm::error::ProvideErrorMetadata;
    e.as_service_error().is_some_and(|s| {
        let message = s.message().unwrap_or_default().to_ascii_lowercase();
        s.code() == Some("ValidationException")
            && message.contains("advanced")
            && message.contains("standard")
    })
}

fn content_type(path: &str) -> &'static str {
    if path.ends_with(".json") {
        "application/json"
    } else {
        "text/plain; charset=utf-8"
    }
}

fn hex_to_bytes(hex: &str) -> Vec<u8> {
    let digit = |c: u8| match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => 0,
    };
    hex.as_bytes()
        .chunks(2)
        .map(|p| {
            let high = p.first().map_or(0, |&c| digit(c));
            let low = p.get(1).map_or(0, |&c| digit(c));
            (high << 4) | low
        })
        .collect()
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
    fn execution_arn_from_machine_arn() {
        assert_eq!(
            execution_arn(
                "arn:aws:states:us-east-1:123456789012:stateMachine:paas-a-b",
                "a-b-1-abc"
            ),
            "arn:aws:states:us-east-1:123456789012:execution:paas-a-b:a-b-1-abc"
        );
    }

    #[test]
    fn hex_round_trip() {
        assert_eq!(hex_to_bytes("00ff10"), vec![0, 255, 16]);
    }

    #[test]
    fn timeouts_are_explicit() {
        let t = Timeouts::default();
        let c = timeout_config(t);
        assert_eq!(c.connect_timeout(), Some(t.connect));
        assert_eq!(c.operation_attempt_timeout(), Some(t.attempt));
        assert_eq!(c.operation_timeout(), Some(t.operation));
        assert_eq!(retry_config(t).max_attempts(), 3);
    }
}
