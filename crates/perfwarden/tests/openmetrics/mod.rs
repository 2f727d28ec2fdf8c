//! `perfwarden export --format openmetrics`: the exposition as exact text, read back by
//! independent parsers (the `prometheus-parse` crate always; promtool and a real Pushgateway
//! where Debian's `prometheus` and `prometheus-pushgateway` packages are installed), and the
//! Grafana dashboard checked against what the exposition really contains.

mod dashboard;
mod parse;
mod promtool;
mod push;

use perfwarden::gate::{Comparison, Config, compare};
use perfwarden::report::openmetrics;
use perfwarden::results::{
    Direction, Environment, Histogram, MergeRule, Metric, Run, Stat, SuiteOutcome, SuiteStatus,
    Unit, hist,
};

/// The latencies (µs) recorded by the sample run's load test: 1..=1000 × 10 µs.
pub fn recorded() -> hdrhistogram::Histogram<u64> {
    let mut h = hdrhistogram::Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap();
    for v in 1..=1000u64 {
        h.record(v * 10).unwrap();
    }
    h
}

fn env(commit: &str) -> Environment {
    Environment {
        machine_class: "gha-ubuntu-2core".into(),
        cpu_model: "AMD EPYC 7763".into(),
        cores: 2,
        os: "Ubuntu 24.04".into(),
        rustc: "rustc 1.95.0".into(),
        git_commit: Some(commit.into()),
        timestamp: "2026-11-20T10:00:00Z".into(),
        profile: "nightly".into(),
        services: Default::default(),
    }
}

/// A run shaped like the suites' own: a load test's latency percentiles from its histogram,
/// its rate and error ratio, a recall, a hit rate in percent, a count.
pub fn sample_run(commit: &str, p99_scale: f64) -> Run {
    let mut run = Run::new(env(commit));
    let h = recorded();
    let bench = "mixtral/grpc/dense";
    for (name, stat) in [
        ("latency_p50", Stat::P50),
        ("latency_p95", Stat::P95),
        ("latency_p99", Stat::P99),
    ] {
        let ms = hist::stat_value(&h, stat) / 1e3 * p99_scale;
        let mut m = Metric::new(
            "qdrant_search",
            bench,
            name,
            Unit::Milliseconds,
            Direction::LowerIsBetter,
            ms,
        )
        .label("collection", "mixtral")
        .label("mode", "open");
        m.stat = Some(stat);
        m.histogram = Some(format!("qdrant_search/{bench}/latency"));
        m.sample_count = Some(h.len());
        run.metrics.push(m);
    }
    let mut qps = Metric::new(
        "qdrant_search",
        bench,
        "qps",
        Unit::OpsPerSecond,
        Direction::HigherIsBetter,
        812.5,
    )
    .label("collection", "mixtral");
    qps.merge = Some(MergeRule::Sum);
    run.metrics.push(qps);
    run.metrics.push(
        Metric::new(
            "qdrant_search",
            bench,
            "recall_at_10",
            Unit::Ratio,
            Direction::HigherIsBetter,
            0.97,
        )
        .label("collection", "mixtral"),
    );
    run.metrics.push(Metric::new(
        "redis_cache",
        "zipf/get",
        "hit_rate",
        Unit::Percent,
        Direction::HigherIsBetter,
        93.5,
    ));
    run.metrics.push(Metric::new(
        "redis_cache",
        "zipf/get",
        "dropped",
        Unit::Count,
        Direction::LowerIsBetter,
        0.0,
    ));
    run.histograms.push(Histogram {
        id: format!("qdrant_search/{bench}/latency"),
        unit: Unit::Microseconds,
        hdr: hist::encode(&h),
    });
    run.suites = vec![
        SuiteStatus::new("qdrant_search", SuiteOutcome::Passed, None),
        SuiteStatus::new("redis_cache", SuiteOutcome::Passed, None),
    ];
    run
}

/// The sample run gated against a baseline whose latencies were 30% lower: regressions.
pub fn sample_comparison() -> (Run, Comparison) {
    let current = sample_run("a1b2c3d4", 1.0);
    let baseline = sample_run("0f0e0d0c", 1.0 / 1.3);
    let c = compare(&baseline, &current, &Config::default()).unwrap();
    (current, c)
}

/// The exposition of the gated sample run.
pub fn sample_text() -> String {
    let (run, c) = sample_comparison();
    openmetrics::render(&run, Some(&c)).unwrap()
}

/// Sample lines (not comments) of an exposition.
pub fn samples(text: &str) -> impl Iterator<Item = &str> {
    text.lines().filter(|l| !l.starts_with('#'))
}

/// `perfwarden export --current <run.json> ARGS` in `dir`, with `run` written to `run.json`.
pub fn export(dir: &std::path::Path, run: &Run, args: &[&str]) -> std::process::Output {
    let file = dir.join("run.json");
    std::fs::write(&file, serde_json::to_string(run).unwrap()).unwrap();
    let mut all = vec!["export", "--current", file.to_str().unwrap()];
    all.extend_from_slice(args);
    crate::cli::perfwarden(dir, &all)
}
