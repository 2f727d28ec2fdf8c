//! The command line (clap derive). `compare` lives in `src/cli/compare.rs`; the other
//! subcommands' arguments and `run` functions are in the library (`perfwarden::commands`).
//! Each returns the process exit code, or an error that `main` prints as one line and maps
//! to exit code 2.

mod compare;

use clap::{Parser, Subcommand};
use perfwarden::commands::{
    baseline, calibrate, comment, export, history, import, merge, report_html,
};

/// Benchmark harness with CI regression gating for a vector-search stack.
#[derive(Debug, Parser)]
#[command(name = "perfwarden", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Gate current results against a baseline: exit 0 passed, 1 failed, 2 bad input.
    Compare(compare::CompareArgs),
    /// Manage the committed baselines.
    Baseline(baseline::BaselineArgs),
    /// Results in another tool's format (Bencher, github-action-benchmark, OpenMetrics), or
    /// pushed to a Prometheus Pushgateway.
    Export(export::ExportArgs),
    /// One run from the same suites measured on several load machines.
    Merge(merge::MergeArgs),
    /// Other tools' output as a results file.
    Import(import::ImportArgs),
    /// Post the report on a pull request, or update perfwarden's earlier comment there.
    Comment(comment::CommentArgs),
    /// The nightly history and its trend charts.
    History(history::HistoryArgs),
    /// Run a bench N times on unchanged code (and with an injected slowdown): spread, false
    /// alarms and detections per metric; writes the noise floor into the baselines.
    /// Exit 0 when every metric meets the goals, 1 when some do not.
    Calibrate(calibrate::CalibrateArgs),
    /// Write the comparison as one self-contained HTML page with charts.
    Report(report_html::ReportArgs),
}

/// Runs a parsed command line and returns the exit code.
pub fn run(cli: Cli) -> anyhow::Result<u8> {
    let code = match &cli.command {
        Command::Compare(args) => return compare::run(args),
        Command::Baseline(args) => baseline::run(args)?,
        Command::Export(args) => export::run(args)?,
        Command::Merge(args) => merge::run(args)?,
        Command::Import(args) => import::run(args)?,
        Command::Comment(args) => comment::run(args)?,
        Command::History(args) => history::run(args)?,
        Command::Calibrate(args) => calibrate::run(args)? as i32,
        Command::Report(args) => report_html::run(args)? as i32,
    };
    // Exit codes are 0, 1 and 2; anything else a command returns is a failure.
    Ok(u8::try_from(code).ok().filter(|c| *c <= 2).unwrap_or(2))
}
