//! Merging load machines: histograms exactly, metrics recomputed from them, the rest by rule.

use hdrhistogram::Histogram;
use perfwarden::results::merge::{MergeError, merge_runs};
use perfwarden::results::{
    Direction, Environment, MergeRule, Metric, Run, Stat, SuiteOutcome, SuiteStatus, Unit, hist,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const SUITE: &str = "qdrant_search";
const BENCH: &str = "mixtral/grpc";

fn env(timestamp: &str) -> Environment {
    Environment {
        machine_class: "loadgen-8core".into(),
        cpu_model: "Xeon".into(),
        cores: 8,
        os: "linux".into(),
        rustc: "rustc 1.95.0".into(),
        git_commit: Some("abc123".into()),
        timestamp: timestamp.into(),
        profile: "nightly".into(),
        services: Default::default(),
    }
}

fn empty_hist() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).unwrap()
}

/// Latencies in µs as one load machine would see them: most fast, a slow tail.
fn latencies(seed: u64, n: usize, base: u64) -> Vec<u64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            let tail = if rng.random_bool(0.02) { 20 } else { 1 };
            base + rng.random_range(0..base) * tail
        })
        .collect()
}

/// One machine's run: latency metrics from its histogram, a throughput that adds up, a recall
/// that is only as good as the worst machine, and a CPU figure averaged by sample count.
fn machine_run(values: &[u64], ops: f64, recall: f64, cpu: (f64, u64, f64), ts: &str) -> Run {
    let mut h = empty_hist();
    for &v in values {
        h.record(v).unwrap();
    }
    let (mut metrics, histogram) = hist::latency_metrics(SUITE, BENCH, &h, Unit::Microseconds);
    // The same histogram can back a metric in another time unit.
    let mut p99_ms = metrics
        .iter()
        .find(|m| m.metric == "latency_p99")
        .unwrap()
        .clone();
    p99_ms.metric = "latency_p99_ms".into();
    p99_ms.unit = Unit::Milliseconds;
    p99_ms.value /= 1000.0;
    metrics.push(p99_ms);
    let mut throughput = Metric::new(
        SUITE,
        BENCH,
        "throughput",
        Unit::OpsPerSecond,
        Direction::HigherIsBetter,
        ops,
    );
    throughput.merge = Some(MergeRule::Sum);
    metrics.push(throughput);
    let mut r = Metric::new(
        SUITE,
        BENCH,
        "recall_at_10",
        Unit::Ratio,
        Direction::HigherIsBetter,
        recall,
    );
    r.merge = Some(MergeRule::Min);
    metrics.push(r);
    let mut c = Metric::new(
        SUITE,
        BENCH,
        "cpu",
        Unit::Percent,
        Direction::LowerIsBetter,
        cpu.0,
    );
    (c.sample_count, c.std_dev) = (Some(cpu.1), Some(cpu.2));
    metrics.push(c);
    let mut run = Run::new(env(ts));
    run.suites.push(SuiteStatus {
        suite: SUITE.into(),
        status: SuiteOutcome::Passed,
        reason: None,
        charts: Vec::new(),
    });
    run.metrics = metrics;
    run.histograms.push(histogram);
    run
}

fn value(run: &Run, metric: &str) -> f64 {
    run.metrics
        .iter()
        .find(|m| m.metric == metric)
        .unwrap()
        .value
}

#[test]
fn two_machines_merge_exactly_like_one_that_recorded_everything() {
    let a = latencies(1, 20_000, 800);
    let b = latencies(2, 7_000, 1500);
    let run_a = machine_run(&a, 9000.0, 0.981, (40.0, 10, 2.0), "2026-11-20T10:00:05Z");
    let run_b = machine_run(&b, 3500.0, 0.975, (70.0, 30, 4.0), "2026-11-20T10:00:09Z");
    let merged = merge_runs(&[run_a.clone(), run_b.clone()]).unwrap();

    let mut all = empty_hist();
    for &v in a.iter().chain(&b) {
        all.record(v).unwrap();
    }
    assert_eq!(merged.histograms.len(), 1);
    assert_eq!(hist::decode(&merged.histograms[0].hdr).unwrap(), all);
    // Every histogram-backed metric is what one machine recording everything would report.
    let (expected, _) = hist::latency_metrics(SUITE, BENCH, &all, Unit::Microseconds);
    for e in &expected {
        let m = merged.metrics.iter().find(|m| m.id() == e.id()).unwrap();
        assert_eq!(m, e, "{}", e.id());
    }
    assert_eq!(
        value(&merged, "latency_p99_ms"),
        all.value_at_quantile(0.99) as f64 / 1000.0
    );
    // Averaging the machines' p99s would have been wrong.
    let averaged = (value(&run_a, "latency_p99") + value(&run_b, "latency_p99")) / 2.0;
    assert_ne!(value(&merged, "latency_p99"), averaged);

    assert_eq!(value(&merged, "throughput"), 12_500.0);
    assert_eq!(value(&merged, "recall_at_10"), 0.975);
    // 10 samples at 40% and 30 at 70%: 62.5%, with the pooled standard deviation.
    let cpu = merged.metrics.iter().find(|m| m.metric == "cpu").unwrap();
    assert_eq!(cpu.value, 62.5);
    assert_eq!(cpu.sample_count, Some(40));
    let pooled =
        ((9.0 * 4.0 + 29.0 * 16.0 + 10.0 * 22.5f64.powi(2) + 30.0 * 7.5f64.powi(2)) / 39.0).sqrt();
    assert!((cpu.std_dev.unwrap() - pooled).abs() < 1e-12);

    assert_eq!(merged.machines, 2);
    assert_eq!(merged.environment.timestamp, "2026-11-20T10:00:09Z");
    assert_eq!(merged.suites, run_a.suites);
    perfwarden::results::validate(&merged).unwrap();
}

#[test]
fn merging_is_associative() {
    let runs: Vec<Run> = (0..3)
        .map(|i| {
            let v = latencies(10 + i, 3000, 500 * (i + 1));
            machine_run(&v, 1000.0, 0.99, (50.0, 5, 1.0), "2026-11-20T10:00:00Z")
        })
        .collect();
    let at_once = merge_runs(&runs).unwrap();
    let stepwise = merge_runs(&[merge_runs(&runs[..2]).unwrap(), runs[2].clone()]).unwrap();
    assert_eq!(at_once.histograms, stepwise.histograms);
    assert_eq!(at_once.machines, 3);
    assert_eq!(stepwise.machines, 3);
    for stat in ["latency_p50", "latency_p99", "latency_max", "throughput"] {
        assert_eq!(value(&at_once, stat), value(&stepwise, stat), "{stat}");
    }
}

#[test]
fn worst_suite_status_wins() {
    let v = latencies(3, 100, 100);
    let a = machine_run(&v, 1.0, 1.0, (1.0, 1, 0.0), "2026-11-20T10:00:00Z");
    let mut b = a.clone();
    b.suites[0].status = SuiteOutcome::Failed;
    b.suites[0].reason = Some("qdrant timed out".into());
    let merged = merge_runs(&[a, b]).unwrap();
    assert_eq!(merged.suites[0].status, SuiteOutcome::Failed);
    assert_eq!(
        merged.suites[0].reason.as_deref(),
        Some("run 1: qdrant timed out")
    );
}

fn two() -> (Run, Run) {
    let v = latencies(4, 100, 100);
    let a = machine_run(&v, 1.0, 1.0, (1.0, 1, 0.0), "2026-11-20T10:00:00Z");
    (a.clone(), a)
}

#[test]
fn runs_that_do_not_belong_together_are_refused() {
    assert!(matches!(merge_runs(&[]), Err(MergeError::NoRuns)));

    let (a, mut b) = two();
    b.environment.machine_class = "laptop".into();
    let e = merge_runs(&[a, b]).unwrap_err();
    assert_eq!(e.run(), Some(1));
    assert_eq!(
        e.to_string(),
        "run 1: machine class \"laptop\" differs from run 0's \"loadgen-8core\"; only runs of one machine class merge"
    );

    let (a, mut b) = two();
    b.metrics
        .iter_mut()
        .find(|m| m.metric == "throughput")
        .unwrap()
        .unit = Unit::EventsPerSecond;
    let e = merge_runs(&[a, b]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "run 1: metric qdrant_search/mixtral/grpc/throughput: unit events/s differs from run 0's ops/s"
    );

    let (a, mut b) = two();
    b.metrics.retain(|m| m.metric != "recall_at_10");
    let e = merge_runs(&[a, b]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "metric qdrant_search/mixtral/grpc/recall_at_10: in run 0 but not in run 1; every run must measure the same metrics"
    );

    let (a, mut b) = two();
    let mut coarse = Histogram::<u64>::new_with_bounds(1, 60_000_000, 2).unwrap();
    coarse.record(100).unwrap();
    b.histograms[0].hdr = hist::encode(&coarse);
    let e = merge_runs(&[a, b]).unwrap_err();
    assert!(
        e.to_string().starts_with(
            "run 1: histogram \"qdrant_search/mixtral/grpc/latency\": precision 2 digits"
        ),
        "{e}"
    );

    let (a, mut b) = two();
    b.metrics[0].stat = Some(Stat::P90);
    let e = merge_runs(&[a, b]).unwrap_err();
    assert!(
        e.to_string()
            .contains("`stat`, `histogram` or `merge` differs"),
        "{e}"
    );
}
