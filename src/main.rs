//! The `perfgate` binary: parse the command line, run, map the outcome to an exit code.
//! 0: passed; 1: the gate failed (regression, critical change, broken budget, or a missing
//! metric when configured to fail); 2: bad input or usage. Errors are one line on stderr.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // clap prints help and version to stdout with exit code 0, and usage errors to stderr
    // with exit code 2, which is ours for bad usage too.
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let msg = format!("{e:#}").replace(['\n', '\r'], " ");
            eprintln!("perfgate: error: {msg}");
            ExitCode::from(2)
        }
    }
}
