//! The command line (clap derive). One subcommand per file under `src/cli/`; each returns
//! the process exit code, or an error that `main` prints as one line and maps to 2.

mod compare;

use clap::{Parser, Subcommand};

/// Benchmark harness with CI regression gating for a vector-search stack.
#[derive(Debug, Parser)]
#[command(name = "perfgate", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Gate current results against a baseline: exit 0 passed, 1 failed, 2 bad input.
    Compare(compare::CompareArgs),
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Compare(args) => compare::run(args),
    }
}
