//! Real terraform against the test binary's moto server.
//!
//! A module is copied into a work directory of its own, with one test-only
//! override file (`zz_moto_override.tf`) that points nothing at moto by
//! itself: the endpoint comes from `AWS_ENDPOINT_URL` in the environment
//! (`emulator::AccountCredentials::env`), the override only turns off what
//! an emulator cannot answer (credential validation against the real STS,
//! the instance-metadata probe) and asks for path-style S3, which moto
//! needs. Modules with an S3 backend get the same two settings as
//! `-backend-config` (an override file's backend block would replace the
//! module's, not merge with it). Providers come from the machine's mirror
//! (`/opt/tf-plugins`); nothing is downloaded.

#![allow(dead_code)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const OVERRIDE: &str = r#"# Test only (tests/support/terraform.rs): the endpoint is AWS_ENDPOINT_URL,
# a moto server on loopback.
provider "aws" {
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  s3_use_path_style           = true
}
"#;

pub struct Terraform {
    pub dir: PathBuf,
    env: Vec<(String, String)>,
}

impl Terraform {
    /// Copies the module's `.tf` files (and `runner/`) into `work`.
    pub fn copy(module: &Path, work: &Path, env: Vec<(String, String)>) -> Terraform {
        std::fs::create_dir_all(work).unwrap();
        for entry in std::fs::read_dir(module).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            if path.is_file() {
                std::fs::copy(&path, work.join(entry.file_name())).unwrap();
            } else if path.is_dir() {
                let sub = work.join(entry.file_name());
                std::fs::create_dir_all(&sub).unwrap();
                for f in std::fs::read_dir(&path).unwrap() {
                    let f = f.unwrap();
                    std::fs::copy(f.path(), sub.join(f.file_name())).unwrap();
                }
            }
        }
        std::fs::write(work.join("zz_moto_override.tf"), OVERRIDE).unwrap();
        std::fs::write(work.join(".terraformrc"), "").unwrap();
        Terraform {
            dir: work.to_path_buf(),
            env,
        }
    }

    /// Runs terraform here; the output, whatever the exit status.
    pub fn run(&self, args: &[&str]) -> Output {
        let mut c = Command::new("terraform");
        c.current_dir(&self.dir)
            .args(args)
            .env("TF_CLI_CONFIG_FILE", self.dir.join(".terraformrc"))
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .env("CHECKPOINT_DISABLE", "1")
            .env_remove("AWS_PROFILE");
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c.output()
            .unwrap_or_else(|e| panic!("terraform is not runnable (scripts/install-deps.sh): {e}"))
    }

    /// Runs terraform and panics with its output unless it exits 0.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "terraform {} failed in {}:\n{}{}",
            args.join(" "),
            self.dir.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `terraform init` from the provider mirror, with `backend` settings
    /// (`-backend-config`) for an S3 backend.
    pub fn init(&self, backend: &[(&str, &str)]) {
        let mut args: Vec<String> = vec!["init".into(), "-input=false".into(), "-no-color".into()];
        if Path::new("/opt/tf-plugins").is_dir() {
            args.push("-plugin-dir=/opt/tf-plugins".into());
        }
        if !backend.is_empty() {
            for (k, v) in backend.iter().chain(&[
                ("use_path_style", "true"),
                ("skip_credentials_validation", "true"),
            ]) {
                args.push(format!("-backend-config={k}={v}"));
            }
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        self.ok(&refs);
    }

    fn with_vars<'a>(base: &[&'a str], vars: &'a [String]) -> Vec<&'a str> {
        let mut args = base.to_vec();
        for v in vars {
            args.push("-var");
            args.push(v);
        }
        args
    }

    pub fn apply(&self, vars: &[(&str, &str)]) {
        let vars: Vec<String> = vars.iter().map(|(k, v)| format!("{k}={v}")).collect();
        self.ok(&Self::with_vars(
            &["apply", "-input=false", "-no-color", "-auto-approve"],
            &vars,
        ));
    }

    /// Panics unless a plan with these variables has nothing to do.
    pub fn assert_no_changes(&self, vars: &[(&str, &str)]) {
        let vars: Vec<String> = vars.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let out = self.run(&Self::with_vars(
            &["plan", "-input=false", "-no-color", "-detailed-exitcode"],
            &vars,
        ));
        assert_eq!(
            out.status.code(),
            Some(0),
            "a second plan in {} is not empty:\n{}{}",
            self.dir.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// `terraform output -json`.
    pub fn outputs(&self) -> Value {
        serde_json::from_str(&self.ok(&["output", "-no-color", "-json"])).unwrap()
    }
}
