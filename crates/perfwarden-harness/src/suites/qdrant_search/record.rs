//! Turning measurements into schema metrics, collected in the order they are measured so a
//! run that ends early keeps everything before the failure.

use super::measure::Serial;
use super::prepare::SetupStats;
use crate::load::LoadReport;
use crate::qdrant::QdrantError;
use crate::qdrant::client::{Protocol, Target};
use crate::record::Recorder;
use crate::suite::{Suite, strings};
use perfwarden::results::{Chart, Direction, Run, Unit};

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

/// `<head>/<tail>`, or `<head>/embedded/<tail>` for the engine in-process: its numbers get
/// ids of their own, so a gate never compares them with a server's baseline.
pub(crate) fn scoped(target: &Target, head: &str, tail: &str) -> String {
    match target.server() {
        Some(_) => format!("{head}/{tail}"),
        None => format!("{head}/{}/{tail}", Protocol::Embedded.name()),
    }
}

/// Labels every metric from `from` on with the engine that measured it, when that is the
/// engine in-process: `protocol=embedded` and `engine=qdrant-edge <version>`.
pub(crate) fn label_engine(target: &Target, run: &mut Run, from: usize) {
    if target.server().is_some() {
        return;
    }
    let engine = format!("qdrant-edge {}", engine_version());
    for m in run.metrics.iter_mut().skip(from) {
        m.labels
            .insert("protocol".into(), Protocol::Embedded.name().into());
        m.labels.insert("engine".into(), engine.clone());
    }
}

#[cfg(feature = "embedded-qdrant")]
fn engine_version() -> &'static str {
    crate::qdrant::engine::EDGE_VERSION
}

#[cfg(not(feature = "embedded-qdrant"))]
fn engine_version() -> &'static str {
    "none"
}

pub(crate) fn aborted(target: &Target, benchmark: &str, what: impl Into<String>) -> QdrantError {
    QdrantError::Aborted {
        endpoint: target.address(),
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
    // Whether the searches measured below used an index at all: a plain segment is a full
    // scan, whose latency says nothing of the HNSW graph a user runs.
    let index = &stats.index;
    rec.value(
        benchmark,
        "indexed_vectors",
        Unit::Count,
        Direction::HigherIsBetter,
        index.indexed_vectors as f64,
    )
    .labels
    .insert("points".into(), index.points.to_string());
    // Every point has a dense and a sparse vector, and Qdrant counts both.
    rec.value(
        benchmark,
        "indexed_ratio",
        Unit::Ratio,
        Direction::HigherIsBetter,
        index.indexed_vectors as f64 / (2 * index.points.max(1)) as f64,
    )
    .labels
    .insert("of".into(), "dense and sparse vectors".into());
    rec.value(
        benchmark,
        "segments",
        Unit::Count,
        Direction::LowerIsBetter,
        index.segments as f64,
    );
    rec.value(
        benchmark,
        "truth_agreement",
        Unit::Ratio,
        Direction::HigherIsBetter,
        stats.truth_agreement,
    )
    .labels
    .insert(
        "against".into(),
        "the engine's exact search (dense and filtered queries)".into(),
    );
    say(&format!(
        "{benchmark}: {} points in {:.1} s ({:.0} points/s), index ready after {:.1} s ({} of {} vectors indexed, dense and sparse, {} segments{}), ground truth {:.1} s, agreeing {:.3} with exact search",
        up.points,
        up.elapsed.as_secs_f64(),
        up.points_per_s(),
        stats.index.elapsed.as_secs_f64(),
        stats.index.indexed_vectors,
        2 * stats.index.points,
        stats.index.segments,
        if stats.index.timed_out {
            ", gave up waiting"
        } else {
            ""
        },
        stats.truth_time.as_secs_f64(),
        stats.truth_agreement
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
