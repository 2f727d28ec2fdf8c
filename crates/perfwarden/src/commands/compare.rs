//! `perfwarden compare`: read both runs and the config, gate, write the reports, print a
//! summary. Everything is read and judged before anything is written, so bad input leaves
//! every existing file as it was. The reading and writing `check` shares is in
//! [`super::publish`].

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;

use super::publish::{self, Outputs};
use crate::gate::{self, Confirmation};
use crate::report::json;
use crate::results::{self, Run};

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  perfwarden compare                                   # target/perfwarden vs baselines/<class>/
  perfwarden compare --baseline base/ --current run.json --config base/perfwarden.toml
  perfwarden compare --confirm                         # re-measure what fails, A B B A")]
pub struct CompareArgs {
    /// Baseline results: a JSON file or a directory of them.
    /// [default: <baselines-dir>/<machine class of the current run>/]
    #[arg(long, value_name = "FILE|DIR")]
    baseline: Option<PathBuf>,
    /// Current results: a JSON file or a directory of them.
    /// [default: target/perfwarden/, honouring PERFWARDEN_RESULTS_DIR and CARGO_TARGET_DIR]
    #[arg(long, value_name = "FILE|DIR")]
    current: Option<PathBuf>,
    /// Gate configuration. [default: perfwarden.toml when it exists, else built-in defaults]
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The default threshold in percent, instead of the config's (per-suite and per-metric
    /// rules still apply).
    #[arg(long, value_name = "PERCENT", value_parser = parse_percent)]
    threshold: Option<f64>,
    #[command(flatten)]
    outputs: Outputs,
    /// Where per-machine-class baselines live, for the default --baseline.
    #[arg(long, value_name = "DIR", default_value = "baselines")]
    baselines_dir: PathBuf,
    /// A confirmation another job made (its `confirmation.json`): validated against this
    /// comparison, its statuses re-derived from the paired ratios, and shown as such.
    #[arg(long, value_name = "FILE", conflicts_with = "confirm")]
    confirmations: Option<PathBuf>,
    /// The commit the current results measured, as the judging side knows it (not as the
    /// results say): where nothing that builds or runs a bench changed between the baseline's
    /// commit and it (only baselines/, docs/, top-level Markdown), what the gate flags is the
    /// machine's doing and does not fail; a confirmation file's entries are then not read.
    #[arg(long, value_name = "SHA", conflicts_with_all = ["confirm", "measured_now"])]
    measured_commit: Option<String>,
    /// With --measured-commit: the commit measured was that one merged onto this one
    /// (GitHub's test merge of a pull request onto its base).
    #[arg(long, value_name = "SHA", requires = "measured_commit")]
    measured_onto: Option<String>,
    /// The baseline is a commit measured now (by `check`, where no baseline was committed),
    /// not committed results: the report says so.
    #[arg(long)]
    measured_now: bool,
    /// Before failing, re-measure each regression: build the baseline's commit in a git
    /// worktree beside this tree, run the flagged benches of both alternately and decide on
    /// the paired ratios (confirmed, or drift, which does not fail).
    #[arg(long)]
    confirm: bool,
    /// Rounds of alternating (baseline, current) runs for --confirm; K more for a bench
    /// whose change the first K left open (most rounds beyond the threshold, too spread to
    /// bound it beyond).
    #[arg(long, default_value_t = 5, value_name = "K")]
    confirm_rounds: usize,
    /// The bench target measuring a suite not named after its bench, e.g.
    /// `gate_10k_metrics=gate` (repeatable).
    #[arg(long, value_name = "SUITE=BENCH")]
    confirm_bench: Vec<String>,
    /// The run profile of the re-measurements. [default: the profile the current run was
    /// measured at, so the re-runs measure the same metrics]
    #[arg(long, value_name = "PROFILE")]
    confirm_profile: Option<crate::profile::Profile>,
    /// Where the baseline's worktree and the re-measurements go.
    /// [default: target/perfwarden/confirm/]
    #[arg(long, value_name = "DIR")]
    confirm_dir: Option<PathBuf>,
    /// Arguments for the bench binaries after `--bench` (Criterion options, a filter).
    #[arg(long, value_name = "ARGS", allow_hyphen_values = true, num_args = 1..)]
    confirm_bench_args: Vec<String>,
}

pub fn run(args: &CompareArgs) -> anyhow::Result<u8> {
    let current_path = args.current.clone().unwrap_or_else(results::results_dir);
    let current = results::read_run_set(&current_path)?;
    let baseline_path = match &args.baseline {
        Some(p) => p.clone(),
        None => publish::default_baseline(&args.baselines_dir, &current)?,
    };
    let baseline = results::read_run_set(&baseline_path)?;
    let (mut config, config_path) = publish::load_config(args.config.as_deref())?;
    if let Some(pct) = args.threshold {
        config.threshold = pct / 100.0;
    }
    let shared = args
        .confirmations
        .as_deref()
        .map(read_confirmation)
        .transpose()?;

    let mut comparison = gate::compare(&baseline, &current, &config)
        .with_context(|| format!("{} vs {}", baseline_path.display(), current_path.display()))?;
    if args.measured_now {
        comparison.reference = gate::Reference::MeasuredNow {
            commit: baseline.environment.git_commit.clone().unwrap_or_default(),
            rounds: baseline
                .metrics
                .iter()
                .filter_map(|m| m.sample_count)
                .max()
                .unwrap_or(1) as usize,
        };
    }
    let same_code = unchanged_code(args, &baseline);
    if let Some(commit) = same_code {
        let profile = current.environment.profile.clone();
        gate::confirmation::apply_unchanged(&mut comparison, &commit, &profile)
            .map_err(anyhow::Error::msg)?;
    } else if let Some(c) = shared {
        let path = args.confirmations.as_deref().unwrap_or(Path::new(""));
        gate::confirmation::apply(&mut comparison, c).map_err(|what| crate::Error::BadInput {
            path: path.into(),
            what,
        })?;
    } else if args.confirm && !crate::confirm::flagged(&comparison).is_empty() {
        let c = confirm(args, &comparison, &baseline, &current)?;
        gate::confirmation::apply(&mut comparison, c).map_err(anyhow::Error::msg)?;
    }

    let inputs = json::Inputs {
        baseline: baseline_path.display().to_string(),
        current: current_path.display().to_string(),
        config: config_path.map(|p| p.display().to_string()),
    };
    publish::refuse_mixing(&args.outputs, &[&current_path, &baseline_path])?;
    publish::publish(&comparison, &current, &inputs, &args.outputs)
}

/// The baseline's commit, where `--measured-commit` (onto `--measured-onto`) is code-wise the
/// same; otherwise `None`, and a line saying why on stderr.
fn unchanged_code(args: &CompareArgs, baseline: &Run) -> Option<String> {
    let head = args.measured_commit.as_deref()?;
    let commit = baseline.environment.git_commit.as_deref()?;
    let repo = Path::new(".");
    let found = match &args.measured_onto {
        Some(base) => crate::confirm::unchanged_in_merge(repo, commit, base, head),
        None => crate::confirm::unchanged_since(repo, commit, Some(head)),
    };
    match found {
        Ok(_) => Some(commit.to_string()),
        Err(why) => {
            eprintln!("compare: flags stand as re-measured, if at all: {why}");
            None
        }
    }
}

/// A confirmation file written by another job: bounded, parsed strictly.
fn read_confirmation(path: &Path) -> anyhow::Result<Confirmation> {
    const MAX_BYTES: u64 = 4 * 1024 * 1024;
    let bad = |what: String| crate::Error::BadInput {
        path: path.into(),
        what,
    };
    let len = std::fs::metadata(path)
        .map_err(|source| crate::Error::Read {
            path: path.into(),
            source,
        })?
        .len();
    if len > MAX_BYTES {
        return Err(bad(format!("{len} bytes, over the {MAX_BYTES}-byte limit")).into());
    }
    let text = std::fs::read_to_string(path).map_err(|source| crate::Error::Read {
        path: path.into(),
        source,
    })?;
    Ok(serde_json::from_str(&text).map_err(|e| bad(format!("not a confirmation: {e}")))?)
}

/// Re-measures the flagged metrics against the baseline's commit (`--confirm`).
fn confirm(
    args: &CompareArgs,
    comparison: &gate::Comparison,
    baseline: &Run,
    current: &Run,
) -> anyhow::Result<Confirmation> {
    let mut benches = std::collections::BTreeMap::new();
    for pair in &args.confirm_bench {
        let Some((suite, bench)) = pair.split_once('=') else {
            bail!("--confirm-bench {pair:?}: expected SUITE=BENCH");
        };
        benches.insert(suite.to_string(), bench.to_string());
    }
    let repo = std::env::current_dir().context("no current directory")?;
    let profile = match args.confirm_profile {
        Some(p) => p,
        None => current
            .environment
            .profile
            .parse()
            .map_err(anyhow::Error::msg)?,
    };
    let opts = crate::confirm::Options {
        repo,
        rounds: args.confirm_rounds.max(1),
        benches,
        work_dir: args
            .confirm_dir
            .clone()
            .unwrap_or_else(|| results::results_dir().join("confirm")),
        profile,
        bench_args: args.confirm_bench_args.clone(),
        instructions: Default::default(),
        target_dir: None,
    };
    Ok(crate::confirm::confirm(
        comparison,
        baseline,
        &opts,
        &mut |line| eprintln!("{line}"),
    ))
}

/// A threshold on the command line: a percentage above 0, as in the config file.
pub(crate) fn parse_percent(s: &str) -> Result<f64, String> {
    match s.trim().trim_end_matches('%').parse::<f64>() {
        Ok(p) if p.is_finite() && p > 0.0 && p < 10_000.0 => Ok(p),
        _ => Err(format!(
            "{s:?} is not a percentage above 0 (e.g. 10 or 7.5)"
        )),
    }
}
