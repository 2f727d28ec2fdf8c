//! Confirmation, part of the verdict. Baseline and current runs alternate (A B, B A, A B …), so
//! each round's pair saw the same state of the machine, and the ratio within a pair cancels
//! the drift that moved both. A flagged change is confirmed when a large majority of the
//! paired ratios lie beyond the threshold in the worse direction *and* the paired change is
//! beyond the threshold with 95% confidence given the ratios' own spread; otherwise it was
//! drift, which does not fail. The rounds are judged on the configured threshold, and the
//! bound allows for the calibrated run-to-run noise ([`rule`]): the threshold the noise
//! floor raised is for one run against a baseline, where that noise is not cancelled; within
//! the pairs, the noise left is in the bound.
//!
//! A flag used to keep the raised threshold, which held a larger change to a harder test
//! than a smaller one the floor made inconclusive (walk of 2026-12-04): a cache hit made
//! 2.2× slower read +83% on the users' mix's cached p50, beyond its raised 67.7%, paired
//! 1.84, 1.82, 1.55, and was called drift (bound +47.8% under 67.7%), where the same rounds
//! of an inconclusive +60% were confirmed (+31.8% over 10%). Two builds of different commits
//! differ in code layout too: a millisecond-scale micro-benchmark read 20% slower in three
//! rounds in a row with no change to its code (`gate_10k_metrics/render_markdown/time_median`,
//! paired 1.23, 1.19, 1.16; the same check again: 0.88, 1.32, 0.87); its calibrated noise of
//! 8.8% bounds those rounds at +6%, drift. Pure: the re-runs themselves are
//! `crate::confirm`'s.
//!
//! A confirmation can arrive as data from an untrusted job (the PR's own run): [`apply`]
//! re-derives every status from the paired ratios under the trusted comparison's own
//! thresholds, and refuses anything that does not fit it.

use serde::{Deserialize, Serialize};

#[cfg(test)]
pub(crate) use super::paired::decide;
pub(crate) use super::paired::{CONFIDENCE, FROM_ZERO, Rule, SECOND_LOOK, decide_looks, undecided};
use super::verdict::{Comparison, MetricComparison, Totals};
use super::{drift, outcome};
use crate::results::Direction;

/// What re-measuring said about one flagged metric.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Status {
    /// Most paired ratios are beyond the threshold in the worse direction, and their
    /// spread leaves the paired change beyond it with confidence: a regression.
    Confirmed,
    /// The paired ratios do not bear the change out: the machine moved, not the code.
    Drift,
    /// Not re-measured; the reason says why (an unknown baseline commit, a failed build).
    Unconfirmed { reason: String },
    /// Not re-measured: nothing that builds or runs the benches changed since the baseline's
    /// commit, so the change is the machine's ([`super::unchanged`]). Only the judging side
    /// decides this ([`apply_unchanged`]); an entry saying so in a file is not believed.
    Unchanged,
}

impl Status {
    pub(crate) fn as_str(&self) -> &'static str {
        match self {
            Status::Confirmed => "confirmed",
            Status::Drift => "drift",
            Status::Unconfirmed { .. } => "unconfirmed",
            Status::Unchanged => "unchanged",
        }
    }
}

/// The paired evidence about one metric.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Paired {
    /// Per round, current / baseline, oriented so that above 1 is worse.
    pub worse_ratios: Vec<f64>,
    /// How many of them lie beyond `1 + threshold`.
    pub(crate) beyond: usize,
    /// How many must, for the change to be confirmed.
    pub(crate) needed: usize,
    /// The geometric mean of the worse ratios minus 1 (the paired change, worse positive).
    pub(crate) paired_change: f64,
    /// The paired change is at least this, with [`CONFIDENCE`]: the lower of the bound from
    /// the log ratios' own spread (one-sided Student's t) and the one from the calibrated
    /// run-to-run noise (see [`Rule`]); `None` from a single round of a metric
    /// without calibrated noise, which has no spread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) lower_bound: Option<f64>,
    /// Per round, `[baseline, current]` as measured, where a round had 0 on one side only
    /// (an overload counter): there are no ratios then (`worse_ratios` is empty), the
    /// change is the pooled one (the sums' ratio; [`FROM_ZERO`] from a baseline of 0) and
    /// [`rank`](super::rank) decides.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) sides: Vec<[f64; 2]>,
    /// The rank test's one-sided p-value, where `sides` are kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) p_value: Option<f64>,
    /// Per round, the current side's value as measured, where there are ratios (`sides`
    /// holds them otherwise): see [`Paired::current_runs`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) current: Vec<f64>,
    /// The calibrated run-to-run noise the bound allowed for (see [`Rule`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) run_noise: Option<f64>,
    /// Where that noise alone held the change back: the rounds that would bound a paired
    /// change this large beyond the threshold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) rounds_to_resolve: Option<usize>,
    /// Where the first rounds left the change open ([`undecided`]) and as many more were
    /// run: how many the first look had. The decision and the bound are the second look's,
    /// over all rounds, at [`super::paired::SECOND_LOOK`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) first_look: Option<usize>,
}

impl Paired {
    /// How many rounds the evidence has.
    pub(crate) fn rounds(&self) -> usize {
        self.worse_ratios.len().max(self.sides.len())
    }

    /// Where the first rounds left the change open: how many they were (see the field).
    pub fn first_look(&self) -> Option<usize> {
        self.first_look
    }

    /// The confidence of `lower_bound`: the first look's, or the second's.
    pub(crate) fn confidence(&self) -> f64 {
        match self.first_look {
            Some(_) => super::paired::SECOND_LOOK,
            None => CONFIDENCE,
        }
    }

    /// The current side's value of each round: a broken budget of a change re-measured as
    /// drift is judged again on these (see [`super::outcome::rejudge_budgets`]).
    pub(crate) fn current_runs(&self) -> Vec<f64> {
        if self.sides.is_empty() {
            self.current.clone()
        } else {
            self.sides.iter().map(|s| s[1]).collect()
        }
    }
}

/// What paired ratios of `m` are judged on (see the module's docs): its configured
/// threshold, and the calibrated run-to-run noise read from the baseline's side, which is
/// trusted. Three rounds of a metric that varies by half its value from one run to the next
/// agree by chance too often for a check that re-measures hundreds of metrics at once; the
/// bound asks that noise too. The same rule for a flag and for a change the floor made
/// inconclusive, so a larger change is never held to a harder test than a smaller one.
pub(crate) fn rule(m: &MetricComparison) -> Rule {
    Rule {
        threshold: m.configured_threshold,
        run_noise: m.baseline.as_ref().and_then(|b| b.noise),
    }
}

/// One flagged metric's confirmation, as the verdict carries it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricConfirmation {
    /// The bench target that re-measured it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) bench: Option<String>,
    #[serde(flatten)]
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paired: Option<Paired>,
}

/// How the flagged metrics were re-measured, and what that said of each.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Confirmation {
    /// The commit the baseline side was built from.
    pub(crate) baseline_commit: Option<String>,
    /// Rounds of A B runs.
    pub(crate) rounds: usize,
    /// The profile the re-runs used (the one the flagged metrics were measured at).
    #[serde(default)]
    pub(crate) profile: String,
    /// Per flagged metric id.
    pub metrics: std::collections::BTreeMap<String, MetricConfirmation>,
}

/// Bounds on a confirmation read from a file someone else wrote.
const MAX_ROUNDS: usize = 100;
const MAX_REASON: usize = 300;

/// The confirmation's place in the verdict: each flagged metric gets its
/// [`MetricConfirmation`], a regression re-measured as drift stops failing (a broken budget
/// still fails), and the totals are counted again. Statuses are re-derived from the paired
/// ratios under `comparison`'s thresholds; an entry for a metric the comparison did not flag,
/// or one that does not hold together, is an error naming it.
pub fn apply(comparison: &mut Comparison, confirmation: Confirmation) -> Result<(), String> {
    apply_checked(comparison, confirmation, false)
}

/// Every metric the gate flagged, as unchanged code against `commit`: call it only where this
/// side itself found that nothing that builds or runs the benches changed since `commit`
/// (see [`super::unchanged`] and `crate::confirm::unchanged_since`).
pub(crate) fn apply_unchanged(
    comparison: &mut Comparison,
    commit: &str,
    profile: &str,
) -> Result<(), String> {
    let conf = super::unchanged::confirmation(comparison, commit, profile);
    if conf.metrics.is_empty() {
        return Ok(());
    }
    apply_checked(comparison, conf, true)
}

fn apply_checked(
    comparison: &mut Comparison,
    confirmation: Confirmation,
    unchanged_verified: bool,
) -> Result<(), String> {
    let measured = confirmation.metrics.values().any(|m| m.paired.is_some());
    if confirmation.rounds > MAX_ROUNDS || (confirmation.rounds == 0 && measured) {
        return Err(format!(
            "rounds {} is not between 1 and {MAX_ROUNDS}",
            confirmation.rounds
        ));
    }
    let mut metrics = confirmation.metrics.clone();
    let suspects = drift::suspects(comparison);
    let commit = confirmation
        .baseline_commit
        .as_deref()
        .unwrap_or("the baseline's commit");
    for m in comparison.metrics.iter_mut() {
        let Some(mut c) = metrics.remove(&m.id) else {
            continue;
        };
        if !suspects.contains(&m.id) {
            return Err(format!("metric {:?} was not flagged by the gate", m.id));
        }
        (c.status, c.paired) = checked_status(m, &c, confirmation.rounds, unchanged_verified)?;
        match (&c.status, drift::flagged(m)) {
            (Status::Drift, true) => {
                outcome::rejudge_budgets(m, &c);
                m.fails = m.budget_broken();
            }
            (Status::Unchanged, true) => m.fails = m.budget_broken(),
            (Status::Confirmed, false) => outcome::unhide(m, &c, commit),
            _ => {}
        }
        m.confirmation = Some(c);
    }
    if let Some(id) = metrics.keys().next() {
        return Err(format!("metric {id:?} is not in the comparison"));
    }
    comparison.totals = Totals::count(&comparison.metrics);
    comparison.confirmation = Some(Confirmation {
        metrics: Default::default(),
        ..confirmation
    });
    Ok(())
}

/// The confirmation folded into `comparison`, whole again (the per-metric outcomes
/// collected from the metrics), as another job reads it back with [`apply`].
pub(crate) fn collected(comparison: &Comparison) -> Option<Confirmation> {
    let mut c = comparison.confirmation.clone()?;
    c.metrics = comparison
        .metrics
        .iter()
        .filter_map(|m| Some((m.id.clone(), m.confirmation.clone()?)))
        .collect();
    Some(c)
}

/// The status the paired ratios support with the evidence derived here from them (nothing
/// but the ratios is taken from the entry), or why the entry does not hold together.
fn checked_status(
    m: &MetricComparison,
    c: &MetricConfirmation,
    rounds: usize,
    unchanged_verified: bool,
) -> Result<(Status, Option<Paired>), String> {
    let bad = |what: String| Err(format!("metric {:?}: {what}", m.id));
    if let Some(b) = &c.bench
        && (b.len() > 100
            || !b
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || "_-".contains(ch)))
    {
        return bad("the bench is not a bench target name".into());
    }
    let Some(p) = &c.paired else {
        return match &c.status {
            Status::Unconfirmed { reason } if reason.len() <= MAX_REASON => Ok((
                Status::Unconfirmed {
                    reason: crate::results::one_line(reason),
                },
                None,
            )),
            Status::Unconfirmed { .. } => bad(format!("the reason is over {MAX_REASON} bytes")),
            Status::Unchanged if unchanged_verified => Ok((Status::Unchanged, None)),
            // Another job's word that the code did not change; the judging side decides that
            // from git itself (`compare --measured-commit`), or the flag stands.
            Status::Unchanged => Ok((
                Status::Unconfirmed {
                    reason: "not re-measured: the measuring job found the code unchanged since \
                             the baseline's commit, which was not verified here"
                        .into(),
                },
                None,
            )),
            _ => bad("a confirmed or drift status needs its paired ratios".into()),
        };
    };
    let (pairs, direction) = if p.sides.is_empty() {
        if p.worse_ratios.iter().any(|r| !(r.is_finite() && *r > 0.0)) {
            return bad("expected finite positive paired ratios".into());
        }
        // The ratios are oriented worse-above-1; deciding on (1, r) pairs of a
        // lower-is-better metric gives back exactly the ratios.
        let pairs: Vec<(f64, f64)> = p.worse_ratios.iter().map(|r| (1.0, *r)).collect();
        (pairs, Direction::LowerIsBetter)
    } else {
        if !p.worse_ratios.is_empty() {
            return bad("expected rounds of values and no ratios".into());
        }
        let pairs: Vec<(f64, f64)> = p.sides.iter().map(|s| (s[0], s[1])).collect();
        (pairs, m.direction)
    };
    let (status, mut again) = decide_looks(&pairs, direction, rule(m), rounds)
        .map_err(|why| format!("metric {:?}: {why}", m.id))?;
    if again.beyond != p.beyond || again.needed != p.needed {
        return bad("the paired counts do not match the ratios".into());
    }
    if p.sides.is_empty() {
        // The ratios carry no values; the current side's come as their own field.
        let n = pairs.len();
        if !(p.current.is_empty()
            || p.current.len() == n && p.current.iter().all(|v| v.is_finite() && *v >= 0.0))
        {
            return bad(format!("expected {n} finite non-negative current values"));
        }
        again.current = p.current.clone();
    }
    Ok((status, Some(again)))
}

#[cfg(test)]
#[path = "confirmation_tests.rs"]
mod tests;
