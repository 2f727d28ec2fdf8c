//! The little statistics the noise rule needs: Welch's t-test on two estimates of a mean.
//! The special functions (erfc and its inverse, ln Γ, the regularized incomplete beta) come
//! from `statrs`; Student's t quantile is solved here from its CDF.
//!
//! Accuracy: the tests below check the p-values and quantiles against published tables to at
//! least 5 significant digits, far more than a decision at p < 0.01 needs.

use statrs::function::{beta, erf, gamma};

/// An estimate of a mean with its standard error and the degrees of freedom behind it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Estimate {
    pub(crate) mean: f64,
    /// Standard error of `mean`.
    pub(crate) se: f64,
    /// Degrees of freedom of `se`: `n - 1` for samples, infinite when the standard error was
    /// derived from a confidence interval (a normal approximation).
    pub(crate) df: f64,
}

/// The outcome of comparing two estimates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct TestResult {
    /// `current - baseline`.
    pub(crate) diff: f64,
    /// Two-sided p-value of "the means are equal".
    pub(crate) p_value: f64,
    /// The confidence interval of `diff` at level `1 - alpha`: it excludes zero exactly when
    /// `p_value < alpha`.
    pub(crate) lower: f64,
    pub(crate) upper: f64,
}

impl Estimate {
    /// From raw samples (at least two).
    pub(crate) fn from_samples(samples: &[f64]) -> Option<Estimate> {
        let n = samples.len();
        if n < 2 {
            return None;
        }
        let mean = samples.iter().sum::<f64>() / n as f64;
        let var = samples.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        Some(Estimate {
            mean,
            se: (var / n as f64).sqrt(),
            df: (n - 1) as f64,
        })
    }

    /// From a standard deviation and the number of samples behind it (at least two).
    pub(crate) fn from_std_dev(mean: f64, std_dev: f64, n: u64) -> Option<Estimate> {
        if n < 2 {
            return None;
        }
        Some(Estimate {
            mean,
            se: std_dev / (n as f64).sqrt(),
            df: (n - 1) as f64,
        })
    }

    /// From a confidence interval at `level`: the half-width divided by the normal quantile.
    /// Asymmetric intervals (bootstrap ones) are treated as symmetric with their mean
    /// half-width, which is what a normal approximation can use.
    pub(crate) fn from_interval(mean: f64, lower: f64, upper: f64, level: f64) -> Option<Estimate> {
        if !(level > 0.0 && level < 1.0) || upper < lower {
            return None;
        }
        let z = normal_quantile(0.5 + level / 2.0);
        Some(Estimate {
            mean,
            se: (upper - lower) / 2.0 / z,
            df: f64::INFINITY,
        })
    }
}

/// Welch's unequal-variances t-test of `current` against `baseline`, two-sided.
pub(crate) fn welch(baseline: &Estimate, current: &Estimate, alpha: f64) -> TestResult {
    let diff = current.mean - baseline.mean;
    let (v1, v2) = (baseline.se.powi(2), current.se.powi(2));
    let se = (v1 + v2).sqrt();
    if !se.is_finite() || !diff.is_finite() {
        // Numbers too large to square: no evidence either way.
        return TestResult {
            diff,
            p_value: 1.0,
            lower: f64::NEG_INFINITY,
            upper: f64::INFINITY,
        };
    }
    if se == 0.0 {
        // No spread on either side: every difference is real, none is noise.
        let p_value = if diff == 0.0 { 1.0 } else { 0.0 };
        return TestResult {
            diff,
            p_value,
            lower: diff,
            upper: diff,
        };
    }
    // Welch-Satterthwaite; a side with infinite df contributes nothing to the denominator.
    let term = |v: f64, df: f64| if df.is_finite() { v * v / df } else { 0.0 };
    let denom = term(v1, baseline.df) + term(v2, current.df);
    let df = if denom > 0.0 {
        (v1 + v2).powi(2) / denom
    } else {
        f64::INFINITY
    };
    let t = diff / se;
    let q = t_quantile(1.0 - alpha / 2.0, df);
    TestResult {
        diff,
        p_value: t_two_sided_p(t, df),
        lower: diff - q * se,
        upper: diff + q * se,
    }
}

/// Above this many degrees of freedom Student's t is the normal distribution for our purposes.
const NORMAL_DF: f64 = 1e6;

/// P(|T| >= |t|) for Student's t with `df` degrees of freedom.
pub(crate) fn t_two_sided_p(t: f64, df: f64) -> f64 {
    if !t.is_finite() {
        return 0.0;
    }
    if df > NORMAL_DF {
        return erf::erfc(t.abs() / std::f64::consts::SQRT_2);
    }
    let x = df / (df + t * t);
    incomplete_beta(df / 2.0, 0.5, x).clamp(0.0, 1.0)
}

/// The `p` quantile (p > 0.5) of Student's t with `df` degrees of freedom.
pub(crate) fn t_quantile(p: f64, df: f64) -> f64 {
    let z = normal_quantile(p);
    if df > NORMAL_DF {
        return z;
    }
    if (df - 1.0).abs() < 1e-12 {
        return (std::f64::consts::PI * (p - 0.5)).tan();
    }
    if (df - 2.0).abs() < 1e-12 {
        return (2.0 * p - 1.0) * (2.0 / (4.0 * p * (1.0 - p))).sqrt();
    }
    // Cornish-Fisher start, then Newton steps on the exact CDF.
    let (z2, v) = (z * z, df);
    let mut t = z
        + (z2 * z + z) / (4.0 * v)
        + (5.0 * z2 * z2 * z + 16.0 * z2 * z + 3.0 * z) / (96.0 * v * v)
        + (3.0 * z2.powi(3) * z + 19.0 * z2 * z2 * z + 17.0 * z2 * z - 15.0 * z)
            / (384.0 * v * v * v);
    let cdf = |t: f64| 1.0 - 0.5 * t_two_sided_p(t, df);
    for _ in 0..6 {
        let step = (cdf(t) - p) / t_pdf(t, df);
        t -= step;
        if !t.is_finite() || step.abs() < 1e-12 * t.abs().max(1.0) {
            break;
        }
    }
    if t.is_finite() && t > 0.0 && (cdf(t) - p).abs() < 1e-9 {
        return t;
    }
    // Newton strayed (very few degrees of freedom): bisect, which always converges.
    let (mut lo, mut hi) = (0.0, 1e7);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if cdf(mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

fn t_pdf(t: f64, df: f64) -> f64 {
    let ln = gamma::ln_gamma((df + 1.0) / 2.0)
        - gamma::ln_gamma(df / 2.0)
        - 0.5 * (df * std::f64::consts::PI).ln()
        - (df + 1.0) / 2.0 * (1.0 + t * t / df).ln();
    ln.exp()
}

/// The median of `values` (the mean of the middle two of an even count), sorting them in
/// place; `None` when there are none.
pub(crate) fn median(values: &mut [f64]) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some((values[n / 2 - 1] + values[n / 2]) / 2.0),
    }
}

/// The `p` quantile of the standard normal distribution.
pub(crate) fn normal_quantile(p: f64) -> f64 {
    -std::f64::consts::SQRT_2 * erf::erfc_inv(2.0 * p)
}

/// The regularized incomplete beta function I_x(a, b), 0 and 1 outside (0, 1).
fn incomplete_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        0.0
    } else if x >= 1.0 {
        1.0
    } else {
        beta::beta_reg(a, b, x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * b.abs().max(1e-300)
    }

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), Some(2.5));
    }

    #[test]
    fn normal_quantiles_match_tables() {
        assert!(close(normal_quantile(0.975), 1.959_963_985, 1e-8));
        assert!(close(normal_quantile(0.995), 2.575_829_304, 1e-8));
        assert!(close(normal_quantile(0.001), -3.090_232_306, 1e-8));
    }

    #[test]
    fn t_distribution_matches_tables() {
        // Two-sided 5% critical values: df 10 -> 2.228139, df 30 -> 2.042272.
        assert!(close(t_two_sided_p(2.228_139, 10.0), 0.05, 1e-5));
        assert!(close(t_two_sided_p(2.042_272, 30.0), 0.05, 1e-5));
        assert!(close(t_quantile(0.975, 10.0), 2.228_139, 1e-6));
        assert!(close(t_quantile(0.995, 5.0), 4.032_143, 1e-6));
        assert!(close(t_quantile(0.995, 3.5), 4.9, 0.05));
        // Welch's degrees of freedom are fractional and can be barely above 1.
        for df in [1.01, 1.3, 1.5, 1.99, 2.5, 3.0] {
            let t = t_quantile(0.995, df);
            assert!(
                close(1.0 - 0.5 * t_two_sided_p(t, df), 0.995, 1e-8),
                "df {df}: {t}"
            );
        }
        assert!(close(t_quantile(0.975, 1.0), 12.706_205, 1e-6));
        assert!(close(t_quantile(0.975, 2.0), 4.302_653, 1e-6));
        assert!(close(t_two_sided_p(1.959_964, f64::INFINITY), 0.05, 1e-5));
        assert_eq!(t_two_sided_p(0.0, 7.0), 1.0);
    }

    #[test]
    fn welch_separates_clearly_different_samples() {
        let a = Estimate::from_samples(&[10.0, 10.2, 9.9, 10.1, 9.8, 10.0]).unwrap();
        let b = Estimate::from_samples(&[12.0, 12.1, 11.9, 12.2, 11.8, 12.0]).unwrap();
        let r = welch(&a, &b, 0.01);
        assert!(r.p_value < 1e-6, "{r:?}");
        assert!(r.lower > 0.0 && r.upper > r.lower);
    }

    #[test]
    fn welch_does_not_separate_overlapping_samples() {
        let a = Estimate::from_samples(&[10.0, 14.0, 8.0, 12.0, 9.0]).unwrap();
        let b = Estimate::from_samples(&[11.0, 15.0, 9.0, 13.0, 10.5]).unwrap();
        let r = welch(&a, &b, 0.01);
        assert!(r.p_value > 0.1, "{r:?}");
        assert!(r.lower < 0.0 && r.upper > 0.0);
    }

    #[test]
    fn interval_estimates_use_the_normal_quantile() {
        let e = Estimate::from_interval(10.0, 9.0, 11.0, 0.95).unwrap();
        assert!(close(e.se, 1.0 / 1.959_964, 1e-6));
        assert!(e.df.is_infinite());
        assert!(Estimate::from_interval(10.0, 9.0, 11.0, 1.0).is_none());
    }

    #[test]
    fn overflowing_spread_is_no_evidence() {
        let a = Estimate::from_samples(&[1e300, -1e300, 1e300]).unwrap();
        let b = Estimate::from_samples(&[1.0, 2.0, 3.0]).unwrap();
        assert_eq!(welch(&a, &b, 0.01).p_value, 1.0);
    }

    #[test]
    fn zero_spread_makes_every_difference_real() {
        let a = Estimate::from_samples(&[5.0, 5.0, 5.0]).unwrap();
        let b = Estimate::from_samples(&[6.0, 6.0, 6.0]).unwrap();
        assert_eq!(welch(&a, &b, 0.01).p_value, 0.0);
        assert_eq!(welch(&a, &a, 0.01).p_value, 1.0);
    }
}
