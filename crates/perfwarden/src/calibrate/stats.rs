//! Summary statistics of one metric over repeated runs, and the threshold a false-alarm
//! budget needs. Pure functions over plain numbers.

use serde::Serialize;

/// The spread of one metric's values over the runs of a calibration.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Spread {
    pub(crate) runs: usize,
    pub(crate) min: f64,
    pub(crate) median: f64,
    pub(crate) max: f64,
    pub(crate) mean: f64,
    /// Coefficient of variation: sample standard deviation over the mean (a fraction).
    /// `None` with fewer than two runs or a mean of 0.
    pub cv: Option<f64>,
}

impl Spread {
    /// The spread of `values`; `None` when there are none or one is not finite.
    pub(crate) fn of(values: &[f64]) -> Option<Spread> {
        if values.is_empty() || values.iter().any(|v| !v.is_finite()) {
            return None;
        }
        let mut sorted = values.to_vec();
        let median = crate::gate::stats::median(&mut sorted)?;
        let n = sorted.len();
        let mean = sorted.iter().sum::<f64>() / n as f64;
        let cv = (n >= 2 && mean != 0.0).then(|| {
            let var = sorted.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
            var.sqrt() / mean.abs()
        });
        Some(Spread {
            runs: n,
            min: sorted[0],
            median,
            max: sorted[n - 1],
            mean,
            cv,
        })
    }
}

/// The smallest threshold (a fraction) at which at most `budget` (a fraction, e.g. 0.01) of
/// the observed worse-direction changes would exceed it. `worse` holds one relative change
/// per ordered pair, positive when the current run is worse than the baseline; changes in
/// the better direction count as pairs that cannot alarm. `None` when there are no pairs.
pub(crate) fn threshold_for_budget(worse: &[f64], budget: f64) -> Option<f64> {
    if worse.is_empty() {
        return None;
    }
    let mut desc: Vec<f64> = worse.iter().map(|w| w.max(0.0)).collect();
    desc.sort_by(|a, b| b.total_cmp(a));
    // With `allowed` exceedances permitted, a threshold equal to the (allowed+1)-th largest
    // change leaves exactly the `allowed` larger ones beyond it ("beyond" is strict).
    let allowed = (budget * desc.len() as f64).floor() as usize;
    Some(desc.get(allowed).copied().unwrap_or(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_of_known_values() {
        let s = Spread::of(&[10.0, 12.0, 8.0, 10.0]).unwrap();
        assert_eq!((s.min, s.median, s.max, s.mean), (8.0, 10.0, 12.0, 10.0));
        // Sample sd of (0, 2, -2, 0) is sqrt(8/3).
        assert!((s.cv.unwrap() - (8.0f64 / 3.0).sqrt() / 10.0).abs() < 1e-12);
        assert_eq!(Spread::of(&[5.0]).unwrap().cv, None);
        assert_eq!(Spread::of(&[]), None);
        assert_eq!(Spread::of(&[1.0, f64::NAN]), None);
    }

    #[test]
    fn threshold_leaves_the_budget_beyond_it() {
        // 200 pairs, 1% budget: two may exceed, so the threshold is the third largest.
        let mut worse: Vec<f64> = (0..197).map(|i| i as f64 / 1000.0).collect();
        worse.extend([0.5, 0.4, 0.3]);
        assert_eq!(threshold_for_budget(&worse, 0.01), Some(0.3));
        // Fewer than 100 pairs: none may exceed, the largest change is needed.
        assert_eq!(threshold_for_budget(&[0.01, 0.05, -0.2], 0.01), Some(0.05));
        // Only improvements: any threshold will do.
        assert_eq!(threshold_for_budget(&[-0.1, -0.2], 0.01), Some(0.0));
        assert_eq!(threshold_for_budget(&[], 0.01), None);
    }
}
