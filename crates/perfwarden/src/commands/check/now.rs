//! `check` where no baseline is committed for this machine class: the base commit is built
//! in a worktree and measured now, interleaved with this tree, and is the reference.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, bail};

use super::CheckArgs;
use crate::gate::confirmation::{self, Confirmation};
use crate::gate::{self, Comparison, MetricComparison, Reference};
use crate::rerun::{interleave, worktree};
use crate::results::{self, Run};

/// No committed baseline: `base` and this tree, built once each, run alternately for
/// `rounds` rounds; each side's rounds become samples, the gate judges them, and what it
/// flags is decided on the paired ratios it already has.
pub(super) fn measure_now(
    args: &CheckArgs,
    repo: &Path,
    base: &str,
    (benches, counted): (&[String], &BTreeMap<String, String>),
    work: &Path,
    config: &gate::Config,
    log: &mut dyn FnMut(String),
) -> anyhow::Result<(Comparison, Run, Run)> {
    let commit = worktree::resolve_commit(repo, base).map_err(anyhow::Error::msg)?;
    let tree_path = worktree::location("base", &commit);
    let _ = std::fs::remove_dir_all(&tree_path);
    let tree = worktree::Worktree::add(repo, &commit, &tree_path).map_err(anyhow::Error::msg)?;
    let rounds = args.rounds.max(2);
    let plan = interleave::Plan {
        baseline_tree: tree.path.clone(),
        current_tree: repo.to_path_buf(),
        benches: benches.to_vec(),
        instructions: counted.clone(),
        profile: args.profile,
        bench_args: Vec::new(),
        target_dir: None,
        work_dir: work.join("now"),
    };
    let mut built = interleave::build(&plan, log)?;
    let pairs = built.rounds(&plan, 0..rounds, &plan.benches, log)?;
    let (a, b): (Vec<Run>, Vec<Run>) = pairs.iter().cloned().unzip();
    let baseline = results::rounds_as_samples(&a).context("no rounds ran")?;
    let current = results::rounds_as_samples(&b).context("no rounds ran")?;
    let mut c = gate::compare(&baseline, &current, config)
        .with_context(|| format!("commit {commit} vs this tree"))?;
    c.reference = Reference::MeasuredNow {
        commit: commit.clone(),
        rounds,
    };
    if !args.no_confirm {
        let conf = paired(&c, pairs, &mut built, &plan, commit, log);
        confirmation::apply(&mut c, conf).map_err(anyhow::Error::msg)?;
    }
    Ok((c, current, baseline))
}

/// The flagged metrics (and those the noise made inconclusive) decided on the interleaved
/// rounds' paired values; where every round put a change beyond the threshold but too
/// spread to bound, on as many rounds more of its bench (the second look, as `confirm`'s).
fn paired(
    c: &Comparison,
    pairs: Vec<(Run, Run)>,
    built: &mut interleave::Built,
    plan: &interleave::Plan,
    commit: String,
    log: &mut dyn FnMut(String),
) -> Confirmation {
    let k = pairs.len();
    let mut by_bench: BTreeMap<String, Vec<&MetricComparison>> = BTreeMap::new();
    for m in crate::confirm::flagged(c) {
        // Every suite a round measured has its bench; one that none did stays as judged.
        if let Some(bench) = built.bench_of(&m.suite) {
            by_bench.entry(bench.to_string()).or_default().push(m);
        }
    }
    let decided = crate::confirm::decide_benches(&by_bench, &pairs, k);
    let decided = crate::confirm::second_look(decided, pairs, k, log, |open, log| {
        built.rounds(plan, k..2 * k, open, log)
    });
    // A metric its rounds could not decide (not measured in every round) says why; dropped,
    // it would stand as first judged with nothing in the report to tell the reader.
    let metrics = crate::confirm::settled(decided);
    Confirmation {
        baseline_commit: Some(commit),
        rounds: k,
        profile: plan.profile.to_string(),
        metrics,
    }
}

/// The merge base of HEAD with the default branch (`origin/HEAD`, else `origin/main`,
/// `main`, `origin/master`, `master`).
pub(super) fn merge_base(repo: &Path) -> anyhow::Result<String> {
    let candidates = [
        "origin/HEAD",
        "origin/main",
        "main",
        "origin/master",
        "master",
    ];
    for branch in candidates {
        if let Ok(base) = worktree::git(repo, &["merge-base", "HEAD", branch]) {
            return Ok(base.trim().to_string());
        }
    }
    bail!(
        "{}: no default branch to measure against ({} not found); pass --base REV",
        repo.display(),
        candidates.join(", ")
    )
}
