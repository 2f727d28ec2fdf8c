//! `perfwarden export`: results in Bencher's, github-action-benchmark's or OpenMetrics' format,
//! and (OpenMetrics) pushed to a Prometheus Pushgateway.

use std::path::PathBuf;

use crate::error::Error;
use crate::gate;
use crate::pushgateway;
use crate::report::openmetrics;
use crate::results::{self, export};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// Bencher Metric Format JSON (`bencher run --adapter json`).
    Bencher,
    /// github-action-benchmark `customSmallerIsBetter` (lower-is-better metrics).
    GabSmaller,
    /// github-action-benchmark `customBiggerIsBetter` (higher-is-better metrics).
    GabBigger,
    /// OpenMetrics text for Prometheus: gauges in base units, latency histograms as classic
    /// buckets, the gate's verdicts when --baseline is given.
    Openmetrics,
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    #[arg(long, value_enum)]
    pub format: ExportFormat,
    /// The results to export: a results file or a directory of them.
    #[arg(long, default_value_os_t = results::results_dir())]
    pub current: PathBuf,
    /// Where to write (atomically); standard output when absent (and no --push).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// OpenMetrics: gate the run against these baseline results and export the verdicts too.
    #[arg(long, value_name = "FILE|DIR")]
    pub baseline: Option<PathBuf>,
    /// OpenMetrics with --baseline: the gate configuration.
    /// [default: perfwarden.toml when it exists, else built-in defaults]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// OpenMetrics: PUT the exposition to this Pushgateway (e.g. http://pushgateway:9091),
    /// grouped by job=perfwarden, machine class and profile unless the URL names a group.
    #[arg(long, value_name = "URL")]
    pub push: Option<String>,
}

/// Runs the command; `Ok(0)` when it did what was asked.
pub fn run(args: &ExportArgs) -> Result<i32, Error> {
    let openmetrics = args.format == ExportFormat::Openmetrics;
    if !openmetrics && (args.baseline.is_some() || args.config.is_some() || args.push.is_some()) {
        return Err(Error::BadInput {
            path: args.current.clone(),
            what: "--baseline, --config and --push go with --format openmetrics".into(),
        });
    }
    let run = results::read_run_set(&args.current)?;
    let text = match args.format {
        ExportFormat::Bencher => export::bencher(&run),
        ExportFormat::GabSmaller => export::github_action_benchmark(&run).0,
        ExportFormat::GabBigger => export::github_action_benchmark(&run).1,
        ExportFormat::Openmetrics => exposition(args, &run)?,
    };
    // The push goes first: when it fails, the file named by --out stays as it was.
    let push_url = match &args.push {
        Some(url) => Some(pushgateway::grouping_url(url, &run.environment)?),
        None => None,
    };
    if let Some(url) = &push_url {
        pushgateway::push(url, &text)?;
        eprintln!("pushed {} bytes to {url}", text.len());
    }
    if let Some(path) = &args.out {
        results::write_atomic(path, text.as_bytes())?;
        eprintln!("wrote {}", path.display());
    }
    if args.out.is_none() && push_url.is_none() {
        print!("{text}");
    }
    Ok(0)
}

/// The run's exposition, with the gate's verdicts when a baseline is named.
fn exposition(args: &ExportArgs, run: &results::Run) -> Result<String, Error> {
    let comparison = match &args.baseline {
        Some(path) => {
            let baseline = results::read_run_set(path)?;
            let (config, _) = super::publish::load_config(args.config.as_deref())?;
            let c = gate::compare(&baseline, run, &config).map_err(|e| Error::BadInput {
                path: args.current.clone(),
                what: format!("cannot compare with {}: {e}", path.display()),
            })?;
            Some(c)
        }
        None => None,
    };
    openmetrics::render(run, comparison.as_ref()).map_err(|e| Error::BadInput {
        path: args.current.clone(),
        what: e.to_string(),
    })
}
