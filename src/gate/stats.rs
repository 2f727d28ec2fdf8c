//! The little statistics the noise rule needs: Welch's t-test on two estimates of a mean,
//! with Student's t and normal distributions computed here (a stats crate would be a large
//! dependency for four functions).
//!
//! Accuracy: the p-values and quantiles agree with published tables to at least 5 significant
//! digits, far more than a decision at p < 0.01 needs.

/// An estimate of a mean with its standard error and the degrees of freedom behind it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    pub mean: f64,
    /// Standard error of `mean`.
    pub se: f64,
    /// Degrees of freedom of `se`: `n - 1` for samples, infinite when the standard error was
    /// derived from a confidence interval (a normal approximation).
    pub df: f64,
}

/// The outcome of comparing two estimates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TestResult {
    /// `current - baseline`.
    pub diff: f64,
    /// Two-sided p-value of "the means are equal".
    pub p_value: f64,
    /// The confidence interval of `diff` at level `1 - alpha`: it excludes zero exactly when
    /// `p_value < alpha`.
    pub lower: f64,
    pub upper: f64,
}

impl Estimate {
    /// From raw samples (at least two).
    pub fn from_samples(samples: &[f64]) -> Option<Estimate> {
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
    pub fn from_std_dev(mean: f64, std_dev: f64, n: u64) -> Option<Estimate> {
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
    pub fn from_interval(mean: f64, lower: f64, upper: f64, level: f64) -> Option<Estimate> {
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
pub fn welch(baseline: &Estimate, current: &Estimate, alpha: f64) -> TestResult {
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
pub fn t_two_sided_p(t: f64, df: f64) -> f64 {
    if !t.is_finite() {
        return 0.0;
    }
    if df > NORMAL_DF {
        return erfc(t.abs() / std::f64::consts::SQRT_2);
    }
    let x = df / (df + t * t);
    incomplete_beta(df / 2.0, 0.5, x).clamp(0.0, 1.0)
}

/// The `p` quantile (p > 0.5) of Student's t with `df` degrees of freedom.
pub fn t_quantile(p: f64, df: f64) -> f64 {
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
    let ln = ln_gamma((df + 1.0) / 2.0)
        - ln_gamma(df / 2.0)
        - 0.5 * (df * std::f64::consts::PI).ln()
        - (df + 1.0) / 2.0 * (1.0 + t * t / df).ln();
    ln.exp()
}

/// The `p` quantile of the standard normal distribution (Acklam's rational approximation,
/// relative error below 1.2e-9).
#[allow(clippy::excessive_precision)]
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e+01,
        2.209460984245205e+02,
        -2.759285104469687e+02,
        1.383577518672690e+02,
        -3.066479806614716e+01,
        2.506628277459239e+00,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e+01,
        1.615858368580409e+02,
        -1.556989798598866e+02,
        6.680131188771972e+01,
        -1.328068155288572e+01,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-03,
        -3.223964580411365e-01,
        -2.400758277161838e+00,
        -2.549732539343734e+00,
        4.374664141464968e+00,
        2.938163982698783e+00,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-03,
        3.224671290700398e-01,
        2.445134137142996e+00,
        3.754408661907416e+00,
    ];
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    const LOW: f64 = 0.02425;
    if p < LOW {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - LOW {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// Complementary error function (Numerical Recipes' Chebyshev fit, relative error < 1.2e-7).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.26551223
            + t * (1.00002368
                + t * (0.37409196
                    + t * (0.09678418
                        + t * (-0.18628806
                            + t * (0.27886807
                                + t * (-1.13520398
                                    + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))))
            .exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

/// ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms).
fn ln_gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = G[0];
    let t = x + 7.5;
    for (i, g) in G.iter().enumerate().skip(1) {
        a += g / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// The regularized incomplete beta function I_x(a, b).
fn incomplete_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    let front = ln_front.exp();
    // The continued fraction converges fast on this side of the mean; use symmetry otherwise.
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_fraction(a, b, x) / a
    } else {
        1.0 - front * beta_fraction(b, a, 1.0 - x) / b
    }
}

/// The continued fraction of the incomplete beta function (modified Lentz).
fn beta_fraction(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..300 {
        let m = m as f64;
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        d = if d.abs() < TINY { TINY } else { d };
        c = 1.0 + aa / c;
        c = if c.abs() < TINY { TINY } else { c };
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        d = if d.abs() < TINY { TINY } else { d };
        c = 1.0 + aa / c;
        c = if c.abs() < TINY { TINY } else { c };
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < 1e-14 {
            break;
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * b.abs().max(1e-300)
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
