//! Turning measurements into schema metrics, collected in the order they are measured so a
//! run that ends early keeps everything before the failure.

use super::measure::Serial;
use super::prepare::SetupStats;
use crate::load::LoadReport;
use crate::qdrant::QdrantError;
use crate::qdrant::client::Target;
use crate::record::Recorder;
use crate::suite::{Suite, strings};
use perfwarden::results::{Chart, Direction, Unit};

/// The suite's name in results, and its chart: latency percentiles per benchmark.
pub const SUITE: Suite = Suite::new("qdrant_search", charts);

fn charts() -> Vec<Chart> {
    vec![Chart::Percentiles {
        title: "Latency percentiles per collection".into(),
        metrics: strings(&["latency_p50", "latency_p95", "latency_p99"]),
        labels: strings(&["p50", "p95", "p99"]),
    }]
}

pub(crate) fn say(line: &str) {
    SUITE.say(line);
}

pub(crate) fn aborted(target: &Target, benchmark: &str, what: impl Into<String>) -> QdrantError {
    QdrantError::Aborted {
        endpoint: target.grpc_url.clone(),
        benchmark: benchmark.to_string(),
        what: what.into(),
    }
}

/// Records a setup's metrics under `benchmark` (`mixtral/setup`).
pub(crate) fn record_setup(rec: &mut Recorder, benchmark: &str, stats: &SetupStats) {
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
pub(crate) fn record_serial(rec: &mut Recorder, benchmark: &str, s: &Serial) {
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
    rec: &mut Recorder,
    target: &Target,
    benchmark: &str,
    report: &LoadReport,
) -> Result<(), QdrantError> {
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
