//! The command line (clap derive). Each subcommand's arguments and `run` function are in the
//! library (`perfwarden::commands`); this file only dispatches and turns what a command
//! returns into an [`Outcome`].

use clap::{Parser, Subcommand};
use perfwarden::commands::{
    Outcome, baseline, calibrate, check, comment, compare, export, history, import, merge,
    report_html,
};

/// Benchmark regression gate: run benches, judge them against committed baselines (or a
/// commit measured now), confirm what looks like a regression, report it on the PR.
#[derive(Debug, Parser)]
#[command(name = "perfwarden", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The main job: run the benches of a profile, gate them against this machine class's
    /// baseline (or the merge base measured now), confirm what fails, write the reports.
    /// Exit 0 passed, 1 failed, 2 bad input.
    Check(check::CheckArgs),
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

/// Runs a parsed command line. An error is bad input or usage (exit 2).
pub fn run(cli: Cli) -> anyhow::Result<Outcome> {
    let code = match &cli.command {
        Command::Check(args) => i32::from(check::run(args)?),
        Command::Compare(args) => i32::from(compare::run(args)?),
        Command::Baseline(args) => baseline::run(args)?,
        Command::Export(args) => export::run(args)?,
        Command::Merge(args) => merge::run(args)?,
        Command::Import(args) => import::run(args)?,
        Command::Comment(args) => comment::run(args)?,
        Command::History(args) => history::run(args)?,
        Command::Calibrate(args) => calibrate::run(args)?,
        Command::Report(args) => report_html::run(args)?,
    };
    Ok(Outcome::from_code(code))
}
