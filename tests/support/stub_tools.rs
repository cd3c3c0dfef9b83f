//! Stand-ins for the tools the stages' scripts call (`aws`, `packer`,
//! `terraform`, `cinc-auditor`, `curl`), for tests that run the real
//! scripts: the SSM documents' (tests/inspec_ssm.rs) and the activity
//! worker's (tests/deploy.rs). Each logs its arguments to `$STUB_LOG` and
//! answers like the real tool would; `aws s3 cp` reads a local bucket
//! (`$STUB_S3/<bucket>/<key>`). `STUB_TF_OUTPUTS` names a file holding the
//! `terraform output -json` to print. A file `$STUB_DIR/packer-fails` makes
//! the build fail; `$STUB_DIR/packer-sleeps` makes it take the seconds it
//! holds (the build's pid in `$STUB_DIR/packer.pid`).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The stubs in `dir/bin`; returns that directory (first on PATH).
pub fn install(dir: &Path) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for (name, text) in STUBS {
        let p = bin.join(name);
        std::fs::write(&p, text).unwrap();
        Command::new("chmod").arg("+x").arg(&p).status().unwrap();
    }
    bin
}

/// A runner in `dir`: its verified builder tools (stand-ins named `files`,
/// with their SHA256SUMS) in `dir/tools`, and the environment its boot
/// writes (tools, subnet); returns that environment file.
pub fn runner(dir: &Path, files: &[&str]) -> PathBuf {
    let tools = dir.join("tools");
    std::fs::create_dir_all(&tools).unwrap();
    let mut sums = String::new();
    for f in files {
        let body = format!("stand-in for {f}\n");
        std::fs::write(tools.join(f), &body).unwrap();
        sums.push_str(&format!(
            "{}  {f}\n",
            paasc::hash::sha256_hex(body.as_bytes())
        ));
    }
    std::fs::write(tools.join("SHA256SUMS"), sums).unwrap();
    let env = dir.join("runner-env");
    std::fs::write(
        &env,
        format!(
            "export PAASC_BUILDER_TOOLS={}\nexport PAASC_BUILDER_SUBNET=subnet-0123456789abcdef0\n",
            tools.display()
        ),
    )
    .unwrap();
    env
}

/// The artifacts as deploy uploaded them, in the stub bucket the scripts'
/// `aws s3 cp` reads (`s3/<bucket>/<prefix>`); returns that directory.
pub fn put_release(
    s3: &Path,
    bucket: &str,
    prefix: &str,
    artifacts: &[paasc::emit::Artifact],
) -> PathBuf {
    let release = s3.join(bucket).join(prefix);
    for a in artifacts {
        let p = release.join(&a.path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, &a.contents).unwrap();
    }
    release
}

/// Stub `aws`, `packer`, `terraform`, `cinc-auditor` and `curl`: each logs
/// its arguments and answers like the real tool would for what the
/// documents ask. `aws s3 cp` reads a local bucket (`$STUB_S3/<bucket>/<key>`)
/// holding the build's real artifacts, so the bake's checks run for real.
pub const STUBS: &[(&str, &str)] = &[
    (
        "aws",
        r#"#!/bin/bash
echo "aws $*" >> "$STUB_LOG"
case "$1 $2" in
  "s3 cp")
    if [ "$3" = "--recursive" ]; then
      src="${5#s3://}"; dst="$6"; mkdir -p "$dst"; cp -R "$STUB_S3/$src." "$dst"
    elif [[ "${@: -2:1}" == s3://* ]]; then
      src="${@: -2:1}"; cp "$STUB_S3/${src#s3://}" "${@: -1}"
    else
      src="${@: -2:1}"; cp "$src" "$STUB_DIR/uploaded.json"
    fi ;;
  "autoscaling describe-auto-scaling-groups")
    case "$*" in
      *DesiredCapacity*) echo "${STUB_LIVE_SIZE:-2}" ;;
      *"length(AutoScalingGroups[0].Instances)"*) if [ -f "$STUB_DIR/emptied" ]; then echo 0; else echo "${STUB_LEFT:-0}"; fi ;;
      *) printf 'i-0123456789abcdef0\ti-0fedcba987654321\n' ;;
    esac ;;
  "autoscaling set-desired-capacity") ;;
  "autoscaling update-auto-scaling-group") touch "$STUB_DIR/emptied" ;;
  "elbv2 describe-target-health") echo "${STUB_HEALTHY:-9}" ;;
  "sts assume-role") printf 'AKIAEXAMPLE\tsecret\ttoken\n' ;;
  "logs describe-log-streams") echo 1700000000000 ;;
  "logs create-export-task") echo 't-1' ;;
  "logs describe-export-tasks") echo "${STUB_EXPORT:-COMPLETED}" ;;
  "ec2 create-tags"|"ec2 deregister-image"|"ec2 delete-snapshot") ;;
  "ec2 describe-images")
    case "$*" in
      *--image-ids*) echo '2026-11-20T10:00:00.000Z' ;;
      *tag-key*) echo 'ami-0bbbbbbbbbbbbbbbb' ;;
      *) printf 'ami-0123456789abcdef0\t2026-11-20T10:00:00.000Z\tsnap-0c1\nami-0bbbbbbbbbbbbbbbb\t2026-11-10T10:00:00.000Z\tsnap-0b1\nami-0aaaaaaaaaaaaaaaa\t2026-11-01T10:00:00.000Z\tsnap-0a1,snap-0a2\nami-0dddddddddddddddd\t2026-11-21T10:00:00.000Z\tsnap-0d1\n' ;;
    esac ;;
  *) echo "stub aws: unexpected $*" >&2; exit 1 ;;
esac
"#,
    ),
    (
        "packer",
        r#"#!/bin/bash
echo "packer $*" >> "$STUB_LOG"
case "$1" in
  init) echo "Installed plugin github.com/hashicorp/amazon" ;;
  build)
    if [ -f "$STUB_DIR/packer-fails" ]; then echo "==> amazon-ebs.app: Build failed on purpose" >&2; exit 1; fi
    if [ -f "$STUB_DIR/packer-sleeps" ]; then echo $$ > "$STUB_DIR/packer.pid"; exec sleep "$(cat "$STUB_DIR/packer-sleeps")"; fi
    # What the template uploads to the builder is beside it.
    ls ../chef/SHA256SUMS ../tools/SHA256SUMS >> "$STUB_LOG"
    echo '1700000000,,ui,say,==> amazon-ebs.app: Creating AMI'
    echo '1700000001,amazon-ebs.app,artifact-count,1'
    echo '1700000001,amazon-ebs.app,artifact,0,builder-id,mitchellh.amazonebs'
    echo "1700000001,amazon-ebs.app,artifact,0,id,ap-south-1:ami-0aaaaaaaaaaaaaaaa%!(PACKER_COMMA)${STUB_REGION}:ami-0123456789abcdef0"
    echo '1700000001,amazon-ebs.app,artifact,0,end' ;;
  *) exit 1 ;;
esac
"#,
    ),
    (
        "terraform",
        r#"#!/bin/bash
echo "terraform $*" >> "$STUB_LOG"
case "$1" in
  init|apply) echo "terraform $1: lots of output" ;;
  output)
    case "$*" in
      *-raw*) echo "arn:aws:elasticloadbalancing:eu-west-1:222233334444:targetgroup/${@: -1}/0123456789abcdef" ;;
      *) if [ -n "${STUB_TF_OUTPUTS:-}" ]; then cat "$STUB_TF_OUTPUTS"; else printf '{\n  "alb_dns_name": {\n    "sensitive": false,\n    "type": "string",\n    "value": "a b"\n  }\n}\n'; fi ;;
    esac ;;
  *) exit 1 ;;
esac
"#,
    ),
    (
        "cinc-auditor",
        r#"#!/bin/bash
echo "cinc-auditor $*" >> "$STUB_LOG"
case "$1" in
  plugin) echo "train-awsssm  0.2.4  gem (user)" ;;
  exec)
    for a in "$@"; do case "$a" in json:*) case "${STUB_INSPEC_RC:-0}" in 100) R='{"status":"passed"},{"status":"failed"}' ;; 101) R='{"status":"passed"},{"status":"skipped"}' ;; *) R='{"status":"passed"},{"status":"passed"}' ;; esac; printf '{"profiles":[{"status":"loaded","controls":[{"results":[%s]}]}],"target":"%s"}' "$R" "$4" > "${a#json:}" ;; esac; done
    echo "Profile Summary: ..."
    exit "${STUB_INSPEC_RC:-0}" ;;
  *) exit 1 ;;
esac
"#,
    ),
    (
        "curl",
        r#"#!/bin/bash
echo "curl $*" >> "$STUB_LOG"
printf '200'
"#,
    ),
];
