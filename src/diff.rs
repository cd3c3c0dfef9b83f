//! `paasc diff`: what a spec change does, said the way an operator thinks
//! first, then every changed setting and every changed artifact.
//!
//! Input: the old and the new model of one app and env, and their
//! artifacts. Output: a `Report`: summary lines (AMI rebaked, instances
//! replaced, listener changed, the load balancer opened to a CIDR, IAM
//! actions granted or withdrawn, capacity, release strategy), each changed
//! model setting as `path: old -> new`, and each artifact added, removed or
//! changed with its unified diff.
//!
//! Invariants: pure and deterministic (sorted paths); the summary is
//! derived from the same models and artifacts the build writes, so it
//! cannot disagree with what `build` would produce.

use crate::emit::Artifact;
use crate::model::App;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub summary: Vec<Summary>,
    pub changes: Vec<Change>,
    pub artifacts: Vec<ArtifactChange>,
}

impl Report {
    pub fn is_empty(&self) -> bool {
        self.summary.is_empty() && self.changes.is_empty() && self.artifacts.is_empty()
    }
}

/// One line of the operator's summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// `rebake`, `replace`, `listener`, `ingress`, `iam`, `capacity`,
    /// `release`, `workers`, `account`.
    pub kind: &'static str,
    pub text: String,
}

/// One model setting that differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub path: String,
    pub old: Value,
    pub new: Value,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArtifactChange {
    pub path: String,
    /// `added`, `removed` or `changed`.
    pub status: &'static str,
    /// Unified diff, `a/PATH` to `b/PATH`.
    pub diff: String,
}

pub fn diff(
    old: &App,
    old_artifacts: &[Artifact],
    new: &App,
    new_artifacts: &[Artifact],
) -> Report {
    let changes = settings(old, new);
    let artifacts = artifact_changes(old_artifacts, new_artifacts);
    let mut summary = Vec::new();
    let changed = |prefix: &str| -> Vec<&Change> {
        changes
            .iter()
            .filter(|c| c.path == prefix || c.path.starts_with(&format!("{prefix}.")))
            .collect()
    };
    let list = |cs: &[&Change]| {
        cs.iter()
            .map(|c| format!("{} {} -> {}", c.path, short(&c.old), short(&c.new)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let line = |kind, text: String| Summary { kind, text };

    if old.account != new.account || old.region != new.region {
        summary.push(line(
            "account",
            format!(
                "moves to account {} in {}: everything is created anew there",
                new.account, new.region
            ),
        ));
    }
    let baked: Vec<&Change> = changed("image")
        .into_iter()
        .filter(|c| c.path != "image.share" && c.path != "image.instance")
        .chain(changed("version"))
        .collect();
    // What goes into the image: the run list's cookbooks and attributes.
    let image_artifacts = artifacts.iter().any(|a| a.path.starts_with("chef/"));
    if !baked.is_empty() || image_artifacts {
        let why = if baked.is_empty() {
            "the cookbooks or Chef attributes changed".to_string()
        } else {
            list(&baked)
        };
        summary.push(line(
            "rebake",
            format!("the image's contents change ({why})"),
        ));
    }
    let launch: Vec<&Change> = changed("image.instance")
        .into_iter()
        .chain(changed("fleet.launch"))
        .chain(changed("access"))
        .collect();
    if !baked.is_empty() || image_artifacts || !launch.is_empty() {
        let how = match new.release.strategy {
            crate::model::Strategy::BlueGreen => {
                "a new fleet on the idle colour, then traffic shifted"
            }
            crate::model::Strategy::Rolling => "replaced in place by an instance refresh",
        };
        let why = if launch.is_empty() {
            "new AMI".to_string()
        } else {
            list(&launch)
        };
        summary.push(line(
            "replace",
            format!("instances are replaced ({why}): {how}"),
        ));
    }
    let listener = changed("service");
    if !listener.is_empty() {
        summary.push(line(
            "listener",
            format!("the load balancer changes: {}", list(&listener)),
        ));
    }
    let ports = |app: &App| {
        if app.service.https.is_some() {
            "443"
        } else {
            "80"
        }
    };
    let old_allow: BTreeSet<&String> = old.network.allow.iter().collect();
    let new_allow: BTreeSet<&String> = new.network.allow.iter().collect();
    for cidr in new_allow.difference(&old_allow) {
        summary.push(line(
            "ingress",
            format!(
                "the load balancer's security group opens {} to {cidr}",
                ports(new)
            ),
        ));
    }
    for cidr in old_allow.difference(&new_allow) {
        summary.push(line(
            "ingress",
            format!("the load balancer's security group no longer admits {cidr}"),
        ));
    }
    if ports(old) != ports(new) {
        summary.push(line(
            "ingress",
            format!(
                "the load balancer listens on {} instead of {}",
                ports(new),
                ports(old)
            ),
        ));
    }
    let (granted, withdrawn) = iam_actions(old_artifacts, new_artifacts);
    for a in granted {
        summary.push(line("iam", format!("IAM grants `{a}`")));
    }
    for a in withdrawn {
        summary.push(line("iam", format!("IAM no longer grants `{a}`")));
    }
    let capacity: Vec<&Change> = ["fleet.min", "fleet.max", "fleet.desired", "fleet.cpu"]
        .iter()
        .flat_map(|p| changed(p))
        .collect();
    if !capacity.is_empty() {
        summary.push(line(
            "capacity",
            format!("capacity changes: {}", list(&capacity)),
        ));
    }
    let release = changed("release.strategy");
    if !release.is_empty() {
        summary.push(line(
            "release",
            format!(
                "the release strategy changes ({}): the fleets, their launch templates and target groups are replaced",
                list(&release)
            ),
        ));
    }
    let workers = changed("pipeline.workers");
    if !workers.is_empty() {
        summary.push(line(
            "workers",
            format!("the stages run elsewhere: {}", list(&workers)),
        ));
    }
    Report {
        summary,
        changes,
        artifacts,
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 {
        format!("{}...", s.chars().take(57).collect::<String>())
    } else {
        s
    }
}

/// Every model setting that differs, as dotted paths (lists compared whole).
fn settings(old: &App, new: &App) -> Vec<Change> {
    let mut out = Vec::new();
    let (Ok(a), Ok(b)) = (serde_json::to_value(old), serde_json::to_value(new)) else {
        return out;
    };
    walk("", &a, &b, &mut out);
    out.retain(|c| !c.path.starts_with("source"));
    out
}

fn walk(path: &str, a: &Value, b: &Value, out: &mut Vec<Change>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                walk(
                    &p,
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                    out,
                );
            }
        }
        _ if a != b => out.push(Change {
            path: path.to_string(),
            old: a.clone(),
            new: b.clone(),
        }),
        _ => {}
    }
}

fn artifact_changes(old: &[Artifact], new: &[Artifact]) -> Vec<ArtifactChange> {
    let a: BTreeMap<&str, &str> = old
        .iter()
        .map(|x| (x.path.as_str(), x.contents.as_str()))
        .collect();
    let b: BTreeMap<&str, &str> = new
        .iter()
        .map(|x| (x.path.as_str(), x.contents.as_str()))
        .collect();
    let paths: BTreeSet<&str> = a.keys().chain(b.keys()).copied().collect();
    let mut out = Vec::new();
    for p in paths {
        let (x, y) = (a.get(p).copied(), b.get(p).copied());
        let status = match (x, y) {
            (Some(x), Some(y)) if x == y => continue,
            (Some(_), Some(_)) => "changed",
            (None, _) => "added",
            (_, None) => "removed",
        };
        let diff = similar::TextDiff::from_lines(x.unwrap_or(""), y.unwrap_or(""))
            .unified_diff()
            .context_radius(3)
            .header(&format!("a/{p}"), &format!("b/{p}"))
            .to_string();
        out.push(ArtifactChange {
            path: p.to_string(),
            status,
            diff,
        });
    }
    out
}

/// What the Terraform artifacts' policy documents allow, as (action,
/// resource) pairs read from each `statement` (`effect = "Deny"` ones
/// left out): the pairs only the new build has, and those only the old one
/// had, grouped by action (`s3:PutObject on arn:...`).
fn iam_actions(old: &[Artifact], new: &[Artifact]) -> (Vec<String>, Vec<String>) {
    let (a, b) = (allowed(old), allowed(new));
    let group = |pairs: Vec<&(String, String)>| {
        let mut by: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (action, resource) in pairs {
            by.entry(action).or_default().push(resource);
        }
        by.into_iter()
            .map(|(action, rs)| {
                let rs: Vec<&str> = rs.into_iter().filter(|r| !r.is_empty()).collect();
                if rs.is_empty() {
                    action.to_string()
                } else {
                    format!("{action}` on `{}", rs.join("`, `"))
                }
            })
            .collect()
    };
    (
        group(b.difference(&a).collect()),
        group(a.difference(&b).collect()),
    )
}

fn allowed(arts: &[Artifact]) -> BTreeSet<(String, String)> {
    #[derive(PartialEq)]
    enum In {
        Nothing,
        Actions,
        Resources,
    }
    let mut out = BTreeSet::new();
    for a in arts
        .iter()
        .filter(|a| a.path.starts_with("terraform/") && a.path.ends_with(".tf"))
    {
        let mut actions: Vec<String> = Vec::new();
        let mut resources: Vec<String> = Vec::new();
        let mut deny = false;
        let mut mode = In::Nothing;
        let mut flush =
            |actions: &mut Vec<String>, resources: &mut Vec<String>, deny: &mut bool| {
                if !*deny {
                    for act in actions.iter() {
                        if resources.is_empty() {
                            out.insert((act.clone(), String::new()));
                        }
                        for r in resources.iter() {
                            out.insert((act.clone(), r.clone()));
                        }
                    }
                }
                actions.clear();
                resources.clear();
                *deny = false;
            };
        for line in a.contents.lines() {
            let l = line.trim();
            if l.starts_with("statement {")
                || l.starts_with("data \"")
                || l.starts_with("resource \"")
            {
                flush(&mut actions, &mut resources, &mut deny);
                mode = In::Nothing;
                continue;
            }
            if l.starts_with("effect") && l.contains("\"Deny\"") {
                deny = true;
            }
            if l.starts_with("actions") && l.contains('[') {
                mode = In::Actions;
            } else if l.starts_with("resources") && l.contains('[') {
                mode = In::Resources;
            }
            if mode != In::Nothing {
                for s in l.split('"').skip(1).step_by(2) {
                    match mode {
                        In::Actions => actions.push(s.to_string()),
                        In::Resources => resources.push(s.to_string()),
                        In::Nothing => {}
                    }
                }
                if l.ends_with(']') {
                    mode = In::Nothing;
                }
            }
        }
        flush(&mut actions, &mut resources, &mut deny);
    }
    out
}
