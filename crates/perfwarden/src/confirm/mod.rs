//! Confirming what the gate flagged: before failing, re-measure. Machine drift between the
//! baseline's run and this one (another job on the runner, another CPU) moves metrics by
//! more than the threshold and within-run intervals cannot see it. So the baseline's commit
//! is checked out beside the current tree, the benches that measure the flagged metrics are
//! built in both and run alternately A B, B A, A B … for k rounds at the profile the metrics were
//! measured at ([`crate::rerun`]), and each flagged metric is decided on its paired ratios
//! ([`crate::gate::confirmation`]): confirmed, or drift. Where the baseline's commit is
//! unknown or not in the repository, the metric stays unconfirmed and says why.

mod unchanged;

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::gate::confirmation::{
    Confirmation, MetricConfirmation, Paired, Status, decide_looks, rule, undecided,
};
use crate::gate::{Comparison, MetricComparison};
use crate::profile::Profile;
use crate::rerun::{self, interleave, worktree};
use crate::results::Run;
pub use unchanged::{unchanged_in_merge, unchanged_since};

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
    /// The profile of the re-runs: the one the flagged metrics were measured at.
    pub profile: Profile,
    /// Arguments for every bench binary after `--bench`.
    pub bench_args: Vec<String>,
    /// Bench → `suite/benchmark` whose instructions are counted too, as in the run that is
    /// confirmed.
    pub instructions: BTreeMap<String, String>,
    /// `CARGO_TARGET_DIR` for both builds; the current tree's target directory when `None`,
    /// shared so only what changed between the commits rebuilds.
    pub target_dir: Option<PathBuf>,
}

/// The metrics to re-measure: those the gate called a regression or critical (whether gated
/// or not), and every metric of a suite that ran faster as a body than its committed
/// baseline, where a slowdown can hide ([`crate::gate::drift`]).
pub(crate) fn flagged(comparison: &Comparison) -> Vec<&MetricComparison> {
    let suspects = crate::gate::drift::suspects(comparison);
    comparison
        .metrics
        .iter()
        .filter(|m| suspects.contains(&m.id))
        .collect()
}

/// Re-measures every flagged metric of `comparison` (of `baseline` against the current
/// tree) and decides each. Progress goes to `log`. Fold the result into the verdict with
/// [`confirmation::apply`].
pub fn confirm(
    comparison: &Comparison,
    baseline: &Run,
    opts: &Options,
    log: &mut dyn FnMut(String),
) -> Confirmation {
    let mut report = Confirmation {
        baseline_commit: baseline.environment.git_commit.clone(),
        rounds: opts.rounds,
        profile: opts.profile.to_string(),
        metrics: BTreeMap::new(),
    };
    let flagged = flagged(comparison);
    let mut found = BTreeMap::new();
    let Some(commit) = baseline.environment.git_commit.clone() else {
        for m in &flagged {
            unconfirmed(&mut found, m, None, "the baseline run names no git commit");
        }
        report.metrics = std::mem::take(&mut found);
        return report;
    };
    // Group the flagged metrics by the bench that measures them.
    let targets = rerun::bench_targets(&opts.repo);
    let mut by_bench: BTreeMap<String, Vec<&MetricComparison>> = BTreeMap::new();
    for m in &flagged {
        match opts.benches.get(&m.suite).or(targets.get(&m.suite)) {
            Some(b) => by_bench.entry(b.clone()).or_default().push(m),
            None => unconfirmed(
                &mut found,
                m,
                None,
                &format!(
                    "no bench target for suite {} (pass --confirm-bench {}=<bench>)",
                    m.suite, m.suite
                ),
            ),
        }
    }
    if by_bench.is_empty() {
        report.metrics = std::mem::take(&mut found);
        return report;
    }
    let tree_path = worktree::location("baseline", &commit);
    let _ = std::fs::remove_dir_all(&tree_path);
    let tree = match worktree::Worktree::add(&opts.repo, &commit, &tree_path) {
        Ok(t) => t,
        Err(reason) => {
            for m in by_bench.values().flatten() {
                unconfirmed(&mut found, m, None, &reason);
            }
            report.metrics = std::mem::take(&mut found);
            return report;
        }
    };
    log(format!(
        "confirm: baseline commit {} checked out at {}",
        tree.commit,
        tree.path.display()
    ));
    let plan = interleave::Plan {
        baseline_tree: tree.path.clone(),
        current_tree: opts.repo.clone(),
        benches: by_bench.keys().cloned().collect(),
        instructions: opts.instructions.clone(),
        profile: opts.profile,
        bench_args: opts.bench_args.clone(),
        target_dir: opts.target_dir.clone(),
        work_dir: opts.work_dir.clone(),
    };
    let log = &mut |l: String| log(format!("confirm: {l}"));
    let first = interleave::build(&plan, log).and_then(|mut built| {
        let pairs = built.rounds(&plan, 0..opts.rounds, &plan.benches, log)?;
        Ok((pairs, built))
    });
    let (pairs, mut built) = match first {
        Ok(p) => p,
        Err(e) => {
            for (bench, ms) in &by_bench {
                for m in ms {
                    unconfirmed(&mut found, m, Some(bench.clone()), &e.to_string());
                }
            }
            report.metrics = std::mem::take(&mut found);
            return report;
        }
    };
    let decided = decide_benches(&by_bench, &pairs, opts.rounds);
    let k = opts.rounds;
    let decided = second_look(decided, pairs, k, log, |open, log| {
        built.rounds(&plan, k..2 * k, open, log)
    });
    found.extend(settled(decided));
    report.metrics = std::mem::take(&mut found);
    report
}

/// Each decision as the confirmation the report carries: its status and paired ratios, or
/// unconfirmed with why its rounds could not decide it.
pub(crate) fn settled(decided: Decided<'_>) -> BTreeMap<String, MetricConfirmation> {
    let mut found = BTreeMap::new();
    for (id, Decision { m, bench, outcome }) in decided {
        match outcome {
            Ok((status, paired)) => {
                let c = MetricConfirmation {
                    bench: Some(bench),
                    status,
                    paired: Some(paired),
                };
                found.insert(id, c);
            }
            Err(why) => unconfirmed(
                &mut found,
                m,
                Some(bench.clone()),
                &format!("{why} of bench {bench}"),
            ),
        }
    }
    found
}

/// What one flagged metric's rounds decided.
pub(crate) struct Decision<'a> {
    pub(crate) m: &'a MetricComparison,
    /// The bench target that measures it.
    pub(crate) bench: String,
    pub(crate) outcome: Result<(Status, Paired), String>,
}

impl Decision<'_> {
    /// Whether the first look left it open (see [`undecided`]).
    fn is_open(&self) -> bool {
        matches!(&self.outcome, Ok((s, p)) if undecided(s, p, rule(self.m)))
    }
}

/// Per flagged metric id, its [`Decision`].
pub(crate) type Decided<'a> = BTreeMap<String, Decision<'a>>;

/// The metrics the first look left open, decided again on `first` more rounds of their
/// benches (`more` runs them, logging to `log`), all `2 × first` together (see
/// [`crate::gate::paired::decide_looks`]); the rest as they were. Where the more rounds
/// fail, an open metric is unconfirmed: the first look did not clear it.
pub(crate) fn second_look<'a>(
    mut decided: Decided<'a>,
    mut pairs: Vec<(Run, Run)>,
    first: usize,
    log: &mut dyn FnMut(String),
    more: impl FnOnce(&[String], &mut dyn FnMut(String)) -> Result<Vec<(Run, Run)>, rerun::RerunError>,
) -> Decided<'a> {
    let open_ids: Vec<String> = decided
        .iter()
        .filter(|(_, d)| d.is_open())
        .map(|(id, _)| id.clone())
        .collect();
    let open: Vec<String> = open_ids
        .iter()
        .map(|id| decided[id].bench.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if open.is_empty() {
        return decided;
    }
    log(format!(
        "{} left open by {first} rounds (beyond the threshold, too spread to bound the change \
         beyond it): {first} more",
        open.join(", ")
    ));
    let more = more(&open, log).map(|runs| pairs.extend(runs));
    for id in open_ids {
        let Some(d) = decided.get_mut(&id) else {
            continue;
        };
        d.outcome = match &more {
            Ok(_) => decide_rounds(d.m, &pairs, first),
            Err(e) => Err(format!(
                "the first {first} rounds left the change open, and {first} more failed: {e}"
            )),
        };
    }
    decided
}

/// Each flagged metric decided on the first look's rounds.
pub(crate) fn decide_benches<'a>(
    by_bench: &BTreeMap<String, Vec<&'a MetricComparison>>,
    pairs: &[(Run, Run)],
    rounds: usize,
) -> Decided<'a> {
    let decide = |(bench, m): (&String, &&'a MetricComparison)| {
        let outcome = decide_rounds(m, pairs, rounds);
        let d = Decision {
            m,
            bench: bench.clone(),
            outcome,
        };
        (m.id.clone(), d)
    };
    by_bench
        .iter()
        .flat_map(|(bench, ms)| ms.iter().map(move |m| (bench, m)))
        .map(decide)
        .collect()
}

fn unconfirmed(
    found: &mut BTreeMap<String, MetricConfirmation>,
    m: &MetricComparison,
    bench: Option<String>,
    reason: &str,
) {
    let status = Status::Unconfirmed {
        reason: reason.to_string(),
    };
    let c = MetricConfirmation {
        bench,
        status,
        paired: None,
    };
    found.insert(m.id.clone(), c);
}

/// Decides flagged metric `m` on interleaved rounds `(baseline, current)`, the first `first`
/// of them the first look's (see [`decide_looks`]), or says why the rounds cannot: a round
/// that did not measure it (a pair missing would bias the paired ratios), or a value that
/// is negative or not finite.
pub(crate) fn decide_rounds(
    m: &MetricComparison,
    pairs: &[(Run, Run)],
    first: usize,
) -> Result<(Status, Paired), String> {
    let value = |run: &Run| run.metrics.iter().find(|r| r.id() == m.id).map(|r| r.value);
    let values: Vec<(f64, f64)> = pairs
        .iter()
        .filter_map(|(a, b)| Some((value(a)?, value(b)?)))
        .collect();
    if values.len() != pairs.len() {
        return Err("not measured in every round".into());
    }
    decide_looks(&values, m.direction, rule(m), first)
}

#[cfg(test)]
mod tests;
