//! What a confirmation does to a flagged metric's verdict beyond its status: a slowdown the
//! committed baseline hid, now confirmed, becomes a regression; a broken budget of a change
//! re-measured as drift is judged again on the re-measured runs. Pure, like
//! [`super::confirmation`], whose [`apply`](super::confirmation::apply) calls it.

use super::compare::{pct, signed_pct};
use super::confirmation::{CONFIDENCE, MetricConfirmation};
use super::drift;
use super::verdict::{MetricComparison, Verdict};

/// A slowdown that favourable drift or the noise hid from the committed baseline, confirmed
/// by the paired rounds: a regression (critical beyond twice its threshold), failing where
/// gated.
pub(super) fn unhide(m: &mut MetricComparison, c: &MetricConfirmation, commit: &str) {
    let Some(p) = &c.paired else { return };
    let hidden_by_noise = drift::within_noise(m);
    m.relative = if p.paired_change > 2.0 * m.threshold {
        Verdict::Critical
    } else {
        Verdict::Regression
    };
    m.verdict = m.relative;
    m.fails = m.gated || m.budget_broken();
    let seen = m.change.map_or_else(|| "no change".into(), signed_pct);
    let paired = signed_pct(p.paired_change);
    m.reason = if hidden_by_noise {
        format!(
            "{paired} worse than commit {commit} measured now, interleaved: beyond the \
             {} threshold with {:.0}% confidence; {seen} against the committed baseline \
             was within its run-to-run noise",
            pct(m.configured_threshold),
            CONFIDENCE * 100.0
        )
    } else {
        format!(
            "{paired} worse than commit {commit} measured now, interleaved, although {seen} \
             against the committed baseline: its suite ran faster than when the baseline was \
             measured, which hid the slowdown"
        )
    };
}

/// A budget the first pass broke, judged again on the median of the re-measured current
/// runs, where the change itself was re-measured as drift: a budget is the current code's
/// own limit, and the rounds measured that code three more times on a machine in another
/// state. Found on a busy machine's unchanged check (2026-12-03):
/// `redis_cache/zipf/mixtral/hit_latency_p99` 5.76 ms against its 5 ms, re-measured as drift
/// (paired 1.03, 1.12, 0.94), still failed on the first pass's number.
pub(super) fn rejudge_budgets(m: &mut MetricComparison, c: &MetricConfirmation) {
    let Some(p) = &c.paired else {
        return;
    };
    let mut runs = p.current_runs();
    let n = runs.len();
    let Some(median) = super::stats::median(&mut runs) else {
        return;
    };
    for b in m.budgets.iter_mut().filter(|b| b.broken) {
        let Some(value) = super::convert(median, m.unit, b.unit) else {
            continue;
        };
        if !super::budget::outside(b.min, b.max, value) {
            b.broken = false;
            b.note = Some(format!(
                "{:.4} {unit} in the first pass; {value:.4} {unit} as the median of {n} \
                 re-measured runs, within the budget",
                b.value,
                unit = b.unit
            ));
        }
    }
    if !m.budget_broken() && m.verdict == Verdict::BudgetBroken {
        m.verdict = m.relative;
    }
}
