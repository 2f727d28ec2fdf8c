//! A rank test for paired rounds that have no ratio: an overload counter (requests dropped,
//! an error rate, the share of late requests) is 0 in some runs and not in others, so a
//! round with 0 on one side has no paired ratio and the log-ratio bound cannot be formed.
//! The question stays the same (is the current side worse than the baseline side?), asked
//! of the values' order instead of their ratios: the one-sided Mann–Whitney test, exact by
//! permutation. Pure.
//!
//! Why not the pairs: the zeros come and go with the machine's load, not with the round,
//! so the pairing carries little; the rank test over all of both sides' runs is the one
//! that can reach 95% at three rounds (every current run worse than every baseline run:
//! 1 split in C(6, 3) = 20), where a sign test over three pairs cannot (1 in 8).

/// Up to this many rounds the p-value is exact (all C(2n, n) splits of the runs); beyond,
/// the normal approximation with the tie correction (n ≥ 9 rounds on each side).
const EXACT_UP_TO: usize = 8;

/// The one-sided p-value that `worse` (current values, oriented so that higher is worse)
/// is not stochastically above `base`: the share of equally likely relabellings of the
/// pooled runs whose U statistic is at least the observed one. `None` for unequal or
/// empty sides.
pub(crate) fn p_worse(base: &[f64], worse: &[f64]) -> Option<f64> {
    let n = base.len();
    if n == 0 || worse.len() != n {
        return None;
    }
    let pooled: Vec<f64> = worse.iter().chain(base).copied().collect();
    let observed = u_statistic(&pooled, |i| i < n);
    if n > EXACT_UP_TO {
        return Some(normal_p(&pooled, n, observed));
    }
    let (mut at_least, mut total) = (0u64, 0u64);
    for mask in 0u32..(1 << (2 * n)) {
        if mask.count_ones() as usize != n {
            continue;
        }
        total += 1;
        // A little slack so that ties counted as halves compare equal.
        if u_statistic(&pooled, |i| mask & (1 << i) != 0) >= observed - 1e-9 {
            at_least += 1;
        }
    }
    Some(at_least as f64 / total as f64)
}

/// Pairs (current, baseline) where the current run is worse, ties counting one half.
fn u_statistic(pooled: &[f64], is_current: impl Fn(usize) -> bool) -> f64 {
    let is_current = &is_current;
    let side = |current: bool| {
        pooled
            .iter()
            .enumerate()
            .filter(move |(i, _)| is_current(*i) == current)
            .map(|(_, v)| *v)
    };
    let base: Vec<f64> = side(false).collect();
    side(true)
        .flat_map(|c| {
            base.iter().map(move |b| match c.total_cmp(b) {
                std::cmp::Ordering::Greater => 1.0,
                std::cmp::Ordering::Equal => 0.5,
                std::cmp::Ordering::Less => 0.0,
            })
        })
        .sum()
}

/// The normal approximation of U's upper tail, with the correction for ties and for
/// continuity.
fn normal_p(pooled: &[f64], n: usize, u: f64) -> f64 {
    let nf = n as f64;
    let total = 2.0 * nf;
    let mut sorted = pooled.to_vec();
    sorted.sort_by(f64::total_cmp);
    let ties: f64 = sorted
        .chunk_by(|a, b| a == b)
        .map(|t| {
            let t = t.len() as f64;
            t * t * t - t
        })
        .sum();
    let var = nf * nf / 12.0 * ((total + 1.0) - ties / (total * (total - 1.0)));
    if var <= 0.0 {
        return 1.0;
    }
    let z = (u - nf * nf / 2.0 - 0.5) / var.sqrt();
    0.5 * erfc(z / std::f64::consts::SQRT_2)
}

/// The complementary error function (Numerical Recipes' erfcc, relative error < 1.2e-7).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_current_run_worse_is_one_split_in_twenty_at_three_rounds() {
        // Nothing dropped in the baseline's runs, something in every current run.
        assert_eq!(p_worse(&[0.0; 3], &[5.0, 3.0, 8.0]), Some(0.05));
        // All equal: no evidence at all.
        assert_eq!(p_worse(&[0.0; 3], &[0.0; 3]), Some(1.0));
        // The walk's `late_ratio` rounds (0.012/0, 0.012/0.012, 0/0.007): no order.
        let p = p_worse(&[0.012, 0.012, 0.0], &[0.0, 0.012, 0.007]).unwrap();
        assert!(p > 0.5, "{p}");
        assert_eq!(p_worse(&[], &[]), None);
        assert_eq!(p_worse(&[1.0], &[1.0, 2.0]), None);
    }

    #[test]
    fn the_approximation_takes_over_for_many_rounds() {
        let base = [0.0; 12];
        let worse: Vec<f64> = (1..=12).map(f64::from).collect();
        let p = p_worse(&base, &worse).unwrap();
        assert!(p < 1e-4, "{p}");
        let same: Vec<f64> = (0..12).map(|i| f64::from(i % 3)).collect();
        let p = p_worse(&same, &same).unwrap();
        assert!((0.4..0.6).contains(&p), "{p}");
        assert!((erfc(0.0) - 1.0).abs() < 1e-7 && (erfc(1.0) - 0.157_299_2).abs() < 1e-6);
    }
}
