//! `check` where no baseline is committed for this machine class: the base commit is built
//! in a worktree and measured now, interleaved with this tree, and is the reference.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, bail};

use super::CheckArgs;
use crate::gate::confirmation::{self, Confirmation, MetricConfirmation};
use crate::gate::{self, Comparison, Reference};
use crate::profile::Profile;
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
        rounds,
        profile: args.profile,
        bench_args: Vec::new(),
        target_dir: None,
        work_dir: work.join("now"),
    };
    let pairs = interleave::interleave(&plan, log)?;
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
        let conf = paired(&c, &pairs, commit, args.profile);
        confirmation::apply(&mut c, conf).map_err(anyhow::Error::msg)?;
    }
    Ok((c, current, baseline))
}

/// The flagged metrics (and those the noise made inconclusive) decided on the interleaved
/// rounds' paired values.
fn paired(c: &Comparison, pairs: &[(Run, Run)], commit: String, profile: Profile) -> Confirmation {
    let mut conf = Confirmation {
        baseline_commit: Some(commit),
        rounds: pairs.len(),
        profile: profile.to_string(),
        metrics: Default::default(),
    };
    let suspects = crate::gate::drift::suspects(c);
    for m in c.metrics.iter().filter(|m| suspects.contains(&m.id)) {
        if let Ok((status, paired)) = crate::confirm::decide_rounds(m, pairs, pairs.len()) {
            let entry = MetricConfirmation {
                bench: None,
                status,
                paired: Some(paired),
            };
            conf.metrics.insert(m.id.clone(), entry);
        }
    }
    conf
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
