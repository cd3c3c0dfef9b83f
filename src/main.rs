//! The `paasc` binary: parses arguments and hands over to `cli`.

fn main() -> std::process::ExitCode {
    paasc_cli::run()
}

#[path = "cli/mod.rs"]
mod paasc_cli;
