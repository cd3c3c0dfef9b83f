//! The front end against the examples: the contract specs check clean,
//! models resolve overlays and interpolation, and mangled input never
//! panics and is never rejected without a diagnostic.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use paasc::diagnostics::{Code, Severity};
use paasc::resolve::{FsLoader, MemLoader};
use paasc::{compile, Envs};
use std::path::Path;

#[path = "support/examples.rs"]
mod examples;

fn shared_examples() -> Vec<String> {
    let dir = Path::new("../shared/examples");
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "paas") {
                out.push(p.to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    out
}

fn codes(path: &str, envs: &Envs) -> Vec<&'static str> {
    let c = compile(path, &FsLoader, envs, &[], true);
    c.diagnostics.iter().map(|d| d.code.as_str()).collect()
}

/// What each example may warn about; nothing else, and no error.
fn allowed_warnings(path: &str) -> Vec<&'static str> {
    if path.ends_with("ledger.paas") || path.ends_with("batch.paas") {
        vec![Code::LaunchConfiguration.as_str()]
    } else if path.ends_with("hello.paas") || path.ends_with("minimal.paas") {
        vec![Code::PlainHttp.as_str()]
    } else {
        vec![]
    }
}

#[test]
fn examples_check_clean_in_every_env() {
    let mut paths: Vec<String> = examples::files();
    paths.extend(shared_examples());
    for path in &paths {
        let all = compile(path, &FsLoader, &Envs::All, &[], true);
        let got: Vec<&str> = all.diagnostics.iter().map(|d| d.code.as_str()).collect();
        assert_eq!(
            got,
            allowed_warnings(path),
            "{path}: unexpected diagnostics"
        );
        let envs: Vec<String> = all.apps.iter().map(|a| a.env.clone()).collect();
        assert!(!envs.is_empty(), "{path}: no model");
        for env in &envs {
            assert_eq!(
                codes(path, &Envs::Named(env.clone())),
                allowed_warnings(path),
                "{path} env {env}"
            );
        }
    }
}

#[test]
fn model_snapshots_show_overlays_and_interpolation() {
    for path in examples::files() {
        let path = path.as_str();
        let c = compile(path, &FsLoader, &Envs::All, &[], true);
        assert!(!c.has_errors(), "{path}");
        for app in &c.apps {
            let name = format!("model-{}-{}", app.name, app.env);
            insta::assert_json_snapshot!(name, app);
        }
    }
}

#[test]
fn payments_prod_resolves_the_overlay_before_interpolation() {
    let path = "../shared/examples/payments.paas";
    if !Path::new(path).exists() {
        // The contract lives beside the checkout, not in it; `.ci/run`
        // always has it. shop_overlays_merge_deeply covers the same rules.
        eprintln!("note: {path} not found; contract model snapshot not checked");
        return;
    }
    let c = compile(path, &FsLoader, &Envs::Named("prod".into()), &[], true);
    let app = &c.apps[0];
    assert_eq!(app.account, "999988887777");
    assert_eq!(app.logs.bucket, "payments-logs-999988887777");
    assert_eq!(
        (app.fleet.min, app.fleet.desired, app.fleet.max),
        (4, 6, 24)
    );
    assert_eq!(app.image.instance, "m6i.large");
    assert_eq!(
        app.access.s3,
        vec!["payments-receipts-999988887777".to_string()]
    );
    insta::assert_json_snapshot!("model-payments-api-prod", app);
}

#[test]
fn shop_overlays_merge_deeply() {
    let c = compile(
        "examples/shop.paas",
        &FsLoader,
        &Envs::Named("prod".into()),
        &[],
        true,
    );
    let app = &c.apps[0];
    assert_eq!(app.account, "222233334444");
    assert_eq!(app.logs.bucket, "shop-logs-prod-222233334444");
    assert_eq!(
        app.access.secrets,
        vec!["/shop/prod/db-password".to_string()]
    );
    assert_eq!(
        (
            app.fleet.min,
            app.fleet.desired,
            app.fleet.max,
            app.fleet.cpu
        ),
        (3, 4, 12, 50)
    );
    // Keys the overlay does not touch keep the base's values.
    assert_eq!(app.image.volume_gib, 25);
    assert_eq!(app.pipeline.retry, 3);
    assert_eq!(app.pipeline.timeout_seconds, 90 * 60);
    assert_eq!(app.image.attributes["shop"]["env"], "prod");
    let staging = &compile(
        "examples/shop.paas",
        &FsLoader,
        &Envs::Named("staging".into()),
        &[],
        true,
    )
    .apps[0];
    assert_eq!(staging.logs.retain_days, 30);
    assert_eq!(staging.account, "111122223333");
}

#[test]
fn set_overrides_params() {
    let sets = vec![("version".to_string(), "9.9.9".to_string())];
    let c = compile("examples/shop.paas", &FsLoader, &Envs::Default, &sets, true);
    assert_eq!(c.apps[0].version, "9.9.9");
}

#[test]
fn every_error_of_a_file_is_reported_in_one_run() {
    let text = r#"
app demo {
  region = "eu-west-1"
  account = "111122223333"
  service { port = 8080 https = "arn:aws:acm:eu-west-1:111122223333:certificate/6a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d" }
  fleet { min = }
  image { instance = "t3.larg" }
  release { shift = [10%, 50%] }
  logs { retain = 400 d }
}
"#;
    let loader = MemLoader::default().with("demo.paas", text);
    let c = compile("demo.paas", &loader, &Envs::All, &[], true);
    let got: Vec<&str> = c.diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert!(got.contains(&"paas::E0001"), "{got:?}");
    assert!(got.contains(&"paas::E0310"), "{got:?}");
    assert!(got.contains(&"paas::E0316"), "{got:?}");
    assert!(got.len() >= 4, "{got:?}");
}

/// The release keys of the alarms and the keep-warm time: out-of-range
/// values and `keep_warm` on a rolling release are located errors.
#[test]
fn release_alarm_and_keep_warm_keys_are_checked() {
    let spec = |release: &str| {
        format!(
            r#"
app demo {{
  region = "eu-west-1"
  account = "111122223333"
  service {{ port = 8080 https = "arn:aws:acm:eu-west-1:111122223333:certificate/6a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d" }}
  release {{ {release} }}
}}
"#
        )
    };
    let cases = [
        ("alarm_errors = 0", "paas::E0327", "0"),
        ("alarm_latency = 90s", "paas::E0317", "90s"),
        (
            "strategy = rolling  keep_warm = 5m",
            "paas::E0316",
            "keep_warm = 5m",
        ),
    ];
    for (release, code, at) in cases {
        let text = spec(release);
        let loader = MemLoader::default().with("demo.paas", text.as_str());
        let c = compile("demo.paas", &loader, &Envs::All, &[], true);
        let d = c
            .diagnostics
            .iter()
            .find(|d| d.code.as_str() == code)
            .unwrap_or_else(|| panic!("{release}: no {code} in {:?}", c.diagnostics));
        let span = d.labels[0].span;
        let start = text.find(release).unwrap() + release.find(at).unwrap();
        assert_eq!(
            &text[span.start as usize..span.end as usize],
            at,
            "{release}: {code} is located at its value"
        );
        assert_eq!(span.start as usize, start, "{release}");
    }
    // In range, on a blue-green release: clean.
    let text = spec("alarm_errors = 25  alarm_latency = 3s  keep_warm = 20m");
    let loader = MemLoader::default().with("demo.paas", text.as_str());
    let c = compile("demo.paas", &loader, &Envs::All, &[], true);
    assert!(
        c.diagnostics
            .iter()
            .all(|d| !d.code.as_str().starts_with("paas::E")),
        "{:?}",
        c.diagnostics
    );
}

/// Deterministic pseudo-random mangling (no clock, no external seed).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() as usize) % n.max(1)
    }
}

const NOISE: &[&str] = &[
    "{",
    "}",
    "\"",
    "[",
    "]",
    "=",
    "\n",
    "${",
    "#",
    "\\",
    "%",
    "-",
    "0",
    "99999999999999999999",
    "\u{0}",
    "é",
    "app x {",
    "env",
    "}}}}",
];

fn mangle(text: &str, rng: &mut Lcg) -> Vec<u8> {
    let mut bytes = text.as_bytes().to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(4) {
            0 => {
                let end = (at + rng.below(20)).min(bytes.len());
                bytes.drain(at..end);
            }
            1 => {
                let noise = NOISE[rng.below(NOISE.len())].as_bytes();
                bytes.splice(at..at, noise.iter().copied());
            }
            2 if !bytes.is_empty() => {
                let i = at.min(bytes.len() - 1);
                bytes[i] = (rng.next() & 0xff) as u8;
            }
            _ => {
                let start = rng.below(bytes.len() + 1);
                let end = (start + rng.below(40)).min(bytes.len());
                let copy = bytes[start..end].to_vec();
                let at = at.min(bytes.len());
                bytes.splice(at..at, copy);
            }
        }
    }
    bytes
}

#[test]
fn mangled_examples_never_panic_and_rejections_carry_diagnostics() {
    let mut sources: Vec<(String, String)> = Vec::new();
    for p in examples::files().into_iter().chain(shared_examples()) {
        if let Ok(t) = std::fs::read_to_string(&p) {
            sources.push((p, t));
        }
    }
    let lib = std::fs::read("examples/lib/platform.paas").unwrap_or_default();
    let mut rng = Lcg(0x5eed);
    let mut rejected = 0;
    for round in 0..600 {
        let (name, text) = &sources[round % sources.len()];
        let bytes = mangle(text, &mut rng);
        let file = format!("m{round}.paas");
        let loader = MemLoader::default()
            .with(&file, bytes.clone())
            .with("lib/platform.paas", lib.clone())
            .with("lib/ledger-common.paas", lib.clone());
        let c = compile(&file, &loader, &Envs::All, &[], true);
        if c.apps.is_empty() {
            rejected += 1;
            assert!(
                c.diagnostics
                    .iter()
                    .any(|d| d.severity() == Severity::Error),
                "rejected without an error: from {name}:\n{}",
                String::from_utf8_lossy(&bytes)
            );
        }
        for d in &c.diagnostics {
            for l in &d.labels {
                let f = c.sources.get(l.span.file).expect("label file exists");
                assert!(
                    l.span.end as usize <= f.text.len(),
                    "label out of range: {d:?}"
                );
            }
            let _ = paasc::diagnostics::render::human(
                d,
                &c.sources,
                paasc::diagnostics::render::Style {
                    color: false,
                    width: 80,
                },
            );
        }
    }
    assert!(
        rejected > 100,
        "mangling should break most inputs, broke {rejected}"
    );
}

#[test]
fn hostile_shapes_are_diagnosed_not_crashed() {
    let deep = format!("app x {{ {} }}", "a {".repeat(5000) + &"}".repeat(5000));
    let long_line = format!("app x {{ team = \"{}\" }}", "y".repeat(2_000_000));
    let nul = "app x {\0 region = \"eu-west-1\" }".to_string();
    let only_braces = "}".repeat(10_000);
    for (i, text) in [deep, long_line, nul, only_braces].into_iter().enumerate() {
        let file = format!("h{i}.paas");
        let loader = MemLoader::default().with(&file, text);
        let c = compile(&file, &loader, &Envs::All, &[], true);
        assert!(c.has_errors(), "case {i}");
    }
    let big = std::fs::read_to_string("examples/shop.paas").unwrap_or_default()
        + &"# filler comment line\n".repeat(450_000);
    let loader = MemLoader::default().with("big.paas", big);
    let c = compile("big.paas", &loader, &Envs::Default, &[], true);
    assert!(!c.has_errors(), "a 10 MB file of comments still compiles");
}
