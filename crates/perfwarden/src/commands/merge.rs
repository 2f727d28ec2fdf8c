//! `perfwarden merge`: one run from the same suites measured on several load machines.

use std::path::PathBuf;

use crate::error::Error;
use crate::results::{self, merge};

#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// The runs to merge: results files, or directories of them (one per machine).
    #[arg(required = true, num_args = 1..)]
    pub(crate) files: Vec<PathBuf>,
    /// Where to write the merged run (atomically).
    #[arg(long)]
    pub(crate) out: PathBuf,
}

/// Runs the command; `Ok(0)` when it did what was asked.
pub fn run(args: &MergeArgs) -> Result<i32, Error> {
    let runs = args
        .files
        .iter()
        .map(|p| results::read_run_set(p))
        .collect::<Result<Vec<_>, _>>()?;
    let merged = merge::merge_runs(&runs).map_err(|e| Error::BadInput {
        // Name the input the problem is in; a problem of the whole is about the output.
        path: e
            .run()
            .and_then(|i| args.files.get(i))
            .unwrap_or(&args.out)
            .clone(),
        what: format!("cannot merge: {e}"),
    })?;
    merged.write(&args.out)?;
    println!(
        "wrote {} ({} machines, {} metrics)",
        args.out.display(),
        merged.machines,
        merged.metrics.len()
    );
    Ok(0)
}
