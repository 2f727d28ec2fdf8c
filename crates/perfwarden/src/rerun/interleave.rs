//! Two trees' benches, built once each and run alternately: A B, B A, A B … Each round's pair ran
//! back to back, so both saw the same state of the machine, and a ratio within a pair
//! cancels the drift that moved both. `check` uses it to measure a baseline commit now, and
//! `confirm` to re-measure what the gate flagged.

use std::path::{Path, PathBuf};

use super::{BenchCommand, RerunError, build_benches, target_directory};
use crate::profile::Profile;
use crate::results::{self, Run};

/// What to run, and where.
#[derive(Clone, Debug)]
pub(crate) struct Plan {
    /// The baseline side (A): usually a worktree of the baseline's commit.
    pub(crate) baseline_tree: PathBuf,
    /// The current side (B).
    pub(crate) current_tree: PathBuf,
    /// Bench targets, run in this order within a round.
    pub(crate) benches: Vec<String>,
    /// Bench → `suite/benchmark` whose instructions are counted too (see
    /// [`BenchCommand::instructions`]).
    pub(crate) instructions: std::collections::BTreeMap<String, String>,
    pub(crate) profile: Profile,
    /// Arguments for every bench binary after `--bench`.
    pub(crate) bench_args: Vec<String>,
    /// `CARGO_TARGET_DIR` for both builds (shared, so only what changed rebuilds); the
    /// current tree's own target directory when `None`.
    pub(crate) target_dir: Option<PathBuf>,
    /// Where the binaries and each run's output go.
    pub(crate) work_dir: PathBuf,
}

/// Both sides' benches, built once: [`Built::rounds`] runs them, as often as asked.
pub(crate) struct Built {
    a: Vec<BenchCommand>,
    b: Vec<BenchCommand>,
    /// Suite → the bench that measured it, as the rounds so far found.
    bench_of: std::collections::BTreeMap<String, String>,
}

/// Builds the plan's benches at the baseline and the current tree.
pub(crate) fn build(plan: &Plan, log: &mut dyn FnMut(String)) -> Result<Built, RerunError> {
    log(format!(
        "building {} at the baseline and the current tree",
        plan.benches.join(", ")
    ));
    // Never cargo's default for the baseline's worktree: that is a `target/` of its own, in
    // which everything, Qdrant's engine and the AWS SDK included, would build from nothing
    // (25-37 minutes on 2 cores) where only the crates that changed need to.
    let target = plan
        .target_dir
        .clone()
        .or_else(|| target_directory(&plan.current_tree));
    let a = side(plan, &plan.baseline_tree, "baseline", target.as_deref())?;
    let b = side(plan, &plan.current_tree, "current", target.as_deref())?;
    Ok(Built {
        a,
        b,
        bench_of: Default::default(),
    })
}

impl Built {
    /// The bench whose runs measured `suite`, once a round has run it.
    pub(crate) fn bench_of(&self, suite: &str) -> Option<&str> {
        self.bench_of.get(suite).map(String::as_str)
    }

    /// Runs rounds `rounds` (numbered on from earlier ones, so the A B / B A order and the
    /// run folders continue) of the named benches only; per round, the baseline's run and
    /// the current one.
    pub(crate) fn rounds(
        &mut self,
        plan: &Plan,
        rounds: std::ops::Range<usize>,
        benches: &[String],
        log: &mut dyn FnMut(String),
    ) -> Result<Vec<(Run, Run)>, RerunError> {
        let last = rounds.end;
        let mut pairs = Vec::with_capacity(rounds.len());
        for round in rounds {
            let (mut ra, mut rb) = (None::<Run>, None::<Run>);
            let sides = self.a.iter().zip(&self.b);
            for (ca, cb) in sides.filter(|(ca, _)| benches.contains(&ca.name)) {
                let dir = plan.work_dir.join("runs").join(&ca.name);
                let run_a = || ca.run_once(&dir.join(format!("{round:02}-a")), None);
                let run_b = || cb.run_once(&dir.join(format!("{round:02}-b")), None);
                // A B, then B A: a machine growing busier (or quieter) through the rounds
                // would otherwise always favour the side that runs first and look like a
                // change.
                let (got_a, got_b) = if round % 2 == 0 {
                    let ga = run_a()?;
                    (ga, run_b()?)
                } else {
                    let gb = run_b()?;
                    (run_a()?, gb)
                };
                for m in got_b.metrics.iter().chain(&got_a.metrics) {
                    self.bench_of.insert(m.suite.clone(), cb.name.clone());
                }
                add(&mut ra, got_a, &ca.name)?;
                add(&mut rb, got_b, &cb.name)?;
            }
            log(format!("round {}/{last} done", round + 1));
            if let (Some(ra), Some(rb)) = (ra, rb) {
                pairs.push((ra, rb));
            }
        }
        Ok(pairs)
    }
}

/// One side's benches, built and copied out: both trees are the same packages, and cargo
/// gives both builds the same file name in a shared target directory. `build_benches` makes
/// sure each binary that names its packages was built from its side's tree; newer files make
/// cargo rebuild the ones that do not (a user's benches that link no crate of ours).
fn side(
    plan: &Plan,
    tree: &Path,
    name: &str,
    target: Option<&Path>,
) -> Result<Vec<BenchCommand>, RerunError> {
    touch_sources(tree);
    let bin_dir = plan.work_dir.join("bin").join(name);
    std::fs::create_dir_all(&bin_dir).map_err(|e| RerunError {
        bench: plan.benches.join(","),
        what: format!("{}: {e}", bin_dir.display()),
    })?;
    let built = build_benches(tree, &plan.benches, target).map_err(|e| RerunError {
        what: format!("{name}: {}", e.what),
        ..e
    })?;
    built
        .into_iter()
        .map(|mut cmd| {
            let copy = bin_dir.join(&cmd.name);
            std::fs::copy(&cmd.binary, &copy).map_err(|e| RerunError {
                bench: cmd.name.clone(),
                what: format!(
                    "cannot copy {} to {}: {e}",
                    cmd.binary.display(),
                    copy.display()
                ),
            })?;
            cmd.binary = copy;
            cmd.args = plan.bench_args.clone();
            cmd.profile = plan.profile;
            cmd.instructions = plan.instructions.get(&cmd.name).cloned();
            Ok(cmd)
        })
        .collect()
}

/// Adds one bench's run to a side's run of the round.
fn add(side: &mut Option<Run>, run: Run, bench: &str) -> Result<(), RerunError> {
    match side {
        None => *side = Some(run),
        Some(all) => results::absorb(all, run).map_err(|what| RerunError {
            bench: bench.to_string(),
            what,
        })?,
    }
    Ok(())
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
