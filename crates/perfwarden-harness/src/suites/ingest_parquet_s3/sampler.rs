//! Constant-time sampling from a fixed discrete distribution.
//!
//! The generator draws several skewed choices per event at a million events a second, so
//! a draw must cost a table lookup: the distribution is quantized into 65,536 slots
//! (largest remainder, every outcome with weight keeps at least one slot) and a 16-bit
//! random number picks a slot.

const SLOTS: usize = 1 << 16;

#[derive(Clone, Debug)]
pub(crate) struct Sampler {
    slots: Vec<u32>,
}

impl Sampler {
    /// Outcome `i` with probability proportional to `weights[i]`.
    ///
    /// # Panics
    /// When there are no weights, more than 65,536 of them, or none is positive.
    pub(crate) fn weighted(weights: &[f64]) -> Sampler {
        assert!(
            !weights.is_empty() && weights.len() <= SLOTS,
            "1..=65536 outcomes"
        );
        let positive = weights.iter().filter(|w| **w > 0.0).count();
        assert!(positive > 0, "at least one positive weight");
        let total: f64 = weights.iter().filter(|w| **w > 0.0).sum();
        // Every positive outcome gets one slot first; the rest are shared by weight.
        let spare = (SLOTS - positive) as f64;
        let mut counts: Vec<usize> = Vec::with_capacity(weights.len());
        let mut remainders: Vec<(f64, usize)> = Vec::new();
        for (i, w) in weights.iter().enumerate() {
            if *w > 0.0 {
                let exact = spare * w / total;
                counts.push(1 + exact.floor() as usize);
                remainders.push((exact - exact.floor(), i));
            } else {
                counts.push(0);
            }
        }
        let mut missing = SLOTS - counts.iter().sum::<usize>();
        remainders.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        for (_, i) in remainders.iter().cycle() {
            if missing == 0 {
                break;
            }
            counts[*i] += 1;
            missing -= 1;
        }
        let mut slots = Vec::with_capacity(SLOTS);
        for (i, c) in counts.iter().enumerate() {
            slots.extend(std::iter::repeat_n(i as u32, *c));
        }
        debug_assert_eq!(slots.len(), SLOTS);
        Sampler { slots }
    }

    /// Zipf over `n` outcomes with exponent `s`: outcome `i` has weight `1 / (i + 1)^s`.
    pub(crate) fn zipf(n: usize, s: f64) -> Sampler {
        let weights: Vec<f64> = (1..=n).map(|k| 1.0 / (k as f64).powf(s)).collect();
        Sampler::weighted(&weights)
    }

    /// The outcome for 16 random bits.
    #[inline]
    pub(crate) fn pick(&self, bits: u16) -> u32 {
        self.slots[bits as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(s: &Sampler, n: usize) -> Vec<usize> {
        let mut c = vec![0; n];
        for b in 0..=u16::MAX {
            c[s.pick(b) as usize] += 1;
        }
        c
    }

    #[test]
    fn weights_are_respected_and_every_outcome_is_reachable() {
        let s = Sampler::weighted(&[3.0, 1.0, 0.0, 1e-9]);
        let c = counts(&s, 4);
        assert_eq!(c.iter().sum::<usize>(), SLOTS);
        assert_eq!(c[2], 0, "zero weight is never drawn");
        assert_eq!(c[3], 1, "a tiny weight keeps one slot");
        let ratio = c[0] as f64 / c[1] as f64;
        assert!((ratio - 3.0).abs() < 0.01, "{ratio}");
    }

    #[test]
    fn zipf_is_skewed_and_covers_the_tail() {
        let c = counts(&Sampler::zipf(3_000, 1.0), 3_000);
        assert!(c.iter().all(|&x| x >= 1));
        assert!(c[0] > 50 * c[2_999]);
        let top_tenth: usize = c[..300].iter().sum();
        assert!(top_tenth > SLOTS / 2, "the top 10% produce most events");
    }
}
