//! The load engine against in-process targets of known behaviour: no service needed.
//!
//! Targets sleep on tokio's timer, which rounds up to the next millisecond, and the
//! machine may be busy (CI runners, parallel builds): latencies are never below what the
//! target takes, but may be above by scheduling delays. So service times are long enough
//! (tens of milliseconds) that such delays stay small beside them, lower bounds are tight
//! and upper bounds leave room. The tests take turns, so they do not load the machine for
//! each other.

use std::convert::Infallible;
use std::time::{Duration, Instant};

use perfwarden_harness::load::{self, LoadConfig, LoadMode, ProgressMode};

/// Held by each test for its whole run: timing tests must not compete for the CPU.
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn turn() -> tokio::sync::MutexGuard<'static, ()> {
    TURN.lock().await
}

fn cfg(label: &str, warmup_ms: u64, duration_ms: u64) -> LoadConfig {
    LoadConfig::new(
        label,
        Duration::from_millis(warmup_ms),
        Duration::from_millis(duration_ms),
    )
    .progress(ProgressMode::Quiet)
}

async fn sleep_ms(ms: u64) -> Result<(), Infallible> {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    Ok(())
}

/// Service time 10, 20, …, 100 ms by request number: p50 ≈ 50 ms, p90 ≈ 90 ms, p99 ≈ 100 ms.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn known_service_times_give_expected_percentiles() {
    let _turn = turn().await;
    let report = load::closed_loop(&cfg("known", 100, 2000), 16, |i| {
        sleep_ms(10 * (1 + i % 10))
    })
    .await;
    let s = report.summary();
    assert!(report.ok > 400, "{}", report.one_line());
    assert_eq!(report.errors, 0);
    // Never below the service time; at most a few ms of scheduling above it.
    let near = |got: f64, want: f64| got >= want - 0.05 && got <= want + 8.0;
    assert!(near(s.p50_ms, 50.0), "p50 {}", report.one_line());
    assert!(near(s.p90_ms, 90.0), "p90 {}", report.one_line());
    assert!(near(s.p99_ms, 100.0), "p99 {}", report.one_line());
    assert!(near(s.mean_ms, 55.0), "mean {}", report.one_line());
    // Sixteen workers each waiting the mean latency per request.
    let expected = 16.0 / (s.mean_ms / 1000.0);
    assert!(
        (report.throughput() / expected - 1.0).abs() < 0.1,
        "throughput {} vs {expected}",
        report.throughput()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_loop_throughput_is_concurrency_over_service_time() {
    let _turn = turn().await;
    for concurrency in [2usize, 16] {
        let report =
            load::closed_loop(&cfg("tput", 100, 1000), concurrency, |_| sleep_ms(20)).await;
        // A 20 ms sleep takes 20 to 21.x ms on tokio's timer, more on a busy machine.
        let upper = concurrency as f64 / 0.020;
        let lower = concurrency as f64 / 0.025;
        let got = report.throughput();
        assert!(
            got <= upper * 1.02 && got >= lower,
            "c={concurrency}: {got} ops/s not in [{lower}, {upper}]"
        );
        let little = report.little();
        assert!(little.client_bound.is_none(), "{little:?}");
        assert!(
            little.utilisation > 0.9 && little.utilisation < 1.05,
            "{little:?}"
        );
    }
}

/// A target that pauses all requests for 100 ms in the middle of the run, like a server
/// stalled by a GC pause or a compaction.
fn stalling_target(
    stall_from: Instant,
) -> impl Fn(u64) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), Infallible>> + Send>>
+ Send
+ Sync
+ 'static {
    let stall_until = stall_from + Duration::from_millis(100);
    move |_| {
        Box::pin(async move {
            let now = Instant::now();
            if now >= stall_from && now < stall_until {
                tokio::time::sleep_until(stall_until.into()).await;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
            Ok(())
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stall_shows_in_the_open_loop_p99_and_is_counted_late() {
    let _turn = turn().await;
    // 500/s for 2 s: the 100 ms stall holds back ~50 of ~1000 requests (5%), whose latencies
    // from their intended send times ramp from 100 ms down to 0, so p99 lands in the ramp.
    let stall_from = Instant::now() + Duration::from_millis(1200);
    let report = load::open_loop(
        &cfg("stall", 200, 2000),
        500.0,
        8,
        stalling_target(stall_from),
    )
    .await;
    let s = report.summary();
    assert!(
        s.p99_ms >= 50.0,
        "open-loop p99 misses the stall: {}",
        report.one_line()
    );
    assert!(s.max_ms >= 90.0, "{}", report.one_line());
    assert!(
        report.late >= 25,
        "stalled requests not counted late: {}",
        report.one_line()
    );
    assert!(s.p50_ms < 10.0, "{}", report.one_line());
    assert_eq!(report.dropped, 0, "{}", report.one_line());
    // The service time, measured from the actual send, hides most of the stall.
    assert!(
        report.service.summary().p99_ms < s.p99_ms,
        "{}",
        report.one_line()
    );
    let achieved = report.achieved_rate();
    assert!((achieved / 500.0 - 1.0).abs() < 0.05, "achieved {achieved}");
    assert!(
        report
            .windows
            .iter()
            .any(|w| w.latency_max >= Duration::from_millis(90))
    );

    // The same stall under a closed loop: only the few requests in flight see it, which is
    // the coordinated omission the open loop corrects.
    let stall_from = Instant::now() + Duration::from_millis(1200);
    let closed = load::closed_loop(
        &cfg("stall-closed", 200, 2000),
        8,
        stalling_target(stall_from),
    )
    .await;
    assert!(closed.summary().max_ms >= 90.0, "{}", closed.one_line());
    assert!(
        closed.summary().p99_ms < s.p99_ms / 2.0,
        "{}",
        closed.one_line()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_loop_keeps_its_rate_and_discards_warmup() {
    let _turn = turn().await;
    let config = cfg("rate", 500, 1000).late_after(Duration::from_millis(20));
    let report = load::open_loop(&config, 400.0, 16, |_| async { Ok::<_, Infallible>(()) }).await;
    assert_eq!(
        report.mode,
        LoadMode::Open {
            rate: 400.0,
            max_in_flight: 16
        }
    );
    // Only the measured second is recorded: 400 requests, not 600.
    let n = report.ok;
    assert!((395..=405).contains(&n), "recorded {n}");
    assert_eq!(report.dropped, 0);
    assert!(report.late_ratio() < 0.05, "{}", report.one_line());
    // An instant target is answered within a few ms of its slot (the pacer's precision
    // itself is a performance number, for a bench).
    assert!(report.summary().p50_ms < 10.0, "{}", report.one_line());
    assert_eq!(report.windows.iter().map(|w| w.ok).sum::<u64>(), n);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn little_law_flags_a_client_side_bottleneck() {
    let _turn = turn().await;
    // Half of each iteration is spent building the request (synchronously, outside the
    // measured latency), so only half the workers' time has a request in flight.
    let report = load::closed_loop(&cfg("slow-client", 50, 500), 2, |_| {
        std::thread::sleep(Duration::from_millis(5));
        sleep_ms(5)
    })
    .await;
    let little = report.little();
    assert!(little.utilisation < 0.8, "{little:?}");
    let why = little
        .client_bound
        .expect("a client-side bottleneck is flagged");
    assert!(why.contains("client-side bottleneck"), "{why}");

    // An open loop whose cap is too small for rate × latency is flagged too.
    let report = load::open_loop(&cfg("small-cap", 50, 500), 400.0, 2, |_| sleep_ms(10)).await;
    let little = report.little();
    assert!(
        little.client_bound.is_some(),
        "{little:?} {}",
        report.one_line()
    );
    assert!(
        report.late > 0 && report.dropped > 0,
        "{}",
        report.one_line()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_that_dies_ends_the_run_early_keeping_what_was_measured() {
    let _turn = turn().await;
    let died_at = Instant::now() + Duration::from_millis(400);
    let config = cfg("dies", 100, 10_000).abort_after(Some(Duration::from_millis(300)));
    let started = Instant::now();
    let report = load::closed_loop(&config, 4, move |_| async move {
        tokio::time::sleep(Duration::from_millis(1)).await;
        if Instant::now() < died_at {
            Ok(())
        } else {
            Err("connection refused")
        }
    })
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    assert!(report.aborted.is_some(), "{}", report.one_line());
    assert!(report.ok > 50, "{}", report.one_line());
    assert!(report.errors > 0);
    assert_eq!(report.error_samples, vec!["connection refused".to_string()]);

    // A hung target: requests time out, are counted as errors, and the run is stopped.
    let config = cfg("hangs", 0, 10_000)
        .timeout(Duration::from_millis(50))
        .abort_after(Some(Duration::from_millis(200)));
    let started = Instant::now();
    let report = load::open_loop(&config, 100.0, 4, |_| {
        std::future::pending::<Result<(), Infallible>>()
    })
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        report.timeouts > 0 && report.timeouts == report.errors,
        "{}",
        report.one_line()
    );
    assert!(report.aborted.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_converts_to_valid_schema_metrics() {
    let _turn = turn().await;
    let report = load::open_loop(&cfg("metrics", 0, 300), 200.0, 4, |_| sleep_ms(1)).await;
    let (metrics, hists) = report.to_metrics("qdrant_search", "mixtral/grpc/dense/open_200");
    let mut run = perfwarden::results::Run::new(perfwarden::results::Environment::detect(
        perfwarden::profile::Profile::Smoke,
    ));
    run.metrics = metrics;
    run.histograms = hists;
    perfwarden::results::validate(&run).unwrap();
    let p99 = run
        .metrics
        .iter()
        .find(|m| m.metric == "latency_p99")
        .unwrap();
    assert_eq!(
        p99.histogram.as_deref(),
        Some("qdrant_search/mixtral/grpc/dense/open_200/latency")
    );
    let decoded = load::LatencyHistogram::decode_base64(&run.histograms[0].hdr).unwrap();
    assert_eq!(decoded.summary().p99_ms, p99.value);
    for name in [
        "qps",
        "achieved_rate",
        "late_ratio",
        "dropped",
        "error_rate",
        "latency_mean",
    ] {
        assert!(
            run.metrics.iter().any(|m| m.metric == name),
            "{name} missing"
        );
    }
}

/// Two load machines' runs merge exactly: latencies recomputed from the summed histograms,
/// rates added (what `perfwarden merge` does with the engine's output).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_of_two_machines_merge_exactly() {
    use perfwarden::profile::Profile;
    use perfwarden::results::{Environment, Run, merge};
    let _turn = turn().await;
    let fast = load::closed_loop(&cfg("m1", 0, 300), 2, |_| sleep_ms(2)).await;
    let slow = load::closed_loop(&cfg("m2", 0, 300), 2, |_| sleep_ms(30)).await;
    let runs: Vec<Run> = [&fast, &slow]
        .iter()
        .map(|r| {
            let mut run = Run::new(Environment::detect(Profile::Smoke));
            let (metrics, hists) = r.to_metrics("s", "b/closed_c2");
            run.metrics = metrics;
            run.histograms = hists;
            run
        })
        .collect();
    let merged = merge::merge_runs(&runs).unwrap();
    assert_eq!(merged.machines, 2);
    let mut both = fast.latency.clone();
    both.merge(&slow.latency);
    let get = |name: &str| {
        merged
            .metrics
            .iter()
            .find(|m| m.metric == name)
            .unwrap()
            .value
    };
    assert!((get("latency_p99") - both.summary().p99_ms).abs() < 1e-9);
    assert!((get("latency_p50") - both.summary().p50_ms).abs() < 1e-9);
    assert!((get("qps") - (fast.throughput() + slow.throughput())).abs() < 1e-6);
}

/// `max_requests` ends a closed loop after exactly that many sequence numbers, each sent
/// once, long before its duration bound (the redis_cache suite's hit rate relies on it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_loop_stops_after_max_requests() {
    let _turn = turn().await;
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let started = Instant::now();
    let log = seen.clone();
    let report = load::closed_loop(
        &cfg("bounded", 0, 30_000).max_requests(Some(500)),
        4,
        move |i| {
            log.lock().unwrap().push(i);
            async { Ok::<(), Infallible>(()) }
        },
    )
    .await;
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(report.ok, 500, "{}", report.one_line());
    let mut seen = seen.lock().unwrap().clone();
    seen.sort_unstable();
    assert_eq!(seen, (0..500).collect::<Vec<u64>>());
}

/// Three workers' shares of one open-loop plan, started together, send exactly the plan's
/// slots between them (each the slots `k ≡ i mod 3`, at a third of the rate), and their
/// reports merge into every request of the plan.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_shares_of_an_open_loop_send_the_whole_plan_between_them() {
    use std::sync::{Arc, Mutex};
    use std::time::SystemTime;
    let _turn = turn().await;
    let start_at = Some(SystemTime::now() + Duration::from_millis(200));
    let (rate, n) = (300.0, 3u64);
    let sent: Arc<Vec<Mutex<Vec<u64>>>> = Arc::new((0..n).map(|_| Mutex::new(vec![])).collect());
    let runs = (0..n).map(|index| {
        let share = load::Share {
            index,
            of: n,
            start_at,
        };
        let sent = sent.clone();
        async move {
            let cfg = cfg(&format!("share {index}"), 0, 500)
                .share(share)
                .late_after(Duration::from_secs(1));
            load::open_loop(&cfg, rate, 8, move |k| {
                sent[index as usize].lock().unwrap().push(k);
                sleep_ms(2)
            })
            .await
        }
    });
    let reports = futures::future::join_all(runs).await;
    let slots = (0.5 * rate) as u64;
    let mut all = Vec::new();
    for (i, (report, mine)) in reports.iter().zip(sent.iter()).enumerate() {
        let mine = mine.lock().unwrap().clone();
        assert!(
            mine.iter().all(|k| k % n == i as u64),
            "worker {i}: {mine:?}"
        );
        assert_eq!(mine.len() as u64, slots / n, "worker {i}");
        assert_eq!(report.latency.count(), slots / n);
        match report.mode {
            LoadMode::Open { rate: r, .. } => assert_eq!(r, rate / n as f64),
            other => panic!("{other:?}"),
        }
        all.extend(mine);
    }
    all.sort_unstable();
    assert_eq!(all, (0..slots).collect::<Vec<_>>());
}
