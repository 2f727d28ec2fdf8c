//! Turning measurements into schema metrics, appended as they are measured so a run that
//! stops early keeps everything before the stop.

use crate::load::LatencyHistogram;
use perfwarden::results::{Direction, Histogram, MergeRule, Metric, Run, Stat, Unit};

/// The suite's name in results.
pub const SUITE: &str = "redis_cache";

/// Appends metrics (and their histograms) to a run.
pub struct Recorder<'a> {
    pub run: &'a mut Run,
}

impl Recorder<'_> {
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

    /// A count (lower is better unless said otherwise) that adds up across load machines.
    pub fn count(&mut self, benchmark: &str, metric: &str, value: u64) -> &mut Metric {
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

    /// A rate that adds up across load machines.
    pub fn rate(&mut self, benchmark: &str, metric: &str, value: f64) -> &mut Metric {
        let m = self.value(
            benchmark,
            metric,
            Unit::OpsPerSecond,
            Direction::HigherIsBetter,
            value,
        );
        m.merge = Some(MergeRule::Sum);
        m
    }

    /// A hit rate in percent, with the number of requests it counts.
    pub fn hit_rate(&mut self, benchmark: &str, metric: &str, value: f64, n: u64) -> &mut Metric {
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

    /// Percentiles of `hist` (µs) as ms metrics named by `names` (metric, percentile), all
    /// pointing at the histogram, stored once as `redis_cache/<benchmark>/<hist_name>`.
    /// Nothing is recorded for an empty histogram.
    pub fn percentiles(
        &mut self,
        benchmark: &str,
        hist_name: &str,
        hist: &LatencyHistogram,
        names: &[(&str, Stat)],
    ) {
        if hist.count() == 0 {
            return;
        }
        let id = format!("{SUITE}/{benchmark}/{hist_name}");
        for &(name, stat) in names {
            let mut m = Metric::new(
                SUITE,
                benchmark,
                name,
                Unit::Milliseconds,
                Direction::LowerIsBetter,
                hist.quantile_us(quantile(stat)) as f64 / 1000.0,
            );
            m.stat = Some(stat);
            m.histogram = Some(id.clone());
            m.sample_count = Some(hist.count());
            self.run.metrics.push(m);
        }
        self.run.histograms.push(Histogram {
            id,
            unit: Unit::Microseconds,
            hdr: hist.encode_base64(),
        });
    }

    /// `<prefix>_p50` and `<prefix>_p99`.
    pub fn p50_p99(&mut self, benchmark: &str, prefix: &str, hist: &LatencyHistogram) {
        self.percentiles(
            benchmark,
            prefix,
            hist,
            &[
                (&format!("{prefix}_p50"), Stat::P50),
                (&format!("{prefix}_p99"), Stat::P99),
            ],
        );
    }

    /// Sets `key=value` on every metric of `benchmark` recorded so far.
    pub fn label_all(&mut self, benchmark: &str, key: &str, value: &str) {
        for m in self
            .run
            .metrics
            .iter_mut()
            .filter(|m| m.suite == SUITE && m.benchmark == benchmark)
        {
            m.labels.insert(key.into(), value.into());
        }
    }
}

/// The quantile a percentile statistic stands for.
fn quantile(stat: Stat) -> f64 {
    match stat {
        Stat::P50 => 0.5,
        Stat::P90 => 0.9,
        Stat::P95 => 0.95,
        Stat::P99 => 0.99,
        Stat::P999 => 0.999,
        Stat::Min => 0.0,
        Stat::Max | Stat::Mean | Stat::Count => 1.0,
    }
}

/// One progress line on stderr.
pub fn say(line: &str) {
    eprintln!("{SUITE}: {line}");
}

/// A latency in ms for printing, from µs.
pub fn ms(hist: &LatencyHistogram, q: f64) -> f64 {
    hist.quantile_us(q) as f64 / 1000.0
}
