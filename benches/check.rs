//! `cargo bench --bench check`: how long `check` and `build` take on the
//! examples, in process (no process start-up), median of many runs.
//! A plain harness keeps the dependency tree small; numbers are wall time
//! on the machine at hand, so compare runs on the same machine.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use paasc::resolve::MemLoader;
use paasc::{compile, Envs};
use std::time::{Duration, Instant};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// `cargo bench --bench check -- WORD` runs only the measurements whose
/// name contains WORD (for `perf record` of one of them).
fn selected(name: &str) -> bool {
    std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .all(|word| name.contains(&word))
}

fn measure(name: &str, iters: usize, mut f: impl FnMut()) {
    if !selected(name) {
        return;
    }
    for _ in 0..iters / 10 {
        f();
    }
    let samples: Vec<Duration> = (0..iters)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    let m = median(samples.clone());
    let max = samples.iter().max().copied().unwrap_or_default();
    println!(
        "{name:<40} median {:>9.1} µs   max {:>9.1} µs   ({iters} runs)",
        m.as_secs_f64() * 1e6,
        max.as_secs_f64() * 1e6
    );
}

fn main() {
    let mut loader = MemLoader::default();
    let mut specs = Vec::new();
    for (path, name) in [
        ("examples/minimal.paas", "minimal.paas"),
        ("examples/shop.paas", "shop.paas"),
        ("examples/batch.paas", "batch.paas"),
        ("../shared/examples/payments.paas", "payments.paas"),
    ] {
        if let Ok(text) = std::fs::read(path) {
            loader = loader.with(name, text);
            specs.push(name);
        }
    }
    if let Ok(lib) = std::fs::read("examples/lib/platform.paas") {
        loader = loader.with("lib/platform.paas", lib);
    }
    for name in &specs {
        measure(&format!("check {name} (all envs)"), 2000, || {
            let c = compile(name, &loader, &Envs::All, &[], false);
            assert!(!c.has_errors());
        });
        measure(&format!("build {name} (all envs, in memory)"), 300, || {
            let c = compile(name, &loader, &Envs::All, &[], true);
            for app in &c.apps {
                std::hint::black_box(paasc::emit::build(app).unwrap());
            }
        });
    }
    // Each emitter on its own: the full-featured example's prod env, and
    // the one env `paasc build payments.paas` writes.
    for (spec, env) in [("shop.paas", "prod"), ("payments.paas", "default")] {
        let c = compile(spec, &loader, &Envs::Named(env.into()), &[], true);
        let Some(app) = c.apps.first() else { continue };
        let short = spec.trim_end_matches(".paas");
        for (name, f) in paasc::emit::EMITTERS {
            measure(&format!("emit {name} ({short} {env})"), 300, || {
                let _ = std::hint::black_box(f(app));
            });
        }
        // The state machine's two halves: its JSON value, then the text.
        measure(
            &format!("stepfunctions value only ({short} {env})"),
            300,
            || {
                std::hint::black_box(paasc::emit::stepfunctions::definition(app));
            },
        );
        let value = paasc::emit::stepfunctions::definition(app);
        measure(
            &format!("stepfunctions text only ({short} {env})"),
            300,
            || {
                std::hint::black_box(serde_json::to_string_pretty(&value).unwrap());
            },
        );
        measure(
            &format!("emit all, with manifest ({short} {env})"),
            300,
            || {
                std::hint::black_box(paasc::emit::build(app).unwrap());
            },
        );
    }
    // `paasc fmt` of every example at once (issue goal: within 5 ms).
    let texts: Vec<String> = [
        "examples/minimal.paas",
        "examples/shop.paas",
        "examples/batch.paas",
        "examples/two-account.paas",
        "examples/lib/platform.paas",
        "../shared/examples/hello.paas",
        "../shared/examples/ledger.paas",
        "../shared/examples/payments.paas",
        "../shared/examples/lib/ledger-common.paas",
    ]
    .iter()
    .filter_map(|p| std::fs::read_to_string(p).ok())
    .collect();
    measure(
        &format!("fmt every example ({} files)", texts.len()),
        1000,
        || {
            for t in &texts {
                std::hint::black_box(paasc::format::format(t).unwrap());
            }
        },
    );
    // `paasc lsp` after a keystroke: the diagnostics of payments.paas
    // (issue goal: within 5 ms), and a completion inside `fleet {`.
    if specs.contains(&"payments.paas") {
        measure("lsp diagnostics payments.paas", 1000, || {
            std::hint::black_box(paasc::lsp::analysis::diagnostics("payments.paas", &loader));
        });
        let text = String::from_utf8(loader.files["payments.paas"].clone()).unwrap();
        let at = text.find("fleet {").map_or(0, |i| i + 8);
        measure("lsp completion in fleet (payments.paas)", 1000, || {
            let names = paasc::lsp::analysis::names("payments.paas", &loader);
            std::hint::black_box(paasc::lsp::analysis::complete(&text, at, &names));
        });
    }
    // Linear cost: a spec padded to N times its size by comments.
    if let Ok(text) = std::fs::read_to_string("examples/shop.paas") {
        for factor in [1usize, 10, 100] {
            let padded = format!(
                "{text}{}",
                "# padding comment line to grow the input linearly\n".repeat(120 * factor)
            );
            let l = MemLoader::default().with("p.paas", padded.clone());
            measure(
                &format!("check shop + {} KiB of comments", padded.len() / 1024),
                200,
                || {
                    let c = compile("p.paas", &l, &Envs::All, &[], true);
                    assert!(!c.has_errors());
                },
            );
        }
    }
}
