//! `perfwarden compare --confirm`: before failing, re-measure what the gate flagged. Machine
//! drift between the baseline's run and this one (another job on the runner, another CPU)
//! moves metrics by more than the threshold and within-run intervals cannot see it. So the
//! baseline's commit is checked out beside the current tree ([`worktree`]), both are built,
//! the flagged benches of both run alternately A B A B … for k rounds, and each flagged
//! verdict is decided on the paired ratios ([`decide`]): confirmed, or drift. Where the
//! baseline's commit is unknown or not in the repository, the verdict stays unconfirmed and
//! the report says why.

pub mod decide;
pub mod instructions;
pub mod report;
pub mod worktree;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use decide::{Paired, Status, decide};

use crate::calibrate::runner::{self, BenchCommand};
use crate::gate::{Comparison, MetricComparison, Verdict};
use crate::profile::Profile;
use crate::results::Run;

/// How to confirm.
#[derive(Clone, Debug)]
pub struct Options {
    /// The current tree: a git checkout whose benches are the current code.
    pub repo: PathBuf,
    /// Rounds of A B (baseline, current) runs.
    pub rounds: usize,
    /// Bench target per suite where it is not named after the suite (`gate_10k_metrics`
    /// runs in bench `gate`).
    pub benches: BTreeMap<String, String>,
    /// Where the baseline's worktree and the runs go.
    pub work_dir: PathBuf,
    pub profile: Profile,
    /// Arguments for every bench binary after `--bench`.
    pub bench_args: Vec<String>,
    /// `CARGO_TARGET_DIR` for both builds; cargo's default (the environment's) when `None`.
    pub target_dir: Option<PathBuf>,
}

/// The outcome for one flagged metric.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Confirmation {
    pub id: String,
    pub verdict: Verdict,
    pub bench: Option<String>,
    #[serde(flatten)]
    pub status: Status,
    pub paired: Option<Paired>,
}

/// What confirming did, for the reports.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ConfirmReport {
    pub baseline_commit: Option<String>,
    pub rounds: usize,
    pub confirmations: Vec<Confirmation>,
}

impl ConfirmReport {
    /// The status of metric `id`, if it was flagged.
    pub fn status(&self, id: &str) -> Option<&Status> {
        self.confirmations
            .iter()
            .find(|c| c.id == id)
            .map(|c| &c.status)
    }

    /// The exit code once drift is forgiven: a metric fails as the gate said, unless its
    /// regression was re-measured as drift (and no budget of it is broken).
    pub fn exit_code(&self, comparison: &Comparison) -> u8 {
        let fails = comparison.metrics.iter().any(|m| {
            m.fails && (m.budget_broken() || !matches!(self.status(&m.id), Some(Status::Drift)))
        });
        u8::from(fails)
    }
}

/// The metrics the gate called a regression or critical (whether gated or not).
pub fn flagged(comparison: &Comparison) -> Vec<&MetricComparison> {
    comparison
        .metrics
        .iter()
        .filter(|m| matches!(m.relative, Verdict::Regression | Verdict::Critical))
        .collect()
}

/// The bench target that measures `suite`: the configured one, else the one named after
/// the suite when the workspace has a bench target of that name.
fn bench_for(opts: &Options, suite: &str) -> Option<String> {
    if let Some(b) = opts.benches.get(suite) {
        return Some(b.clone());
    }
    runner::bench_targets(&opts.repo)
        .contains(suite)
        .then(|| suite.to_string())
}

/// Re-measures every flagged metric of `comparison` (of `baseline` against the current
/// tree) and decides each. Progress goes to `log`.
pub fn confirm(
    comparison: &Comparison,
    baseline: &Run,
    opts: &Options,
    log: &mut dyn FnMut(String),
) -> ConfirmReport {
    let flagged = flagged(comparison);
    let mut report = ConfirmReport {
        baseline_commit: baseline.environment.git_commit.clone(),
        rounds: opts.rounds,
        confirmations: Vec::new(),
    };
    if flagged.is_empty() {
        return report;
    }
    let unconfirmed = |m: &MetricComparison, bench: Option<String>, reason: String| Confirmation {
        id: m.id.clone(),
        verdict: m.verdict,
        bench,
        status: Status::Unconfirmed { reason },
        paired: None,
    };
    let Some(commit) = baseline.environment.git_commit.clone() else {
        let reason = "the baseline run names no git commit".to_string();
        report.confirmations = flagged
            .iter()
            .map(|m| unconfirmed(m, None, reason.clone()))
            .collect();
        return report;
    };
    // Group the flagged metrics by the bench that measures them.
    let mut by_bench: BTreeMap<String, Vec<&MetricComparison>> = BTreeMap::new();
    for m in &flagged {
        match bench_for(opts, &m.suite) {
            Some(b) => by_bench.entry(b).or_default().push(m),
            None => report.confirmations.push(unconfirmed(
                m,
                None,
                format!(
                    "no bench target for suite {} (pass --confirm-bench {}=<bench>)",
                    m.suite, m.suite
                ),
            )),
        }
    }
    if by_bench.is_empty() {
        return report;
    }
    let short: String = commit.chars().take(12).collect();
    let tree_path = opts.work_dir.join(format!("baseline-{short}"));
    let _ = std::fs::remove_dir_all(&tree_path);
    let tree = match worktree::Worktree::add(&opts.repo, &commit, &tree_path) {
        Ok(t) => t,
        Err(reason) => {
            for ms in by_bench.values() {
                report
                    .confirmations
                    .extend(ms.iter().map(|m| unconfirmed(m, None, reason.clone())));
            }
            return report;
        }
    };
    log(format!(
        "confirm: baseline commit {} checked out at {}",
        tree.commit,
        tree.path.display()
    ));
    for (bench, metrics) in by_bench {
        match alternate(&tree.path, &opts.repo, &bench, opts, log) {
            Ok(pairs) => {
                for m in metrics {
                    let values: Vec<(f64, f64)> = pairs
                        .iter()
                        .filter_map(|(a, b)| Some((value(a, &m.id)?, value(b, &m.id)?)))
                        .collect();
                    let c = match decide(&values, m.direction, m.threshold) {
                        Some((status, paired)) if values.len() == pairs.len() => Confirmation {
                            id: m.id.clone(),
                            verdict: m.verdict,
                            bench: Some(bench.clone()),
                            status,
                            paired: Some(paired),
                        },
                        _ => unconfirmed(
                            m,
                            Some(bench.clone()),
                            format!("not measured in every round of bench {bench}"),
                        ),
                    };
                    report.confirmations.push(c);
                }
            }
            Err(reason) => report.confirmations.extend(
                metrics
                    .iter()
                    .map(|m| unconfirmed(m, Some(bench.clone()), reason.clone())),
            ),
        }
    }
    report.confirmations.sort_by(|a, b| a.id.cmp(&b.id));
    report
}

/// Sets the modification time of the tree's files (all but `.git` and `target`) to now.
/// Both trees are the same packages: in a shared target directory cargo keeps one
/// fingerprint for both and would call a tree whose files are older than the other's
/// build "fresh", handing back the other tree's binary. Newer sources force the rebuild.
fn touch_sources(tree: &Path) {
    fn walk(p: &Path, now: std::time::SystemTime) {
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n == ".git" || n == "target") {
                return;
            }
            for e in std::fs::read_dir(p).into_iter().flatten().flatten() {
                walk(&e.path(), now);
            }
        } else if let Ok(f) = std::fs::File::options().append(true).open(p) {
            let _ = f.set_modified(now);
        }
    }
    walk(tree, std::time::SystemTime::now());
}

fn value(run: &Run, id: &str) -> Option<f64> {
    run.metrics.iter().find(|m| m.id() == id).map(|m| m.value)
}

/// Builds `bench` in both trees, then runs baseline (A) and current (B) alternately.
fn alternate(
    baseline_tree: &Path,
    current_tree: &Path,
    bench: &str,
    opts: &Options,
    log: &mut dyn FnMut(String),
) -> Result<Vec<(Run, Run)>, String> {
    let bin_dir = opts.work_dir.join("bin");
    std::fs::create_dir_all(&bin_dir).map_err(|e| format!("{}: {e}", bin_dir.display()))?;
    let command = |tree: &Path, side: &str| -> Result<BenchCommand, String> {
        touch_sources(tree);
        let built = runner::build_bench(tree, bench, opts.target_dir.as_deref())
            .map_err(|e| e.to_string())?;
        // Both trees are the same package at the same version: cargo may give both builds
        // the same file name in a shared target directory, so each binary is copied out
        // before the other tree is built.
        let binary = bin_dir.join(format!("{bench}-{side}"));
        std::fs::copy(&built, &binary).map_err(|e| {
            format!(
                "cannot copy {} to {}: {e}",
                built.display(),
                binary.display()
            )
        })?;
        Ok(BenchCommand {
            name: bench.to_string(),
            binary,
            workdir: tree.to_path_buf(),
            args: opts.bench_args.clone(),
            profile: opts.profile,
            instructions: None,
        })
    };
    log(format!(
        "confirm: building bench {bench} at the baseline and the current commit"
    ));
    let a = command(baseline_tree, "baseline").map_err(|e| format!("baseline: {e}"))?;
    let b = command(current_tree, "current").map_err(|e| format!("current: {e}"))?;
    let runs_dir = opts.work_dir.join("runs").join(bench);
    let mut pairs = Vec::with_capacity(opts.rounds);
    for round in 0..opts.rounds {
        let ra = a
            .run_once(&runs_dir.join(format!("{round:02}-a")), None)
            .map_err(|e| e.to_string())?;
        let rb = b
            .run_once(&runs_dir.join(format!("{round:02}-b")), None)
            .map_err(|e| e.to_string())?;
        log(format!(
            "confirm: {bench} round {}/{} done",
            round + 1,
            opts.rounds
        ));
        pairs.push((ra, rb));
    }
    Ok(pairs)
}
