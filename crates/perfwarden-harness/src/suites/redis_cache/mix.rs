//! The query mix: which query of a finite pool each request asks.
//!
//! Real query streams repeat a few popular queries often and many others rarely; Zipf's law
//! (the query of popularity rank r asked with probability ∝ 1/r^s) is the usual model, and
//! is what makes a cache pay. A uniform mix over the same pool is the control: what the
//! cache would give without the skew. Draws are a pure function of the seed, so two runs
//! ask the same queries in the same order and their hit rates are comparable.
//!
//! Besides the draws, this module computes what a perfect cache (never evicting, never
//! failing, serving requests one at a time) would hit on them ([`ideal_hit_rate`]), and
//! the expectation over all draw sequences ([`expected_hit_rate`]). The suite reports the
//! first beside the measured hit rate: a gap means keys that do not repeat, values that
//! expire or writes that fail, not a different workload.

use std::collections::HashSet;

use rand::SeedableRng;
use rand::distr::{Distribution, Uniform};
use rand_chacha::ChaCha8Rng;
use rand_distr::Zipf;

/// How requests pick their query from the pool.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Mix {
    /// Rank r (1-based) with probability ∝ 1/r^exponent.
    Zipf { exponent: f64 },
    /// Every query equally likely.
    Uniform,
}

impl Mix {
    /// E.g. `zipf(s=1.2) over 10000 queries`.
    pub(crate) fn describe(self, pool: usize) -> String {
        match self {
            Mix::Zipf { exponent } => format!("zipf(s={exponent}) over {pool} queries"),
            Mix::Uniform => format!("uniform over {pool} queries"),
        }
    }

    /// Each query's probability, by rank (index 0 = most popular).
    pub(crate) fn probabilities(self, pool: usize) -> Vec<f64> {
        let weights: Vec<f64> = match self {
            Mix::Zipf { exponent } => (1..=pool).map(|r| (r as f64).powf(-exponent)).collect(),
            Mix::Uniform => vec![1.0; pool],
        };
        let total: f64 = weights.iter().sum();
        weights.into_iter().map(|w| w / total).collect()
    }
}

/// `count` draws of 0-based ranks from a pool of `pool` queries, seeded.
///
/// # Panics
/// When `pool` is 0 or above `u32::MAX`, or the Zipf exponent is negative or not finite.
pub fn draws(mix: Mix, pool: usize, count: usize, seed: u64) -> Vec<u32> {
    assert!(
        pool > 0 && pool <= u32::MAX as usize,
        "pool size {pool} out of range"
    );
    // Distinct streams for the two mixes, so the control is not the Zipf draws reshaped.
    let stream = match mix {
        Mix::Zipf { .. } => 0x5a49_5046,
        Mix::Uniform => 0x554e_4946,
    };
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ stream);
    match mix {
        Mix::Zipf { exponent } => {
            let zipf = Zipf::new(pool as f64, exponent).expect("a finite, non-negative exponent");
            (0..count)
                .map(|_| (zipf.sample(&mut rng) as u32).clamp(1, pool as u32) - 1)
                .collect()
        }
        Mix::Uniform => {
            let uniform = Uniform::new(0, pool as u32).expect("a non-empty pool");
            (0..count).map(|_| uniform.sample(&mut rng)).collect()
        }
    }
}

/// The hit rate of a perfect cache over `draws[from..]`, the cache holding everything
/// drawn before (requests served one at a time, nothing expiring).
pub(crate) fn ideal_hit_rate(draws: &[u32], from: usize) -> f64 {
    let mut seen = HashSet::with_capacity(draws.len().min(1 << 20));
    let mut hits = 0u64;
    for (i, &d) in draws.iter().enumerate() {
        let repeat = !seen.insert(d);
        if i >= from && repeat {
            hits += 1;
        }
    }
    let n = draws.len().saturating_sub(from);
    if n == 0 { 0.0 } else { hits as f64 / n as f64 }
}

/// The expected hit rate of a perfect cache over requests `from..to` of any draw sequence:
/// request i hits when its query was drawn by one of the i before it, which has
/// probability Σ_q p_q (1 − (1 − p_q)^i). Averaged over up to 64 evenly spaced i.
pub(crate) fn expected_hit_rate(mix: Mix, pool: usize, from: u64, to: u64) -> f64 {
    if to <= from {
        return 0.0;
    }
    let p = mix.probabilities(pool);
    let ln_miss: Vec<f64> = p.iter().map(|&p| (-p).ln_1p()).collect();
    let step = ((to - from) / 64).max(1);
    let (mut sum, mut n) = (0.0, 0u32);
    let mut i = from;
    while i < to {
        let unseen: f64 = p
            .iter()
            .zip(&ln_miss)
            .map(|(&p, &l)| p * (l * i as f64).exp())
            .sum();
        sum += 1.0 - unseen;
        n += 1;
        i += step;
    }
    sum / f64::from(n)
}

#[cfg(test)]
/// The share of `draws` that fall on the most popular `top` ranks.
pub(crate) fn top_share(draws: &[u32], top: u32) -> f64 {
    if draws.is_empty() {
        return 0.0;
    }
    draws.iter().filter(|&&d| d < top).count() as f64 / draws.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    const ZIPF: Mix = Mix::Zipf { exponent: 1.2 };

    #[test]
    fn zipf_is_skewed_and_uniform_is_not() {
        let pool = 10_000;
        let z = draws(ZIPF, pool, 50_000, 7);
        let u = draws(Mix::Uniform, pool, 50_000, 7);
        assert!(z.iter().chain(&u).all(|&d| (d as usize) < pool));
        // The top 1% of queries: about 75% of a Zipf(1.2) mix, 1% of a uniform one.
        let (zs, us) = (top_share(&z, 100), top_share(&u, 100));
        assert!((0.70..0.80).contains(&zs), "zipf top-1% share {zs}");
        assert!((0.005..0.015).contains(&us), "uniform top-1% share {us}");
        // The most popular query alone: 1/H(10000, 1.2) ≈ 21%.
        let first = z.iter().filter(|&&d| d == 0).count() as f64 / z.len() as f64;
        let p0 = ZIPF.probabilities(pool)[0];
        assert!((first - p0).abs() < 0.01, "{first} vs {p0}");
    }

    #[test]
    fn draws_are_a_function_of_the_seed() {
        assert_eq!(draws(ZIPF, 1000, 100, 1), draws(ZIPF, 1000, 100, 1));
        assert_ne!(draws(ZIPF, 1000, 100, 1), draws(ZIPF, 1000, 100, 2));
        assert_ne!(
            draws(Mix::Uniform, 1000, 100, 1),
            draws(Mix::Uniform, 1000, 100, 2)
        );
    }

    #[test]
    fn the_ideal_cache_matches_the_expectation() {
        for mix in [ZIPF, Mix::Uniform] {
            let d = draws(mix, 10_000, 20_000, 3);
            let ideal = ideal_hit_rate(&d, 14_000);
            let expected = expected_hit_rate(mix, 10_000, 14_000, 20_000);
            assert!(
                (ideal - expected).abs() < 0.02,
                "{mix:?}: ideal {ideal} vs expected {expected}"
            );
        }
        // The skew is what makes the cache pay: at the same request count the Zipf mix
        // hits far more often than the control while the cache warms.
        assert!(
            expected_hit_rate(ZIPF, 10_000, 0, 20_000)
                > expected_hit_rate(Mix::Uniform, 10_000, 0, 20_000) + 0.2
        );
    }

    #[test]
    fn small_cases_by_hand() {
        assert_eq!(ideal_hit_rate(&[1, 2, 1, 1, 3], 0), 0.4);
        assert_eq!(ideal_hit_rate(&[1, 2, 1, 1, 3], 3), 0.5);
        assert_eq!(ideal_hit_rate(&[], 0), 0.0);
        // Uniform over 2: request 1 hits with probability 1/2.
        let e = expected_hit_rate(Mix::Uniform, 2, 1, 2);
        assert!((e - 0.5).abs() < 1e-12, "{e}");
        assert_eq!(Mix::Uniform.describe(5), "uniform over 5 queries");
    }
}
