//! What `compare` and `check` share around the pure gate: finding the baseline and the
//! config, and publishing a comparison (report.md, verdict.json, the step summary, GitHub
//! annotations and a summary on stdout). Everything is rendered in memory first and written
//! only then, so a failure leaves every existing file as it was.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};

use crate::gate::{Comparison, Config};
use crate::history::{self, Filter};
use crate::report::{github, json, markdown, text};
use crate::results::{self, Run};

/// The config file used when `--config` is not given and it exists.
pub(crate) const DEFAULT_CONFIG: &str = "perfwarden.toml";
/// Points of history drawn per regressed metric.
const TREND_POINTS: usize = 30;
/// Regressed metrics given a trend chart, the worst first.
const MAX_TRENDS: usize = 5;

/// Where and how a verdict is published.
#[derive(Clone, Debug, Args)]
pub(crate) struct Outputs {
    /// Where report.md and verdict.json are written. [default: target/perfwarden/report/]
    #[arg(long, value_name = "DIR")]
    pub(crate) out_dir: Option<PathBuf>,
    /// Also write the Markdown report here.
    #[arg(long, value_name = "FILE")]
    pub(crate) markdown: Option<PathBuf>,
    /// Also write the JSON verdict here.
    #[arg(long, value_name = "FILE")]
    pub(crate) json: Option<PathBuf>,
    /// What to print on stdout.
    #[arg(long, value_enum, default_value_t = Print::Text)]
    pub(crate) print: Print,
    /// The nightly history (JSON lines, `perfwarden history append`): each regressed
    /// metric's recent trend goes into the report as a chart.
    #[arg(long, value_name = "FILE", env = "PERFWARDEN_HISTORY")]
    pub(crate) history: Option<PathBuf>,
    /// Links shown at the top of the report, as TEXT=URL (repeatable): the CI run, its
    /// artifact with the HTML report.
    #[arg(long = "link", value_name = "TEXT=URL", value_parser = parse_link)]
    pub(crate) links: Vec<(String, String)>,
}

/// What to print on stdout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Print {
    /// A short summary: the verdict and each failing metric.
    Text,
    /// The Markdown report.
    Markdown,
    /// The JSON verdict.
    Json,
    /// Nothing.
    None,
}

fn parse_link(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((t, u)) if u.starts_with("https://") || u.starts_with("http://") => {
            Ok((t.to_string(), u.to_string()))
        }
        _ => Err(format!("{s:?} is not TEXT=URL with an http(s) URL")),
    }
}

/// Renders, writes and prints `c`; returns the exit code (0 passed, 1 failed).
pub(crate) fn publish(
    c: &Comparison,
    current: &Run,
    inputs: &json::Inputs,
    out: &Outputs,
) -> anyhow::Result<u8> {
    let extras = markdown::Extras {
        links: out.links.clone(),
        trends: trends(c, out.history.as_deref())?,
        findings: crate::report::findings::findings(current, Some(c)),
    };
    let report = markdown::render_with(c, &extras);
    let verdict = json::render(c, inputs);
    let out_dir = out.out_dir.clone().unwrap_or_else(default_out_dir);
    let report_path = out_dir.join("report.md");
    let verdict_path = out_dir.join("verdict.json");
    let mut writes = vec![
        (report_path.clone(), report.clone().into_bytes()),
        (verdict_path.clone(), verdict.clone().into_bytes()),
    ];
    if let Some(p) = &out.markdown {
        writes.push((p.clone(), report.clone().into_bytes()));
    }
    if let Some(p) = &out.json {
        writes.push((p.clone(), verdict.clone().into_bytes()));
    }
    // The confirmation as data of its own, for a trusted job to validate and show
    // (`compare --confirmations`).
    if let Some(conf) = crate::gate::confirmation::collected(c) {
        let text = serde_json::to_string_pretty(&conf)? + "\n";
        writes.push((out_dir.join("confirmation.json"), text.into_bytes()));
    }
    results::write_atomic_all(&writes)?;

    let in_actions = std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true");
    let mut lines = match out.print {
        Print::Text => format!(
            "{}report: {}\nverdict: {}\n",
            text::render(c),
            report_path.display(),
            verdict_path.display()
        ),
        Print::Markdown => report.clone(),
        Print::Json => verdict,
        Print::None => String::new(),
    };
    if in_actions {
        for a in github::annotations(c) {
            lines.push_str(&format!("{a}\n"));
        }
    }
    // A closed pipe (`perfwarden compare | head`) is not an error of the gate.
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(lines.as_bytes());
    let _ = stdout.flush();
    if in_actions {
        append_step_summary(&report)?;
    }
    Ok(c.exit_code())
}

/// Trend charts of the worst regressed metrics, from the history when one is given.
fn trends(c: &Comparison, history: Option<&Path>) -> anyhow::Result<Vec<(String, String)>> {
    let Some(path) = history else {
        return Ok(Vec::new());
    };
    if !path.exists() {
        // Before the first nightly run there is no history yet: no charts, not an error.
        return Ok(Vec::new());
    }
    let entries = history::read_history(path)?;
    let filter = Filter {
        machine_class: Some(c.current.machine_class.clone()),
        profile: None,
    };
    let mut regressed: Vec<_> = c
        .metrics
        .iter()
        .filter(|m| m.fails && crate::gate::drift::flagged(m))
        .collect();
    regressed.sort_by(|a, b| {
        let mag = |m: &crate::gate::MetricComparison| m.change.map_or(0.0, f64::abs);
        mag(b).total_cmp(&mag(a))
    });
    Ok(regressed
        .into_iter()
        .take(MAX_TRENDS)
        .filter_map(|m| {
            let t = history::trend(&entries, &m.id, &filter, TREND_POINTS)?;
            Some((m.id.clone(), history::trend_chart(&t)))
        })
        .collect())
}

/// `<baselines>/<machine class>/`, or an error saying what exists and how to get one.
pub(crate) fn default_baseline(baselines: &Path, current: &Run) -> anyhow::Result<PathBuf> {
    let class = &current.environment.machine_class;
    // The class comes from the results file, which a pull request's code wrote.
    crate::baseline::check_name("machine class", class, baselines)?;
    let own = crate::baseline::class_dir(baselines, class);
    if own.is_dir() {
        return Ok(own);
    }
    let mut classes: Vec<String> = std::fs::read_dir(baselines)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().is_dir())
        .filter_map(|e| e.file_name().to_str().map(String::from))
        .collect();
    classes.sort();
    let others = if classes.is_empty() {
        String::new()
    } else {
        format!(" (there are: {})", classes.join(", "))
    };
    bail!(
        "{}: no baseline for machine class {class:?}{others}; `perfwarden check` measures the \
         merge base now instead, `perfwarden baseline update` records one from this run, \
         or pass --baseline",
        own.display()
    )
}

/// Reads a config file (`perfwarden.toml` or any file of that shape). Errors name the file.
pub(crate) fn read_config(path: &Path) -> Result<Config, crate::Error> {
    let text = std::fs::read_to_string(path).map_err(|source| crate::Error::Read {
        path: path.into(),
        source,
    })?;
    Config::from_toml(&text).map_err(|what| crate::Error::BadInput {
        path: path.into(),
        what,
    })
}

/// The config named on the command line (which must exist), else `perfwarden.toml` when it
/// exists, else the defaults.
pub(crate) fn load_config(path: Option<&Path>) -> Result<(Config, Option<PathBuf>), crate::Error> {
    let found = find_config(path)?;
    match &found.1 {
        Some(p) => tracing::debug!(config = %p.display(), "gate config"),
        None => tracing::debug!("no {DEFAULT_CONFIG}: the default gate config"),
    }
    Ok(found)
}

fn find_config(path: Option<&Path>) -> Result<(Config, Option<PathBuf>), crate::Error> {
    match path {
        Some(p) => Ok((read_config(p)?, Some(p.to_path_buf()))),
        None => {
            let p = Path::new(DEFAULT_CONFIG);
            if p.exists() {
                Ok((read_config(p)?, Some(p.to_path_buf())))
            } else {
                Ok((Config::default(), None))
            }
        }
    }
}

/// Reports go in a folder of their own under the results directory
/// (`target/perfwarden/report/`), never among results files nor beside a fixture.
pub(crate) fn default_out_dir() -> PathBuf {
    results::results_dir().join("report")
}

/// `verdict.json` written into a results directory would be read as results next time.
pub(crate) fn refuse_mixing(out: &Outputs, inputs: &[&Path]) -> anyhow::Result<()> {
    let out_dir = out.out_dir.clone().unwrap_or_else(default_out_dir);
    let canon = |p: &Path| std::fs::canonicalize(p).ok();
    let dir = canon(&out_dir);
    for input in inputs {
        if input.is_dir() && dir.is_some() && dir == canon(input) {
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
        tracing::warn!("GITHUB_ACTIONS is set but GITHUB_STEP_SUMMARY is not: no step summary");
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
