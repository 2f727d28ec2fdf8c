//! The command line (clap derive). One subcommand per file under `src/cli/`; each returns
//! the process exit code, or an error that `main` prints as one line and maps to 2.

mod compare;

use clap::{Parser, Subcommand};
use perfgate::commands::{calibrate, report_html};

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
    /// Run a bench N times on unchanged code (and with an injected slowdown): spread, false
    /// alarms and detections per metric; writes the noise floor into the baselines.
    /// Exit 0 when every metric meets the goals, 1 when some do not.
    Calibrate(calibrate::CalibrateArgs),
    /// Write the comparison as one self-contained HTML page with charts.
    Report(report_html::ReportArgs),
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Compare(args) => compare::run(args),
        Command::Calibrate(args) => Ok(calibrate::run(&args)? as u8),
        Command::Report(args) => Ok(report_html::run(&args)? as u8),
    }
}
