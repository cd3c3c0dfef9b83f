//! One AWS emulator (a moto server on 127.0.0.1, started by
//! `scripts/moto-server.sh` with the patches of `scripts/moto/`) per test
//! binary: started on first use, stopped when the test process exits.
//!
//! Tests share it and keep out of each other's way by account: moto keeps
//! every account apart, and its STS hands out credentials that act in the
//! account of the role they assume, so each test works in accounts of its
//! own (`Emulator::credentials`). Nothing here reaches anything but
//! loopback; a missing emulator fails the test.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

pub struct Emulator {
    pub port: u16,
    pub url: String,
    dir: PathBuf,
}

/// Credentials that act in one account of the emulator.
#[derive(Debug, Clone)]
pub struct AccountCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
}

impl AccountCredentials {
    /// The environment a process (the AWS CLI, terraform, paasc) needs to
    /// act in this account of the emulator and nowhere else.
    pub fn env(&self, emulator: &Emulator, region: &str) -> Vec<(String, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID".into(), self.access_key_id.clone()),
            (
                "AWS_SECRET_ACCESS_KEY".into(),
                self.secret_access_key.clone(),
            ),
            ("AWS_SESSION_TOKEN".into(), self.session_token.clone()),
            ("AWS_REGION".into(), region.into()),
            ("AWS_DEFAULT_REGION".into(), region.into()),
            ("AWS_ENDPOINT_URL".into(), emulator.url.clone()),
            ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
            (
                "AWS_CONFIG_FILE".into(),
                "/nonexistent/paasc-test-aws-config".into(),
            ),
            (
                "AWS_SHARED_CREDENTIALS_FILE".into(),
                "/nonexistent/paasc-test-aws-credentials".into(),
            ),
        ]
    }
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The emulator of this test binary.
pub fn shared() -> &'static Emulator {
    static EMULATOR: OnceLock<Emulator> = OnceLock::new();
    EMULATOR.get_or_init(Emulator::start)
}

impl Emulator {
    fn start() -> Emulator {
        let dir = std::env::temp_dir().join(format!("paasc-moto-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let out = Command::new("bash")
            .arg(root().join("scripts/moto-server.sh"))
            .arg("start")
            .arg(&dir)
            .arg(std::process::id().to_string())
            // GetActivityTask holds an empty poll 60 s on AWS; 5 s here, so a
            // stopping `paasc worker`'s last poll comes back sooner.
            .env("PAAS_MOTO_ACTIVITY_POLL_SECONDS", "5")
            .output()
            .expect("run scripts/moto-server.sh");
        assert!(
            out.status.success(),
            "the AWS emulator did not start (scripts/install-deps.sh installs it):\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let port: u16 = std::fs::read_to_string(dir.join("moto.port"))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        Emulator {
            port,
            url: format!("http://127.0.0.1:{port}"),
            dir,
        }
    }

    /// Where `scripts/moto/sitecustomize.py` reads the scripted answers of
    /// SSM Run Command (per document name).
    pub fn outcomes_file(&self) -> PathBuf {
        self.dir.join("ssm-outcomes.json")
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Credentials acting in `account` (an STS AssumeRole of a role there).
    pub fn credentials(&self, account: &str) -> AccountCredentials {
        let body = format!(
            "Action=AssumeRole&Version=2011-06-15&RoleSessionName=paasc-test&RoleArn=arn%3Aaws%3Aiam%3A%3A{account}%3Arole%2Fpaasc-test"
        );
        let auth = "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00";
        let text = ureq::post(&format!("{}/", self.url))
            .set("Authorization", auth)
            .set("Content-Type", "application/x-www-form-urlencoded")
            .timeout(Duration::from_secs(30))
            .send_string(&body)
            .unwrap_or_else(|e| panic!("AssumeRole in {account}: {e}"))
            .into_string()
            .unwrap();
        let tag = |name: &str| {
            let open = format!("<{name}>");
            let start = text
                .find(&open)
                .map(|i| i + open.len())
                .unwrap_or_else(|| panic!("{text}"));
            let end = start + text[start..].find(&format!("</{name}>")).unwrap();
            text[start..end].to_string()
        };
        AccountCredentials {
            access_key_id: tag("AccessKeyId"),
            secret_access_key: tag("SecretAccessKey"),
            session_token: tag("SessionToken"),
        }
    }
}
