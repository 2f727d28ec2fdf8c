//! The comparison itself: a pure function from two runs and a config to a verdict per
//! metric. No I/O: reading files and writing reports happen at the edges.

use std::cmp::Ordering;
use std::collections::HashSet;

use super::budget::{self, BudgetCheck};
use super::config::{Config, MismatchPolicy, MissingPolicy, Resolved};
use super::noise;
use super::verdict::{Comparison, MetricComparison, Observed, Reference, Totals, Verdict};
use crate::results::{Direction, Metric, Run, SuiteOutcome, Unit, hist};

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
    // A percentile computed from a histogram carries the interval of its order statistic,
    // a mean the histogram's standard deviation, so the noise test runs on them instead of
    // taking them at face value.
    let (baseline, current) = (
        &hist::with_histogram_spread(baseline),
        &hist::with_histogram_spread(current),
    );
    let (b_env, c_env) = (&baseline.environment, &current.environment);
    let machine_mismatch = b_env.machine_class != c_env.machine_class;
    let relative_gated =
        !machine_mismatch || config.machine_mismatch == MismatchPolicy::WarnAndGate;
    let warnings = warnings(baseline, current, machine_mismatch, relative_gated);
    let measured_suites: HashSet<&str> = current.metrics.iter().map(|m| m.suite.as_str()).collect();

    // Both sides sorted by id and walked together: the output comes out sorted, and no
    // large record is moved by a sort afterwards.
    let (bases, curs) = (sorted_by_id(baseline), sorted_by_id(current));
    let (mut b, mut c) = (bases.into_iter().peekable(), curs.into_iter().peekable());
    let mut metrics = Vec::with_capacity(current.metrics.len().max(baseline.metrics.len()));
    loop {
        let order = match (b.peek(), c.peek()) {
            (None, None) => break,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some((bid, _)), Some((cid, _))) => bid.cmp(cid),
        };
        let (id, base, cur) = match order {
            Ordering::Less => {
                let (id, m) = b.next().expect("peeked");
                (id, Some(m), None)
            }
            Ordering::Greater => {
                let (id, m) = c.next().expect("peeked");
                (id, None, Some(m))
            }
            Ordering::Equal => {
                let (id, bm) = b.next().expect("peeked");
                let (_, cm) = c.next().expect("peeked");
                (id, Some(bm), Some(cm))
            }
        };
        let any = cur.or(base).expect("one side at least");
        let parts: Vec<&str> = id.split('/').collect();
        let resolved = config.resolve_split(any, &id, &parts);
        let judged = match (base, cur) {
            (Some(base), Some(cur)) => {
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
                judge(base, cur, &resolved, config)
            }
            (None, _) => Judged::plain(
                Verdict::New,
                resolved.threshold,
                "not in the baseline".into(),
            ),
            (Some(base), None) => Judged::plain(
                Verdict::Missing,
                resolved.threshold,
                missing_reason(current, &measured_suites, &base.suite),
            ),
        };
        let budgets = match cur {
            Some(cur) => config
                .budgets
                .iter()
                .filter(|b| b.applies(&id, &parts, &c_env.profile))
                .map(|b| budget::check(b, cur.value, cur.unit))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|what| CompareError::Budget {
                    id: id.clone(),
                    what,
                })?,
            None => Vec::new(),
        };
        metrics.push(assemble(
            id,
            base,
            cur,
            any,
            judged,
            &resolved,
            budgets,
            relative_gated,
            config.missing,
        ));
    }
    let totals = Totals::count(&metrics);
    Ok(Comparison {
        baseline: b_env.clone(),
        current: c_env.clone(),
        machine_mismatch,
        relative_gated,
        warnings,
        metrics,
        totals,
        reference: Reference::Committed,
        confirmation: None,
    })
}

fn sorted_by_id(run: &Run) -> Vec<(String, &Metric)> {
    let mut v: Vec<(String, &Metric)> = run.metrics.iter().map(|m| (m.id(), m)).collect();
    v.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    v
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

/// The decision rule for a metric present on both sides (docs/decision-rule.md, "The gate's
/// decision rule").
fn judge(base: &Metric, cur: &Metric, resolved: &Resolved, config: &Config) -> Judged {
    let configured = resolved.threshold;
    let floor = noise::noise_floor(base, config.noise_factor);
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
pub(crate) fn relative_change(baseline: f64, current: f64) -> Option<f64> {
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
        confirmation: None,
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

fn missing_reason(current: &Run, measured_suites: &HashSet<&str>, suite: &str) -> String {
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
    if measured_suites.contains(suite) {
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
