//! Suite qdrant_search: bad input and an unreachable Qdrant without any service, and the
//! suite end to end against a real Qdrant (`#[ignore]`d: needs one).

use std::time::{Duration, Instant};

use perfgate::profile::Profile;
use perfgate::results::{Environment, Run};
use perfgate::suites::qdrant_search::{self as suite, Options, SuiteError, Target};

/// A Target pointing at ports nothing listens on (the clients connect lazily).
fn nowhere() -> Target {
    Target::connect("http://127.0.0.1:9", "http://127.0.0.1:9", None).unwrap()
}

/// A plan small enough for a test: two collections of 400 points, short load phases.
fn tiny(prefix: &str) -> Options {
    let mut o = Options::new(Profile::Smoke);
    o.prefix = prefix.into();
    o.progress = perfgate::load::ProgressMode::Quiet;
    let p = &mut o.plan;
    p.points = 400;
    p.queries = 10;
    p.sweep = vec![2];
    p.warmup = Duration::from_millis(50);
    p.duration = Duration::from_millis(250);
    p.open_rates = vec![20.0];
    p.stress_steps = 2;
    p.fanout_rounds = 3;
    p.fanout_concurrency = 2;
    o
}

#[tokio::test]
async fn a_bad_fixture_is_one_clear_line_before_any_request() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("collections.json");
    std::fs::write(
        &path,
        r#"{"distance": "Cosine", "hnsw": {"m": 16, "ef_construct": 100, "full_scan_threshold": 20000},
            "indexing_threshold_kb": 20000, "collections": [{"name": "mixtral", "dim": 4096, "distance": "Hamming"}]}"#,
    )
    .unwrap();
    let mut opts = tiny("t_");
    opts.fixture = path.clone();
    let mut run = Run::new(Environment::detect(Profile::Smoke));
    let err = suite::run(nowhere(), &opts, &mut run).await.err().unwrap();
    assert!(err.is_bad_input());
    let line = err.to_string();
    assert_eq!(
        line,
        format!(
            r#"{}: collection "mixtral": unknown distance "Hamming" (expected Cosine, Dot, Euclid or Manhattan)"#,
            path.display()
        )
    );
    assert!(run.metrics.is_empty());
}

#[tokio::test]
async fn an_unreachable_qdrant_fails_fast_naming_the_endpoint() {
    let started = Instant::now();
    let mut run = Run::new(Environment::detect(Profile::Smoke));
    let err = suite::run(nowhere(), &tiny("t_"), &mut run)
        .await
        .err()
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    assert!(matches!(err, SuiteError::Qdrant { .. }), "{err:?}");
    let line = err.to_string();
    assert!(line.starts_with("http://127.0.0.1:9: "), "{line}");
    assert!(!line.contains('\n'), "{line}");
}
