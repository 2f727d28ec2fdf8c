//! `perfwarden baseline update`: the current results become the committed baseline.

use std::path::PathBuf;

use crate::error::Error;
use crate::results;

#[derive(Debug, clap::Args)]
pub struct BaselineArgs {
    #[command(subcommand)]
    pub action: BaselineAction,
}

#[derive(Debug, clap::Subcommand)]
pub enum BaselineAction {
    /// Write the current results as the baseline of their machine class, one file per suite
    /// (baselines/<machine_class>/<suite>.json), atomically.
    Update(UpdateArgs),
}

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  perfwarden baseline update                                # target/perfwarden -> baselines/<class>/
  perfwarden baseline update --baselines baselines/nightly  # a nightly run's baselines
  perfwarden baseline update --current run.json --force     # even with a failed or skipped suite")]
pub struct UpdateArgs {
    /// The current results: a results file or a directory of them.
    #[arg(long, value_name = "FILE|DIR", default_value_os_t = results::results_dir())]
    pub current: PathBuf,
    /// The baselines directory.
    #[arg(long, value_name = "DIR", default_value = "baselines")]
    pub baselines: PathBuf,
    /// Update even when a suite failed or was skipped, or an old baseline is unreadable.
    #[arg(long)]
    pub force: bool,
}

/// Runs the command; `Ok(0)` when it did what was asked.
pub fn run(args: &BaselineArgs) -> Result<i32, Error> {
    match &args.action {
        BaselineAction::Update(u) => {
            let current = results::read_run_set(&u.current)?;
            for path in crate::baseline::update(&current, &u.baselines, u.force)? {
                println!("wrote {}", path.display());
            }
            Ok(0)
        }
    }
}
