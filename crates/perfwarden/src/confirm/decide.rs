//! The paired decision: baseline and current runs alternate (A B A B …), so each round's
//! pair saw the same state of the machine, and the ratio within a pair cancels the drift
//! that moved both. A flagged change is confirmed when a large majority of the paired
//! ratios lie beyond the threshold in the worse direction; otherwise it was drift.

use serde::Serialize;

use crate::results::Direction;

/// What re-measuring said about one flagged metric.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Status {
    /// Most paired ratios are beyond the threshold in the worse direction: a regression.
    Confirmed,
    /// The paired ratios do not bear the change out: the machine moved, not the code.
    Drift,
    /// Not re-measured; the reason says why (an unknown baseline commit, a failed build).
    Unconfirmed { reason: String },
}

impl Status {
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Confirmed => "confirmed",
            Status::Drift => "drift",
            Status::Unconfirmed { .. } => "unconfirmed",
        }
    }
}

/// The paired evidence about one metric.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Paired {
    /// Per round, current / baseline, oriented so that above 1 is worse.
    pub worse_ratios: Vec<f64>,
    /// How many of them lie beyond `1 + threshold`.
    pub beyond: usize,
    /// How many must, for the change to be confirmed.
    pub needed: usize,
    /// The geometric mean of the worse ratios minus 1 (the paired change, worse positive).
    pub paired_change: f64,
}

/// How many of `rounds` paired ratios must lie beyond the threshold: 80%, rounded up (all
/// of 3 or 4, 4 of 5, 8 of 10).
pub fn needed(rounds: usize) -> usize {
    (rounds * 4).div_ceil(5)
}

/// Decides on paired values `(baseline, current)` of one metric. `None` when a pair has a
/// value that is not positive (no ratio), or there are no pairs.
pub fn decide(
    pairs: &[(f64, f64)],
    direction: Direction,
    threshold: f64,
) -> Option<(Status, Paired)> {
    if pairs.is_empty() || pairs.iter().any(|&(a, b)| !(a > 0.0 && b > 0.0)) {
        return None;
    }
    let worse_ratios: Vec<f64> = pairs
        .iter()
        .map(|&(a, b)| match direction {
            Direction::LowerIsBetter => b / a,
            Direction::HigherIsBetter => a / b,
        })
        .collect();
    let beyond = worse_ratios
        .iter()
        .filter(|r| **r > 1.0 + threshold)
        .count();
    let need = needed(pairs.len());
    let log_mean = worse_ratios.iter().map(|r| r.ln()).sum::<f64>() / pairs.len() as f64;
    let status = if beyond >= need {
        Status::Confirmed
    } else {
        Status::Drift
    };
    Some((
        status,
        Paired {
            worse_ratios,
            beyond,
            needed: need,
            paired_change: log_mean.exp() - 1.0,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_real_slowdown_is_confirmed_through_drift() {
        // The machine drifts by ±30% between rounds; the code is 20% slower in every pair.
        let pairs = [
            (100.0, 120.0),
            (130.0, 156.0),
            (70.0, 84.0),
            (100.0, 121.0),
            (90.0, 108.0),
        ];
        let (status, p) = decide(&pairs, Direction::LowerIsBetter, 0.10).unwrap();
        assert_eq!(status, Status::Confirmed);
        assert_eq!((p.beyond, p.needed), (5, 4));
        assert!((p.paired_change - 0.202).abs() < 0.01);
    }

    #[test]
    fn drift_between_runs_is_not_a_regression() {
        // Throughput: the baseline's run was on a quiet machine; paired, nothing changed.
        let pairs = [(100.0, 98.0), (80.0, 81.0), (95.0, 90.0)];
        let (status, p) = decide(&pairs, Direction::HigherIsBetter, 0.10).unwrap();
        assert_eq!(status, Status::Drift);
        assert_eq!(p.beyond, 0);
        // One noisy pair out of three is not enough either.
        let pairs = [(100.0, 70.0), (80.0, 81.0), (95.0, 90.0)];
        assert_eq!(
            decide(&pairs, Direction::HigherIsBetter, 0.10).unwrap().0,
            Status::Drift
        );
    }

    #[test]
    fn majority_rule_and_bad_values() {
        assert_eq!([1, 3, 4, 5, 10].map(needed), [1, 3, 4, 4, 8]);
        assert_eq!(decide(&[], Direction::LowerIsBetter, 0.1), None);
        assert_eq!(decide(&[(0.0, 1.0)], Direction::LowerIsBetter, 0.1), None);
    }
}
