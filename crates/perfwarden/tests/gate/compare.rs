//! The decision rule without noise: both directions, thresholds (default, per suite, per
//! metric), boundaries exactly at the threshold, critical, machine-class mismatch and bad
//! input.

use perfwarden::gate::{CompareError, Comparison, Config, MetricComparison, Verdict, compare};
use perfwarden::results::{Direction, Unit};

use super::budgets::BUDGETS;
use super::*;

pub fn only(c: &Comparison) -> &MetricComparison {
    assert_eq!(c.metrics.len(), 1, "{:#?}", c.metrics);
    &c.metrics[0]
}

pub fn verdict_of_latency(b: f64, c: f64) -> Verdict {
    only(&gate(
        vec![lat("s", "b", "latency_mean", b)],
        vec![lat("s", "b", "latency_mean", c)],
    ))
    .verdict
}

pub fn verdict_of_throughput(b: f64, c: f64) -> Verdict {
    only(&gate(
        vec![thr("s", "b", "throughput", b)],
        vec![thr("s", "b", "throughput", c)],
    ))
    .verdict
}

#[test]
fn lower_is_better_rises_are_regressions_and_falls_improvements() {
    assert_eq!(verdict_of_latency(100.0, 115.0), Verdict::Regression);
    assert_eq!(verdict_of_latency(100.0, 85.0), Verdict::Improvement);
    assert_eq!(verdict_of_latency(100.0, 105.0), Verdict::Stable);
    assert_eq!(verdict_of_latency(100.0, 95.0), Verdict::Stable);
}

#[test]
fn higher_is_better_falls_are_regressions_and_rises_improvements() {
    assert_eq!(
        verdict_of_throughput(10_000.0, 8_500.0),
        Verdict::Regression
    );
    assert_eq!(
        verdict_of_throughput(10_000.0, 11_500.0),
        Verdict::Improvement
    );
    assert_eq!(verdict_of_throughput(10_000.0, 9_500.0), Verdict::Stable);
    assert_eq!(verdict_of_throughput(10_000.0, 10_500.0), Verdict::Stable);
}

#[test]
fn exactly_at_the_threshold_is_not_beyond_it() {
    // 100 → 110 is 0.10000000000000009 in floating point: still "at" 10%.
    assert_eq!(verdict_of_latency(100.0, 110.0), Verdict::Stable);
    assert_eq!(verdict_of_latency(100.0, 90.0), Verdict::Stable);
    assert_eq!(verdict_of_throughput(100.0, 90.0), Verdict::Stable);
    assert_eq!(verdict_of_throughput(100.0, 110.0), Verdict::Stable);
    assert_eq!(verdict_of_latency(3.0, 3.3), Verdict::Stable);
    assert_eq!(verdict_of_latency(100.0, 110.001), Verdict::Regression);
    assert_eq!(verdict_of_throughput(100.0, 89.999), Verdict::Regression);
}

#[test]
fn beyond_twice_the_threshold_is_critical() {
    assert_eq!(verdict_of_latency(100.0, 120.0), Verdict::Regression);
    assert_eq!(verdict_of_latency(100.0, 120.01), Verdict::Critical);
    assert_eq!(verdict_of_throughput(1000.0, 700.0), Verdict::Critical);
    // Improvements are never critical.
    assert_eq!(verdict_of_latency(100.0, 50.0), Verdict::Improvement);
}

#[test]
fn regressions_fail_and_the_rest_pass() {
    let c = gate(
        vec![lat("s", "a", "m", 10.0), lat("s", "b", "m", 10.0)],
        vec![lat("s", "a", "m", 12.0), lat("s", "b", "m", 7.0)],
    );
    assert!(!c.passed());
    assert_eq!(c.exit_code(), 1);
    assert_eq!(c.totals.regression, 1);
    assert_eq!(c.totals.improvement, 1);
    assert_eq!(c.totals.failing, 1);
    let c = gate(
        vec![lat("s", "a", "m", 10.0)],
        vec![lat("s", "a", "m", 7.0)],
    );
    assert!(c.passed());
    assert_eq!(c.exit_code(), 0);
}

#[test]
fn the_reason_and_change_are_recorded() {
    let c = gate(vec![lat("s", "b", "m", 4.0)], vec![lat("s", "b", "m", 5.0)]);
    let m = only(&c);
    assert_eq!(m.change, Some(0.25));
    assert_eq!(m.threshold, 0.10);
    assert_eq!(m.threshold_source, "default");
    assert!(m.reason.contains("+25%"), "{}", m.reason);
    assert!(m.reason.contains("twice the 10% threshold"), "{}", m.reason);
    assert!(m.reason.contains("face value"), "{}", m.reason);
}

#[test]
fn thresholds_per_suite_and_per_metric() {
    let cfg = config(
        r#"
        [gate]
        threshold = 10
        [gate.suites.grpc_windows]
        threshold = 15
        [[gate.metrics]]
        match = "qdrant_search/**/recall_at_10"
        threshold = 2
        [[gate.metrics]]
        match = "grpc_windows/default/write/64MB/throughput"
        threshold = 30
        "#,
    );
    let b = base(vec![
        thr("grpc_windows", "default/read/1MB", "throughput", 100.0),
        thr("grpc_windows", "aggressive/read/1MB", "throughput", 100.0),
        thr("grpc_windows", "default/write/64MB", "throughput", 100.0),
        thr("qdrant_search", "mixtral/grpc/dense", "recall_at_10", 0.97),
        thr("redis_cache", "zipf", "speedup", 100.0),
    ]);
    let c = cur(vec![
        thr("grpc_windows", "default/read/1MB", "throughput", 88.0),
        thr("grpc_windows", "aggressive/read/1MB", "throughput", 84.0),
        thr("grpc_windows", "default/write/64MB", "throughput", 75.0),
        thr("qdrant_search", "mixtral/grpc/dense", "recall_at_10", 0.95),
        thr("redis_cache", "zipf", "speedup", 88.0),
    ]);
    let r = compare(&b, &c, &cfg).unwrap();
    let v = |id: &str| r.metrics.iter().find(|m| m.id == id).unwrap();
    // -12% against the suite's 15%: stable; -16%: regression.
    assert_eq!(
        v("grpc_windows/default/read/1MB/throughput").verdict,
        Verdict::Stable
    );
    let m = v("grpc_windows/aggressive/read/1MB/throughput");
    assert_eq!(m.verdict, Verdict::Regression);
    assert_eq!(m.threshold_source, "suite grpc_windows");
    // The exact id's 30% beats the suite's 15%.
    let m = v("grpc_windows/default/write/64MB/throughput");
    assert_eq!(m.verdict, Verdict::Stable);
    assert_eq!(m.threshold, 0.30);
    // Recall at 2%: -2.1% is a regression.
    assert_eq!(
        v("qdrant_search/mixtral/grpc/dense/recall_at_10").verdict,
        Verdict::Regression
    );
    // Other suites keep the default: -12% is a regression.
    assert_eq!(v("redis_cache/zipf/speedup").verdict, Verdict::Regression);
}

#[test]
fn a_metric_rule_can_report_without_gating() {
    let cfg = config("[[gate.metrics]]\nmatch = \"s/**/noisy\"\ngate = false\n");
    let c = compare(
        &base(vec![lat("s", "b", "noisy", 10.0)]),
        &cur(vec![lat("s", "b", "noisy", 20.0)]),
        &cfg,
    )
    .unwrap();
    let m = only(&c);
    assert_eq!(m.verdict, Verdict::Critical);
    assert!(!m.gated && !m.fails);
    assert!(c.passed());
}

#[test]
fn another_machine_class_warns_and_still_gates_by_default() {
    let b = run_on("laptop-m2", BASE_COMMIT, vec![lat("s", "b", "m", 1.0)]);
    let c = cur(vec![lat("s", "b", "m", 1.5)]);
    let r = compare(&b, &c, &Config::default()).unwrap();
    assert!(r.machine_mismatch && r.relative_gated);
    assert!(r.warnings[0].contains("laptop-m2") && r.warnings[0].contains("gha-ubuntu-2core"));
    assert!(!r.passed());
}

#[test]
fn another_machine_class_can_be_reported_without_gating_but_budgets_still_fail() {
    let cfg = config(&format!(
        "[gate]\nmachine_mismatch = \"warn-only\"\n{BUDGETS}"
    ));
    let b = run_on(
        "laptop-m2",
        BASE_COMMIT,
        vec![lat("qdrant_search", "b", "latency_mean", 1.0)],
    );
    let c = cur(vec![lat("qdrant_search", "b", "latency_mean", 1.5)]);
    let r = compare(&b, &c, &cfg).unwrap();
    assert!(r.machine_mismatch && !r.relative_gated);
    assert_eq!(only(&r).verdict, Verdict::Critical);
    assert!(!only(&r).fails);
    assert!(r.passed());
    let c = cur(vec![lat("qdrant_search", "b", "latency_mean", 15.0)]);
    let r = compare(&b, &c, &cfg).unwrap();
    assert!(only(&r).fails && only(&r).budget_broken());
    assert!(!r.passed());
}

#[test]
fn a_profile_mismatch_warns() {
    let mut c = cur(vec![]);
    c.environment.profile = "nightly".into();
    let r = compare(&base(vec![]), &c, &Config::default()).unwrap();
    assert!(
        r.warnings.iter().any(|w| w.contains("profile")),
        "{:?}",
        r.warnings
    );
}

#[test]
fn a_unit_mismatch_is_an_error_naming_the_metric_and_both_units() {
    let mut us = lat("s", "b", "latency_mean", 4000.0);
    us.unit = Unit::Microseconds;
    let err = compare(
        &base(vec![lat("s", "b", "latency_mean", 4.0)]),
        &cur(vec![us]),
        &Config::default(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "metric s/b/latency_mean: unit is ms in the baseline but us in the current run"
    );
}

#[test]
fn a_direction_mismatch_is_an_error() {
    let mut flipped = lat("s", "b", "m", 4.0);
    flipped.direction = Direction::HigherIsBetter;
    let err = compare(
        &base(vec![lat("s", "b", "m", 4.0)]),
        &cur(vec![flipped]),
        &Config::default(),
    )
    .unwrap_err();
    assert!(
        matches!(err, CompareError::DirectionMismatch { .. }),
        "{err}"
    );
}

#[test]
fn metrics_come_out_sorted_by_id_with_totals() {
    let c = gate(
        vec![
            lat("s", "z", "m", 1.0),
            lat("s", "a", "m", 1.0),
            lat("s", "m", "m", 1.0),
        ],
        vec![
            lat("s", "m", "m", 2.0),
            lat("s", "a", "m", 1.0),
            lat("s", "n", "m", 1.0),
        ],
    );
    let ids: Vec<&str> = c.metrics.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["s/a/m", "s/m/m", "s/n/m", "s/z/m"]);
    let t = &c.totals;
    assert_eq!(
        (t.metrics, t.stable, t.critical, t.new, t.missing),
        (4, 1, 1, 1, 1)
    );
}
