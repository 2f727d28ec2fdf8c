//! `baseline::update`: one file per suite, the fingerprint kept, refusals that leave the old
//! baseline untouched, and calibrated noise carried over.

use std::path::{Path, PathBuf};

use perfwarden::baseline;
use perfwarden::results::{self, Run, SuiteOutcome, SuiteStatus, read_run};

fn full() -> Run {
    read_run(&crate::results::fixtures().join("results/full.json")).unwrap()
}

/// `full.json` with every suite passed, plus a second suite.
fn current() -> Run {
    let mut run = full();
    run.suites.retain(|s| s.status == SuiteOutcome::Passed);
    let minimal = read_run(&crate::results::fixtures().join("results/minimal.json")).unwrap();
    run.metrics.extend(minimal.metrics);
    run.suites.push(SuiteStatus {
        suite: "redis_cache".into(),
        status: SuiteOutcome::Passed,
        reason: None,
        charts: Vec::new(),
    });
    run
}

/// Every file under `dir`, relative, sorted.
fn tree(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.push(p.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    if dir.exists() {
        walk(dir, dir, &mut out);
    }
    out.sort();
    out
}

#[test]
fn writes_one_file_per_suite_with_the_fingerprint() {
    let dir = tempfile::tempdir().unwrap();
    let run = current();
    let written = baseline::update(&run, dir.path(), false).unwrap();
    let expected: Vec<PathBuf> = ["qdrant_search", "redis_cache"]
        .iter()
        .map(|s| dir.path().join(format!("fixture-2core/{s}.json")))
        .collect();
    assert_eq!(written, expected);
    // Nothing else: no temporary files left behind.
    assert_eq!(
        tree(dir.path()),
        [
            "fixture-2core/qdrant_search.json",
            "fixture-2core/redis_cache.json"
        ]
    );
    let qdrant = read_run(&expected[0]).unwrap();
    assert_eq!(qdrant.environment, run.environment);
    assert_eq!(qdrant.histograms, run.histograms);
    assert!(qdrant.metrics.iter().all(|m| m.suite == "qdrant_search"));
    let redis = read_run(&expected[1]).unwrap();
    assert!(redis.histograms.is_empty());
    assert_eq!(redis.suites.len(), 1);
    // Read back as one set, the baseline is the run.
    let back = results::read_run_set(&dir.path().join("fixture-2core")).unwrap();
    assert_eq!(back.metrics, run.metrics);
}

#[test]
fn refuses_failed_or_skipped_suites_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    baseline::update(&current(), dir.path(), false).unwrap();
    let old = std::fs::read(dir.path().join("fixture-2core/qdrant_search.json")).unwrap();

    let mut run = current();
    run.metrics[0].value = 1.0;
    run.suites[1].status = SuiteOutcome::Failed;
    run.suites[1].reason = Some("redis-server\nexited".into());
    let e = baseline::update(&run, dir.path(), false).unwrap_err();
    assert!(e.is_bad_input());
    assert_eq!(
        e.to_string(),
        format!(
            "{}: refusing to update: suite redis_cache failed (redis-server\\nexited); pass --force to update the baseline anyway",
            dir.path().join("fixture-2core").display()
        )
    );
    let skipped = full(); // ingest_parquet_s3 was skipped
    let e = baseline::update(&skipped, dir.path(), false).unwrap_err();
    assert!(
        e.to_string()
            .contains("suite ingest_parquet_s3 skipped (no S3 endpoint"),
        "{e}"
    );
    // Nothing was touched.
    assert_eq!(
        std::fs::read(dir.path().join("fixture-2core/qdrant_search.json")).unwrap(),
        old
    );

    baseline::update(&run, dir.path(), true).unwrap();
    let forced = read_run(&dir.path().join("fixture-2core/qdrant_search.json")).unwrap();
    assert_eq!(forced.metrics[0].value, 1.0);
}

#[test]
fn refuses_a_run_without_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let mut run = current();
    run.metrics.clear();
    run.histograms.clear();
    let e = baseline::update(&run, dir.path(), false).unwrap_err();
    assert!(
        e.to_string()
            .contains("refusing to update: the run has no metrics"),
        "{e}"
    );
    assert!(baseline::update(&run, dir.path(), true).unwrap().is_empty());
    assert!(tree(dir.path()).is_empty());
}

#[test]
fn keeps_calibrated_noise_from_the_old_baseline() {
    let dir = tempfile::tempdir().unwrap();
    let mut run = current();
    let noise_of = |run: &Run, metric: &str| {
        run.metrics
            .iter()
            .find(|m| m.metric == metric)
            .unwrap()
            .noise
    };
    run.metrics
        .iter_mut()
        .find(|m| m.metric == "throughput")
        .unwrap()
        .noise = Some(0.03);
    run.metrics
        .iter_mut()
        .find(|m| m.metric == "hit_rate")
        .unwrap()
        .noise = Some(0.01);
    baseline::update(&run, dir.path(), false).unwrap();

    let mut next = current();
    for m in &mut next.metrics {
        m.noise = None;
    }
    next.metrics
        .iter_mut()
        .find(|m| m.metric == "latency_p99")
        .unwrap()
        .noise = Some(0.07);
    // A metric whose unit changed is a different measurement: its noise does not carry.
    let hit = next
        .metrics
        .iter_mut()
        .find(|m| m.metric == "hit_rate")
        .unwrap();
    hit.unit = results::Unit::Ratio;
    hit.value = 0.935;
    baseline::update(&next, dir.path(), false).unwrap();

    let back = results::read_run_set(&dir.path().join("fixture-2core")).unwrap();
    assert_eq!(noise_of(&back, "throughput"), Some(0.03));
    assert_eq!(noise_of(&back, "latency_p99"), Some(0.07));
    assert_eq!(noise_of(&back, "hit_rate"), None);
    assert_eq!(noise_of(&back, "latency_p50"), None);
}

const HALF: &str = r#"{"schema_version": 1, "environment": {"machine_class": "#;

#[test]
fn an_unreadable_old_baseline_is_not_silently_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fixture-2core/redis_cache.json");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, HALF).unwrap();
    let e = baseline::update(&current(), dir.path(), false).unwrap_err();
    assert!(e.is_bad_input());
    assert!(
        e.to_string().contains("the existing baseline is unusable")
            && e.to_string().contains("truncated JSON"),
        "{e}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), HALF);
    assert_eq!(tree(dir.path()), ["fixture-2core/redis_cache.json"]);
    baseline::update(&current(), dir.path(), true).unwrap();
    read_run(&path).unwrap();
}

#[test]
fn a_failed_write_replaces_nothing() {
    let dir = tempfile::tempdir().unwrap();
    baseline::update(&current(), dir.path(), false).unwrap();
    let qdrant = dir.path().join("fixture-2core/qdrant_search.json");
    let old = std::fs::read(&qdrant).unwrap();
    // The second suite's file cannot be replaced: a directory stands in its place.
    let redis = dir.path().join("fixture-2core/redis_cache.json");
    std::fs::remove_file(&redis).unwrap();
    std::fs::create_dir(&redis).unwrap();
    let mut run = current();
    run.metrics[0].value = 1.0;
    let e = baseline::update(&run, dir.path(), true).unwrap_err();
    assert!(
        e.to_string().contains("redis_cache.json: cannot write"),
        "{e}"
    );
    assert_eq!(std::fs::read(&qdrant).unwrap(), old);
    assert_eq!(tree(dir.path()), ["fixture-2core/qdrant_search.json"]);
}

#[test]
fn names_that_would_escape_the_baselines_directory_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let inner = dir.path().join("baselines");
    for class in ["..", "../elsewhere", "a/b", ""] {
        let mut run = current();
        run.environment.machine_class = class.into();
        let e = baseline::update(&run, &inner, true).unwrap_err();
        assert!(
            e.to_string().contains("cannot name a baseline file"),
            "{class}: {e}"
        );
    }
    let mut run = current();
    for m in &mut run.metrics {
        m.suite = "../../etc".into();
    }
    let e = baseline::update(&run, &inner, true).unwrap_err();
    assert!(
        e.to_string()
            .contains("suite \"../../etc\" cannot name a baseline file"),
        "{e}"
    );
    assert!(tree(dir.path()).is_empty());
}

#[test]
fn a_suite_written_in_several_files_is_one_suite() {
    let tmp = tempfile::tempdir().unwrap();
    let mut a = current();
    a.metrics.retain(|m| m.suite == "redis_cache");
    a.suites.retain(|s| s.suite == "redis_cache");
    a.histograms.clear();
    let mut b = a.clone();
    b.metrics[0].benchmark = "uniform".into();
    // Each file records the services it used; the set used them all.
    let served = |key: &str, what: &str| [(key.to_string(), what.to_string())].into();
    a.environment.services = served("redis", "native redis-server 7.0.15");
    b.environment.services = served("qdrant", "embedded qdrant-edge 0.7.2");
    a.write(&tmp.path().join("redis_a.json")).unwrap();
    b.write(&tmp.path().join("redis_b.json")).unwrap();
    let set = results::read_run_set(tmp.path()).unwrap();
    assert_eq!(set.suites.len(), 1);
    assert_eq!(set.metrics.len(), 2);
    assert_eq!(
        set.environment.services.keys().collect::<Vec<_>>(),
        ["qdrant", "redis"]
    );
    let written = baseline::update(&set, &tmp.path().join("baselines"), false).unwrap();
    assert_eq!(read_run(&written[0]).unwrap().metrics.len(), 2);
    // One failed file fails the suite.
    b.suites[0].status = SuiteOutcome::Failed;
    b.write(&tmp.path().join("redis_b.json")).unwrap();
    let set = results::read_run_set(tmp.path()).unwrap();
    assert_eq!(set.suites[0].status, SuiteOutcome::Failed);
}
