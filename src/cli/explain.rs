//! `paasc explain CODE`: the long text behind a diagnostic code.

use paasc::diagnostics::Code;
use std::process::ExitCode;

pub fn run(code: Option<&str>, list: bool) -> ExitCode {
    if list || code.is_none() {
        for c in Code::ALL {
            println!("{}  {}", c.as_str(), c.title());
        }
        return ExitCode::SUCCESS;
    }
    let text = code.unwrap_or_default();
    match Code::parse(text) {
        Some(c) => {
            println!("{}: {}\n\n{}", c.as_str(), c.title(), c.explain());
            ExitCode::SUCCESS
        }
        None => {
            eprintln!(
                "error: unknown diagnostic code `{text}`; `paasc explain --list` lists them all"
            );
            ExitCode::from(2)
        }
    }
}
