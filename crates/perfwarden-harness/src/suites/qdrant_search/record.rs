//! Turning measurements into schema metrics, collected in the order they are measured so a
//! run that ends early keeps everything before the failure.

use super::client::Target;
use super::error::SuiteError;
use super::measure::Serial;
use super::prepare::SetupStats;
use crate::load::{LatencyHistogram, LoadReport};
use perfwarden::results::{Direction, Histogram, MergeRule, Metric, Run, Stat, Unit};

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

pub(crate) fn say(line: &str) {
    eprintln!("qdrant_search: {line}");
}

pub(crate) fn aborted(target: &Target, benchmark: &str, what: impl Into<String>) -> SuiteError {
    SuiteError::Aborted {
        endpoint: target.grpc_url.clone(),
        benchmark: benchmark.to_string(),
        what: what.into(),
    }
}

/// Records a setup's metrics under `benchmark` (`mixtral/setup`).
pub(crate) fn record_setup(rec: &mut Collector, benchmark: &str, stats: &SetupStats) {
    let up = stats.upload;
    rec.value(
        benchmark,
        "upsert_points_per_s",
        Unit::PointsPerSecond,
        Direction::HigherIsBetter,
        up.points_per_s(),
    )
    .sample_count = Some(up.points);
    rec.value(
        benchmark,
        "upsert_time",
        Unit::Seconds,
        Direction::LowerIsBetter,
        up.elapsed.as_secs_f64(),
    );
    let m = rec.value(
        benchmark,
        "index_wait",
        Unit::Seconds,
        Direction::LowerIsBetter,
        stats.index.elapsed.as_secs_f64(),
    );
    m.labels.insert(
        "indexed_vectors".into(),
        stats.index.indexed_vectors.to_string(),
    );
    m.labels
        .insert("segments".into(), stats.index.segments.to_string());
    if stats.index.timed_out {
        m.labels.insert("timed_out".into(), "true".into());
    }
    say(&format!(
        "{benchmark}: {} points in {:.1} s ({:.0} points/s), index ready after {:.1} s ({} of {} vectors indexed, {} segments{}), ground truth {:.1} s",
        up.points,
        up.elapsed.as_secs_f64(),
        up.points_per_s(),
        stats.index.elapsed.as_secs_f64(),
        stats.index.indexed_vectors,
        stats.index.points,
        stats.index.segments,
        if stats.index.timed_out {
            ", gave up waiting"
        } else {
            ""
        },
        stats.truth_time.as_secs_f64()
    ));
}

/// Records serial latency, recall and server time under `benchmark`.
pub(crate) fn record_serial(rec: &mut Collector, benchmark: &str, s: &Serial) {
    rec.latency(benchmark, "latency", &s.latency);
    let m = rec.value(
        benchmark,
        "recall_at_10",
        Unit::Ratio,
        Direction::HigherIsBetter,
        s.recall_mean,
    );
    m.sample_count = Some(s.queries);
    rec.latency(benchmark, "server_time", &s.server);
    let all = s.queries + s.errors;
    let ratio = if all > 0 {
        s.errors as f64 / all as f64
    } else {
        0.0
    };
    rec.value(
        benchmark,
        "error_rate",
        Unit::Ratio,
        Direction::LowerIsBetter,
        ratio,
    );
    let (l, srv) = (s.latency.summary(), s.server.summary());
    say(&format!(
        "{benchmark}: mean {:.2} ms, p50 {:.2}, p95 {:.2}, p99 {:.2}; server mean {:.2} ms; recall@10 {:.3}; {} errors{}",
        l.mean_ms,
        l.p50_ms,
        l.p95_ms,
        l.p99_ms,
        srv.mean_ms,
        s.recall_mean,
        s.errors,
        s.first_error
            .as_deref()
            .map(|e| format!(" (first: {e})"))
            .unwrap_or_default()
    ));
}

pub(crate) fn record_load(
    rec: &mut Collector,
    target: &Target,
    benchmark: &str,
    report: &LoadReport,
) -> Result<(), SuiteError> {
    rec.load(benchmark, report);
    say(&report.one_line());
    match &report.aborted {
        Some(why) => Err(aborted(
            target,
            benchmark,
            format!(
                "{why}; first error: {}",
                report.error_samples.first().map_or("none", |s| s)
            ),
        )),
        None => Ok(()),
    }
}
