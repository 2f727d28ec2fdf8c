//! The noise rule: is a change beyond the threshold real, or can the noise explain it?
//!
//! Two kinds of noise, two checks (docs/decision-rule.md says why):
//! - Within-run noise: where both sides carry samples, a standard deviation with a sample
//!   count, or a confidence interval, Welch's t-test on the two means must reject "no
//!   change" at the configured significance (p < 0.01 by default).
//! - Run-to-run noise: where a side carries the `noise` that `perfwarden calibrate` measured
//!   (coefficient of variation between runs on this machine class), a change must also
//!   exceed `noise_factor × noise`; that floor raises the effective threshold.

use super::stats::{Estimate, welch};
use crate::results::Metric;

/// The statistical evidence about one change.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Evidence {
    /// Two-sided p-value of "no change".
    pub(crate) p_value: f64,
    /// Confidence interval of the relative change (fractions), at level `1 - significance`.
    pub(crate) lower: f64,
    pub(crate) upper: f64,
}

/// The best estimate of a metric's mean and its uncertainty: raw samples first, then a
/// standard deviation with its sample count, then a confidence interval.
pub(crate) fn estimate(m: &Metric) -> Option<Estimate> {
    if let Some(e) = m.samples.as_deref().and_then(Estimate::from_samples) {
        return Some(e);
    }
    if let (Some(sd), Some(n)) = (m.std_dev, m.sample_count)
        && let Some(e) = Estimate::from_std_dev(m.value, sd, n)
    {
        return Some(e);
    }
    m.ci.and_then(|ci| Estimate::from_interval(m.value, ci.lower, ci.upper, ci.level))
}

/// Tests the change from `baseline` to `current`, when both carry evidence of their spread
/// and the baseline's mean is positive (a relative interval needs it).
pub(crate) fn test_change(
    baseline: &Metric,
    current: &Metric,
    significance: f64,
) -> Option<Evidence> {
    let b = estimate(baseline)?;
    let c = estimate(current)?;
    if b.mean <= 0.0 {
        return None;
    }
    let r = welch(&b, &c, significance);
    Some(Evidence {
        p_value: r.p_value,
        lower: r.lower / b.mean,
        upper: r.upper / b.mean,
    })
}

/// The smallest relative change the calibrated run-to-run noise cannot explain:
/// `factor × noise` of the baseline, when it carries `noise`. Calibrated noise is the
/// machine class's, committed beside the baseline; a current run's own `noise` is not
/// read: in the PR gate that run is the pull request's, and a noise it claimed would raise
/// its own threshold.
pub(crate) fn noise_floor(baseline: &Metric, factor: f64) -> Option<f64> {
    baseline.noise.map(|n| factor * n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{Direction, Interval, Unit};

    fn m(value: f64) -> Metric {
        Metric::new(
            "s",
            "b",
            "m",
            Unit::Milliseconds,
            Direction::LowerIsBetter,
            value,
        )
    }

    #[test]
    fn samples_beat_std_dev_beat_interval() {
        let mut a = m(10.0);
        a.ci = Some(Interval {
            lower: 9.0,
            upper: 11.0,
            level: 0.95,
        });
        assert!(estimate(&a).unwrap().df.is_infinite());
        a.std_dev = Some(1.0);
        a.sample_count = Some(101);
        assert_eq!(estimate(&a).unwrap().df, 100.0);
        a.samples = Some(vec![1.0, 2.0, 3.0]);
        assert_eq!(estimate(&a).unwrap().df, 2.0);
        assert_eq!(estimate(&a).unwrap().mean, 2.0);
        assert!(estimate(&m(1.0)).is_none());
    }

    #[test]
    fn relative_interval_is_against_the_baseline_mean() {
        let mut a = m(10.0);
        a.samples = Some(vec![10.0; 5]);
        let mut b = m(12.0);
        b.samples = Some(vec![12.0; 5]);
        let e = test_change(&a, &b, 0.01).unwrap();
        assert!((e.lower - 0.2).abs() < 1e-12 && (e.upper - 0.2).abs() < 1e-12);
        assert_eq!(e.p_value, 0.0);
        assert!(test_change(&a, &m(12.0), 0.01).is_none());
    }

    #[test]
    fn the_noise_floor_is_the_baselines_and_a_current_runs_claim_is_not_read() {
        let mut a = m(1.0);
        let mut b = m(1.0);
        assert_eq!(noise_floor(&a, 3.0), None);
        b.noise = Some(5.0);
        assert_eq!(
            noise_floor(&a, 3.0),
            None,
            "the current run's noise raises nothing"
        );
        a.noise = Some(0.02);
        assert_eq!(noise_floor(&a, 3.0), Some(0.06));
    }
}
