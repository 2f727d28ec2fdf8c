//! Counts and histograms per tag of a load run. A run's caller tags each request (by its
//! slot, before it is sent): a request kind and persona of a mix, a phase of a spike, a
//! window of a soak. Every request is also in the run's totals, so a tag's numbers are a
//! part of the whole, and tags merge exactly (histograms add) into any grouping of them.

use std::time::Duration;

use perfwarden::results::{Direction, Histogram, MergeRule, Metric, Unit};

use super::hist::LatencyHistogram;
use super::recorder::Failure;
use super::report_metrics::{latency_metrics, merged};

/// What the requests of one tag did.
#[derive(Clone, Debug, Default)]
pub struct TagStats {
    /// From the intended send time (open loop) or the send (closed loop), as the run's.
    pub latency: LatencyHistogram,
    /// From the actual send: the service time.
    pub service: LatencyHistogram,
    pub ok: u64,
    pub errors: u64,
    pub timeouts: u64,
}

impl TagStats {
    pub(crate) fn record(&mut self, latency: Duration, service: Duration, f: Option<&Failure>) {
        self.latency.record(latency);
        self.service.record(service);
        match f {
            None => self.ok += 1,
            Some(f) => {
                self.errors += 1;
                self.timeouts += u64::from(f.timeout);
            }
        }
    }

    /// Adds `other`'s requests to these (exact).
    pub fn merge(&mut self, other: &TagStats) {
        self.latency.merge(&other.latency);
        self.service.merge(&other.service);
        self.ok += other.ok;
        self.errors += other.errors;
        self.timeouts += other.timeouts;
    }

    /// The merge of `parts`.
    pub fn sum<'a>(parts: impl IntoIterator<Item = &'a TagStats>) -> TagStats {
        let mut all = TagStats::default();
        for p in parts {
            all.merge(p);
        }
        all
    }

    pub fn requests(&self) -> u64 {
        self.ok + self.errors
    }

    /// Errors as a fraction of the requests, 0 without requests.
    pub fn error_ratio(&self) -> f64 {
        match self.requests() {
            0 => 0.0,
            n => self.errors as f64 / n as f64,
        }
    }

    /// Latency metrics (with their histogram), `requests` and `errors` (counts that add up
    /// across machines) and `error_rate` for `suite/benchmark`.
    pub fn to_metrics(&self, suite: &str, benchmark: &str) -> (Vec<Metric>, Histogram) {
        let (mut metrics, hist) = latency_metrics(suite, benchmark, &self.latency);
        let count = |name: &str, value: u64| {
            let mut m = Metric::new(
                suite,
                benchmark,
                name,
                Unit::Count,
                Direction::LowerIsBetter,
                value as f64,
            );
            m.merge = Some(MergeRule::Sum);
            m
        };
        // More requests of a kind is neither better nor worse; the count is gated off by
        // its direction only where a config says so. Errors: fewer is better.
        let mut requests = count("requests", self.requests());
        requests.direction = Direction::HigherIsBetter;
        metrics.push(requests);
        metrics.push(count("errors", self.errors));
        let ratio = (Unit::Ratio, Direction::LowerIsBetter);
        let rate = merged(
            suite,
            benchmark,
            "error_rate",
            ratio,
            self.error_ratio(),
            MergeRule::Max,
        );
        metrics.push(rate);
        (metrics, hist)
    }

    /// `n ok, m errors, p50 … p99 … ms` for a report line.
    pub fn one_line(&self) -> String {
        let s = self.latency.summary();
        format!(
            "{} ok, {} errors, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            self.ok, self.errors, s.p50_ms, s.p99_ms, s.max_ms
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_sum_to_the_whole_exactly() {
        let ms = Duration::from_millis;
        let mut a = TagStats::default();
        let mut b = TagStats::default();
        a.record(ms(1), ms(1), None);
        a.record(ms(3), ms(2), Some(&Failure::timeout(ms(3))));
        b.record(ms(7), ms(7), None);
        let all = TagStats::sum([&a, &b]);
        assert_eq!((all.ok, all.errors, all.timeouts), (2, 1, 1));
        assert_eq!(all.latency.count(), 3);
        assert_eq!(all.error_ratio(), 1.0 / 3.0);
        let (metrics, hist) = all.to_metrics("s", "mix/kind/dense");
        assert_eq!(hist.id, "s/mix/kind/dense/latency");
        let get = |n: &str| metrics.iter().find(|m| m.metric == n).unwrap().value;
        assert_eq!((get("requests"), get("errors")), (3.0, 1.0));
        assert_eq!(get("latency_max"), all.latency.summary().max_ms);
    }
}
