//! What `check` does with the first pass's flags against a committed baseline: nothing more
//! where the code is the baseline commit's (the flags are the machine's, see
//! [`crate::gate::unchanged`]); otherwise re-measure them against that commit
//! ([`crate::confirm`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::gate::{Comparison, confirmation};
use crate::profile::Profile;
use crate::results::Run;

/// What re-measuring needs.
pub(super) struct Confirm<'a> {
    pub(super) repo: &'a Path,
    pub(super) rounds: usize,
    pub(super) benches: BTreeMap<String, String>,
    pub(super) instructions: &'a BTreeMap<String, String>,
    pub(super) profile: Profile,
    pub(super) work: PathBuf,
}

/// Decides the flags of `c` (this tree against the committed `baseline`) and folds the
/// outcome into it.
pub(super) fn decide(
    c: &mut Comparison,
    baseline: &Run,
    how: Confirm,
    log: &mut dyn FnMut(String),
) -> anyhow::Result<()> {
    let suspects = crate::confirm::flagged(c).len();
    if suspects == 0 {
        return Ok(());
    }
    if let Some(commit) = &baseline.environment.git_commit {
        match crate::confirm::unchanged_since(how.repo, commit, None) {
            Ok(paths) => {
                log(format!(
                    "{suspects} metrics suspect at first look (flagged, or in a suite that ran \
                     faster than its baseline), on code that is commit {commit}'s (the \
                     baseline's; {paths} paths changed since, only {}): the machine's doing, \
                     not re-measured",
                    crate::gate::unchanged::INERT
                ));
                let profile = how.profile.to_string();
                return confirmation::apply_unchanged(c, commit, &profile)
                    .map_err(anyhow::Error::msg);
            }
            Err(why) => log(format!("re-measuring: {why}")),
        }
    }
    for (suite, shift) in crate::gate::drift::drifted_suites(c) {
        log(format!(
            "suite {suite} ran faster than its baseline as a body (median {shift:.1} \
             thresholds): re-measuring all of it, a slowdown can hide under drift"
        ));
    }
    let noisy = c
        .metrics
        .iter()
        .filter(|m| crate::gate::drift::within_noise(m))
        .count();
    log(format!(
        "re-measuring {suspects} metrics against the baseline's commit ({} fail, {noisy} \
         beyond their threshold but within the noise)",
        c.totals.failing
    ));
    let opts = crate::confirm::Options {
        repo: how.repo.to_path_buf(),
        rounds: how.rounds.max(1),
        benches: how.benches,
        work_dir: how.work.join("confirm"),
        profile: how.profile,
        bench_args: Vec::new(),
        instructions: how.instructions.clone(),
        target_dir: None,
    };
    let conf = crate::confirm::confirm(c, baseline, &opts, log);
    confirmation::apply(c, conf).map_err(anyhow::Error::msg)
}
