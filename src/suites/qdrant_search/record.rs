//! Turning measurements into schema metrics, collected in the order they are measured so a
//! run that ends early keeps everything before the failure.

use crate::load::{LatencyHistogram, LoadReport};
use crate::results::{Direction, Histogram, MergeRule, Metric, Run, Stat, Unit};

/// The suite's name in results.
pub const SUITE: &str = "qdrant_search";

/// Appends metrics to a run.
pub struct Collector<'a> {
    pub run: &'a mut Run,
}

impl Collector<'_> {
    pub fn push(&mut self, metric: Metric) {
        self.run.metrics.push(metric);
    }

    /// A plain metric of this suite.
    pub fn value(
        &mut self,
        benchmark: &str,
        metric: &str,
        unit: Unit,
        direction: Direction,
        value: f64,
    ) -> &mut Metric {
        self.run.metrics.push(Metric::new(
            SUITE, benchmark, metric, unit, direction, value,
        ));
        self.run.metrics.last_mut().expect("just pushed")
    }

    /// `{prefix}_mean`, `_p50`, `_p95`, `_p99` in ms from a µs histogram, which is stored
    /// with the run so the statistics can be recomputed (and merged across machines).
    pub fn latency(&mut self, benchmark: &str, prefix: &str, hist: &LatencyHistogram) {
        if hist.count() == 0 {
            return;
        }
        let id = format!("{SUITE}/{benchmark}/{prefix}");
        let s = hist.summary();
        for (suffix, stat, value) in [
            ("mean", Stat::Mean, s.mean_ms),
            ("p50", Stat::P50, s.p50_ms),
            ("p95", Stat::P95, s.p95_ms),
            ("p99", Stat::P99, s.p99_ms),
        ] {
            let mut m = Metric::new(
                SUITE,
                benchmark,
                format!("{prefix}_{suffix}"),
                Unit::Milliseconds,
                Direction::LowerIsBetter,
                value,
            );
            m.stat = Some(stat);
            m.histogram = Some(id.clone());
            m.sample_count = Some(s.count);
            self.push(m);
        }
        self.run.histograms.push(Histogram {
            id,
            unit: Unit::Microseconds,
            hdr: hist.encode_base64(),
        });
    }

    /// A load report's metrics under `benchmark`.
    pub fn load(&mut self, benchmark: &str, report: &LoadReport) {
        let (metrics, hists) = report.to_metrics(SUITE, benchmark);
        self.run.metrics.extend(metrics);
        self.run.histograms.extend(hists);
    }

    /// A rate that adds up across load machines.
    pub fn rate(&mut self, benchmark: &str, metric: &str, unit: Unit, value: f64) -> &mut Metric {
        let m = self.value(benchmark, metric, unit, Direction::HigherIsBetter, value);
        m.merge = Some(MergeRule::Sum);
        m
    }
}
