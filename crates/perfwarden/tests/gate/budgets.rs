//! Absolute budgets, new metrics and missing ones.

use perfwarden::gate::{CompareError, Config, Verdict, compare};
use perfwarden::results::{SuiteOutcome, SuiteStatus, Unit};

use super::compare::only;
use super::*;

pub const BUDGETS: &str = r#"
[[gate.budgets]]
match = "qdrant_search/**/latency_mean"
max = 10
unit = "ms"
note = "mean search < 10 ms"
[[gate.budgets]]
match = "qdrant_search/**/throughput"
min = 10000
[[gate.budgets]]
match = "redis_cache/**/hit_rate"
min = 90
unit = "percent"
[[gate.budgets]]
match = "ingest_parquet_s3/**/achieved_ratio"
min = 0.95
profiles = ["nightly"]
"#;

#[test]
fn a_broken_budget_fails_whatever_the_baseline_says() {
    let cfg = config(BUDGETS);
    let c = compare(
        &base(vec![lat(
            "qdrant_search",
            "mixtral/grpc/dense",
            "latency_mean",
            12.0,
        )]),
        &cur(vec![lat(
            "qdrant_search",
            "mixtral/grpc/dense",
            "latency_mean",
            11.0,
        )]),
        &cfg,
    )
    .unwrap();
    let m = only(&c);
    assert_eq!(m.relative, Verdict::Stable);
    assert_eq!(m.verdict, Verdict::BudgetBroken);
    assert!(m.fails);
    assert_eq!(m.budgets[0].max, Some(10.0));
    assert_eq!(m.budgets[0].note.as_deref(), Some("mean search < 10 ms"));
    assert_eq!(c.totals.budget_broken, 1);
    assert_eq!(c.exit_code(), 1);
}

#[test]
fn budgets_met_pass_and_min_budgets_break_below() {
    let cfg = config(BUDGETS);
    let c = compare(
        &base(vec![
            thr(
                "qdrant_search",
                "mixtral/grpc/closed_c16",
                "throughput",
                12_000.0,
            ),
            lat("qdrant_search", "mixtral/grpc/dense", "latency_mean", 4.0),
        ]),
        &cur(vec![
            thr(
                "qdrant_search",
                "mixtral/grpc/closed_c16",
                "throughput",
                12_500.0,
            ),
            lat("qdrant_search", "mixtral/grpc/dense", "latency_mean", 4.1),
        ]),
        &cfg,
    )
    .unwrap();
    assert!(c.passed());
    assert!(
        c.metrics
            .iter()
            .all(|m| m.budgets.len() == 1 && !m.budgets[0].broken)
    );
    let c = compare(
        &base(vec![thr("qdrant_search", "x", "throughput", 9_000.0)]),
        &cur(vec![thr("qdrant_search", "x", "throughput", 9_900.0)]),
        &cfg,
    )
    .unwrap();
    // +10% exactly: stable against the baseline, but under the 10,000 ops/s floor.
    assert_eq!(only(&c).relative, Verdict::Stable);
    assert_eq!(only(&c).verdict, Verdict::BudgetBroken);
}

#[test]
fn a_regression_that_also_breaks_a_budget_stays_a_regression() {
    let cfg = config(BUDGETS);
    let c = compare(
        &base(vec![lat("qdrant_search", "b", "latency_mean", 9.0)]),
        &cur(vec![lat("qdrant_search", "b", "latency_mean", 10.5)]),
        &cfg,
    )
    .unwrap();
    let m = only(&c);
    assert_eq!(m.verdict, Verdict::Regression);
    assert!(m.budget_broken());
    assert_eq!(c.totals.regression, 1);
    assert_eq!(c.totals.budget_broken, 1);
    assert_eq!(c.totals.failing, 1);
}

#[test]
fn budgets_convert_units_and_apply_to_new_metrics() {
    let cfg = config(BUDGETS);
    let mut us = lat("qdrant_search", "b", "latency_mean", 12_000.0);
    us.unit = Unit::Microseconds;
    let mut ratio = thr("redis_cache", "zipf/get", "hit_rate", 0.85);
    ratio.unit = Unit::Ratio;
    let c = compare(&base(vec![]), &cur(vec![us, ratio]), &cfg).unwrap();
    for m in &c.metrics {
        assert_eq!(m.relative, Verdict::New);
        assert_eq!(m.verdict, Verdict::BudgetBroken, "{}", m.id);
    }
    let lat_check = &c.metrics[0].budgets[0];
    assert_eq!(lat_check.unit, Unit::Milliseconds);
    assert!((lat_check.value - 12.0).abs() < 1e-12);
    assert!((c.metrics[1].budgets[0].value - 85.0).abs() < 1e-9);
    assert!(!c.passed());
}

#[test]
fn budgets_apply_only_to_their_profiles() {
    let cfg = config(BUDGETS);
    let metric = || {
        let mut m = thr("ingest_parquet_s3", "sustained_10k", "achieved_ratio", 0.9);
        m.unit = Unit::Ratio;
        m
    };
    let c = compare(&base(vec![metric()]), &cur(vec![metric()]), &cfg).unwrap();
    assert!(only(&c).budgets.is_empty());
    let mut nightly = cur(vec![metric()]);
    nightly.environment.profile = "nightly".into();
    let c = compare(&base(vec![metric()]), &nightly, &cfg).unwrap();
    assert!(only(&c).budget_broken());
}

#[test]
fn a_budget_in_an_incompatible_unit_is_bad_input() {
    let cfg = config("[[gate.budgets]]\nmatch = \"s/**\"\nmax = 10\nunit = \"ms\"\n");
    let err = compare(
        &base(vec![]),
        &cur(vec![thr("s", "b", "throughput", 5.0)]),
        &cfg,
    )
    .unwrap_err();
    assert!(matches!(err, CompareError::Budget { .. }));
    let msg = err.to_string();
    assert!(
        msg.contains("s/b/throughput") && msg.contains("ms") && msg.contains("ops/s"),
        "{msg}"
    );
}

#[test]
fn new_metrics_pass() {
    let c = gate(vec![], vec![lat("s", "b", "m", 1.0)]);
    assert_eq!(only(&c).verdict, Verdict::New);
    assert!(c.passed());
    assert_eq!(c.totals.new, 1);
}

#[test]
fn missing_metrics_warn_by_default_and_fail_by_config() {
    let b = || base(vec![lat("s", "b", "m", 1.0), lat("s", "b", "gone", 1.0)]);
    let c = || cur(vec![lat("s", "b", "m", 1.0)]);
    let r = compare(&b(), &c(), &Config::default()).unwrap();
    let m = r.metrics.iter().find(|m| m.metric == "gone").unwrap();
    assert_eq!(m.verdict, Verdict::Missing);
    assert!(m.baseline.is_some() && m.current.is_none());
    assert!(r.passed());
    let r = compare(&b(), &c(), &config("[gate]\nmissing = \"fail\"\n")).unwrap();
    assert!(!r.passed());
    assert_eq!(r.totals.failing, 1);
}

#[test]
fn missing_metrics_say_why_when_their_suite_was_skipped() {
    let mut c = cur(vec![lat("s", "b", "m", 1.0)]);
    c.suites.push(SuiteStatus {
        suite: "qdrant_search".into(),
        status: SuiteOutcome::Skipped,
        reason: Some("no Qdrant: set QDRANT_URL".into()),
        charts: Vec::new(),
    });
    let b = base(vec![
        lat("s", "b", "m", 1.0),
        lat("qdrant_search", "x", "latency_mean", 1.0),
    ]);
    let r = compare(&b, &c, &Config::default()).unwrap();
    let m = r
        .metrics
        .iter()
        .find(|m| m.suite == "qdrant_search")
        .unwrap();
    assert!(
        m.reason.contains("was skipped (no Qdrant: set QDRANT_URL)"),
        "{}",
        m.reason
    );
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("qdrant_search was skipped"))
    );
}
