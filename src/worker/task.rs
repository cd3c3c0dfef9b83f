//! One activity task, without the network: what the state machine asked
//! for, the script it comes to, and the result the stage's script printed.
//!
//! Input: the task's JSON input (`emit::stepfunctions` writes its shape:
//! `stage`, `app`, `env`, `document`, `heartbeat_seconds`, `parameters`),
//! the release's `manifest.json` and the stage's SSM document as fetched.
//! Output: the script text with its parameters filled in, or a `Refusal`;
//! then the stage's result JSON from the script's stdout.
//!
//! Invariants: the script is the document's own `runCommand`, with each
//! `{{ Name }}` replaced exactly as SSM Run Command would (a value outside
//! the parameter's `allowedPattern`, an undeclared parameter or a missing
//! one without default refuses the task); the document is run only when
//! its sha256 is the manifest's and the manifest's is the release's
//! content hash (the artifact prefix's last part).

use crate::hash::sha256_hex;
use crate::model::names::{doc_param, ToolStage, WorkerError};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::fmt;

/// Why a task cannot be run: sent as `paasc.<State>Refused`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal(pub String);

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn refuse<T>(why: impl Into<String>) -> Result<T, Refusal> {
    Err(Refusal(why.into()))
}

/// What the state machine sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    pub stage: ToolStage,
    pub app: String,
    pub env: String,
    /// The artifact path of the document to run (`ssm/<stage>.json`).
    pub document: String,
    /// Seconds without a heartbeat after which the task is taken from us.
    pub heartbeat_seconds: u64,
    /// Parameter values as strings (numbers are written as SSM would get them).
    pub parameters: BTreeMap<String, String>,
}

impl Task {
    /// The task's input; the stage alone when the rest is unusable (so the
    /// refusal can still be named after it).
    pub fn parse(input: &str) -> Result<Task, (Option<ToolStage>, Refusal)> {
        let v: Value = serde_json::from_str(input)
            .map_err(|e| (None, Refusal(format!("the task input is not JSON: {e}"))))?;
        let stage = v
            .get("stage")
            .and_then(Value::as_str)
            .and_then(ToolStage::from_word);
        let Some(stage) = stage else {
            return Err((None, Refusal("the task names no stage paasc knows".into())));
        };
        let fail = |why: String| (Some(stage), Refusal(why));
        let text = |key: &str| {
            v.get(key)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| fail(format!("the task has no `{key}`")))
        };
        let app = text("app")?;
        let env = text("env")?;
        let document = text("document")?;
        if document != stage.document_path() {
            return Err(fail(format!(
                "the {} stage runs {}, not `{document}`",
                stage.word(),
                stage.document_path()
            )));
        }
        let heartbeat_seconds = v
            .get("heartbeat_seconds")
            .and_then(Value::as_u64)
            .filter(|s| *s >= 1)
            .ok_or_else(|| fail("the task has no `heartbeat_seconds`".into()))?;
        let Some(Value::Object(given)) = v.get("parameters") else {
            return Err(fail("the task has no `parameters` object".into()));
        };
        let mut parameters = BTreeMap::new();
        for (name, value) in given {
            let value = match value {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => {
                    return Err(fail(format!(
                        "parameter `{name}` is neither a string nor a number"
                    )))
                }
            };
            parameters.insert(name.clone(), value);
        }
        Ok(Task {
            stage,
            app,
            env,
            document,
            heartbeat_seconds,
            parameters,
        })
    }

    fn parameter(&self, name: &str) -> Result<&str, Refusal> {
        match self.parameters.get(name) {
            Some(v) => Ok(v),
            None => refuse(format!("the task has no parameter `{name}`")),
        }
    }

    /// The artifacts' bucket and key prefix (`<app>/<env>/<version>/<hash>/`).
    pub fn artifacts(&self) -> Result<(&str, &str), Refusal> {
        let bucket = self.parameter(doc_param::ARTIFACT_BUCKET)?;
        let prefix = self.parameter(doc_param::ARTIFACT_PREFIX)?;
        let ok = !bucket.is_empty()
            && !prefix.is_empty()
            && prefix.ends_with('/')
            && !prefix.split('/').any(|p| p == ".." || p == ".");
        if !ok {
            return refuse("the task's artifact bucket or prefix is malformed");
        }
        Ok((bucket, prefix))
    }

    /// The execution the task belongs to (names its log files).
    pub fn execution(&self) -> &str {
        self.parameters
            .get(doc_param::EXECUTION_ID)
            .map_or("unknown", String::as_str)
    }

    /// The release's content hash: the artifact prefix's last part.
    pub fn content_hash(&self) -> Result<&str, Refusal> {
        let (_, prefix) = self.artifacts()?;
        let hash = prefix
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or_default();
        if hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(hash)
        } else {
            refuse("the task's artifact prefix does not end in a content hash")
        }
    }

    /// `<app>/<env>` for log lines.
    pub fn label(&self) -> String {
        format!("{}/{}", self.app, self.env)
    }
}

/// The document's sha256 as listed by a manifest that is the release's.
pub fn verify(task: &Task, manifest: &[u8], document: &[u8]) -> Result<(), Refusal> {
    let hash = task.content_hash()?;
    if sha256_hex(manifest) != hash {
        return refuse(format!("manifest.json is not the release {hash}"));
    }
    let listed: Value = serde_json::from_slice(manifest)
        .map_err(|e| Refusal(format!("manifest.json is not JSON: {e}")))?;
    let entry = listed
        .get("artifacts")
        .and_then(Value::as_array)
        .and_then(|a| {
            a.iter()
                .find(|e| e.get("path").and_then(Value::as_str) == Some(task.document.as_str()))
        })
        .and_then(|e| e.get("sha256"))
        .and_then(Value::as_str);
    match entry {
        None => refuse(format!("manifest.json lists no {}", task.document)),
        Some(sum) if sum != sha256_hex(document) => refuse(format!(
            "{} is not what deploy uploaded (sha256 differs from manifest.json)",
            task.document
        )),
        Some(_) => Ok(()),
    }
}

/// A document's one `aws:runShellScript` step, parameters filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    pub text: String,
    /// The step's `timeoutSeconds`: past it the script is stopped.
    pub timeout_seconds: u64,
}

/// Fills the document's parameters from the task as SSM Run Command does.
pub fn script(task: &Task, document: &[u8]) -> Result<Script, Refusal> {
    let doc: Value = serde_json::from_slice(document)
        .map_err(|e| Refusal(format!("{} is not JSON: {e}", task.document)))?;
    let declared = match doc.get("parameters") {
        Some(Value::Object(p)) => p.clone(),
        None => Map::new(),
        Some(_) => return refuse(format!("{} has malformed parameters", task.document)),
    };
    for name in task.parameters.keys() {
        if !declared.contains_key(name) {
            return refuse(format!("{} declares no parameter `{name}`", task.document));
        }
    }
    let mut values = BTreeMap::new();
    for (name, p) in &declared {
        let value = match (
            task.parameters.get(name),
            p.get("default").and_then(Value::as_str),
        ) {
            (Some(v), _) => v.clone(),
            (None, Some(d)) => d.to_string(),
            (None, None) => return refuse(format!("the task has no value for `{name}`")),
        };
        let pattern = p
            .get("allowedPattern")
            .and_then(Value::as_str)
            .unwrap_or("");
        let re = regex_lite::Regex::new(pattern).map_err(|_| {
            Refusal(format!(
                "{}: `{name}` has an unreadable allowedPattern",
                task.document
            ))
        })?;
        if pattern.is_empty() || !re.is_match(&value) {
            return refuse(format!(
                "parameter `{name}` is outside its allowedPattern `{pattern}`"
            ));
        }
        values.insert(name.clone(), value);
    }
    let steps = doc.get("mainSteps").and_then(Value::as_array);
    let step = match steps.map(Vec::as_slice) {
        Some([step])
            if step.get("action").and_then(Value::as_str) == Some("aws:runShellScript") =>
        {
            step
        }
        _ => {
            return refuse(format!(
                "{} is not one aws:runShellScript step",
                task.document
            ))
        }
    };
    let inputs = step.get("inputs");
    let lines = inputs
        .and_then(|i| i.get("runCommand"))
        .and_then(Value::as_array)
        .ok_or_else(|| Refusal(format!("{} has no runCommand", task.document)))?;
    let timeout_seconds = inputs
        .and_then(|i| i.get("timeoutSeconds"))
        .and_then(Value::as_u64)
        .unwrap_or(3600);
    let mut text = String::new();
    for line in lines {
        let Some(line) = line.as_str() else {
            return refuse(format!(
                "{} has a runCommand line that is not text",
                task.document
            ));
        };
        text.push_str(&substitute(line, &values)?);
        text.push('\n');
    }
    Ok(Script {
        text,
        timeout_seconds,
    })
}

/// Replaces each `{{ Name }}` (spaces inside the braces optional) with the
/// parameter's value; a reference to anything else refuses the task.
fn substitute(line: &str, values: &BTreeMap<String, String>) -> Result<String, Refusal> {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some((before, after)) = rest.split_once("{{") {
        out.push_str(before);
        let Some((name, tail)) = after.split_once("}}") else {
            return refuse("the document has an unclosed `{{`");
        };
        let name = name.trim();
        match values.get(name) {
            Some(v) => out.push_str(v),
            None => {
                return refuse(format!(
                    "the document refers to `{name}`, which it does not declare"
                ))
            }
        }
        rest = tail;
    }
    out.push_str(rest);
    Ok(out)
}

/// A stage's result from its script's stdout, as the state machine reads
/// it: bake `{"ami_id"}` (the first word), provision `{"outputs"}` (the
/// `terraform output -json` object), validate the summary object, post `{}`.
pub fn result(stage: ToolStage, stdout: &str) -> Result<Value, (WorkerError, String)> {
    let invalid = |what: &str| {
        (
            WorkerError::ResultInvalid,
            format!("{} printed {what}", stage.document_path()),
        )
    };
    let object = || match serde_json::from_str::<Value>(stdout.trim()) {
        Ok(v @ Value::Object(_)) => Ok(v),
        _ => Err(invalid("no JSON object on stdout")),
    };
    match stage {
        ToolStage::Bake => {
            let word = stdout.split_whitespace().next().unwrap_or_default();
            if word.starts_with("ami-") && word.len() > 4 {
                Ok(json!({ "ami_id": word }))
            } else {
                Err(invalid("no AMI id on stdout"))
            }
        }
        ToolStage::Provision => Ok(json!({ "outputs": object()? })),
        ToolStage::Validate => object(),
        ToolStage::Post => Ok(json!({})),
    }
}

/// The last line the script itself reported on stderr (`paasc: ...`):
/// the paasc scripts word these for a person and put no secret in them.
pub fn reason(stderr: &str) -> Option<&str> {
    stderr
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with("paasc: "))
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

    const HASH: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn input(parameters: Value) -> String {
        json!({
            "stage": "provision", "app": "ledger", "env": "prod",
            "document": "ssm/provision.json", "heartbeat_seconds": 120,
            "parameters": parameters,
        })
        .to_string()
    }

    fn document() -> Vec<u8> {
        json!({
            "schemaVersion": "2.2",
            "parameters": {
                "AmiId": { "type": "String", "allowedPattern": "^ami-[0-9a-f]{8,17}$" },
                "Weight": { "type": "String", "allowedPattern": "^(100|[1-9]?[0-9])$" },
                "Version": { "type": "String", "default": "5.0.0", "allowedPattern": "^[0-9.]+$" },
            },
            "mainSteps": [{ "action": "aws:runShellScript", "name": "provision",
                "inputs": { "timeoutSeconds": 600, "runCommand": [
                    "#!/bin/bash", "AMI='{{ AmiId }}'", "W='{{Weight}}'", "V='{{ Version }}'"
                ] } }],
        })
        .to_string()
        .into_bytes()
    }

    #[test]
    fn parameters_are_filled_in_as_ssm_would() {
        let t = Task::parse(&input(
            json!({ "AmiId": "ami-0123456789abcdef0", "Weight": 0 }),
        ))
        .unwrap();
        let s = script(&t, &document()).unwrap();
        assert_eq!(
            s.text,
            "#!/bin/bash\nAMI='ami-0123456789abcdef0'\nW='0'\nV='5.0.0'\n"
        );
        assert_eq!(s.timeout_seconds, 600);
    }

    #[test]
    fn a_value_outside_its_pattern_or_an_unknown_parameter_is_refused() {
        let t = Task::parse(&input(json!({ "AmiId": "ami-1'; rm -rf /", "Weight": 1 }))).unwrap();
        assert!(script(&t, &document())
            .unwrap_err()
            .0
            .contains("`AmiId` is outside"));
        let t = Task::parse(&input(
            json!({ "AmiId": "ami-0123456789abcdef0", "Weight": 1, "Extra": "x" }),
        ))
        .unwrap();
        assert!(script(&t, &document())
            .unwrap_err()
            .0
            .contains("no parameter `Extra`"));
        let t = Task::parse(&input(json!({ "AmiId": "ami-0123456789abcdef0" }))).unwrap();
        assert!(script(&t, &document())
            .unwrap_err()
            .0
            .contains("no value for `Weight`"));
        let t = Task::parse(&input(json!({ "AmiId": ["ami-0"] }))).unwrap_err();
        assert_eq!(t.0, Some(ToolStage::Provision));
    }

    #[test]
    fn a_task_for_another_document_or_stage_is_refused() {
        let wrong = input(json!({})).replace("ssm/provision.json", "ssm/bake.json");
        assert!(Task::parse(&wrong)
            .unwrap_err()
            .1
             .0
            .contains("runs ssm/provision.json"));
        let none = input(json!({})).replace("\"provision\"", "\"deploy\"");
        assert_eq!(Task::parse(&none).unwrap_err().0, None);
    }

    #[test]
    fn the_document_must_be_the_release_s() {
        let doc = document();
        let manifest =
            json!({ "artifacts": [{ "path": "ssm/provision.json", "sha256": sha256_hex(&doc) }] })
                .to_string();
        let hash = sha256_hex(manifest.as_bytes());
        let prefix = format!("ledger/prod/5.0.0/{hash}/");
        let t = Task::parse(&input(
            json!({ "ArtifactBucket": "b", "ArtifactPrefix": prefix }),
        ))
        .unwrap();
        verify(&t, manifest.as_bytes(), &doc).unwrap();
        let mut changed = doc.clone();
        changed.push(b' ');
        assert!(verify(&t, manifest.as_bytes(), &changed)
            .unwrap_err()
            .0
            .contains("not what deploy uploaded"));
        let other = format!("ledger/prod/5.0.0/{HASH}/");
        let t = Task::parse(&input(
            json!({ "ArtifactBucket": "b", "ArtifactPrefix": other }),
        ))
        .unwrap();
        assert!(verify(&t, manifest.as_bytes(), &doc)
            .unwrap_err()
            .0
            .contains("is not the release"));
        let t = Task::parse(&input(
            json!({ "ArtifactBucket": "b", "ArtifactPrefix": "a/../b/" }),
        ))
        .unwrap();
        assert!(t.artifacts().is_err());
    }

    #[test]
    fn results_have_the_shape_the_state_machine_reads() {
        assert_eq!(
            result(ToolStage::Bake, "ami-0123456789abcdef0\n").unwrap(),
            json!({ "ami_id": "ami-0123456789abcdef0" })
        );
        assert_eq!(
            result(ToolStage::Bake, "").unwrap_err().0,
            WorkerError::ResultInvalid
        );
        assert_eq!(
            result(ToolStage::Provision, "{\"asg_name\":{\"value\":\"a\"}}\n").unwrap(),
            json!({ "outputs": { "asg_name": { "value": "a" } } })
        );
        assert!(result(ToolStage::Provision, "[1]").is_err());
        assert_eq!(
            result(ToolStage::Validate, "{\"status\":\"passed\"}").unwrap(),
            json!({ "status": "passed" })
        );
        assert_eq!(result(ToolStage::Post, "anything").unwrap(), json!({}));
        assert_eq!(
            reason("terraform: noise\npaasc: no builder subnet\nmore noise\n"),
            Some("paasc: no builder subnet")
        );
    }
}
