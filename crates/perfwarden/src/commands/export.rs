//! `perfwarden export`: results in Bencher's or github-action-benchmark's format.

use std::path::PathBuf;

use crate::error::Error;
use crate::results::{self, export};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// Bencher Metric Format JSON (`bencher run --adapter json`).
    Bencher,
    /// github-action-benchmark `customSmallerIsBetter` (lower-is-better metrics).
    GabSmaller,
    /// github-action-benchmark `customBiggerIsBetter` (higher-is-better metrics).
    GabBigger,
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    #[arg(long, value_enum)]
    pub format: ExportFormat,
    /// The results to export: a results file or a directory of them.
    #[arg(long, default_value_os_t = results::results_dir())]
    pub current: PathBuf,
    /// Where to write (atomically); standard output when absent.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Runs the command; `Ok(0)` when it did what was asked.
pub fn run(args: &ExportArgs) -> Result<i32, Error> {
    let run = results::read_run_set(&args.current)?;
    let text = match args.format {
        ExportFormat::Bencher => export::bencher(&run),
        ExportFormat::GabSmaller => export::github_action_benchmark(&run).0,
        ExportFormat::GabBigger => export::github_action_benchmark(&run).1,
    };
    match &args.out {
        Some(path) => {
            results::write_atomic(path, text.as_bytes())?;
            eprintln!("wrote {}", path.display());
        }
        None => print!("{text}"),
    }
    Ok(0)
}
