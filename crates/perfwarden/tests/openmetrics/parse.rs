//! The exposition as exact text, and read back by the `prometheus-parse` crate.

use std::collections::BTreeSet;

use prometheus_parse::{Scrape, Value};

use super::*;

#[test]
fn exposition_as_exact_text() {
    insta::assert_snapshot!(sample_text());
}

fn scrape(text: &str) -> Scrape {
    Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).expect("the exposition parses")
}

/// The one sample named `name` whose labels include every pair of `labels`.
fn value(s: &Scrape, name: &str, labels: &[(&str, &str)]) -> Value {
    let found: Vec<_> = s
        .samples
        .iter()
        .filter(|x| x.metric == name)
        .filter(|x| labels.iter().all(|(k, v)| x.labels.get(k) == Some(*v)))
        .collect();
    assert_eq!(found.len(), 1, "{name} {labels:?}: {found:?}");
    found[0].value.clone()
}

fn gauge(s: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    match value(s, name, labels) {
        Value::Gauge(v) => v,
        other => panic!("{name}: not a gauge: {other:?}"),
    }
}

#[test]
fn every_metric_reads_back_in_base_units_with_its_labels() {
    let (run, _) = sample_comparison();
    let s = scrape(&sample_text());
    let h = recorded();
    let dense = [
        ("suite", "qdrant_search"),
        ("benchmark", "mixtral/grpc/dense"),
        ("collection", "mixtral"),
        ("profile", "nightly"),
        ("commit", "a1b2c3d4"),
        ("machine_class", "gha-ubuntu-2core"),
    ];
    let p99 = gauge(&s, "perfwarden_latency_p99_seconds", &dense);
    assert_eq!(p99, h.value_at_quantile(0.99) as f64 / 1e6);
    let lower = [("direction", "lower_is_better")];
    gauge(&s, "perfwarden_latency_p99_seconds", &lower);
    assert_eq!(gauge(&s, "perfwarden_qps_ops_per_second", &dense), 812.5);
    assert_eq!(gauge(&s, "perfwarden_recall_at_10_ratio", &dense), 0.97);
    let zipf = [("suite", "redis_cache"), ("direction", "higher_is_better")];
    assert_eq!(gauge(&s, "perfwarden_hit_rate_ratio", &zipf), 0.935);
    assert_eq!(
        gauge(&s, "perfwarden_dropped", &[("suite", "redis_cache")]),
        0.0
    );
    // Every metric of the run is there, once; free-form labels (mode) are not.
    let gauges = s
        .samples
        .iter()
        .filter(|x| x.labels.get("direction").is_some())
        .filter(|x| x.metric != "perfwarden_metric_change_ratio");
    assert_eq!(gauges.clone().count(), run.metrics.len());
    assert!(s.samples.iter().all(|x| x.labels.get("mode").is_none()));
}

#[test]
fn the_histogram_has_cumulative_buckets_count_and_sum() {
    let s = scrape(&sample_text());
    let h = recorded();
    let Value::Histogram(buckets) = value(&s, "perfwarden_latency_seconds", &[]) else {
        panic!("not a histogram");
    };
    assert_eq!(buckets.len(), openmetrics::BUCKET_BOUNDS.len() + 1);
    assert!(buckets.windows(2).all(|w| w[0].count <= w[1].count));
    let at = |le: f64| buckets.iter().find(|b| b.less_than == le).unwrap().count;
    // 10 µs steps: 100 values up to 1 ms, 500 up to 5 ms, all 1000 up to 10 ms.
    assert_eq!(at(0.001), 100.0);
    assert_eq!(at(0.005), 500.0);
    assert_eq!(at(0.01), 1000.0);
    assert_eq!(at(f64::INFINITY), h.len() as f64);
    let count = gauge_like(&s, "perfwarden_latency_seconds_count");
    assert_eq!(count, 1000.0);
    let sum = gauge_like(&s, "perfwarden_latency_seconds_sum");
    assert!((sum - h.mean() * 1000.0 / 1e6).abs() < 1e-9, "{sum}");
}

/// `_count` and `_sum` of a histogram, which prometheus-parse keeps as untyped samples.
fn gauge_like(s: &Scrape, name: &str) -> f64 {
    match value(s, name, &[]) {
        Value::Untyped(v) | Value::Gauge(v) | Value::Counter(v) => v,
        other => panic!("{name}: {other:?}"),
    }
}

#[test]
fn the_verdicts_of_the_gate_read_back() {
    let (_, c) = sample_comparison();
    let s = scrape(&sample_text());
    assert_eq!(gauge(&s, "perfwarden_gate_passed", &[]), 0.0);
    // Latencies 30% worse: beyond twice the 10% threshold, so critical.
    assert_eq!(
        gauge(&s, "perfwarden_gate_metrics", &[("verdict", "critical")]),
        3.0
    );
    assert_eq!(
        gauge(&s, "perfwarden_gate_metrics", &[("verdict", "stable")]),
        4.0
    );
    let total: f64 = s
        .samples
        .iter()
        .filter(|x| x.metric == "perfwarden_gate_metrics")
        .map(|x| match x.value {
            Value::Gauge(v) => v,
            _ => 0.0,
        })
        .sum();
    assert_eq!(total, c.metrics.len() as f64);
    let p99 = [("metric", "latency_p99"), ("verdict", "critical")];
    assert_eq!(gauge(&s, "perfwarden_metric_verdict", &p99), 1.0);
    let change = gauge(
        &s,
        "perfwarden_metric_change_ratio",
        &[("metric", "latency_p99")],
    );
    assert!((change - 0.3).abs() < 1e-9, "{change}");
}

#[test]
fn families_are_contiguous_and_the_text_ends_with_eof() {
    let text = sample_text();
    assert!(text.ends_with("\n# EOF\n"));
    assert_eq!(text.matches("# EOF").count(), 1);
    let mut seen = BTreeSet::new();
    let mut current = String::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("# TYPE ") else {
            continue;
        };
        let family = rest.split(' ').next().unwrap().to_string();
        assert!(seen.insert(family.clone()), "{family} declared twice");
        current = family;
    }
    assert!(!current.is_empty());
    // Every sample belongs to the family declared last before it.
    let mut family = String::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            family = rest.split(' ').next().unwrap().to_string();
        } else if !line.starts_with('#') {
            assert!(line.starts_with(&family), "{line} outside {family}");
        }
    }
}

#[test]
fn the_cli_exports_a_results_file_and_refuses_push_without_openmetrics() -> anyhow::Result<()> {
    use crate::cli::{code, stderr, stdout};
    let dir = tempfile::tempdir()?;
    let (run, _) = sample_comparison();
    let out = export(dir.path(), &run, &["--format", "openmetrics"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), openmetrics::render(&run, None).unwrap());
    let gateway = "http://127.0.0.1:9";
    let out = export(
        dir.path(),
        &run,
        &["--format", "bencher", "--push", gateway],
    );
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("--format openmetrics"));
    // A push that cannot reach its gateway fails with one line naming it; --out is untouched.
    let kept = dir.path().join("kept.prom");
    std::fs::write(&kept, "earlier")?;
    let args = [
        "--format",
        "openmetrics",
        "--push",
        gateway,
        "--out",
        kept.to_str().unwrap(),
    ];
    let out = export(dir.path(), &run, &args);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("http://127.0.0.1:9/metrics/job/perfwarden"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&kept)?, "earlier");
    Ok(())
}
