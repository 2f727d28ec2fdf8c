//! Least-squares curves through (size, value) points, for extrapolating how cost grows.
//!
//! HNSW search visits roughly O(log n) nodes, so latency is fitted as `a + b·ln n`;
//! throughput, upload and indexing times are fitted as power laws `a·n^b`, whose exponent
//! says directly how they scale (b ≈ 1: linear). Either way an extrapolation far beyond the
//! measured sizes is a guess, and is labelled as one wherever it is reported.

/// The shape of a fitted curve.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Model {
    /// `y = a + b·ln x`
    Log,
    /// `y = a·x^b`
    Power,
}

/// A fitted curve.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Fit {
    pub model: Model,
    pub a: f64,
    pub b: f64,
    /// Coefficient of determination in the space the fit was made (R², 1 = perfect).
    pub r2: f64,
    pub points: usize,
}

impl Fit {
    pub(crate) fn predict(&self, x: f64) -> f64 {
        match self.model {
            Model::Log => self.a + self.b * x.ln(),
            Model::Power => self.a * x.powf(self.b),
        }
    }

    /// The curve in words, e.g. `y = 1.2 + 0.31·ln(n), R² 0.98 over 3 sizes`.
    pub(crate) fn describe(&self) -> String {
        let curve = match self.model {
            Model::Log => format!("y = {:.4} + {:.4}·ln(n)", self.a, self.b),
            Model::Power => format!("y = {:.4e}·n^{:.3}", self.a, self.b),
        };
        format!("{curve}, R² {:.3} over {} sizes", self.r2, self.points)
    }
}

/// Fits `model` to the points; None with fewer than two distinct sizes, or non-positive
/// values where the model needs logarithms.
pub(crate) fn fit(model: Model, xs: &[f64], ys: &[f64]) -> Option<Fit> {
    if xs.len() != ys.len() || xs.iter().any(|&x| x <= 0.0 || !x.is_finite()) {
        return None;
    }
    let lx: Vec<f64> = xs.iter().map(|x| x.ln()).collect();
    let ty: Vec<f64> = match model {
        Model::Log => ys.to_vec(),
        Model::Power => {
            if ys.iter().any(|&y| y <= 0.0 || !y.is_finite()) {
                return None;
            }
            ys.iter().map(|y| y.ln()).collect()
        }
    };
    let (intercept, slope, r2) = linear(&lx, &ty)?;
    let a = match model {
        Model::Log => intercept,
        Model::Power => intercept.exp(),
    };
    Some(Fit {
        model,
        a,
        b: slope,
        r2,
        points: xs.len(),
    })
}

/// Ordinary least squares `y = intercept + slope·x`, with R².
fn linear(x: &[f64], y: &[f64]) -> Option<(f64, f64, f64)> {
    let n = x.len() as f64;
    let mx = x.iter().sum::<f64>() / n;
    let my = y.iter().sum::<f64>() / n;
    let sxx: f64 = x.iter().map(|v| (v - mx).powi(2)).sum();
    if x.len() < 2 || sxx < 1e-12 {
        return None;
    }
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let slope = sxy / sxx;
    let intercept = my - slope * mx;
    let ss_tot: f64 = y.iter().map(|v| (v - my).powi(2)).sum();
    let ss_res: f64 = x
        .iter()
        .zip(y)
        .map(|(a, b)| (b - intercept - slope * a).powi(2))
        .sum();
    let r2 = if ss_tot > 0.0 {
        1.0 - ss_res / ss_tot
    } else {
        1.0
    };
    Some((intercept, slope, r2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_known_curves() {
        let xs = [1e4, 1e5, 1e6];
        let ys: Vec<f64> = xs.iter().map(|x: &f64| 2.0 + 0.5 * x.ln()).collect();
        let f = fit(Model::Log, &xs, &ys).unwrap();
        assert!((f.a - 2.0).abs() < 1e-9 && (f.b - 0.5).abs() < 1e-9 && f.r2 > 0.999999);
        assert!((f.predict(1e8) - (2.0 + 0.5 * 1e8f64.ln())).abs() < 1e-9);

        let ys: Vec<f64> = xs.iter().map(|x| 3e-5 * x.powf(1.1)).collect();
        let f = fit(Model::Power, &xs, &ys).unwrap();
        assert!((f.b - 1.1).abs() < 1e-9, "{f:?}");
        assert!((f.predict(1e8) / (3e-5 * 1e8f64.powf(1.1)) - 1.0).abs() < 1e-9);
        assert!(f.describe().contains("over 3 sizes"));
    }

    #[test]
    fn refuses_what_cannot_be_fitted() {
        assert!(fit(Model::Log, &[10.0], &[1.0]).is_none());
        assert!(fit(Model::Log, &[10.0, 10.0], &[1.0, 2.0]).is_none());
        assert!(fit(Model::Power, &[10.0, 100.0], &[0.0, 2.0]).is_none());
    }
}
