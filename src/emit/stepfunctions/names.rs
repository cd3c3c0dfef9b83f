//! Names and ARNs the state machine derives from the model. Other emitters
//! and `paasc deploy` that must agree with them call these functions.

use crate::model::{App, Kms};

/// Name, under `App::parameter_path()`, of the SecureString parameter that
/// PreProvision writes (the execution's pipeline inputs). Owned by the state
/// machine: `paasc deploy` writes its own names beside it, never this one.
pub const EXECUTION_PARAMETER: &str = "execution";

pub use crate::model::partition;

/// The KMS key id the pipeline account uses for the app's parameter and
/// audit table. Aliases are account-local, so when the pipeline runs in
/// another account than the app's the alias is given as an alias ARN in the
/// app's account (KMS accepts alias ARNs cross-account, not bare aliases).
/// `Kms::Managed` is the key the Terraform module creates under
/// `alias/paas-<app>-<env>`.
pub fn kms_key_id(app: &App) -> String {
    let alias = match &app.kms {
        Kms::KeyArn(arn) => return arn.clone(),
        Kms::Alias(alias) => alias.clone(),
        Kms::Managed => managed_kms_alias(app),
    };
    if app.bakes_elsewhere() {
        format!(
            "arn:{}:kms:{}:{}:{}",
            partition(&app.region),
            app.region,
            app.account,
            alias
        )
    } else {
        alias
    }
}

/// `alias/paas-<app>-<env>`: the alias of the key the Terraform module
/// creates when the spec names no `kms` (the module's own name for it).
pub fn managed_kms_alias(app: &App) -> String {
    crate::emit::terraform::managed_kms_alias(app)
}

/// `workers = lambda`: the function a tool stage invokes, in the pipeline
/// account and the app's region: `paas-<app>-<env>-<stage>`.
pub fn lambda_function_arn(app: &App, stage: &str) -> String {
    format!(
        "arn:{}:lambda:{}:{}:function:paas-{}-{}-{}",
        partition(&app.region),
        app.region,
        app.pipeline.account,
        app.name,
        app.env,
        stage
    )
}

/// `workers = activity`: the activity a tool stage waits on. Activities live
/// in the account of the state machine (the pipeline account).
pub fn activity_arn(app: &App, stage: &str) -> String {
    format!(
        "arn:{}:states:{}:{}:activity:{}-{}",
        partition(&app.region),
        app.region,
        app.pipeline.account,
        app.name,
        stage
    )
}

/// When the pipeline runs in another account than the app's, the role in
/// the app's account that its load-balancer and auto-scaling tasks assume
/// (`Credentials`): the same role Terraform assumes for Provision, which
/// exists before the first execution.
pub fn deploy_role_arn(app: &App) -> String {
    crate::emit::terraform::provision_role_arn(app)
}

/// Escapes text for use inside an intrinsic-function string literal
/// (`'...'`), where `'`, `{`, `}` and `\\` are special.
pub fn intrinsic_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\'' | '{' | '}' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
