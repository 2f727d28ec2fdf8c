//! `perfwarden import criterion`: Criterion's output as a results file the gate reads.

use std::path::PathBuf;

use crate::error::Error;
use crate::profile::{PROFILE_VAR, Profile};
use crate::results::{self, Environment, criterion};

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    #[command(subcommand)]
    pub source: ImportSource,
}

#[derive(Debug, clap::Subcommand)]
pub enum ImportSource {
    /// Read target/criterion/**/new/*.json (time per iteration, throughput) into results.
    Criterion(CriterionArgs),
}

#[derive(Debug, clap::Args)]
pub struct CriterionArgs {
    /// Criterion's output directory.
    #[arg(long, default_value_os_t = super::default_criterion_dir())]
    pub criterion_dir: PathBuf,
    /// The results file to write.
    #[arg(long, default_value_os_t = results::results_dir().join("criterion.json"))]
    pub out: PathBuf,
    /// The profile the benches ran with, recorded in the environment.
    #[arg(long, env = PROFILE_VAR, default_value = "pr")]
    pub(crate) profile: Profile,
    /// The suite of benchmarks whose id has no group (`group/...`) component.
    #[arg(long, default_value = criterion::DEFAULT_SUITE)]
    pub suite: String,
}

/// Runs the command; `Ok(0)` when it did what was asked.
pub fn run(args: &ImportArgs) -> Result<i32, Error> {
    match &args.source {
        ImportSource::Criterion(c) => {
            let env = Environment::detect(c.profile);
            let run = criterion::import_run(&c.criterion_dir, Some(&c.suite), env)?;
            run.write(&c.out)?;
            println!(
                "wrote {} ({} metrics from {})",
                c.out.display(),
                run.metrics.len(),
                c.criterion_dir.display()
            );
            Ok(0)
        }
    }
}
