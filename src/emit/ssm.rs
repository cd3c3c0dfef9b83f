//! SSM command documents the state machine's tool stages run on the runner
//! instance: `ssm/bake.json`, `ssm/provision.json`, `ssm/validate.json`,
//! `ssm/post.json` (registered as `App::ssm_document_name(stage)`).
//!
//! Input: one `model::App`. Output: one schemaVersion 2.2 document per stage
//! with a single `aws:runShellScript` step.
//!
//! Invariants:
//! - SSM pastes parameter values into the script text before the shell sees
//!   it, so every parameter has an `allowedPattern` that admits no quote,
//!   space, `$`, backquote, `;` or brace, and each `{{ Name }}` appears
//!   exactly once, inside single quotes, in an assignment at the top of the
//!   script; the rest of the script only uses the shell variable.
//! - Model values in the script go through `sh_quote` (single quotes, and
//!   braces split so SSM never sees a `{{` that is not a parameter).
//! - Stdout carries only what the state machine reads: the AMI id (bake),
//!   `terraform output -json` on one line (provision), a one-line JSON
//!   summary (validate, post). Everything else goes to stderr (fd 3 is the
//!   original stdout).
//! - Every declared parameter is used and every used one is declared
//!   (`scripts/validate/ssm.sh` checks it).

use super::{header, pretty_json, Artifact, InternalError};
use crate::model::names::{
    builder_tools, doc_param, packer_var, platform, tf_var, ToolStage, COLOUR_HEADER,
};
use crate::model::{App, Strategy};
use serde::Serialize;
use std::collections::BTreeMap;

/// Longest time a `aws:runShellScript` step may run (48 hours).
const MAX_STEP_SECONDS: u64 = 172_800;

#[derive(Serialize)]
struct Document {
    #[serde(rename = "schemaVersion")]
    schema_version: &'static str,
    description: String,
    parameters: BTreeMap<&'static str, Parameter>,
    #[serde(rename = "mainSteps")]
    main_steps: Vec<Step>,
}

#[derive(Serialize)]
struct Parameter {
    #[serde(rename = "type")]
    kind: &'static str,
    description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    default: Option<String>,
    #[serde(rename = "allowedPattern")]
    allowed_pattern: &'static str,
}

#[derive(Serialize)]
struct Step {
    action: &'static str,
    name: String,
    inputs: Inputs,
}

#[derive(Serialize)]
struct Inputs {
    #[serde(rename = "timeoutSeconds")]
    timeout_seconds: u64,
    #[serde(rename = "runCommand")]
    run_command: Vec<String>,
}

// allowedPattern values: none admits a quote, whitespace, `$`, backquote,
// `;`, `|`, `&`, `\`, braces or parentheses.
const P_BUCKET: &str = "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$";
const P_PREFIX: &str = "^([A-Za-z0-9_.+=@-]+/)+$";
const P_EXECUTION: &str = "^[A-Za-z0-9_.+=@-]{1,80}$";
const P_VERSION: &str = "^[A-Za-z0-9._+-]{1,128}$";
const P_AMI_OR_EMPTY: &str = "^(ami-[0-9a-f]{8,17})?$";
const P_AMI: &str = "^ami-[0-9a-f]{8,17}$";
const P_TIMESTAMP: &str = "^[0-9]{0,14}$";
const P_KMS: &str =
    "^(alias/[A-Za-z0-9/_-]+|arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key|alias)/[A-Za-z0-9/_-]+)$";
const P_WEIGHT: &str = "^(100|[1-9]?[0-9])$";
const P_ASG: &str = "^[A-Za-z0-9_.-]{1,255}$";
const P_DNS: &str = "^[A-Za-z0-9.-]{1,253}$";
const P_LIVE_COLOUR: &str = "^(none|blue|green)$";
const P_COLOUR: &str = "^(blue|green)$";

fn param(description: &str, default: Option<String>, allowed_pattern: &'static str) -> Parameter {
    Parameter {
        kind: "String",
        description: description.to_string(),
        default,
        allowed_pattern,
    }
}

/// Quotes `s` for bash: single quotes (`'` as `'\''`), and each brace closes
/// and reopens the quotes after it so the text never holds `{{` or `}}`,
/// which SSM would take for a parameter reference. NUL is dropped.
pub fn sh_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\'' => out.push_str("'\\''"),
            // bash cannot hold NUL in a word and would drop it anyway.
            '\0' => {}
            '{' | '}' => {
                out.push(c);
                out.push_str("''");
            }
            _ => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// The script text being built; `param` lines and the rest in order.
struct Script {
    lines: Vec<String>,
}

impl Script {
    fn new(app: &App, stage: ToolStage, stdout: &str) -> Self {
        // The header names the source file: keep it one comment line with no
        // `{{` whatever the file is called.
        let head: String = header(app, "#")
            .trim_end()
            .chars()
            .map(|c| {
                if c.is_control() || c == '{' || c == '}' {
                    ' '
                } else {
                    c
                }
            })
            .collect();
        let mut s = Script {
            lines: vec!["#!/bin/bash".to_string(), head],
        };
        s.push("set -euo pipefail");
        s.push(&format!(
            "# stdout carries only {stdout}; everything else goes to stderr (fd 3 is stdout)."
        ));
        s.push("exec 3>&1 1>&2");
        s.push("# The runner's environment (tool paths, Terraform's provider mirror), written at boot.");
        s.push(&format!(
            "RUNNER_ENV=\"${{PAASC_RUNNER_ENV:-{}}}\"",
            platform::RUNNER_ENV_FILE
        ));
        s.push("if [[ -f \"$RUNNER_ENV\" ]]; then . \"$RUNNER_ENV\"; fi");
        let region = sh_quote(&app.region);
        s.push(&format!(
            "export AWS_REGION={region} AWS_DEFAULT_REGION={region}"
        ));
        s.push(&format!("APP={}", sh_quote(&app.prefix())));
        s.push(&format!("STAGE={}", sh_quote(stage.word())));
        s
    }

    fn push(&mut self, line: &str) {
        self.lines.push(line.to_string());
    }

    /// `VAR='{{ Param }}'`: the only place a parameter is referenced.
    fn bind(&mut self, var: &str, param: &str) {
        self.lines.push(format!("{var}='{{{{ {param} }}}}'"));
    }

    fn extend(&mut self, lines: &[&str]) {
        self.lines.extend(lines.iter().map(|l| l.to_string()));
    }
}

fn common_params(params: &mut BTreeMap<&'static str, Parameter>) {
    params.insert(
        doc_param::ARTIFACT_BUCKET,
        param("S3 bucket holding the build's artifacts", None, P_BUCKET),
    );
    params.insert(
        doc_param::ARTIFACT_PREFIX,
        param(
            "Key prefix of the build's artifacts, `<app>/<env>/<version>/<content-hash>/`",
            None,
            P_PREFIX,
        ),
    );
    params.insert(
        doc_param::EXECUTION_ID,
        param(
            "Name of the Step Functions execution running this stage",
            None,
            P_EXECUTION,
        ),
    );
}

/// Binds the common parameters, makes a private work dir, announces the run
/// and defines `fetch DIR` (copies `<prefix><DIR>/` into `$WORK/<DIR>`).
fn common_start(s: &mut Script) {
    s.bind("ARTIFACT_BUCKET", doc_param::ARTIFACT_BUCKET);
    s.bind("ARTIFACT_PREFIX", doc_param::ARTIFACT_PREFIX);
    s.bind("EXECUTION_ID", doc_param::EXECUTION_ID);
    s.extend(&[
        "WORK=\"$(mktemp -d \"/tmp/paasc-${STAGE}.XXXXXXXX\")\"",
        "trap 'rm -rf \"$WORK\"' EXIT",
        "echo \"paasc: ${STAGE} of ${APP} for execution ${EXECUTION_ID}\"",
        "fetch() {",
        "  aws s3 cp --recursive --only-show-errors \"s3://${ARTIFACT_BUCKET}/${ARTIFACT_PREFIX}$1/\" \"$WORK/$1/\"",
        "}",
    ]);
}

/// The app's resources are reached only through the app account's
/// provision role (the one Terraform assumes), in one account as in two:
/// the runner itself holds no permission on them.
fn assume_app_role(s: &mut Script, app: &App) {
    s.push("# Act on the app's resources through the app account's provision role.");
    s.push(&format!("ROLE_ARN={}", sh_quote(&app.provision_role_arn())));
    s.extend(&[
        "CREDS=\"$(aws sts assume-role --role-arn \"$ROLE_ARN\" --role-session-name \"paasc-${STAGE}-${EXECUTION_ID:0:40}\" --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output text)\"",
        "read -r AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN <<<\"$CREDS\"",
        "export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN",
        "unset CREDS",
    ]);
}

fn document(
    app: &App,
    stage: ToolStage,
    description: String,
    params: BTreeMap<&'static str, Parameter>,
    script: Script,
) -> Result<Artifact, InternalError> {
    let doc = Document {
        schema_version: "2.2",
        description,
        parameters: params,
        main_steps: vec![Step {
            action: "aws:runShellScript",
            name: stage.word().to_string(),
            inputs: Inputs {
                timeout_seconds: app.pipeline.deadlines.of(stage).min(MAX_STEP_SECONDS),
                run_command: script.lines,
            },
        }],
    };
    Ok(Artifact::new(
        stage.document_path(),
        pretty_json("ssm", &doc)?,
    ))
}

/// Every fetched file is the one deploy uploaded: manifest.json's sha256 is
/// the release's content hash (the prefix's last part) and each file's is
/// the manifest's; a file missing or changed stops the stage.
fn verify_against_manifest(s: &mut Script, dirs: &[&str]) {
    s.extend(&[
        "CONTENT_HASH=\"$(basename \"$ARTIFACT_PREFIX\")\"",
        "aws s3 cp --only-show-errors \"s3://${ARTIFACT_BUCKET}/${ARTIFACT_PREFIX}manifest.json\" \"$WORK/manifest.json\"",
        "if ! echo \"${CONTENT_HASH}  $WORK/manifest.json\" | sha256sum --check --strict --quiet; then",
        "  echo \"paasc: manifest.json is not the release ${CONTENT_HASH}\" >&2",
        "  exit 1",
        "fi",
    ]);
    s.push(&format!(
        "python3 - \"$WORK\" {} <<'PAASC_VERIFY'",
        dirs.join(" ")
    ));
    s.extend(&[
        "import hashlib, json, os, sys",
        "work, dirs = sys.argv[1], sys.argv[2:]",
        "with open(os.path.join(work, 'manifest.json')) as f:",
        "    listed = dict((a['path'], a['sha256']) for a in json.load(f)['artifacts'])",
        "bad = []",
        "for d in dirs:",
        "    for root, _, files in os.walk(os.path.join(work, d)):",
        "        for name in files:",
        "            path = os.path.join(root, name)",
        "            rel = os.path.relpath(path, work)",
        "            with open(path, 'rb') as f:",
        "                got = hashlib.sha256(f.read()).hexdigest()",
        "            if listed.get(rel) != got:",
        "                bad.append(rel)",
        "    bad += [p + ' (missing)' for p in listed if p.startswith(d + '/') and not os.path.isfile(os.path.join(work, p))]",
        "if bad:",
        "    sys.stderr.write('paasc: not what deploy uploaded: ' + ', '.join(sorted(bad)) + '\\n')",
        "    sys.exit(1)",
        "PAASC_VERIFY",
    ]);
}

/// Copies the platform's pinned builder tools (checked again against the
/// runner's SHA256SUMS) beside the template, with their own SHA256SUMS for
/// the builder to check.
fn builder_tools(s: &mut Script, app: &App) {
    let globs = builder_tools::globs(&app.image.base.platform);
    s.extend(&[
        "TOOLS_SRC=\"${PAASC_BUILDER_TOOLS:-/opt/paasc/tools}\"",
        "(cd \"$TOOLS_SRC\" && sha256sum --check --strict --quiet SHA256SUMS)",
    ]);
    s.push(&format!("mkdir -p \"$WORK/{}\"", builder_tools::DIR));
    s.push(&format!(
        "for GLOB in {}; do",
        globs
            .iter()
            .map(|g| sh_quote(g))
            .collect::<Vec<_>>()
            .join(" ")
    ));
    s.extend(&[
        "  # shellcheck disable=SC2206",
        "  FOUND=( \"$TOOLS_SRC\"/$GLOB )",
        "  if [[ ${#FOUND[@]} -ne 1 || ! -f \"${FOUND[0]}\" ]]; then",
        "    echo \"paasc: the platform's tools hold no single ${GLOB}: add it to the tools directory and re-run paasc bootstrap\" >&2",
        "    exit 1",
        "  fi",
    ]);
    s.push(&format!(
        "  cp \"${{FOUND[0]}}\" \"$WORK/{}/\"",
        builder_tools::DIR
    ));
    s.push(&format!(
        "  grep -F \"  $(basename \"${{FOUND[0]}}\")\" \"$TOOLS_SRC/SHA256SUMS\" >> \"$WORK/{}/SHA256SUMS\"",
        builder_tools::DIR
    ));
    s.push("done");
}

fn bake(app: &App) -> Result<Artifact, InternalError> {
    let mut params = BTreeMap::new();
    common_params(&mut params);
    params.insert(
        doc_param::VERSION,
        param(
            "App version baked into the AMI name and tags (default: the spec's)",
            Some(app.version.clone()),
            P_VERSION,
        ),
    );
    params.insert(
        doc_param::SOURCE_AMI,
        param(
            "AMI to start from instead of the base image lookup (empty: look it up)",
            Some(String::new()),
            P_AMI_OR_EMPTY,
        ),
    );
    params.insert(
        doc_param::BUILD_TIMESTAMP,
        param(
            "Timestamp `YYYYMMDDhhmmss` in the AMI name (empty: the time of the build)",
            Some(String::new()),
            P_TIMESTAMP,
        ),
    );
    let mut s = Script::new(app, ToolStage::Bake, "the AMI id");
    common_start(&mut s);
    s.bind("VERSION", doc_param::VERSION);
    s.bind("SOURCE_AMI", doc_param::SOURCE_AMI);
    s.bind("BUILD_TIMESTAMP", doc_param::BUILD_TIMESTAMP);
    let mut vars = vec![
        format!("-var \"{}=${{VERSION}}\"", packer_var::VERSION),
        format!("-var \"{}=${{SOURCE_AMI}}\"", packer_var::SOURCE_AMI),
        format!(
            "-var \"{}=${{BUILD_TIMESTAMP}}\"",
            packer_var::BUILD_TIMESTAMP
        ),
    ];
    s.extend(&[
        "# The template reads the Chef files from ../chef and the builder tools from ../tools (path.root).",
        "fetch packer",
        "fetch chef",
    ]);
    verify_against_manifest(&mut s, &["packer", "chef"]);
    builder_tools(&mut s, app);
    if app.builder_subnet().is_none() {
        s.extend(&[
            "# No subnet in the spec: the builder runs in the runner's own (private) subnet.",
            "BUILDER_SUBNET=\"${PAASC_BUILDER_SUBNET:-}\"",
            "if [[ ! \"$BUILDER_SUBNET\" =~ ^subnet-[0-9a-f]+$ ]]; then",
            "  echo \"paasc: no builder subnet: the spec names none and the runner's environment has no PAASC_BUILDER_SUBNET\" >&2",
            "  exit 1",
            "fi",
        ]);
        vars.push(format!(
            "-var \"{}=${{BUILDER_SUBNET}}\"",
            packer_var::SUBNET_ID
        ));
    }
    s.extend(&["cd \"$WORK/packer\"", "packer init ."]);
    s.push(&format!(
        "packer build -color=false -machine-readable {} . | tee \"$WORK/packer.log\"",
        vars.join(" ")
    ));
    s.push("# Machine-readable artifact line: <time>,<build>,artifact,<n>,id,<region>:<ami>[%!(PACKER_COMMA)<region>:<ami>...]");
    s.push(&format!(
        "REGION_PREFIX={}",
        sh_quote(&format!("{}:", app.region))
    ));
    s.extend(&[
        "AMI_ID=\"$(awk -F, '$3 == \"artifact\" && $5 == \"id\" { print $6 }' \"$WORK/packer.log\" | sed 's/%!(PACKER_COMMA)/\\n/g' | grep -F \"$REGION_PREFIX\" | tail -n 1 | cut -d: -f2 || true)\"",
        "if [[ ! \"$AMI_ID\" =~ ^ami-[0-9a-f]{8,17}$ ]]; then",
        "  echo \"paasc: no AMI id for ${REGION_PREFIX%:} in packer's output\" >&2",
        "  exit 1",
        "fi",
        "printf '%s' \"$AMI_ID\" >&3",
    ]);
    let description = format!(
        "paasc bake for {}: packer init + build of the app's AMI; prints only the AMI id",
        app.prefix()
    );
    document(app, ToolStage::Bake, description, params, s)
}

fn provision(app: &App) -> Result<Artifact, InternalError> {
    let mut params = BTreeMap::new();
    common_params(&mut params);
    params.insert(
        doc_param::STATE_BUCKET,
        param("The platform's Terraform state bucket", None, P_BUCKET),
    );
    params.insert(
        doc_param::STATE_KMS_KEY,
        param(
            "The platform key (ARN) that encrypts the Terraform state",
            None,
            P_KMS,
        ),
    );
    params.insert(
        doc_param::AMI_ID,
        param("The AMI baked by the bake stage", None, P_AMI),
    );
    let blue_green = app.release.strategy == Strategy::BlueGreen;
    if blue_green {
        params.insert(
            doc_param::BLUE_WEIGHT,
            param(
                "Listener weight (percent) of the blue target group",
                Some("100".into()),
                P_WEIGHT,
            ),
        );
        params.insert(
            doc_param::GREEN_WEIGHT,
            param(
                "Listener weight (percent) of the green target group",
                Some("0".into()),
                P_WEIGHT,
            ),
        );
        params.insert(
            doc_param::LIVE_COLOUR,
            param(
                "The colour that takes the traffic (none before the first release): it keeps its AMI, the other colour gets AmiId",
                Some("none".into()),
                P_LIVE_COLOUR,
            ),
        );
        params.insert(
            doc_param::LIVE_AMI_ID,
            param(
                "The AMI the live colour runs (empty when LiveColour is none)",
                Some(String::new()),
                P_AMI_OR_EMPTY,
            ),
        );
    }

    let mut s = Script::new(
        app,
        ToolStage::Provision,
        "`terraform output -json` on one line",
    );
    common_start(&mut s);
    s.bind("AMI_ID", doc_param::AMI_ID);
    let mut vars = vec![format!("-var \"{}=${{AMI_ID}}\"", tf_var::AMI_ID)];
    if blue_green {
        s.bind("BLUE_WEIGHT", doc_param::BLUE_WEIGHT);
        s.bind("GREEN_WEIGHT", doc_param::GREEN_WEIGHT);
        vars.push(format!("-var \"{}=${{BLUE_WEIGHT}}\"", tf_var::BLUE_WEIGHT));
        vars.push(format!(
            "-var \"{}=${{GREEN_WEIGHT}}\"",
            tf_var::GREEN_WEIGHT
        ));
        s.bind("LIVE_COLOUR", doc_param::LIVE_COLOUR);
        s.bind("LIVE_AMI_ID", doc_param::LIVE_AMI_ID);
        vars.push(format!("-var \"{}=${{LIVE_COLOUR}}\"", tf_var::LIVE_COLOUR));
        vars.push(format!("-var \"{}=${{LIVE_AMI_ID}}\"", tf_var::LIVE_AMI_ID));
    }
    s.bind("STATE_BUCKET", doc_param::STATE_BUCKET);
    s.bind("STATE_KMS_KEY", doc_param::STATE_KMS_KEY);
    s.extend(&[
        "# The state lives in the platform's state bucket (S3-native locking), so the",
        "# working directory is this execution's own and nothing on the runner matters.",
        "fetch terraform",
    ]);
    if blue_green {
        idle_colour_names(&mut s, app);
        idle_colour_empty(&mut s, app);
    }
    s.extend(&[
        "cd \"$WORK/terraform\"",
        "export TF_IN_AUTOMATION=1 TF_INPUT=0",
        "terraform init -input=false -no-color -backend-config=\"bucket=${STATE_BUCKET}\" -backend-config=\"kms_key_id=${STATE_KMS_KEY}\"",
    ]);
    s.push(&format!(
        "terraform apply -input=false -no-color -auto-approve {}",
        vars.join(" ")
    ));
    if blue_green {
        idle_colour_ready(&mut s, app);
    }
    s.extend(&[
        "terraform output -no-color -json > \"$WORK/outputs.json\"",
        "if command -v jq >/dev/null 2>&1; then",
        "  OUTPUTS=\"$(jq -c . \"$WORK/outputs.json\")\"",
        "else",
        "  # JSON strings never hold a raw newline, so this only joins lines.",
        "  OUTPUTS=\"$(tr -d '\\n' < \"$WORK/outputs.json\")\"",
        "fi",
        "printf '%s' \"$OUTPUTS\" >&3",
    ]);
    let description = format!(
        "paasc provision for {}: terraform init (state in the platform's bucket) + apply with the baked AMI; prints only `terraform output -json`",
        app.prefix()
    );
    document(app, ToolStage::Provision, description, params, s)
}

/// The shell lines that name the idle colour (`IDLE`) and the groups'
/// prefix (`PREFIX`), for the steps before and after the apply.
fn idle_colour_names(s: &mut Script, app: &App) {
    s.push(&format!("PREFIX={}", sh_quote(&app.prefix())));
    s.push("if [[ \"$LIVE_COLOUR\" == blue ]]; then IDLE=green; else IDLE=blue; fi");
}

/// Blue-green, before the apply: hosts left in the idle colour (a
/// scale-down that failed, a release stopped by hand) run an older AMI, and
/// Validation must see only hosts of this release: the colour is emptied
/// first. Runs in a subshell with the app account's role.
fn idle_colour_empty(s: &mut Script, app: &App) {
    s.push("(");
    assume_app_role(s, app);
    s.push(&format!(
        "PROVISION_DEADLINE={}",
        app.pipeline.deadlines.of(ToolStage::Provision)
    ));
    s.extend(&[
        "hosts() { aws autoscaling describe-auto-scaling-groups --auto-scaling-group-names \"${PREFIX}-${IDLE}\" --query 'length(AutoScalingGroups[0].Instances)' --output text 2>/dev/null || true; }",
        "LEFT=\"$(hosts)\"",
        "if [[ \"$LEFT\" =~ ^[0-9]+$ ]] && (( LEFT > 0 )); then",
        "  echo \"paasc: ${PREFIX}-${IDLE} still has ${LEFT} hosts of an earlier release: emptying it\"",
        "  aws autoscaling update-auto-scaling-group --auto-scaling-group-name \"${PREFIX}-${IDLE}\" --min-size 0 --desired-capacity 0",
        "  while [[ \"$LEFT\" != 0 ]] && (( SECONDS < PROVISION_DEADLINE / 2 )); do sleep 15; LEFT=\"$(hosts)\"; done",
        "  if [[ \"$LEFT\" != 0 ]]; then echo \"paasc: ${PREFIX}-${IDLE} did not empty (${LEFT} hosts left)\"; exit 1; fi",
        "fi",
        ")",
    ]);
}

/// Blue-green, after the apply: the idle colour gets at least as many hosts
/// as the live one has now (the env's `desired` at least, its `max` at
/// most; the apply alone brings an emptied colour back to `min`), and the
/// stage waits until that many are healthy in its target group, up to the
/// stage's deadline less a minute. Runs in a subshell with the app
/// account's role.
fn idle_colour_ready(s: &mut Script, app: &App) {
    s.push("IDLE_TG=\"$(terraform output -no-color -raw \"${IDLE}_target_group_arn\")\"");
    s.push("(");
    assume_app_role(s, app);
    s.push(&format!(
        "DESIRED={} MAX={} PROVISION_DEADLINE={}",
        app.fleet.desired,
        app.fleet.max,
        app.pipeline.deadlines.of(ToolStage::Provision)
    ));
    s.extend(&[
        "WANT=$DESIRED",
        "if [[ \"$LIVE_COLOUR\" != none ]]; then",
        "  LIVE_SIZE=\"$(aws autoscaling describe-auto-scaling-groups --auto-scaling-group-names \"${PREFIX}-${LIVE_COLOUR}\" --query 'AutoScalingGroups[0].DesiredCapacity' --output text || true)\"",
        "  if [[ \"$LIVE_SIZE\" =~ ^[0-9]+$ ]] && (( LIVE_SIZE > WANT )); then WANT=$LIVE_SIZE; fi",
        "fi",
        "if (( WANT > MAX )); then WANT=$MAX; fi",
        "echo \"paasc: ${PREFIX}-${IDLE} takes this release with ${WANT} hosts\"",
        "aws autoscaling set-desired-capacity --auto-scaling-group-name \"${PREFIX}-${IDLE}\" --desired-capacity \"$WANT\"",
        "HEALTHY=0",
        "while (( SECONDS < PROVISION_DEADLINE - 60 )); do",
        "  HEALTHY=\"$(aws elbv2 describe-target-health --target-group-arn \"$IDLE_TG\" --query \"length(TargetHealthDescriptions[?TargetHealth.State=='healthy'])\" --output text || true)\"",
        "  if [[ \"$HEALTHY\" =~ ^[0-9]+$ ]] && (( HEALTHY >= WANT )); then break; fi",
        "  echo \"paasc: ${HEALTHY} of ${WANT} hosts of ${PREFIX}-${IDLE} healthy; waiting\"",
        "  sleep 15",
        "done",
        "if ! [[ \"$HEALTHY\" =~ ^[0-9]+$ ]] || (( HEALTHY < WANT )); then",
        "  echo \"paasc: only ${HEALTHY} of ${WANT} hosts of ${PREFIX}-${IDLE} became healthy before the stage's deadline\"",
        "  exit 1",
        "fi",
        ")",
    ]);
}

fn validate(app: &App) -> Result<Artifact, InternalError> {
    let mut params = BTreeMap::new();
    common_params(&mut params);
    params.insert(
        doc_param::ASG_NAME,
        param("Auto Scaling group whose InService instances are validated (Terraform output `asg_name`)", None, P_ASG),
    );

    let mut s = Script::new(app, ToolStage::Validate, "a one-line JSON summary");
    common_start(&mut s);
    s.bind("ASG_NAME", doc_param::ASG_NAME);
    s.push(&format!("REPORT_BUCKET={}", sh_quote(&app.logs.bucket)));
    s.push(&format!("REPORT_KMS_KEY={}", sh_quote(&app.kms_key_arn())));
    s.push(&format!(
        "REPORT_KEY=\"{}${{EXECUTION_ID}}.json\"",
        app.report_key_prefix()
    ));
    s.extend(&["fetch inspec"]);
    verify_against_manifest(&mut s, &["inspec"]);
    s.extend(&[
        "# cinc-auditor (InSpec without a licence) reaches the hosts through SSM, no SSH",
        "# anywhere: the train-awsssm transport, installed on the runner at boot.",
        "if ! cinc-auditor plugin list 2>/dev/null | grep -q train-awsssm; then",
        "  echo \"paasc: cinc-auditor has no train-awsssm plugin on this runner\" >&2",
        "  exit 1",
        "fi",
    ]);
    s.push(&format!(
        "ALLOW_SKIPPED={}",
        if app.release.allow_skipped_controls {
            "yes"
        } else {
            "no"
        }
    ));
    assume_app_role(&mut s, app);
    s.extend(&[
        "INSTANCES=\"$(aws autoscaling describe-auto-scaling-groups --auto-scaling-group-names \"$ASG_NAME\" --query 'AutoScalingGroups[0].Instances[?LifecycleState==`InService`].InstanceId' --output text)\"",
        "mkdir -p \"$WORK/reports\"",
        "STATUS=passed",
        "IDS=()",
        "for ID in $INSTANCES; do",
        "  if [[ ! \"$ID\" =~ ^i-[0-9a-f]+$ ]]; then continue; fi",
        "  IDS+=(\"$ID\")",
        "  RC=0",
        "  cinc-auditor exec \"$WORK/inspec\" -t \"awsssm://${ID}\" --no-color --reporter cli \"json:${WORK}/reports/${ID}.json\" || RC=$?",
        "  case \"$RC\" in",
        "    0) ;;",
        "    # Only skipped controls (a wrong platform skips a profile whole): a pass only when the spec allows it.",
        "    101) if [[ \"$ALLOW_SKIPPED\" == yes ]]; then echo \"paasc: ${ID}: some controls were skipped, none failed\"; else echo \"paasc: ${ID}: controls were skipped (release.skipped_controls = fail)\"; if [[ \"$STATUS\" == passed ]]; then STATUS=failed; fi; fi ;;",
        "    100) echo \"paasc: ${ID}: controls failed\"; if [[ \"$STATUS\" == passed ]]; then STATUS=failed; fi ;;",
        "    *) echo \"paasc: ${ID}: inspec exited with ${RC}\"; STATUS=error ;;",
        "  esac",
        "done",
        "if [[ ${#IDS[@]} -eq 0 ]]; then",
        "  echo \"paasc: no InService instance in ${ASG_NAME}\"",
        "  STATUS=error",
        "fi",
        "# One report per execution: the InSpec JSON report of each host, by instance id.",
        "{",
        "  printf '{\"execution_id\":\"%s\",\"profile\":\"%s\",\"status\":\"%s\",\"reports\":{' \"$EXECUTION_ID\" \"$APP\" \"$STATUS\"",
        "  SEP=''",
        "  for ID in ${IDS[@]+\"${IDS[@]}\"}; do",
        "    printf '%s\"%s\":' \"$SEP\" \"$ID\"",
        "    if [[ -s \"$WORK/reports/${ID}.json\" ]]; then cat \"$WORK/reports/${ID}.json\"; else printf 'null'; fi",
        "    SEP=','",
        "  done",
        "  # (two printf words: a literal double closing brace would look like an SSM parameter)",
        "  printf '%s%s' '}' '}'",
        "} > \"$WORK/report.json\"",
        "aws s3 cp --only-show-errors --sse aws:kms --sse-kms-key-id \"$REPORT_KMS_KEY\" \"$WORK/report.json\" \"s3://${REPORT_BUCKET}/${REPORT_KEY}\"",
        "# Control results over all hosts (InSpec's JSON reporter writes compact JSON).",
        "count() { cat \"$WORK\"/reports/*.json 2>/dev/null | grep -o \"\\\"status\\\":\\\"$1\\\"\" | wc -l | tr -d ' '; }",
        "printf '{\"status\":\"%s\",\"report\":\"s3://%s/%s\",\"passed\":%s,\"failed\":%s,\"skipped\":%s}' \"$STATUS\" \"$REPORT_BUCKET\" \"$REPORT_KEY\" \"$(count passed)\" \"$(count failed)\" \"$(count skipped)\" >&3",
        "case \"$STATUS\" in",
        "  passed) exit 0 ;;",
        "  failed) exit 100 ;;",
        "  *) exit 1 ;;",
        "esac",
    ]);
    let description = format!(
        "paasc validate for {}: cinc-auditor exec of the profile on every InService host through SSM; report to s3://{}/inspec/<ExecutionId>.json (SSE-KMS)",
        app.prefix(),
        app.logs.bucket
    );
    document(app, ToolStage::Validate, description, params, s)
}

fn post(app: &App) -> Result<Artifact, InternalError> {
    let mut params = BTreeMap::new();
    common_params(&mut params);
    params.insert(
        doc_param::ALB_DNS_NAME,
        param(
            "DNS name of the load balancer (Terraform output `alb_dns_name`)",
            None,
            P_DNS,
        ),
    );

    params.insert(
        doc_param::AMI_ID,
        param(
            "The AMI this release runs (kept, with the previous release's)",
            None,
            P_AMI,
        ),
    );
    params.insert(
        doc_param::LIVE_AMI_ID,
        param(
            "The AMI the live hosts run (kept whatever its age; empty before the first release)",
            Some(String::new()),
            P_AMI_OR_EMPTY,
        ),
    );

    let blue_green = app.release.strategy == Strategy::BlueGreen;
    if blue_green {
        params.insert(
            doc_param::COLOUR,
            param(
                "The colour that took this release: the smoke test reaches it with the X-Paas-Colour header before any traffic shifts to it",
                None,
                P_COLOUR,
            ),
        );
    }

    let mut s = Script::new(app, ToolStage::Post, "a one-line JSON summary");
    common_start(&mut s);
    s.bind("ALB_DNS_NAME", doc_param::ALB_DNS_NAME);
    s.bind("AMI_ID", doc_param::AMI_ID);
    s.bind("LIVE_AMI_ID", doc_param::LIVE_AMI_ID);
    let header = if blue_green {
        s.bind("COLOUR", doc_param::COLOUR);
        format!(" --header \"{COLOUR_HEADER}: ${{COLOUR}}\"")
    } else {
        String::new()
    };
    let (scheme, insecure) = match app.service.https {
        // The certificate names the app's domain, not the ALB's DNS name, so
        // the host name cannot verify; the smoke test proves the listener and
        // the health path, not the certificate (ACM manages that).
        Some(_) => ("https", " --insecure"),
        None => ("http", ""),
    };
    s.push(&format!(
        "POST_DEADLINE={}",
        app.pipeline.deadlines.of(ToolStage::Post)
    ));
    s.push(&format!("HEALTH_PATH={}", sh_quote(&app.service.health)));
    s.push(&format!(
        "URL=\"{scheme}://${{ALB_DNS_NAME}}${{HEALTH_PATH}}\""
    ));
    s.extend(&["CODE=none", "for ATTEMPT in $(seq 1 30); do"]);
    s.push(&format!(
        "  CODE=\"$(curl --silent --show-error{insecure}{header} --output /dev/null --max-time 10 --write-out '%{{http_code}}' \"$URL\" || true)\""
    ));
    s.extend(&[
        "  if [[ \"$CODE\" =~ ^2[0-9][0-9]$ ]]; then break; fi",
        "  echo \"paasc: smoke test attempt ${ATTEMPT}: ${URL} answered ${CODE:-nothing}\"",
        "  sleep 10",
        "done",
        "if [[ ! \"$CODE\" =~ ^2[0-9][0-9]$ ]]; then",
        "  echo \"paasc: smoke test failed: ${URL} answered ${CODE:-nothing}\"",
        "  exit 1",
        "fi",
    ]);
    // The AMI lifecycle, in the pipeline account where the bake made them
    // (the runner's own credentials, before acting in the app account).
    s.push(&format!("APP_NAME={}", sh_quote(&app.name)));
    s.push(&format!("ENV_NAME={}", sh_quote(&app.env)));
    s.extend(&[
        "# This release's AMI is marked released; the newest other released one stays",
        "# for rollback, and so does the AMI the live hosts run; older AMIs of this",
        "# app and env are deregistered and their snapshots deleted. Newer ones (a",
        "# bake still running) are left alone.",
        "aws ec2 create-tags --resources \"$AMI_ID\" --tags \"Key=paasc:released,Value=$(date -u +%Y%m%dT%H%M%SZ)\"",
        "CURRENT_DATE=\"$(aws ec2 describe-images --image-ids \"$AMI_ID\" --query 'Images[0].CreationDate' --output text)\"",
        "PREVIOUS=\"$(aws ec2 describe-images --owners self --filters \"Name=tag:app,Values=${APP_NAME}\" \"Name=tag:env,Values=${ENV_NAME}\" \"Name=tag-key,Values=paasc:released\" --query \"reverse(sort_by(Images[?ImageId!='${AMI_ID}'], &CreationDate))[0].ImageId\" --output text)\"",
        "DEREGISTERED=0",
        "while read -r ID CREATED SNAPSHOTS; do",
        "  if [[ -z \"$ID\" || \"$ID\" == \"$AMI_ID\" || \"$ID\" == \"$PREVIOUS\" || \"$ID\" == \"$LIVE_AMI_ID\" || ! \"$CREATED\" < \"$CURRENT_DATE\" ]]; then continue; fi",
        "  echo \"paasc: deregistering ${ID} (created ${CREATED}) and its snapshots\"",
        "  aws ec2 deregister-image --image-id \"$ID\"",
        "  for SNAPSHOT in ${SNAPSHOTS//,/ }; do aws ec2 delete-snapshot --snapshot-id \"$SNAPSHOT\"; done",
        "  DEREGISTERED=$((DEREGISTERED + 1))",
        "done < <(aws ec2 describe-images --owners self --filters \"Name=tag:app,Values=${APP_NAME}\" \"Name=tag:env,Values=${ENV_NAME}\" --query \"Images[].[ImageId,CreationDate,join(',',BlockDeviceMappings[].Ebs.SnapshotId)]\" --output text)",
    ]);
    // Log shipping: the CloudWatch agent configuration is baked into the
    // AMI (see `packer::cloudwatch_config`); here the pipeline checks that
    // the hosts ship and copies the group to the encrypted logs bucket.
    assume_app_role(&mut s, app);
    s.push(&format!("LOG_GROUP={}", sh_quote(&app.log_group())));
    s.push(&format!("LOGS_BUCKET={}", sh_quote(&app.logs.bucket)));
    s.extend(&[
        "SHIPPING=no",
        "LAST_EVENT=\"$(aws logs describe-log-streams --log-group-name \"$LOG_GROUP\" --order-by LastEventTime --descending --max-items 1 --query 'logStreams[0].lastEventTimestamp' --output text 2>/dev/null || true)\"",
        "if [[ \"$LAST_EVENT\" =~ ^[0-9]+$ ]]; then SHIPPING=yes; else echo \"paasc: warning: no log events in ${LOG_GROUP} yet\"; fi",
        "NOW_MS=$(( $(date +%s) * 1000 ))",
        "# One export task per account runs at a time: wait for a busy account (up",
        "# to 10 minutes), then for this export to complete; anything else fails.",
        "TASK_ID=''",
        "# Both waits end before the stage's deadline (SSM stops the script there).",
        "export_time_left() { (( SECONDS < POST_DEADLINE - 60 )); }",
        "for ATTEMPT in $(seq 1 30); do",
        "  if TASK_ID=\"$(aws logs create-export-task --task-name \"paasc-${EXECUTION_ID}\" --log-group-name \"$LOG_GROUP\" --from $(( NOW_MS - 86400000 )) --to \"$NOW_MS\" --destination \"$LOGS_BUCKET\" --destination-prefix \"cloudwatch/${EXECUTION_ID}\" --query taskId --output text 2>\"$WORK/export.err\")\"; then break; fi",
        "  TASK_ID=''",
        "  if ! grep -q LimitExceededException \"$WORK/export.err\"; then cat \"$WORK/export.err\"; echo \"paasc: the export of ${LOG_GROUP} to s3://${LOGS_BUCKET}/cloudwatch/ could not start\"; exit 1; fi",
        "  if ! export_time_left; then break; fi",
        "  echo \"paasc: another export task runs in this account (attempt ${ATTEMPT}); waiting\"",
        "  sleep 20",
        "done",
        "if [[ -z \"$TASK_ID\" ]]; then echo \"paasc: the account's export slot stayed busy (${SECONDS}s into the stage)\"; exit 1; fi",
        "EXPORT=''",
        "for ATTEMPT in $(seq 1 90); do",
        "  EXPORT=\"$(aws logs describe-export-tasks --task-id \"$TASK_ID\" --query 'exportTasks[0].status.code' --output text)\"",
        "  case \"$EXPORT\" in",
        "    COMPLETED) break ;;",
        "    FAILED|CANCELLED) echo \"paasc: the export of ${LOG_GROUP} ended ${EXPORT}\"; exit 1 ;;",
        "    *) if ! export_time_left; then break; fi; sleep 10 ;;",
        "  esac",
        "done",
        "if [[ \"$EXPORT\" != COMPLETED ]]; then echo \"paasc: the export of ${LOG_GROUP} did not complete before the stage's deadline (${EXPORT})\"; exit 1; fi",
        "printf '{\"smoke\":\"%s\",\"log_shipping\":\"%s\",\"log_export\":\"%s\",\"amis_deregistered\":%s}' \"$CODE\" \"$SHIPPING\" \"$EXPORT\" \"$DEREGISTERED\" >&3",
    ]);
    let description = format!(
        "paasc post for {}: smoke test of the load balancer's health path, the AMI lifecycle (keeps this release's and the previous), log shipping check and export of {} to s3://{}/cloudwatch/",
        app.prefix(),
        app.log_group(),
        app.logs.bucket
    );
    document(app, ToolStage::Post, description, params, s)
}

/// The four documents, sorted by path.
pub fn emit(app: &App) -> Result<Vec<Artifact>, InternalError> {
    let mut out = vec![bake(app)?, provision(app)?, validate(app)?, post(app)?];
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )]
    use super::*;
    use crate::model::sample;

    #[test]
    fn sh_quote_breaks_braces_and_quotes() {
        assert_eq!(sh_quote("a'b"), "'a'\\''b'");
        let q = sh_quote("x{{ Y }}z");
        assert!(!q.contains("{{") && !q.contains("}}"), "{q}");
    }

    #[test]
    fn parameters_are_bound_once() {
        for app in [sample::shop_prod(), sample::minimal()] {
            for a in emit(&app).unwrap() {
                let doc: serde_json::Value = serde_json::from_str(&a.contents).unwrap();
                let lines = doc["mainSteps"][0]["inputs"]["runCommand"]
                    .as_array()
                    .unwrap();
                let text: Vec<&str> = lines.iter().map(|l| l.as_str().unwrap()).collect();
                for name in doc["parameters"].as_object().unwrap().keys() {
                    let needle = format!("{{{{ {name} }}}}");
                    assert_eq!(
                        text.iter().filter(|l| l.contains(&needle)).count(),
                        1,
                        "{} {name}",
                        a.path
                    );
                }
            }
        }
    }
}
