//! Suite qdrant_search: bad input and an unreachable Qdrant without any service, and the
//! suite end to end against a real Qdrant (`#[ignore]`d: needs one), a server or the
//! engine in-process. Tests that need a server of their own (to kill or pause it) skip the
//! engine with one line.

use std::time::{Duration, Instant};

use perfwarden::profile::Profile;
use perfwarden::results::{Environment, Run};
use perfwarden_harness::qdrant::client::Server;
use perfwarden_harness::services::qdrant::{self, QdrantService};
use perfwarden_harness::services::{self, ProviderKind};
use perfwarden_harness::suites::qdrant_search::{self as suite, Options, QdrantError, Target};

/// A Target pointing at ports nothing listens on (the clients connect lazily).
fn nowhere() -> Target {
    Target::connect("http://127.0.0.1:9", "http://127.0.0.1:9", None).unwrap()
}

/// A plan small enough for a test: two collections of 400 points, short load phases.
fn tiny(prefix: &str) -> Options {
    let mut o = Options::new(Profile::Smoke);
    o.prefix = prefix.into();
    o.progress = perfwarden_harness::load::ProgressMode::Quiet;
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
    assert!(matches!(err, QdrantError::Qdrant { .. }), "{err:?}");
    let line = err.to_string();
    assert!(line.starts_with("http://127.0.0.1:9: "), "{line}");
    assert!(!line.contains('\n'), "{line}");
}

// ---- Against a real Qdrant --------------------------------------------------------------

/// A Qdrant from the services layer (`QDRANT_URL`, a container, or `qdrant` on PATH), or
/// None after one line when there is none (a failure when PERFWARDEN_REQUIRE_SERVICES names
/// qdrant). The service stops when dropped, so the caller keeps it.
async fn qdrant_or_skip() -> Option<(QdrantService, Target)> {
    let service = services::require_or_skip(qdrant::provide().await.unwrap(), "qdrant").unwrap()?;
    let target = Target::from_service(&service);
    Some((service, target))
}

/// Whether collection `name` exists in `target`.
async fn exists(target: &Target, name: &str) -> bool {
    match target {
        Target::Server(s) => s.grpc.collection_exists(name).await.unwrap(),
        #[cfg(feature = "embedded-qdrant")]
        Target::Embedded(e) => e.exists(name),
    }
}

/// A benchmark id as the suite scopes it: `embedded` after the head for the engine.
fn scoped(target: &Target, head: &str, tail: &str) -> String {
    match target.server() {
        Some(_) => format!("{head}/{tail}"),
        None => format!("{head}/embedded/{tail}"),
    }
}

/// The server behind `target`, or None after one line saying why the test needs one.
fn server_or_skip<'a>(target: &'a Target, why: &str) -> Option<&'a Server> {
    let server = target.server();
    if server.is_none() {
        eprintln!("skipped on the embedded engine: {why}");
    }
    server
}

fn metric<'a>(run: &'a Run, benchmark: &str, name: &str) -> &'a perfwarden::results::Metric {
    run.metrics
        .iter()
        .find(|m| m.benchmark == benchmark && m.metric == name)
        .unwrap_or_else(|| panic!("no metric {benchmark}/{name}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs qdrant"]
async fn suite_end_to_end_on_a_real_qdrant() {
    let Some((_service, target)) = qdrant_or_skip().await else {
        return;
    };
    let opts = tiny("perfwarden_test_e2e_");
    let mut run = Run::new(Environment::detect(Profile::Smoke));
    let colls = suite::run(target.clone(), &opts, &mut run).await.unwrap();
    perfwarden::results::validate(&run).unwrap();
    let protocols: Vec<&str> = target.protocols().iter().map(|p| p.name()).collect();
    for c in ["mixtral", "deepcoder"] {
        assert!(metric(&run, &scoped(&target, c, "setup"), "upsert_points_per_s").value > 0.0);
        for &p in &protocols {
            for k in ["dense", "filter", "hybrid"] {
                let b = format!("{c}/{p}/{k}");
                let recall = metric(&run, &b, "recall_at_10").value;
                let floor = if k == "hybrid" { 0.8 } else { 0.9 };
                assert!(recall >= floor, "{b}: recall {recall}");
                let lat = metric(&run, &b, "latency_mean").value;
                let server = metric(&run, &b, "server_time_mean").value;
                assert!(
                    server > 0.0 && server < lat,
                    "{b}: server {server} ms vs client {lat} ms"
                );
                assert!(metric(&run, &b, "qps").value > 0.0);
                assert_eq!(
                    metric(&run, &format!("{b}/closed_c2"), "error_rate").value,
                    0.0
                );
            }
        }
    }
    let first = protocols[0];
    let open = metric(
        &run,
        &format!("mixtral/{first}/dense/open_20"),
        "achieved_rate",
    )
    .value;
    assert!(
        (open / 20.0 - 1.0).abs() < 0.2,
        "open loop achieved {open}/s"
    );
    assert!(
        metric(
            &run,
            &format!("mixtral/{first}/dense"),
            "max_rate_under_slo"
        )
        .labels
        .contains_key("steps")
    );
    for &p in &protocols {
        let b = format!("fanout/{p}");
        assert_eq!(metric(&run, &b, "full_success_ratio").value, 1.0);
        assert!(metric(&run, &b, "speedup").value > 0.0);
        assert!(metric(&run, &format!("{b}/mixtral"), "branch_mean").value > 0.0);
    }
    // One branch's collection gone: every fan-out is a partial success, and its branch
    // says why, while the other still answers.
    target
        .delete_collection(colls[1].qname.as_ref())
        .await
        .unwrap();
    let f = suite::fanout::measure(
        &target,
        &colls,
        target.protocols()[0],
        3,
        Duration::from_secs(5),
        opts.slowdown,
    )
    .await;
    assert_eq!((f.full, f.partial, f.failed), (0, 3, 0));
    let (_, errors, timeouts) = &f.per_collection[1];
    assert_eq!((*errors, *timeouts), (3, 0));
    assert_eq!(f.per_collection[0].1, 0);
    suite::cleanup(&target, &colls, &opts).await;
    for c in &colls {
        assert!(!exists(&target, c.qname.as_ref()).await);
    }
}

/// Our brute-force ground truth against Qdrant's own exact search (`exact: true`): two
/// independent exact searches must agree.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs qdrant"]
async fn ground_truth_agrees_with_qdrant_exact_search() {
    use perfwarden_harness::qdrant::{data::Generator, fixture::Fixture};
    use perfwarden_harness::suites::qdrant_search::{prepare, truth};
    let Some((_service, target)) = qdrant_or_skip().await else {
        return;
    };
    let fixture = Fixture::load(&perfwarden_harness::qdrant::fixture::default_path()).unwrap();
    let spec = fixture.select(Some(&["general"])).unwrap().remove(0);
    let opts = tiny("perfwarden_test_truth_");
    let name = opts.qdrant_name(&spec.name);
    let load = prepare::Load {
        seed: 99,
        points: 1500,
        queries: 20,
        batch: 100,
        parallel: 2,
        index_timeout: Duration::from_secs(60),
    };
    let (coll, _) = prepare::collection(&target, &spec, &name, load)
        .await
        .unwrap();
    let generator = Generator::new(99, &spec.name, spec.dim);
    let mut agree = 0.0;
    for q in 0..20u64 {
        let query = generator.query(q);
        let ids = exact_search(&target, &name, &query).await;
        agree += truth::recall(&ids, &coll.truth.dense[q as usize]);
    }
    target.delete_collection(&name).await.unwrap();
    assert!(
        agree / 20.0 >= 0.99,
        "exact searches agree on {:.3} of the top 10",
        agree / 20.0
    );
}

/// The top 10 of Qdrant's own exact search (`exact: true`) for `query`'s dense vector.
async fn exact_search(
    target: &Target,
    name: &str,
    query: &perfwarden_harness::qdrant::data::Item,
) -> Vec<u64> {
    match target {
        Target::Server(server) => {
            let body = serde_json::json!({"query": query.dense, "using": "dense", "limit": 10, "params": {"exact": true}});
            let resp: serde_json::Value = server
                .rest_request(
                    reqwest::Method::POST,
                    &format!("/collections/{name}/points/query"),
                )
                .json(&body)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            resp["result"]["points"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["id"].as_u64().unwrap())
                .collect()
        }
        #[cfg(feature = "embedded-qdrant")]
        Target::Embedded(engine) => {
            use perfwarden_harness::qdrant::client::{SearchKind, prepare};
            let exact = prepare(name, SearchKind::Dense, query).edge.exact();
            engine.query(name, &exact).await.unwrap().0
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs qdrant"]
async fn an_existing_collection_of_another_shape_is_left_alone() {
    use qdrant_client::qdrant::{CreateCollectionBuilder, Distance, VectorParamsBuilder};
    let Some((_service, target)) = qdrant_or_skip().await else {
        return;
    };
    let why = "each run owns its engine, so no collection of another shape can be there";
    let Some(server) = server_or_skip(&target, why) else {
        return;
    };
    let opts = tiny("perfwarden_test_shape_");
    let name = opts.qdrant_name("mixtral");
    let _ = server.grpc.delete_collection(name.as_str()).await;
    server
        .grpc
        .create_collection(
            CreateCollectionBuilder::new(name.as_str())
                .vectors_config(VectorParamsBuilder::new(8, Distance::Dot)),
        )
        .await
        .unwrap();
    let mut run = Run::new(Environment::detect(Profile::Smoke));
    let err = suite::run(target.clone(), &opts, &mut run)
        .await
        .err()
        .unwrap();
    let line = err.to_string();
    assert!(
        matches!(err, QdrantError::Shape { .. }) && err.is_bad_input(),
        "{line}"
    );
    assert!(
        line.contains(&format!(
            "collection {name:?} already exists as an unnamed 8-d Dot vector"
        )),
        "{line}"
    );
    assert!(!line.contains('\n'));
    assert!(exists(&target, &name).await, "the collection was touched");
    server.grpc.delete_collection(name.as_str()).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs qdrant"]
async fn a_qdrant_dying_mid_run_ends_the_run_within_a_bound_keeping_what_was_measured() {
    // A server of our own (native, from PATH), so the test may kill it.
    let provided = qdrant::provide_via(ProviderKind::Native).await.unwrap();
    let Some(qdrant) = services::require_or_skip(provided, "qdrant:native").unwrap() else {
        return;
    };
    let pid = qdrant.pid().expect("a native server has a pid");
    let target = Target::from_service(&qdrant);
    let target_address = target.address();
    let mut opts = tiny("perfwarden_test_dies_");
    // Long load phases, so the kill lands in the middle of one.
    opts.plan.duration = Duration::from_secs(30);
    let watcher = {
        let http = qdrant
            .server()
            .expect("a native Qdrant is a server")
            .http_url
            .clone();
        let name = opts.qdrant_name("deepcoder");
        async move {
            // Setup is over once the second collection holds its points; then let the
            // measurements start and kill the server.
            let url = format!("{http}/collections/{name}");
            loop {
                let points = match reqwest::get(&url).await {
                    Ok(r) => r
                        .json::<serde_json::Value>()
                        .await
                        .ok()
                        .and_then(|v| v["result"]["points_count"].as_u64()),
                    Err(_) => None,
                };
                if points == Some(400) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            tokio::time::sleep(Duration::from_secs(3)).await;
        }
    };
    let mut run = Run::new(Environment::detect(Profile::Smoke));
    let (err, took) = {
        let suite_run = suite::run(target, &opts, &mut run);
        tokio::pin!(suite_run);
        let killed_at = tokio::select! {
            r = &mut suite_run => panic!("the run ended before the kill: {:?}", r.err()),
            _ = watcher => {
                let killed = std::process::Command::new("kill").args(["-KILL", &pid.to_string()]).status().unwrap();
                assert!(killed.success(), "kill -KILL {pid}");
                Instant::now()
            }
        };
        let err = suite_run
            .await
            .err()
            .expect("a run whose Qdrant died fails");
        (err, killed_at.elapsed())
    };
    assert!(
        took < Duration::from_secs(15),
        "the run went on {took:?} after Qdrant died"
    );
    let line = err.to_string();
    assert!(
        matches!(
            err,
            QdrantError::Aborted { .. } | QdrantError::Qdrant { .. }
        ),
        "{line}"
    );
    assert!(!line.contains('\n'), "{line}");
    assert!(line.starts_with(&target_address), "{line}");
    // What was measured before the kill is kept.
    assert!(
        run.metrics
            .iter()
            .any(|m| m.metric == "upsert_points_per_s")
    );
    assert!(run.metrics.iter().any(|m| m.metric == "recall_at_10"));
    perfwarden::results::validate(&run).unwrap();
}

/// A Qdrant paused for 150 ms (SIGSTOP, then SIGCONT) in the middle of an open-loop run: the
/// pause shows in the p99 measured from the intended send times, and the requests it held
/// back are counted late.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs qdrant"]
async fn a_stalled_qdrant_shows_in_the_open_loop_p99() {
    use perfwarden_harness::load::{LoadConfig, ProgressMode};
    use perfwarden_harness::qdrant::fixture;
    use perfwarden_harness::suites::qdrant_search::{Protocol, SearchKind, measure, prepare};
    let provided = qdrant::provide_via(ProviderKind::Native).await.unwrap();
    let Some(qdrant) = services::require_or_skip(provided, "qdrant:native").unwrap() else {
        return;
    };
    let pid = qdrant.pid().expect("a native server has a pid").to_string();
    let target = std::sync::Arc::new(Target::from_service(&qdrant));
    let spec = fixture::Fixture::load(&fixture::default_path())
        .unwrap()
        .select(Some(&["deepcoder"]))
        .unwrap()
        .remove(0);
    let load = prepare::Load {
        seed: 5,
        points: 1000,
        queries: 20,
        batch: 250,
        parallel: 2,
        index_timeout: Duration::from_secs(60),
    };
    let (coll, _) = prepare::collection(&target, &spec, "perfwarden_test_stall", load)
        .await
        .unwrap();
    let cfg = LoadConfig::new("stall", Duration::from_millis(300), Duration::from_secs(3))
        .progress(ProgressMode::Quiet);
    let signal = |sig: &str| {
        let ok = std::process::Command::new("kill")
            .args([sig, &pid])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill {sig} {pid}");
    };
    let pause = async {
        tokio::time::sleep(Duration::from_millis(300 + 1500)).await;
        signal("-STOP");
        tokio::time::sleep(Duration::from_millis(150)).await;
        signal("-CONT");
    };
    // At most 8 in flight (like wrk2's connections): the pause holds ~30 requests, so the
    // 22 or so beyond the 8 are sent late. With a cap above 30 they would all go out on time
    // and wait in the stopped server instead; p99 shows the pause either way.
    let run = measure::open(
        &target,
        &coll,
        Protocol::Grpc,
        SearchKind::Dense,
        &cfg,
        200.0,
        8,
    );
    let (report, ()) = tokio::join!(run, pause);
    eprintln!("{}", report.one_line());
    let s = report.summary();
    // 600 requests, of which the ~30 due during the pause wait up to 150 ms: the top 1%.
    assert!(
        s.p99_ms >= 75.0,
        "the pause is missing from p99: {}",
        report.one_line()
    );
    assert!(s.max_ms >= 140.0, "{}", report.one_line());
    assert!(
        report.late >= 10,
        "held-back requests not counted late: {}",
        report.one_line()
    );
    assert_eq!(report.errors, 0, "{}", report.one_line());
    assert!(s.p50_ms < 20.0, "{}", report.one_line());
}

/// The nightly growth measurement, in miniature: three sizes, fitted curves, and the 100M
/// extrapolation labelled as such.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs qdrant"]
async fn growth_is_fitted_and_the_extrapolation_labelled() {
    let Some((_service, target)) = qdrant_or_skip().await else {
        return;
    };
    let mut opts = tiny("perfwarden_test_growth_");
    let p = &mut opts.plan;
    p.collections = Some(vec!["deepcoder"]);
    p.sweep = vec![1];
    p.open_rates = vec![];
    p.stress_steps = 0;
    p.growth_sizes = vec![300, 600, 1200];
    p.growth_collection = "deepcoder";
    let mut run = Run::new(Environment::detect(Profile::Smoke));
    let colls = suite::run(target.clone(), &opts, &mut run).await.unwrap();
    suite::cleanup(&target, &colls, &opts).await;
    perfwarden::results::validate(&run).unwrap();
    for n in [300, 600, 1200] {
        let b = scoped(&target, "growth", &format!("deepcoder/{n}"));
        assert!(metric(&run, &b, "upsert_points_per_s").value > 0.0);
        assert!(metric(&run, &b, "qps").value > 0.0);
        assert!(metric(&run, &b, "latency_p50").value > 0.0);
    }
    for name in [
        "latency_p50",
        "latency_mean",
        "qps",
        "upsert_time",
        "index_wait",
    ] {
        let m = metric(
            &run,
            &scoped(&target, "growth", "deepcoder/extrapolated_100M"),
            name,
        );
        assert!(m.value.is_finite(), "{name}");
        assert!(
            m.labels["extrapolated"].starts_with("not measured"),
            "{:?}",
            m.labels
        );
        assert!(m.labels["fit"].contains("over 3 sizes"), "{:?}", m.labels);
    }
    // The growth collections are deleted as the measurement goes.
    for n in [300, 600, 1200] {
        let name = opts.qdrant_name(&format!("growth_deepcoder_{n}"));
        assert!(!exists(&target, &name).await, "{name} is left");
    }
}
