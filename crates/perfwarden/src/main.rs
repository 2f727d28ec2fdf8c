//! The `perfwarden` binary: parse the command line, run, map the outcome to an exit code.
//! 0: passed; 1: the gate failed (regression, critical change, broken budget, or a missing
//! metric when configured to fail); 2: bad input or usage. Errors are one line on stderr.

use std::process::ExitCode;

use clap::Parser;
use perfwarden::cli;
use perfwarden::commands::Outcome;

fn main() -> ExitCode {
    // clap prints help and version to stdout with exit code 0, and usage errors to stderr
    // with exit code 2, which is ours for bad usage too.
    let args = cli::Cli::parse();
    perfwarden::logging::init(perfwarden::logging::CLI_DEFAULT_FILTER);
    let outcome = cli::run(args).unwrap_or_else(|e| {
        eprintln!("perfwarden: error: {}", one_line(&e));
        Outcome::BadInput
    });
    ExitCode::from(outcome)
}

/// The error and its causes on one line. A cause whose text the message before it already
/// carries (our errors quote their I/O error) is not repeated.
fn one_line(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line.replace(['\n', '\r'], " ")
}
