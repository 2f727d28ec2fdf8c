//! `perfwarden compare`: read both runs and the config, gate, write the reports, print a
//! summary. Everything is read and judged before anything is written, so bad input leaves
//! every existing file as it was.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};

use perfwarden::gate::{self, Config};
use perfwarden::report::{github, json, markdown, text};
use perfwarden::results::{self, Run};

/// The config file used when `--config` is not given and it exists.
const DEFAULT_CONFIG: &str = "perfwarden.toml";

#[derive(Debug, Args)]
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
    /// Where report.md and verdict.json are written. [default: target/perfwarden/report/]
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
    /// Also write the Markdown report here.
    #[arg(long, value_name = "FILE")]
    markdown: Option<PathBuf>,
    /// Also write the JSON verdict here.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Where per-machine-class baselines live, for the default --baseline.
    #[arg(long, value_name = "DIR", default_value = "baselines")]
    baselines_dir: PathBuf,
    /// What to print on stdout.
    #[arg(long, value_enum, default_value_t = Print::Text)]
    print: Print,
    /// Before failing, re-measure each regression: build the baseline's commit in a git
    /// worktree beside this tree, run the flagged benches of both alternately and decide on
    /// the paired ratios (confirmed, or drift, which does not fail).
    #[arg(long)]
    confirm: bool,
    /// Rounds of alternating (baseline, current) runs for --confirm.
    #[arg(long, default_value_t = 5, value_name = "K")]
    confirm_rounds: usize,
    /// The bench target measuring a suite not named after its bench, e.g.
    /// `gate_10k_metrics=gate` (repeatable).
    #[arg(long, value_name = "SUITE=BENCH")]
    confirm_bench: Vec<String>,
    /// The run profile of the re-measurements (`PERFWARDEN_PROFILE`).
    #[arg(long, default_value = "smoke", value_name = "PROFILE")]
    confirm_profile: perfwarden::profile::Profile,
    /// Where the baseline's worktree and the re-measurements go.
    /// [default: target/perfwarden/confirm/]
    #[arg(long, value_name = "DIR")]
    confirm_dir: Option<PathBuf>,
    /// Arguments for the bench binaries after `--bench` (Criterion options, a filter).
    #[arg(long, value_name = "ARGS", allow_hyphen_values = true, num_args = 1..)]
    confirm_bench_args: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Print {
    /// A short summary: the verdict and each failing metric.
    Text,
    /// The Markdown report.
    Markdown,
    /// The JSON verdict.
    Json,
    /// Nothing.
    None,
}

pub fn run(args: &CompareArgs) -> anyhow::Result<u8> {
    let current_path = args.current.clone().unwrap_or_else(results::results_dir);
    let current = results::read_run_set(&current_path)?;
    let baseline_path = match &args.baseline {
        Some(p) => p.clone(),
        None => default_baseline(&args.baselines_dir, &current)?,
    };
    let baseline = results::read_run_set(&baseline_path)?;
    let (mut config, config_path) = load_config(args.config.as_deref())?;
    if let Some(pct) = args.threshold {
        config.threshold = pct / 100.0;
    }

    let comparison = gate::compare(&baseline, &current, &config)
        .with_context(|| format!("{} vs {}", baseline_path.display(), current_path.display()))?;

    let inputs = json::Inputs {
        baseline: baseline_path.display().to_string(),
        current: current_path.display().to_string(),
        config: config_path.map(|p| p.display().to_string()),
    };
    let mut report = markdown::render(&comparison);
    let mut verdict = json::render(&comparison, &inputs);
    let confirmation = if args.confirm {
        let c = confirm(args, &comparison, &baseline)?;
        report.push_str(&perfwarden::confirm::report::markdown(&c));
        verdict = with_confirmations(&verdict, &c)?;
        Some(c)
    } else {
        None
    };

    let out_dir = args.out_dir.clone().unwrap_or_else(default_out_dir);
    refuse_mixing(&out_dir, &current_path, &baseline_path)?;
    let report_path = out_dir.join("report.md");
    let verdict_path = out_dir.join("verdict.json");
    let mut writes = vec![
        (report_path.clone(), &report),
        (verdict_path.clone(), &verdict),
    ];
    if let Some(p) = &args.markdown {
        writes.push((p.clone(), &report));
    }
    if let Some(p) = &args.json {
        writes.push((p.clone(), &verdict));
    }
    for (path, body) in writes {
        results::write_atomic(&path, body.as_bytes())?;
    }

    let in_actions = std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true");
    let mut stdout = std::io::stdout().lock();
    let printed = match args.print {
        Print::Text => format!(
            "{}report: {}\nverdict: {}\n",
            text::render(&comparison),
            report_path.display(),
            verdict_path.display()
        ),
        Print::Markdown => report.clone(),
        Print::Json => verdict.clone(),
        Print::None => String::new(),
    };
    let mut lines = printed;
    if in_actions {
        for a in github::annotations(&comparison) {
            lines.push_str(&format!("{a}\n"));
        }
    }
    // A closed pipe (`perfwarden compare | head`) is not an error of the gate.
    let _ = stdout.write_all(lines.as_bytes());
    let _ = stdout.flush();
    if in_actions {
        append_step_summary(&report)?;
    }
    Ok(match &confirmation {
        // Drift does not fail; a bad input (exit 2) stays what the gate said.
        Some(c) if comparison.exit_code() == 1 => c.exit_code(&comparison),
        _ => comparison.exit_code(),
    })
}

/// Re-measures the flagged metrics against the baseline's commit (`--confirm`).
fn confirm(
    args: &CompareArgs,
    comparison: &gate::Comparison,
    baseline: &Run,
) -> anyhow::Result<perfwarden::confirm::ConfirmReport> {
    let mut benches = std::collections::BTreeMap::new();
    for pair in &args.confirm_bench {
        let Some((suite, bench)) = pair.split_once('=') else {
            bail!("--confirm-bench {pair:?}: expected SUITE=BENCH");
        };
        benches.insert(suite.to_string(), bench.to_string());
    }
    let repo = std::env::current_dir().context("no current directory")?;
    let opts = perfwarden::confirm::Options {
        repo,
        rounds: args.confirm_rounds.max(1),
        benches,
        work_dir: args
            .confirm_dir
            .clone()
            .unwrap_or_else(|| results::results_dir().join("confirm")),
        profile: args.confirm_profile,
        bench_args: args.confirm_bench_args.clone(),
        target_dir: None,
    };
    Ok(perfwarden::confirm::confirm(
        comparison,
        baseline,
        &opts,
        &mut |line| eprintln!("{line}"),
    ))
}

/// The JSON verdict with the confirmations added under `confirmation`.
fn with_confirmations(
    verdict: &str,
    c: &perfwarden::confirm::ConfirmReport,
) -> anyhow::Result<String> {
    let mut v: serde_json::Value = serde_json::from_str(verdict).context("the JSON verdict")?;
    if let Some(obj) = v.as_object_mut() {
        obj.insert("confirmation".into(), serde_json::to_value(c)?);
    }
    Ok(serde_json::to_string_pretty(&v)? + "\n")
}

/// A threshold on the command line: a percentage above 0, as in the config file.
fn parse_percent(s: &str) -> Result<f64, String> {
    match s.trim().trim_end_matches('%').parse::<f64>() {
        Ok(p) if p.is_finite() && p > 0.0 && p < 10_000.0 => Ok(p),
        _ => Err(format!(
            "{s:?} is not a percentage above 0 (e.g. 10 or 7.5)"
        )),
    }
}

/// `<baselines>/<machine class>/`, or the only machine class there is (with a warning), or
/// an error saying what exists and how to get a baseline.
fn default_baseline(baselines: &Path, current: &Run) -> anyhow::Result<PathBuf> {
    let class = &current.environment.machine_class;
    let own = baselines.join(class);
    if own.is_dir() {
        return Ok(own);
    }
    let mut classes: Vec<PathBuf> = std::fs::read_dir(baselines)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir() && results::json_files(p).is_ok_and(|files| !files.is_empty()))
        .collect();
    classes.sort();
    match classes.as_slice() {
        [only] => {
            eprintln!(
                "perfwarden: warning: no baseline for machine class {class:?} in {}; using {} (the only one)",
                baselines.display(),
                only.display()
            );
            Ok(only.clone())
        }
        [] => bail!(
            "{}: no baseline for machine class {class:?} (and no other); \
             record one with `perfwarden baseline update` or pass --baseline",
            own.display()
        ),
        many => bail!(
            "{}: no baseline for machine class {class:?}; there are {}: pass one with --baseline \
             or set PERFWARDEN_MACHINE_CLASS",
            own.display(),
            many.iter()
                .filter_map(|p| p.file_name())
                .map(|n| n.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The config named on the command line (which must exist), else `perfwarden.toml` when it
/// exists, else the defaults.
fn load_config(path: Option<&Path>) -> anyhow::Result<(Config, Option<PathBuf>)> {
    match path {
        Some(p) => Ok((Config::load(p)?, Some(p.to_path_buf()))),
        None => {
            let p = Path::new(DEFAULT_CONFIG);
            if p.exists() {
                Ok((Config::load(p)?, Some(p.to_path_buf())))
            } else {
                Ok((Config::default(), None))
            }
        }
    }
}

/// Reports go in a folder of their own under the results directory (`target/perfwarden/report/`),
/// never among results files nor beside a fixture.
fn default_out_dir() -> PathBuf {
    results::results_dir().join("report")
}

/// `verdict.json` written into a results directory would be read as results next time.
fn refuse_mixing(out_dir: &Path, current: &Path, baseline: &Path) -> anyhow::Result<()> {
    let canon = |p: &Path| std::fs::canonicalize(p).ok();
    let out = canon(out_dir);
    for input in [current, baseline] {
        if input.is_dir() && out.is_some() && out == canon(input) {
            bail!(
                "{}: --out-dir is a results directory; verdict.json there would be read as \
                 results next time (pick another directory)",
                out_dir.display()
            );
        }
    }
    Ok(())
}

/// Appends the report to the job's step summary (GitHub's own file, appended as GitHub
/// documents, not replaced).
fn append_step_summary(report: &str) -> anyhow::Result<()> {
    let Ok(path) = std::env::var("GITHUB_STEP_SUMMARY") else {
        eprintln!("perfwarden: warning: GITHUB_ACTIONS is set but GITHUB_STEP_SUMMARY is not");
        return Ok(());
    };
    if path.is_empty() {
        return Ok(());
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .with_context(|| format!("{path}: cannot open the step summary"))?;
    f.write_all(report.as_bytes())
        .and_then(|()| f.write_all(b"\n"))
        .with_context(|| format!("{path}: cannot append to the step summary"))?;
    Ok(())
}
