//! The noise rule: where both sides carry samples, a standard deviation or an interval, a
//! change beyond the threshold counts only when Welch's t-test says it is real; calibrated
//! run-to-run noise raises the threshold.

use perfwarden::gate::Verdict;

use super::compare::{only, verdict_of_latency, verdict_of_throughput};
use super::*;

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
    let with_sd = |m: perfwarden::results::Metric, sd: f64, n: u64| {
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
