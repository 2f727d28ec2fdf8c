//! The decision rule, verdict by verdict: both directions, thresholds (default, per suite,
//! per metric), boundaries exactly at the threshold, critical, the noise rule, budgets, new
//! and missing metrics, machine-class mismatch and bad input.

use perfgate::gate::{CompareError, Comparison, Config, MetricComparison, Verdict, compare};
use perfgate::results::{Direction, SuiteOutcome, SuiteStatus, Unit};

use super::*;

fn only(c: &Comparison) -> &MetricComparison {
    assert_eq!(c.metrics.len(), 1, "{:#?}", c.metrics);
    &c.metrics[0]
}

fn verdict_of_latency(b: f64, c: f64) -> Verdict {
    only(&gate(
        vec![lat("s", "b", "latency_mean", b)],
        vec![lat("s", "b", "latency_mean", c)],
    ))
    .verdict
}

fn verdict_of_throughput(b: f64, c: f64) -> Verdict {
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

// The noise rule.

#[test]
fn overlapping_samples_make_a_change_beyond_the_threshold_inconclusive() {
    let c = gate(
        vec![with_samples(
            lat("s", "b", "m", 1.0),
            &[0.6, 1.5, 0.7, 1.4, 0.8, 1.2, 0.9, 0.9],
        )],
        vec![with_samples(
            lat("s", "b", "m", 1.2),
            &[0.7, 1.8, 0.8, 1.7, 0.9, 1.4, 1.1, 1.2],
        )],
    );
    let m = only(&c);
    assert_eq!(m.verdict, Verdict::Inconclusive);
    assert!(m.p_value.unwrap() >= 0.01);
    let [lo, hi] = m.change_interval.unwrap();
    assert!(lo < 0.0 && hi > 0.0, "{lo} {hi}");
    assert!(m.reason.contains("noise explains it"), "{}", m.reason);
    assert!(c.passed());
}

#[test]
fn samples_that_clearly_differ_make_a_regression() {
    let c = gate(
        vec![with_samples(
            lat("s", "b", "m", 1.0),
            &[0.99, 1.01, 1.0, 1.02, 0.98, 1.0],
        )],
        vec![with_samples(
            lat("s", "b", "m", 1.2),
            &[1.19, 1.21, 1.2, 1.22, 1.18, 1.2],
        )],
    );
    let m = only(&c);
    assert_eq!(m.verdict, Verdict::Regression);
    assert!(m.p_value.unwrap() < 1e-6);
    let [lo, hi] = m.change_interval.unwrap();
    assert!(lo > 0.15 && hi < 0.25, "{lo} {hi}");
    assert!(!c.passed());
}

#[test]
fn overlapping_confidence_intervals_are_inconclusive() {
    let c = gate(
        vec![with_ci(lat("s", "b", "m", 800.0), 600.0, 1000.0)],
        vec![with_ci(lat("s", "b", "m", 950.0), 750.0, 1150.0)],
    );
    assert_eq!(only(&c).verdict, Verdict::Inconclusive);
}

#[test]
fn tight_confidence_intervals_make_a_regression() {
    let c = gate(
        vec![with_ci(lat("s", "b", "m", 800.0), 790.0, 810.0)],
        vec![with_ci(lat("s", "b", "m", 950.0), 940.0, 960.0)],
    );
    assert_eq!(only(&c).verdict, Verdict::Regression);
}

#[test]
fn std_dev_with_sample_count_is_evidence_too() {
    let with_sd = |m: perfgate::results::Metric, sd: f64, n: u64| {
        let mut m = m;
        m.std_dev = Some(sd);
        m.sample_count = Some(n);
        m
    };
    // A 15% rise with a 50% standard deviation over 5 samples: noise.
    let c = gate(
        vec![with_sd(lat("s", "b", "m", 10.0), 5.0, 5)],
        vec![with_sd(lat("s", "b", "m", 11.5), 5.0, 5)],
    );
    assert_eq!(only(&c).verdict, Verdict::Inconclusive);
    // The same rise over 10,000 samples with a 5% deviation: real.
    let c = gate(
        vec![with_sd(lat("s", "b", "m", 10.0), 0.5, 10_000)],
        vec![with_sd(lat("s", "b", "m", 11.5), 0.5, 10_000)],
    );
    assert_eq!(only(&c).verdict, Verdict::Regression);
}

#[test]
fn evidence_on_one_side_only_is_taken_at_face_value() {
    let c = gate(
        vec![with_samples(lat("s", "b", "m", 1.0), &[0.5, 1.5, 0.7, 1.3])],
        vec![lat("s", "b", "m", 1.2)],
    );
    let m = only(&c);
    assert_eq!(m.verdict, Verdict::Regression);
    assert_eq!(m.p_value, None);
}

#[test]
fn noise_inside_the_threshold_does_not_matter() {
    // Within the threshold, a change is stable whatever the samples say.
    let c = gate(
        vec![with_samples(lat("s", "b", "m", 1.0), &[1.0, 1.0, 1.0])],
        vec![with_samples(lat("s", "b", "m", 1.05), &[1.05, 1.05, 1.05])],
    );
    assert_eq!(only(&c).verdict, Verdict::Stable);
}

#[test]
fn calibrated_noise_raises_the_effective_threshold() {
    let noisy = |v: f64| {
        let mut m = lat("s", "b", "m", v);
        m.noise = Some(0.05);
        m
    };
    // 3.3 × 5% = 16.5%: a 12% rise is beyond the 10% threshold but within the noise floor.
    let c = gate(vec![noisy(100.0)], vec![lat("s", "b", "m", 112.0)]);
    let m = only(&c);
    assert_eq!(m.verdict, Verdict::Inconclusive);
    assert!((m.threshold - 0.165).abs() < 1e-12);
    assert_eq!(m.configured_threshold, 0.10);
    assert!(m.reason.contains("noise floor"), "{}", m.reason);
    // 20% is beyond the floor: a regression; critical only beyond twice the floor (33%).
    assert_eq!(
        only(&gate(vec![noisy(100.0)], vec![lat("s", "b", "m", 120.0)])).verdict,
        Verdict::Regression
    );
    assert_eq!(
        only(&gate(vec![noisy(100.0)], vec![lat("s", "b", "m", 125.0)])).verdict,
        Verdict::Regression
    );
    assert_eq!(
        only(&gate(vec![noisy(100.0)], vec![lat("s", "b", "m", 134.0)])).verdict,
        Verdict::Critical
    );
    // A quiet metric keeps the configured threshold.
    let mut quiet = lat("s", "b", "m", 100.0);
    quiet.noise = Some(0.01);
    let c = gate(vec![quiet], vec![lat("s", "b", "m", 112.0)]);
    assert_eq!(only(&c).verdict, Verdict::Regression);
    assert_eq!(only(&c).threshold, 0.10);
}

#[test]
fn a_zero_baseline() {
    assert_eq!(verdict_of_latency(0.0, 0.0), Verdict::Stable);
    let c = gate(
        vec![lat("s", "b", "errors", 0.0)],
        vec![lat("s", "b", "errors", 3.0)],
    );
    let m = only(&c);
    assert_eq!(m.verdict, Verdict::Critical);
    assert_eq!(m.change, None);
    assert!(m.reason.contains("baseline is 0"), "{}", m.reason);
    assert_eq!(verdict_of_throughput(0.0, 5.0), Verdict::Improvement);
}

// Budgets.

const BUDGETS: &str = r#"
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

// New and missing.

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

// Machine class, profile, bad input.

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
