//! `paasc check FILE|DIR... [--env NAME]`: every diagnostic of every spec,
//! nothing written. Specs are checked side by side; each one's report is
//! printed in the order given; the exit code is the worst.

use super::many::{expand, parallel, CachedFs};
use super::output::{compile_with_loader, readable, report_to, Out};
use super::{SpecArgs, SpecsArgs};
use paasc::Envs;
use std::process::ExitCode;

pub fn run(args: &SpecsArgs, env: Option<&str>) -> ExitCode {
    let files = match expand(&args.files) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let loader = CachedFs::default();
    let results = parallel(&files, |f| {
        let mut out = Out::default();
        let code = one(&args.one(f), env, &loader, &mut out);
        (code, out)
    });
    let mut worst = 0;
    for (code, out) in &results {
        out.print();
        worst = worst.max(*code);
    }
    ExitCode::from(worst)
}

fn one(args: &SpecArgs, env: Option<&str>, loader: &CachedFs, out: &mut Out) -> u8 {
    let root = match readable(args) {
        Ok(r) => r,
        Err(e) => {
            out.err(e);
            return 2;
        }
    };
    let envs = match env {
        Some(e) => Envs::Named(e.to_string()),
        None => Envs::All,
    };
    let c = match compile_with_loader(args, &root, &envs, false, loader) {
        Ok(c) => c,
        Err(e) => {
            out.err(e);
            return 2;
        }
    };
    u8::from(report_to(&c, args, out))
}
