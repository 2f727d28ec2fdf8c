//! `perfwarden report --html <file>`: the gate's comparison as one self-contained HTML page
//! with charts. Reads and judges everything first, then writes the page atomically.

use std::path::PathBuf;

use crate::error::Error;
use crate::gate;
use crate::report::html;
use crate::results;

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// Where to write the HTML page.
    #[arg(long, value_name = "FILE")]
    pub html: PathBuf,
    /// Current results: a JSON file or a directory of them. [default: target/perfwarden/]
    #[arg(long, value_name = "FILE|DIR")]
    pub current: Option<PathBuf>,
    /// Baseline results: a JSON file or a directory of them.
    /// [default: <baselines-dir>/<machine class of the current run>/]
    #[arg(long, value_name = "FILE|DIR")]
    pub baseline: Option<PathBuf>,
    /// Where per-machine-class baselines live, for the default --baseline.
    #[arg(long, value_name = "DIR", default_value = "baselines")]
    pub baselines_dir: PathBuf,
    /// Gate configuration. [default: perfwarden.toml when it exists, else built-in defaults]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// Runs the command: 0 when the page was written (whatever the gate's verdict).
pub fn run(args: &ReportArgs) -> Result<i32, Error> {
    let current_path = args.current.clone().unwrap_or_else(results::results_dir);
    let current = results::read_run_set(&current_path)?;
    let baseline_path = args
        .baseline
        .clone()
        .unwrap_or_else(|| args.baselines_dir.join(&current.environment.machine_class));
    let baseline = results::read_run_set(&baseline_path)?;
    let (config, _) = super::publish::load_config(args.config.as_deref())?;
    let comparison = gate::compare(&baseline, &current, &config).map_err(|e| Error::BadInput {
        path: current_path.clone(),
        what: format!("cannot compare with {}: {e}", baseline_path.display()),
    })?;
    let page = html::render_html(&comparison, &current);
    results::write_atomic(&args.html, page.as_bytes())?;
    println!(
        "wrote {} ({} metrics)",
        args.html.display(),
        comparison.metrics.len()
    );
    Ok(0)
}
