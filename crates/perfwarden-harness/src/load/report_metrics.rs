//! A load report as the schema's metrics: what every suite that runs the load engine writes.

use super::hist::LatencyHistogram;
use super::report::{LoadMode, LoadReport};
use perfwarden::results::{Direction, Histogram, MergeRule, Metric, Stat, Unit};

impl LoadReport {
    /// The report as schema metrics of `suite/benchmark`, with its latency histograms.
    ///
    /// Latencies are in ms and point at the histogram they were computed from (recorded in
    /// µs), so `perfwarden merge` can recompute them exactly across load machines; rates say
    /// they add up across machines.
    pub fn to_metrics(&self, suite: &str, benchmark: &str) -> (Vec<Metric>, Vec<Histogram>) {
        let (latency, hist) = latency_metrics(suite, benchmark, &self.latency);
        let mut metrics = Vec::new();
        let mut labels = vec![];
        match self.mode {
            LoadMode::Closed { concurrency } => {
                labels.push(("mode", "closed".to_string()));
                labels.push(("concurrency", concurrency.to_string()));
            }
            LoadMode::Open {
                rate,
                max_in_flight,
            } => {
                labels.push(("mode", "open".to_string()));
                labels.push(("offered_rate", format!("{rate}")));
                labels.push(("max_in_flight", max_in_flight.to_string()));
            }
            LoadMode::Users { users } => {
                labels.push(("mode", "users".to_string()));
                labels.push(("users", users.to_string()));
            }
        }
        // Little's law beside its verdict, so a reader can check it: requests in flight as
        // measured, as rate × latency gives them, and as a share of what the client allows.
        let little = self.little();
        labels.push(("in_flight", format!("{:.2}", little.in_flight)));
        labels.push((
            "little_in_flight",
            format!("{:.2}", little.little_in_flight),
        ));
        labels.push((
            "in_flight_utilisation",
            format!("{:.2}", little.utilisation),
        ));
        if let Some(why) = little.client_bound {
            labels.push(("client_bound", why));
        }
        if let Some(why) = &self.aborted {
            labels.push(("aborted", why.clone()));
        }
        let labelled = |mut m: Metric| {
            for (k, v) in &labels {
                m = m.label(*k, v.clone());
            }
            m
        };
        metrics.extend(latency.into_iter().map(labelled));
        let rate = |name: &str, value: f64, samples: Option<Vec<f64>>| {
            let mut m = Metric::new(
                suite,
                benchmark,
                name,
                Unit::OpsPerSecond,
                Direction::HigherIsBetter,
                value,
            );
            m.merge = Some(MergeRule::Sum);
            m.samples = samples;
            labelled(m)
        };
        metrics.push(rate("qps", self.throughput(), self.window_rates(false)));
        let metric = |name: &str, unit: Unit, dir: Direction, value: f64, rule: MergeRule| {
            labelled(merged(suite, benchmark, name, (unit, dir), value, rule))
        };
        let (ratio, lower) = (Unit::Ratio, Direction::LowerIsBetter);
        metrics.push(metric(
            "error_rate",
            ratio,
            lower,
            self.error_ratio(),
            MergeRule::Max,
        ));
        // Users who think send what their think times let them: the rate they achieved is
        // the result, as an open loop's is against its offered rate.
        if let LoadMode::Users { .. } | LoadMode::Open { .. } = self.mode {
            metrics.push(rate(
                "achieved_rate",
                self.achieved_rate(),
                self.window_rates(true),
            ));
        }
        if let LoadMode::Open { .. } = self.mode {
            metrics.push(metric(
                "late_ratio",
                ratio,
                lower,
                self.late_ratio(),
                MergeRule::Max,
            ));
            let dropped = self.dropped as f64;
            metrics.push(metric(
                "dropped",
                Unit::Count,
                lower,
                dropped,
                MergeRule::Sum,
            ));
            for (name, q) in [("send_lag_p50", 0.5), ("send_lag_p99", 0.99)] {
                let us = self.send_lag.quantile_us(q) as f64;
                let mut lag = metric(name, Unit::Microseconds, lower, us, MergeRule::Max);
                lag.sample_count = Some(self.send_lag.count());
                metrics.push(lag);
            }
        }
        (metrics, vec![hist])
    }
}

/// A metric of `suite/benchmark` that `perfwarden merge` combines across load machines by
/// `rule`.
pub(crate) fn merged(
    suite: &str,
    benchmark: &str,
    name: &str,
    (unit, direction): (Unit, Direction),
    value: f64,
    rule: MergeRule,
) -> Metric {
    let mut m = Metric::new(suite, benchmark, name, unit, direction, value);
    m.merge = Some(rule);
    m
}

/// Mean, p50 … p99.9 and max of `h` in ms as metrics of `suite/benchmark`, each pointing at
/// the histogram (in µs) they were computed from, which comes with them: `perfwarden merge`
/// recomputes them exactly from the sum of several machines' histograms.
pub(crate) fn latency_metrics(
    suite: &str,
    benchmark: &str,
    h: &LatencyHistogram,
) -> (Vec<Metric>, Histogram) {
    let id = format!("{suite}/{benchmark}/latency");
    let s = h.summary();
    let metrics = [
        ("latency_mean", Stat::Mean, s.mean_ms),
        ("latency_p50", Stat::P50, s.p50_ms),
        ("latency_p90", Stat::P90, s.p90_ms),
        ("latency_p95", Stat::P95, s.p95_ms),
        ("latency_p99", Stat::P99, s.p99_ms),
        ("latency_p999", Stat::P999, s.p999_ms),
        ("latency_max", Stat::Max, s.max_ms),
    ]
    .into_iter()
    .map(|(name, stat, value)| {
        let mut m = Metric::new(
            suite,
            benchmark,
            name,
            Unit::Milliseconds,
            Direction::LowerIsBetter,
            value,
        );
        m.stat = Some(stat);
        m.histogram = Some(id.clone());
        m.sample_count = Some(s.count);
        m
    })
    .collect();
    let hist = Histogram {
        id,
        unit: Unit::Microseconds,
        hdr: h.encode_base64(),
    };
    (metrics, hist)
}
