//! `perfwarden history`: appends a run to the nightly history, and draws metrics' trends.

use std::io::Write;
use std::path::PathBuf;

use crate::error::Error;
use crate::history::{self, Entry, Filter};
use crate::results::read_run_set;

/// Keep the nightly history (JSON lines) and draw metrics' recent trends.
#[derive(Clone, Debug, clap::Args)]
pub struct HistoryArgs {
    #[command(subcommand)]
    pub command: HistoryCommand,
}

#[derive(Clone, Debug, clap::Subcommand)]
pub enum HistoryCommand {
    /// Append the current results as one line of the history file.
    Append(AppendArgs),
    /// Print each metric's recent trend as a Mermaid xychart-beta block.
    Trend(TrendArgs),
}

#[derive(Clone, Debug, clap::Args)]
pub struct AppendArgs {
    /// The results: a file, or a directory of *.json results files.
    #[arg(long)]
    pub current: PathBuf,
    /// The history file (JSON lines), created when missing.
    #[arg(long)]
    pub history: PathBuf,
    /// Keep only this many most recent runs.
    #[arg(long)]
    pub keep: Option<usize>,
    /// The commit to record, instead of the one in the results' environment.
    #[arg(long)]
    pub commit: Option<String>,
}

#[derive(Clone, Debug, clap::Args)]
pub struct TrendArgs {
    /// The history file (JSON lines).
    #[arg(long)]
    pub history: PathBuf,
    /// Metric ids (suite/benchmark/metric), one chart each.
    #[arg(long = "metric", required = true, num_args = 1..)]
    pub metrics: Vec<String>,
    /// How many of the most recent runs to draw.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub last: u64,
    /// Only runs on this machine class.
    #[arg(long)]
    pub machine_class: Option<String>,
    /// Only runs of this profile (e.g. nightly).
    #[arg(long)]
    pub profile: Option<String>,
}

/// Runs the subcommand, printing to stdout and stderr.
pub fn run(args: &HistoryArgs) -> anyhow::Result<i32> {
    run_to(args, &mut std::io::stdout(), &mut std::io::stderr())
}

/// Runs the subcommand, printing its output to `out` and notes to `err`. Exit code 2 when a
/// requested metric has no history (its chart is left out, the others are printed).
pub fn run_to(args: &HistoryArgs, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<i32> {
    match &args.command {
        HistoryCommand::Append(a) => append(a, out),
        HistoryCommand::Trend(t) => trend(t, out, err),
    }
}

fn append(args: &AppendArgs, out: &mut dyn Write) -> anyhow::Result<i32> {
    let run = read_run_set(&args.current)?;
    let mut entry = Entry::from_run(&run);
    if entry.metrics.is_empty() {
        return Err(Error::BadInput {
            path: args.current.clone(),
            what: "the results hold no metric to append to the history".into(),
        }
        .into());
    }
    if let Some(commit) = &args.commit {
        entry.commit = Some(commit.clone());
    }
    let kept = history::append(&args.history, &entry, args.keep)?;
    writeln!(
        out,
        "perfwarden: appended {} metrics of {} ({}) to {} ({kept} runs kept)",
        entry.metrics.len(),
        entry.commit.as_deref().unwrap_or("an unknown commit"),
        entry.timestamp,
        args.history.display()
    )?;
    Ok(0)
}

fn trend(args: &TrendArgs, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<i32> {
    let entries = history::read_history(&args.history)?;
    let filter = Filter {
        machine_class: args.machine_class.clone(),
        profile: args.profile.clone(),
    };
    let last = usize::try_from(args.last).unwrap_or(usize::MAX);
    let mut code = 0;
    let mut first = true;
    for metric in &args.metrics {
        match history::trend(&entries, metric, &filter, last) {
            Some(t) => {
                if !first {
                    writeln!(out)?;
                }
                first = false;
                out.write_all(history::trend_chart(&t).as_bytes())?;
            }
            None => {
                writeln!(
                    err,
                    "perfwarden: {}: no run of {metric:?} matches",
                    args.history.display()
                )?;
                code = 2;
            }
        }
    }
    Ok(code)
}
