//! The one recorder every suite writes its results with: metrics (and the histograms they
//! were computed from) appended to a run in the order they are measured, so a run that stops
//! early keeps everything measured before the stop.

use crate::load::{LatencyHistogram, LoadReport};
use perfwarden::results::{Direction, Histogram, MergeRule, Metric, Run, Stat, Unit};

/// Appends one suite's metrics (and their histograms) to a run.
pub(crate) struct Recorder<'a> {
    suite: &'static str,
    pub run: &'a mut Run,
}

impl<'a> Recorder<'a> {
    /// A recorder of `suite`'s metrics into `run`.
    pub(crate) fn new(suite: &'static str, run: &'a mut Run) -> Recorder<'a> {
        Recorder { suite, run }
    }

    pub(crate) fn suite(&self) -> &'static str {
        self.suite
    }

    pub(crate) fn push(&mut self, metric: Metric) {
        self.run.metrics.push(metric);
    }

    /// A plain metric of this suite.
    pub(crate) fn value(
        &mut self,
        benchmark: &str,
        metric: &str,
        unit: Unit,
        direction: Direction,
        value: f64,
    ) -> &mut Metric {
        self.run.metrics.push(Metric::new(
            self.suite, benchmark, metric, unit, direction, value,
        ));
        self.run.metrics.last_mut().expect("just pushed")
    }

    /// A rate (higher is better) that adds up across load machines.
    pub(crate) fn rate(
        &mut self,
        benchmark: &str,
        metric: &str,
        unit: Unit,
        value: f64,
    ) -> &mut Metric {
        let m = self.value(benchmark, metric, unit, Direction::HigherIsBetter, value);
        m.merge = Some(MergeRule::Sum);
        m
    }

    /// A count (lower is better unless said otherwise) that adds up across load machines.
    pub(crate) fn count(&mut self, benchmark: &str, metric: &str, value: u64) -> &mut Metric {
        let m = self.value(
            benchmark,
            metric,
            Unit::Count,
            Direction::LowerIsBetter,
            value as f64,
        );
        m.merge = Some(MergeRule::Sum);
        m
    }

    /// A percentage (higher is better), with the number of requests it counts.
    pub(crate) fn percent(
        &mut self,
        benchmark: &str,
        metric: &str,
        value: f64,
        n: u64,
    ) -> &mut Metric {
        let m = self.value(
            benchmark,
            metric,
            Unit::Percent,
            Direction::HigherIsBetter,
            value,
        );
        m.sample_count = Some(n);
        m
    }

    /// `{prefix}_mean`, `_p50`, `_p95`, `_p99` in ms from a µs histogram, stored with the run
    /// as `<suite>/<benchmark>/<prefix>` so the statistics can be recomputed (and merged
    /// across machines). Nothing is recorded for an empty histogram.
    pub(crate) fn latency(&mut self, benchmark: &str, prefix: &str, hist: &LatencyHistogram) {
        let names = [
            (format!("{prefix}_mean"), Stat::Mean),
            (format!("{prefix}_p50"), Stat::P50),
            (format!("{prefix}_p95"), Stat::P95),
            (format!("{prefix}_p99"), Stat::P99),
        ];
        self.stats(benchmark, prefix, hist, &names);
    }

    /// `<prefix>_p50` and `<prefix>_p99`.
    pub(crate) fn p50_p99(&mut self, benchmark: &str, prefix: &str, hist: &LatencyHistogram) {
        let names = [
            (format!("{prefix}_p50"), Stat::P50),
            (format!("{prefix}_p99"), Stat::P99),
        ];
        self.stats(benchmark, prefix, hist, &names);
    }

    /// Statistics of `hist` (µs) as ms metrics named by `names` (metric, statistic), all
    /// pointing at the histogram, stored once as `<suite>/<benchmark>/<hist_name>`. Nothing
    /// is recorded for an empty histogram.
    pub(crate) fn stats<S: AsRef<str>>(
        &mut self,
        benchmark: &str,
        hist_name: &str,
        hist: &LatencyHistogram,
        names: &[(S, Stat)],
    ) {
        if hist.count() == 0 {
            return;
        }
        let id = format!("{}/{benchmark}/{hist_name}", self.suite);
        for (name, stat) in names {
            let mut m = Metric::new(
                self.suite,
                benchmark,
                name.as_ref(),
                Unit::Milliseconds,
                Direction::LowerIsBetter,
                stat_ms(hist, *stat),
            );
            m.stat = Some(*stat);
            m.histogram = Some(id.clone());
            m.sample_count = Some(hist.count());
            self.push(m);
        }
        self.run.histograms.push(Histogram {
            id,
            unit: Unit::Microseconds,
            hdr: hist.encode_base64(),
        });
    }

    /// Metrics and their histograms as a report of the engine gives them.
    pub(crate) fn extend(&mut self, (metrics, hists): (Vec<Metric>, Vec<Histogram>)) {
        self.run.metrics.extend(metrics);
        self.run.histograms.extend(hists);
    }

    /// A load report's metrics under `benchmark`.
    pub(crate) fn load(&mut self, benchmark: &str, report: &LoadReport) {
        let (metrics, hists) = report.to_metrics(self.suite, benchmark);
        self.run.metrics.extend(metrics);
        self.run.histograms.extend(hists);
    }

    /// Sets `key=value` on every metric of `benchmark` recorded so far.
    pub(crate) fn label_all(&mut self, benchmark: &str, key: &str, value: &str) {
        let suite = self.suite;
        for m in self
            .run
            .metrics
            .iter_mut()
            .filter(|m| m.suite == suite && m.benchmark == benchmark)
        {
            m.labels.insert(key.into(), value.into());
        }
    }
}

/// A statistic of a µs histogram, in ms.
fn stat_ms(hist: &LatencyHistogram, stat: Stat) -> f64 {
    let s = hist.summary();
    match stat {
        Stat::Mean => s.mean_ms,
        Stat::P50 => s.p50_ms,
        Stat::P90 => s.p90_ms,
        Stat::P95 => s.p95_ms,
        Stat::P99 => s.p99_ms,
        Stat::P999 => s.p999_ms,
        Stat::Min => hist.quantile_us(0.0) as f64 / 1000.0,
        Stat::Max => s.max_ms,
        Stat::Count => s.count as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use perfwarden::profile::Profile;
    use perfwarden::results::Environment;
    use std::time::Duration;

    #[test]
    fn latency_statistics_point_at_their_histogram() {
        let mut run = Run::new(Environment::detect(Profile::Smoke));
        let mut hist = LatencyHistogram::new();
        for ms in 1..=100 {
            hist.record(Duration::from_millis(ms));
        }
        let mut rec = Recorder::new("s", &mut run);
        rec.latency("b", "latency", &hist);
        rec.latency("empty", "latency", &LatencyHistogram::new());
        let names: Vec<&str> = run.metrics.iter().map(|m| m.metric.as_str()).collect();
        assert_eq!(
            names,
            ["latency_mean", "latency_p50", "latency_p95", "latency_p99"]
        );
        assert!(
            run.metrics
                .iter()
                .all(|m| m.histogram.as_deref() == Some("s/b/latency"))
        );
        assert_eq!(run.metrics[1].value, hist.summary().p50_ms);
        assert_eq!(run.histograms.len(), 1);
    }
}
