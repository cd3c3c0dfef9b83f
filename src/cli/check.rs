//! `paasc check FILE [--env NAME]`: every diagnostic, nothing written.

use super::output::{readable, report};
use super::SpecArgs;
use paasc::Envs;
use std::process::ExitCode;

pub fn run(args: &SpecArgs, env: Option<&str>) -> ExitCode {
    let root = match readable(args) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let envs = match env {
        Some(e) => Envs::Named(e.to_string()),
        None => Envs::All,
    };
    let c = match super::output::compile(args, &root, &envs, false) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    if report(&c, args) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
