//! Latency histograms: one HdrHistogram per worker task, merged exactly at the end.
//!
//! Values are recorded in microseconds between 1 µs and 60 s with three significant
//! digits, the bounds every suite shares so histograms from different tasks, runs and
//! machines can be added together without loss.

use std::time::Duration;

use hdrhistogram::Histogram;

use perfwarden::results::hist;

/// The lowest recordable value, in microseconds.
pub const LOWEST_US: u64 = 1;
/// The highest recordable value, in microseconds (60 s); longer latencies saturate here.
pub const HIGHEST_US: u64 = 60_000_000;
/// Significant decimal digits kept.
pub const SIGFIG: u8 = 3;

/// A latency distribution in microseconds.
#[derive(Clone, Debug)]
pub struct LatencyHistogram {
    hist: Histogram<u64>,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl LatencyHistogram {
    pub fn new() -> LatencyHistogram {
        LatencyHistogram {
            hist: Histogram::new_with_bounds(LOWEST_US, HIGHEST_US, SIGFIG)
                .expect("constant histogram bounds are valid"),
        }
    }

    /// Records one latency. Sub-microsecond values count as 1 µs and values beyond 60 s
    /// as 60 s, so a recording never fails mid-run.
    pub fn record(&mut self, latency: Duration) {
        let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.hist.saturating_record(us.clamp(LOWEST_US, HIGHEST_US));
    }

    /// Adds another histogram's counts to this one (exact: no percentile averaging).
    pub fn merge(&mut self, other: &LatencyHistogram) {
        self.hist
            .add(&other.hist)
            .expect("histograms with identical bounds always add");
    }

    pub fn count(&self) -> u64 {
        self.hist.len()
    }

    /// The value at `quantile` (0..=1) in microseconds, 0 when empty.
    pub(crate) fn quantile_us(&self, quantile: f64) -> u64 {
        if self.hist.is_empty() {
            0
        } else {
            self.hist.value_at_quantile(quantile)
        }
    }

    /// Mean in microseconds, 0 when empty.
    pub(crate) fn mean_us(&self) -> f64 {
        if self.hist.is_empty() {
            0.0
        } else {
            self.hist.mean()
        }
    }

    /// The usual statistics, in milliseconds.
    pub fn summary(&self) -> LatencySummary {
        let ms = |us: u64| us as f64 / 1000.0;
        LatencySummary {
            count: self.count(),
            mean_ms: self.mean_us() / 1000.0,
            p50_ms: ms(self.quantile_us(0.50)),
            p90_ms: ms(self.quantile_us(0.90)),
            p95_ms: ms(self.quantile_us(0.95)),
            p99_ms: ms(self.quantile_us(0.99)),
            p999_ms: ms(self.quantile_us(0.999)),
            max_ms: if self.hist.is_empty() {
                0.0
            } else {
                ms(self.hist.max())
            },
        }
    }

    /// The HdrHistogram V2 + DEFLATE encoding, base64: the form the results schema stores
    /// ([`results::hist`](perfwarden::results::hist)).
    pub(crate) fn encode_base64(&self) -> String {
        hist::encode(&self.hist)
    }

    /// The inverse of [`encode_base64`](Self::encode_base64); values outside this
    /// histogram's bounds are an error.
    pub fn decode_base64(text: &str) -> Result<LatencyHistogram, String> {
        let decoded = hist::decode(text)?;
        let mut out = LatencyHistogram::new();
        out.hist
            .add(&decoded)
            .map_err(|e| format!("histogram values out of range: {e:?}"))?;
        Ok(out)
    }
}

/// Statistics of a latency distribution, in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LatencySummary {
    pub count: u64,
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_a_known_distribution() {
        let mut h = LatencyHistogram::new();
        for us in 1..=10_000u64 {
            h.record(Duration::from_micros(us));
        }
        let s = h.summary();
        assert_eq!(s.count, 10_000);
        assert!((s.p50_ms - 5.0).abs() < 0.01, "{s:?}");
        assert!((s.p99_ms - 9.9).abs() < 0.01, "{s:?}");
        assert!((s.mean_ms - 5.0).abs() < 0.01, "{s:?}");
        assert!((s.max_ms - 10.0).abs() < 0.01, "{s:?}");
    }

    #[test]
    fn merge_is_exact_and_encoding_round_trips() {
        let mut a = LatencyHistogram::new();
        let mut b = LatencyHistogram::new();
        for i in 0..1000u64 {
            a.record(Duration::from_micros(100 + i));
            b.record(Duration::from_millis(50 + i % 7));
        }
        let mut all = a.clone();
        all.merge(&b);
        assert_eq!(all.count(), 2000);
        let back = LatencyHistogram::decode_base64(&all.encode_base64()).unwrap();
        assert_eq!(back.summary(), all.summary());
        assert!(LatencyHistogram::decode_base64("not base64!").is_err());
    }

    #[test]
    fn out_of_range_values_saturate() {
        let mut h = LatencyHistogram::new();
        h.record(Duration::ZERO);
        h.record(Duration::from_secs(3600));
        assert_eq!(h.count(), 2);
        assert_eq!(h.quantile_us(0.0), 1);
        assert!(h.quantile_us(1.0) >= HIGHEST_US);
    }
}
