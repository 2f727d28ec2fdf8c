//! The comparison itself: a pure function from two runs and a config to a verdict per
//! metric. No I/O: reading files and writing reports happen at the edges.

use std::collections::{BTreeSet, HashMap};

use super::budget::{self, BudgetCheck};
use super::config::{Config, MismatchPolicy, MissingPolicy, Resolved};
use super::noise;
use super::verdict::{Comparison, MetricComparison, Observed, Totals, Verdict};
use crate::results::{Direction, Metric, Run, SuiteOutcome, Unit};

/// Tolerance on "beyond the threshold", so that 100 → 110 against 10% (a relative change
/// of 0.10000000000000009 in floating point) is exactly at the threshold, not beyond it.
const EPSILON: f64 = 1e-9;

/// Input the comparison cannot judge. The CLI prints it with both paths and exits 2.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum CompareError {
    #[error("metric {id}: unit is {baseline} in the baseline but {current} in the current run")]
    UnitMismatch {
        id: String,
        baseline: Unit,
        current: Unit,
    },
    #[error(
        "metric {id}: direction is {baseline} in the baseline but {current} in the current run \
         (update the baseline if the direction was wrong)"
    )]
    DirectionMismatch {
        id: String,
        baseline: Direction,
        current: Direction,
    },
    #[error("metric {id}: {what}")]
    Budget { id: String, what: String },
}

/// Compares `current` against `baseline` under `config`.
pub fn compare(baseline: &Run, current: &Run, config: &Config) -> Result<Comparison, CompareError> {
    let (b_env, c_env) = (&baseline.environment, &current.environment);
    let machine_mismatch = b_env.machine_class != c_env.machine_class;
    let relative_gated =
        !machine_mismatch || config.machine_mismatch == MismatchPolicy::WarnAndGate;
    let warnings = warnings(baseline, current, machine_mismatch, relative_gated);

    let base_index: HashMap<String, &Metric> =
        baseline.metrics.iter().map(|m| (m.id(), m)).collect();
    let mut seen = BTreeSet::new();
    let mut metrics = Vec::with_capacity(current.metrics.len() + 1);
    for cur in &current.metrics {
        let id = cur.id();
        let resolved = config.resolve(cur, &id);
        let budgets = config
            .budgets_for(&id, &c_env.profile)
            .map(|b| budget::check(b, cur.value, cur.unit))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|what| CompareError::Budget {
                id: id.clone(),
                what,
            })?;
        let base = base_index.get(&id).copied();
        let judged = match base {
            Some(base) => {
                if base.unit != cur.unit {
                    return Err(CompareError::UnitMismatch {
                        id,
                        baseline: base.unit,
                        current: cur.unit,
                    });
                }
                if base.direction != cur.direction {
                    return Err(CompareError::DirectionMismatch {
                        id,
                        baseline: base.direction,
                        current: cur.direction,
                    });
                }
                seen.insert(id.clone());
                judge(base, cur, &resolved, config)
            }
            None => Judged::plain(
                Verdict::New,
                resolved.threshold,
                "not in the baseline".into(),
            ),
        };
        metrics.push(assemble(
            id,
            base,
            Some(cur),
            cur,
            judged,
            &resolved,
            budgets,
            relative_gated,
            config.missing,
        ));
    }
    for base in &baseline.metrics {
        let id = base.id();
        if seen.contains(&id) {
            continue;
        }
        let resolved = config.resolve(base, &id);
        let reason = missing_reason(current, &base.suite);
        let judged = Judged::plain(Verdict::Missing, resolved.threshold, reason);
        metrics.push(assemble(
            id,
            Some(base),
            None,
            base,
            judged,
            &resolved,
            Vec::new(),
            relative_gated,
            config.missing,
        ));
    }
    metrics.sort_by(|a, b| a.id.cmp(&b.id));
    let totals = Totals::count(&metrics);
    Ok(Comparison {
        baseline: b_env.clone(),
        current: c_env.clone(),
        machine_mismatch,
        relative_gated,
        warnings,
        metrics,
        totals,
    })
}

/// What the comparison with the baseline concluded about one metric.
struct Judged {
    verdict: Verdict,
    change: Option<f64>,
    interval: Option<[f64; 2]>,
    p_value: Option<f64>,
    threshold: f64,
    reason: String,
}

impl Judged {
    fn plain(verdict: Verdict, threshold: f64, reason: String) -> Judged {
        Judged {
            verdict,
            change: None,
            interval: None,
            p_value: None,
            threshold,
            reason,
        }
    }
}

/// The decision rule for a metric present on both sides (ARCHITECTURE.md, "The gate's
/// decision rule").
fn judge(base: &Metric, cur: &Metric, resolved: &Resolved, config: &Config) -> Judged {
    let configured = resolved.threshold;
    let floor = noise::noise_floor(base, cur, config.noise_factor);
    let threshold = floor.map_or(configured, |f| f.max(configured));
    let change = relative_change(base.value, cur.value);
    let worse = match cur.direction {
        Direction::LowerIsBetter => cur.value > base.value,
        Direction::HigherIsBetter => cur.value < base.value,
    };
    let magnitude = change.map_or(f64::INFINITY, f64::abs);
    let shown = change.map_or_else(|| "an infinite change".to_string(), signed_pct);
    let mut judged = Judged {
        verdict: Verdict::Stable,
        change,
        interval: None,
        p_value: None,
        threshold,
        reason: String::new(),
    };
    if magnitude <= configured + EPSILON {
        judged.reason = format!("{shown} is within the {} threshold", pct(configured));
        return judged;
    }
    if magnitude <= threshold + EPSILON {
        judged.verdict = Verdict::Inconclusive;
        judged.reason = format!(
            "{shown} is beyond the {} threshold but within the noise floor of {} \
             ({} × the calibrated run-to-run noise)",
            pct(configured),
            pct(threshold),
            config.noise_factor
        );
        return judged;
    }
    let threshold_words = if threshold > configured {
        format!("{} threshold (raised by the noise floor)", pct(threshold))
    } else {
        format!("{} threshold", pct(threshold))
    };
    let evidence = noise::test_change(base, cur, config.significance);
    if let Some(e) = evidence {
        judged.p_value = Some(e.p_value);
        judged.interval = Some([e.lower, e.upper]);
        if e.p_value >= config.significance {
            judged.verdict = Verdict::Inconclusive;
            judged.reason = format!(
                "{shown} is beyond the {threshold_words}, but the noise explains it \
                 ({} ≥ {})",
                p_fmt(e.p_value),
                config.significance
            );
            return judged;
        }
    }
    let how = match evidence {
        Some(e) => p_fmt(e.p_value),
        None => "no samples or intervals on both sides: taken at face value".to_string(),
    };
    judged.verdict = if !worse {
        Verdict::Improvement
    } else if magnitude > 2.0 * threshold + EPSILON {
        Verdict::Critical
    } else {
        Verdict::Regression
    };
    judged.reason = match judged.verdict {
        Verdict::Critical => format!("{shown} is beyond twice the {threshold_words} ({how})"),
        _ => format!("{shown} is beyond the {threshold_words} ({how})"),
    };
    if change.is_none() {
        judged.reason = format!("the baseline is 0, the current value is not ({how})");
    }
    judged
}

/// `(current - baseline) / baseline`; `None` when the baseline is 0 and the current is not.
pub fn relative_change(baseline: f64, current: f64) -> Option<f64> {
    if baseline == 0.0 {
        (current == 0.0).then_some(0.0)
    } else {
        Some((current - baseline) / baseline)
    }
}

#[allow(clippy::too_many_arguments)]
fn assemble(
    id: String,
    base: Option<&Metric>,
    cur: Option<&Metric>,
    any: &Metric,
    judged: Judged,
    resolved: &Resolved,
    budgets: Vec<BudgetCheck>,
    relative_gated: bool,
    missing: MissingPolicy,
) -> MetricComparison {
    let gated = relative_gated && resolved.gate;
    let relative = judged.verdict;
    let budget_broken = budgets.iter().any(|b| b.broken);
    let fails = budget_broken
        || (gated && matches!(relative, Verdict::Critical | Verdict::Regression))
        || (gated && relative == Verdict::Missing && missing == MissingPolicy::Fail);
    let verdict = match relative {
        Verdict::Critical | Verdict::Regression => relative,
        _ if budget_broken => Verdict::BudgetBroken,
        _ => relative,
    };
    MetricComparison {
        id,
        suite: any.suite.clone(),
        benchmark: any.benchmark.clone(),
        metric: any.metric.clone(),
        unit: any.unit,
        direction: any.direction,
        verdict,
        relative,
        fails,
        gated,
        baseline: base.map(Observed::of),
        current: cur.map(Observed::of),
        change: judged.change,
        change_interval: judged.interval,
        p_value: judged.p_value,
        threshold: judged.threshold,
        configured_threshold: resolved.threshold,
        threshold_source: resolved.source.clone(),
        budgets,
        reason: judged.reason,
    }
}

fn warnings(baseline: &Run, current: &Run, mismatch: bool, gated: bool) -> Vec<String> {
    let (b, c) = (&baseline.environment, &current.environment);
    let mut out = Vec::new();
    if mismatch {
        out.push(format!(
            "the baseline was measured on machine class {:?}, this run on {:?}: {}",
            b.machine_class,
            c.machine_class,
            if gated {
                "relative changes are still gated (machine_mismatch = \"warn-and-gate\")"
            } else {
                "relative changes are reported but not gated; budgets still are"
            }
        ));
    }
    if b.profile != c.profile {
        out.push(format!(
            "the baseline ran with profile {:?}, this run with {:?}: sizes differ, so may the numbers",
            b.profile, c.profile
        ));
    }
    for s in &current.suites {
        if s.status != SuiteOutcome::Passed {
            out.push(format!(
                "suite {} {}{}",
                s.suite,
                outcome_word(s.status),
                s.reason
                    .as_deref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            ));
        }
    }
    out
}

fn outcome_word(o: SuiteOutcome) -> &'static str {
    match o {
        SuiteOutcome::Passed => "passed",
        SuiteOutcome::Failed => "failed",
        SuiteOutcome::Skipped => "was skipped",
    }
}

fn missing_reason(current: &Run, suite: &str) -> String {
    if let Some(s) = current.suites.iter().find(|s| s.suite == suite)
        && s.status != SuiteOutcome::Passed
    {
        {
            return format!(
                "not measured: suite {suite} {}{}",
                outcome_word(s.status),
                s.reason
                    .as_deref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            );
        }
    }
    if current.metrics.iter().any(|m| m.suite == suite) {
        "in the baseline, not measured in this run".into()
    } else {
        format!("not measured: suite {suite} has no results in this run")
    }
}

/// A fraction as a percentage with one decimal: `0.1` → `10%`, `0.125` → `12.5%`.
pub(crate) fn pct(f: f64) -> String {
    let p = f * 100.0;
    if (p - p.round()).abs() < 0.05 {
        format!("{}%", p.round())
    } else {
        format!("{p:.1}%")
    }
}

/// A relative change with its sign: `+12.5%`, `-3%`.
pub(crate) fn signed_pct(f: f64) -> String {
    let s = pct(f.abs());
    if f < 0.0 {
        format!("-{s}")
    } else {
        format!("+{s}")
    }
}

fn p_fmt(p: f64) -> String {
    if p < 0.0001 {
        "p < 0.0001".to_string()
    } else {
        format!("p = {p:.4}")
    }
}

impl Observed {
    fn of(m: &Metric) -> Observed {
        Observed {
            value: m.value,
            ci: m.ci,
            sample_count: m
                .sample_count
                .or(m.samples.as_ref().map(|s| s.len() as u64)),
            std_dev: m.std_dev,
            noise: m.noise,
        }
    }
}
