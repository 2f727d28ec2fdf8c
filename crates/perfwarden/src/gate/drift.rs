//! Slowdowns hidden by favourable drift. A committed baseline was measured in one state of
//! the machine and this run in another. When a whole suite runs faster than its baseline (a
//! quieter runner, a faster CPU), a real slowdown of one of its paths can hide under the
//! drift: code 25% slower on a machine 30% faster reads as −12%, an improvement, and the
//! gate flags nothing, so nothing is re-measured. A suite whose metrics moved as a body in
//! the better direction is therefore suspect: every one of its metrics is re-measured
//! against the baseline's commit, interleaved, like a flag, and a slowdown the paired rounds
//! confirm fails ([`super::confirmation::apply`]). The same holds for a change beyond its
//! threshold that the gate called inconclusive because the calibrated run-to-run noise (or
//! the samples' own) could explain it: the paired rounds cancel that noise, so it is
//! re-measured too. Pure, so a trusted job re-derives the same suspects from the same
//! comparison.

use std::collections::{BTreeMap, BTreeSet};

use super::verdict::{Comparison, MetricComparison, Verdict};
use crate::results::Direction;

/// A suite drifted when the median of its metrics' changes, in the better direction and in
/// units of each metric's threshold, is at least this: the machine moved by half a
/// threshold, enough to hide half of a regression.
const SHIFT: f64 = 0.5;

/// The change of `m` oriented so that positive is worse, in units of its configured
/// threshold; `None` where there is nothing to orient (new, missing, no change).
fn worse_in_thresholds(m: &MetricComparison) -> Option<f64> {
    let change = m.change?;
    if !m.gated || m.configured_threshold <= 0.0 {
        return None;
    }
    let worse = match m.direction {
        Direction::LowerIsBetter => change,
        Direction::HigherIsBetter => -change,
    };
    Some(worse / m.configured_threshold)
}

/// The suites that moved as a body in the better direction, with the median change of their
/// metrics in thresholds (negative: better). Only against a committed baseline: a reference
/// measured now, interleaved, has no drift to hide behind.
pub(crate) fn drifted_suites(c: &Comparison) -> BTreeMap<String, f64> {
    if c.reference != super::Reference::Committed {
        return BTreeMap::new();
    }
    let mut by_suite: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for m in &c.metrics {
        if let Some(w) = worse_in_thresholds(m) {
            by_suite.entry(&m.suite).or_default().push(w);
        }
    }
    by_suite
        .into_iter()
        .filter_map(|(suite, mut ws)| {
            let median = super::stats::median(&mut ws)?;
            (median <= -SHIFT).then(|| (suite.to_string(), median))
        })
        .collect()
}

/// The metrics to re-measure: what the gate called a regression or critical, every gated
/// change beyond its threshold that the noise made inconclusive, and every gated metric
/// with a change in a suite that drifted in the better direction.
pub(crate) fn suspects(c: &Comparison) -> BTreeSet<String> {
    let drifted = drifted_suites(c);
    c.metrics
        .iter()
        .filter(|m| {
            flagged(m)
                || within_noise(m)
                || (drifted.contains_key(&m.suite) && worse_in_thresholds(m).is_some())
        })
        .map(|m| m.id.clone())
        .collect()
}

/// What the gate itself called a regression or critical.
pub(crate) fn flagged(m: &MetricComparison) -> bool {
    matches!(m.relative, Verdict::Regression | Verdict::Critical)
}

/// A gated change beyond its configured threshold in the worse direction that the gate
/// called inconclusive: within the noise floor, or explained by the samples' noise. Where two
/// calibration runs differed by 20%, a 25% slowdown hides there.
pub(crate) fn within_noise(m: &MetricComparison) -> bool {
    m.relative == Verdict::Inconclusive && worse_in_thresholds(m).is_some_and(|w| w > 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::{Config, compare};
    use crate::results::{Environment, Metric, Run, Unit};

    fn run(values: &[(&str, f64)]) -> Run {
        let mut r = Run::new(Environment::detect(crate::profile::Profile::Smoke));
        for (bench, v) in values {
            r.metrics.push(Metric::new(
                "s",
                *bench,
                "time",
                Unit::Milliseconds,
                Direction::LowerIsBetter,
                *v,
            ));
        }
        r
    }

    /// A confirmation entry decided on paired ratios (current / baseline) at a 10% threshold.
    fn entry(ratios: &[f64]) -> crate::gate::confirmation::MetricConfirmation {
        let pairs: Vec<(f64, f64)> = ratios.iter().map(|r| (1.0, *r)).collect();
        let (status, paired) =
            crate::gate::confirmation::decide(&pairs, Direction::LowerIsBetter, 0.1).unwrap();
        crate::gate::confirmation::MetricConfirmation {
            bench: None,
            status,
            paired: Some(paired),
        }
    }

    #[test]
    fn a_suite_faster_as_a_body_makes_all_its_metrics_suspects() {
        // Machine 30% faster; `b` slowed by 25% in the code reads as -12.5%.
        let base = run(&[("a", 100.0), ("b", 100.0), ("c", 100.0)]);
        let cur = run(&[("a", 70.0), ("b", 87.5), ("c", 71.0)]);
        let c = compare(&base, &cur, &Config::default()).unwrap();
        assert_eq!(c.totals.failing, 0, "the gate alone sees nothing");
        assert!(drifted_suites(&c)["s"] < -2.0);
        assert_eq!(suspects(&c).len(), 3);
    }

    #[test]
    fn a_steady_suite_has_only_its_flags_as_suspects() {
        let base = run(&[("a", 100.0), ("b", 100.0), ("c", 100.0)]);
        let cur = run(&[("a", 101.0), ("b", 130.0), ("c", 96.0)]);
        let c = compare(&base, &cur, &Config::default()).unwrap();
        assert!(drifted_suites(&c).is_empty());
        assert_eq!(
            suspects(&c).into_iter().collect::<Vec<_>>(),
            ["s/b/time".to_string()]
        );
    }

    #[test]
    fn a_hidden_slowdown_confirmed_by_paired_rounds_fails() {
        use crate::gate::confirmation::{self, Confirmation, Status};
        let base = run(&[("a", 100.0), ("b", 100.0), ("c", 100.0)]);
        let cur = run(&[("a", 70.0), ("b", 87.5), ("c", 71.0)]);
        let mut c = compare(&base, &cur, &Config::default()).unwrap();
        let mut conf = Confirmation {
            baseline_commit: Some("abc".into()),
            rounds: 3,
            profile: "smoke".into(),
            metrics: Default::default(),
        };
        conf.metrics
            .insert("s/b/time".into(), entry(&[1.26, 1.24, 1.25]));
        conf.metrics
            .insert("s/a/time".into(), entry(&[1.01, 0.98, 1.0]));
        confirmation::apply(&mut c, conf.clone()).unwrap();
        let b = c.metrics.iter().find(|m| m.id == "s/b/time").unwrap();
        assert_eq!((b.verdict, b.fails), (Verdict::Critical, true));
        assert!(b.reason.contains("hid the slowdown"), "{}", b.reason);
        assert_eq!(b.confirmation.as_ref().unwrap().status, Status::Confirmed);
        let a = c.metrics.iter().find(|m| m.id == "s/a/time").unwrap();
        assert_eq!((a.verdict, a.fails), (Verdict::Improvement, false));
        assert_eq!(c.totals.failing, 1);

        // In a steady suite, an entry for a metric the gate did not flag is refused.
        let steady = run(&[("a", 100.0), ("b", 100.0), ("c", 100.0)]);
        let mut c = compare(&base, &steady, &Config::default()).unwrap();
        let err = confirmation::apply(&mut c, conf).unwrap_err();
        assert!(err.contains("was not flagged"), "{err}");
    }

    #[test]
    fn a_counter_entry_from_another_job_is_re_derived_from_its_values() {
        use crate::gate::confirmation::{self, Confirmation, Status};
        let base = run(&[("a", 100.0), ("b", 100.0), ("c", 100.0)]);
        let cur = run(&[("a", 101.0), ("b", 130.0), ("c", 96.0)]);
        let conf = |sides: Vec<[f64; 2]>, ratios: Vec<f64>| {
            let pairs: Vec<(f64, f64)> = [(0.0, 5.0); 3].to_vec();
            let (_, mut paired) =
                confirmation::decide(&pairs, Direction::LowerIsBetter, 0.1).unwrap();
            (paired.sides, paired.worse_ratios) = (sides, ratios);
            let mut conf = Confirmation {
                baseline_commit: Some("abc".into()),
                rounds: 3,
                profile: "smoke".into(),
                metrics: Default::default(),
            };
            let entry = confirmation::MetricConfirmation {
                bench: None,
                status: Status::Drift,
                paired: Some(paired),
            };
            conf.metrics.insert("s/b/time".into(), entry);
            conf
        };
        // The job says drift; its own values say 0 in every baseline run: confirmed.
        let mut c = compare(&base, &cur, &Config::default()).unwrap();
        confirmation::apply(&mut c, conf(vec![[0.0, 5.0]; 3], vec![])).unwrap();
        let b = c.metrics.iter().find(|m| m.id == "s/b/time").unwrap();
        assert_eq!(b.confirmation.as_ref().unwrap().status, Status::Confirmed);
        assert!(b.fails);
        // Values and ratios both, or too few rounds, do not hold together.
        for (sides, ratios) in [
            (vec![[0.0, 5.0]; 3], vec![1.0; 3]),
            (vec![[0.0, 5.0]; 2], vec![]),
            (vec![[0.0, -5.0]; 3], vec![]),
        ] {
            let mut c = compare(&base, &cur, &Config::default()).unwrap();
            let err = confirmation::apply(&mut c, conf(sides, ratios)).unwrap_err();
            assert!(err.contains("s/b/time"), "{err}");
        }
    }

    #[test]
    fn a_broken_budget_re_measured_as_drift_is_judged_on_the_re_measured_runs() {
        use crate::gate::confirmation::{self, Confirmation, MetricConfirmation};
        let cfg = Config::from_toml("[[gate.budgets]]\nmatch = \"s/b/time\"\nmax = 120\n").unwrap();
        let base = run(&[("a", 100.0), ("b", 100.0), ("c", 100.0)]);
        let cur = run(&[("a", 101.0), ("b", 130.0), ("c", 96.0)]);
        let judged = |pairs: &[(f64, f64)]| {
            let mut c = compare(&base, &cur, &cfg).unwrap();
            assert!(c.metrics.iter().any(|m| m.id == "s/b/time" && m.fails));
            let (status, paired) =
                confirmation::decide(pairs, Direction::LowerIsBetter, 0.1).unwrap();
            let mut conf = Confirmation {
                baseline_commit: Some("abc".into()),
                rounds: pairs.len(),
                profile: "smoke".into(),
                metrics: Default::default(),
            };
            let entry = MetricConfirmation {
                bench: None,
                status,
                paired: Some(paired),
            };
            conf.metrics.insert("s/b/time".into(), entry);
            confirmation::apply(&mut c, conf).unwrap();
            c.metrics.into_iter().find(|m| m.id == "s/b/time").unwrap()
        };
        // The first pass's 130 was the machine: re-measured 110, 115, 118 (drift), within 120.
        let b = judged(&[(100.0, 110.0), (100.0, 115.0), (100.0, 118.0)]);
        assert!(!b.fails && !b.budget_broken(), "{:?}", b.budgets);
        assert!(
            b.budgets[0]
                .note
                .as_deref()
                .unwrap()
                .contains("median of 3")
        );
        // Drift too, but the code is over its budget in the rounds as well: still failing.
        let b = judged(&[(120.0, 125.0), (121.0, 126.0), (119.0, 124.0)]);
        assert!(b.fails && b.budget_broken());
    }

    #[test]
    fn a_slowdown_within_the_noise_floor_is_re_measured_and_judged_on_its_threshold() {
        use crate::gate::confirmation::{self, Confirmation, Status};
        // Runs 8% apart in calibration: a floor of 26%, so +25% alone is inconclusive.
        let noisy = |r: Run| {
            let mut r = r;
            r.metrics.iter_mut().for_each(|m| m.noise = Some(0.08));
            r
        };
        let base = noisy(run(&[("a", 100.0), ("b", 100.0), ("c", 100.0)]));
        let cur = noisy(run(&[("a", 125.0), ("b", 104.0), ("c", 60.0)]));
        let mut c = compare(&base, &cur, &Config::default()).unwrap();
        assert_eq!(c.totals.failing, 0, "the gate alone calls it inconclusive");
        let a = c.metrics.iter().find(|m| m.id == "s/a/time").unwrap();
        assert!(within_noise(a));
        // Within the threshold or better: nothing to re-measure.
        assert_eq!(
            suspects(&c).into_iter().collect::<Vec<_>>(),
            ["s/a/time".to_string()]
        );
        let conf = |ratios: &[f64]| {
            let mut conf = Confirmation {
                baseline_commit: Some("abc".into()),
                rounds: 3,
                profile: "smoke".into(),
                metrics: Default::default(),
            };
            conf.metrics.insert("s/a/time".into(), entry(ratios));
            conf
        };
        // Paired, the change is +25% in every round: a regression against the 10% threshold.
        confirmation::apply(&mut c, conf(&[1.24, 1.27, 1.25])).unwrap();
        let a = c.metrics.iter().find(|m| m.id == "s/a/time").unwrap();
        assert_eq!((a.verdict, a.fails), (Verdict::Regression, true));
        assert!(
            a.reason.contains("within its run-to-run noise"),
            "{}",
            a.reason
        );
        assert_eq!(c.totals.failing, 1);
        // Had one run varied by 20% from the next, three rounds could not tell +25% from
        // chance: drift, and the report says how many rounds could.
        let mut loud_base = base.clone();
        loud_base
            .metrics
            .iter_mut()
            .for_each(|m| m.noise = Some(0.2));
        let mut loud = compare(&loud_base, &cur, &Config::default()).unwrap();
        confirmation::apply(&mut loud, conf(&[1.24, 1.27, 1.25])).unwrap();
        let a = loud.metrics.iter().find(|m| m.id == "s/a/time").unwrap();
        assert_eq!((a.verdict, a.fails), (Verdict::Inconclusive, false));
        let p = a.confirmation.as_ref().unwrap().paired.as_ref().unwrap();
        assert_eq!(p.rounds_to_resolve, Some(13));
        let md = crate::report::markdown::render(&loud);
        assert!(
            md.contains("re-measured: drift (paired +25.3%, 3/3 beyond, at least -3.9% at 95%; one run varies by 20% from the next here: 13 rounds could tell)"),
            "{md}"
        );
        // Paired, it was the machine: still inconclusive, still passing.
        let mut c = compare(&base, &cur, &Config::default()).unwrap();
        confirmation::apply(&mut c, conf(&[1.02, 0.97, 1.05])).unwrap();
        let a = c.metrics.iter().find(|m| m.id == "s/a/time").unwrap();
        assert_eq!((a.verdict, a.fails), (Verdict::Inconclusive, false));
        assert_eq!(a.confirmation.as_ref().unwrap().status, Status::Drift);
        assert_eq!(c.totals.failing, 0);
    }

    #[test]
    fn a_reference_measured_now_has_no_drift() {
        let base = run(&[("a", 100.0)]);
        let cur = run(&[("a", 50.0)]);
        let mut c = compare(&base, &cur, &Config::default()).unwrap();
        assert_eq!(drifted_suites(&c).len(), 1);
        c.reference = crate::gate::Reference::MeasuredNow {
            commit: "abc".into(),
            rounds: 3,
        };
        assert!(drifted_suites(&c).is_empty());
    }
}
