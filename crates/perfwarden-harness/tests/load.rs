//! The load engine against in-process targets of known behaviour, on a virtual clock: a
//! target that "takes 10 ms" waits exactly 10 ms of virtual time, and the engine's pacer,
//! timeouts and abort monitor wait on the same clock. So every schedule is exact, whatever
//! the machine is doing, and the tests assert exact send times, latencies and counts.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use perfwarden_harness::load::{
    self, Clock, LatencyHistogram, LoadConfig, LoadMode, ProgressMode, VirtualClock,
};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn cfg(clock: &VirtualClock, label: &str, warmup_ms: u64, duration_ms: u64) -> LoadConfig {
    LoadConfig::new(label, ms(warmup_ms), ms(duration_ms))
        .progress(ProgressMode::Quiet)
        .clock(Clock::Virtual(clock.clone()))
}

type Op = Pin<Box<dyn Future<Output = Result<(), Infallible>> + Send>>;

/// A target taking `service(i)` of virtual time for request `i`.
fn target(
    clock: &VirtualClock,
    service: impl Fn(u64) -> Duration + Send + Sync + 'static,
) -> impl Fn(u64) -> Op + Send + Sync + 'static {
    let clock = clock.clone();
    move |i| {
        let (clock, d) = (clock.clone(), service(i));
        Box::pin(async move {
            clock.sleep(d).await;
            Ok(())
        })
    }
}

/// The histogram of these latencies, to compare a report's with.
fn histogram(latencies: impl IntoIterator<Item = Duration>) -> LatencyHistogram {
    let mut h = LatencyHistogram::new();
    for l in latencies {
        h.record(l);
    }
    h
}

/// Service time 10, 20, …, 100 ms by request number, 16 workers: the percentiles are those
/// of the service times each worker went through, computed here from the closed loop's
/// definition (worker `w` sends `w, w + 16, …` back to back; requests sent in the warm-up
/// are not recorded; none is sent after the end, those in flight then are recorded).
#[test]
fn known_service_times_give_expected_percentiles() {
    let service = |i: u64| ms(10 * (1 + i % 10));
    let (warmup, end) = (ms(100), ms(2100));
    let mut expected = Vec::new();
    let mut finished = Duration::ZERO;
    for w in 0..16u64 {
        let (mut t, mut i) = (Duration::ZERO, w);
        while t < end {
            if t >= warmup {
                expected.push(service(i));
            }
            t += service(i);
            i += 16;
        }
        finished = finished.max(t);
    }
    let expected = histogram(expected);
    VirtualClock::run(|clock| async move {
        let report = load::closed_loop(
            &cfg(&clock, "known", 100, 2000),
            16,
            target(&clock, service),
        )
        .await;
        assert_eq!(report.errors, 0);
        assert_eq!(report.ok, expected.count(), "{}", report.one_line());
        assert_eq!(report.summary(), expected.summary());
        let s = report.summary();
        let bucket = |ms: u64| histogram([Duration::from_millis(ms)]).summary().p50_ms;
        assert_eq!(
            (s.p50_ms, s.p90_ms, s.p99_ms),
            (bucket(50), bucket(90), bucket(100))
        );
        // Sixteen workers each waiting the mean latency per request, over the measured
        // period, which runs until the last request in flight at the end has answered.
        assert_eq!(report.measured, finished - warmup);
        assert_eq!(
            report.throughput(),
            report.ok as f64 / report.measured.as_secs_f64()
        );
    });
}

/// Every worker sends at 0, 20, 40, … ms: those sent at 100..=1080 ms are recorded, the last
/// answers at 1100 ms, so the measured second holds 50 requests per worker, all in flight.
#[test]
fn closed_loop_throughput_is_concurrency_over_service_time() {
    VirtualClock::run(|clock| async move {
        for concurrency in [2u64, 16] {
            let report = load::closed_loop(
                &cfg(&clock, "tput", 100, 1000),
                concurrency as usize,
                target(&clock, |_| ms(20)),
            )
            .await;
            assert_eq!(report.ok, 50 * concurrency);
            assert_eq!(report.measured, ms(1000));
            assert_eq!(report.throughput(), 50.0 * concurrency as f64);
            let little = report.little();
            assert_eq!(little.client_bound, None);
            assert_eq!(little.utilisation, 1.0, "{little:?}");
        }
    });
}

/// A rate carries its per-window rates as samples, so the gate tests a change in it
/// against its spread within the run. Two workers, 20 ms each, 100 ms windows: the first
/// window holds answers at 120..=180 ms (4 per worker), the others 5 per worker; the answer
/// at 1100 ms falls in no full window.
#[test]
fn a_rate_carries_its_per_window_rates() {
    VirtualClock::run(|clock| async move {
        let report = load::closed_loop(
            &cfg(&clock, "windows", 100, 1000).window(ms(100)),
            2,
            target(&clock, |_| ms(20)),
        )
        .await;
        let (metrics, _) = report.to_metrics("s", "b");
        let qps = metrics.iter().find(|m| m.metric == "qps").unwrap();
        assert_eq!(qps.value, 100.0);
        let mut expect = [100.0; 10];
        expect[0] = 80.0;
        assert_eq!(qps.samples.as_deref(), Some(&expect[..]));
        // One window of a second is no spread: no samples.
        let report = load::closed_loop(
            &cfg(&clock, "one", 100, 1000),
            2,
            target(&clock, |_| ms(20)),
        )
        .await;
        let (metrics, _) = report.to_metrics("s", "b");
        let qps = metrics.iter().find(|m| m.metric == "qps").unwrap();
        assert_eq!(qps.samples, None);
    });
}

/// A target that holds every request arriving in `[from, from + 100 ms)` (counted from the
/// first request it sees) until the stall ends, then answers in 1 ms, like a server paused
/// by a GC or a compaction. Logs when each request arrived.
fn stalling_target(
    clock: &VirtualClock,
    from: Duration,
    sent: Arc<Mutex<Vec<(u64, Instant)>>>,
) -> impl Fn(u64) -> Op + Send + Sync + 'static {
    let clock = clock.clone();
    let first = Arc::new(Mutex::new(None::<Instant>));
    move |i| {
        let (clock, sent, first) = (clock.clone(), sent.clone(), first.clone());
        Box::pin(async move {
            let now = clock.now();
            sent.lock().unwrap().push((i, now));
            let t0 = *first.lock().unwrap().get_or_insert(now);
            let (stall_from, stall_until) = (t0 + from, t0 + from + ms(100));
            if now >= stall_from && now < stall_until {
                clock.sleep_until(stall_until).await;
            }
            clock.sleep(ms(1)).await;
            Ok(())
        })
    }
}

/// 500/s (a slot every 2 ms) into 8 workers, a 100 ms stall at 1200 ms. Slots 600..=607 are
/// sent on time and held until 1300 ms, answered at 1301 ms. Slots 608..=649 came due in the
/// stall and 650.. keep coming; from 1301 ms the 8 workers send 8 a millisecond, the backlog
/// clearing at 1306 ms with slot 653. Latency from the intended send time (coordinated
/// omission corrected): 101 ms for slot 600 ramping down. The same stall under a closed loop
/// shows in the 8 requests in flight only.
#[test]
fn a_stall_shows_in_the_open_loop_p99_and_is_counted_late() {
    // Latency and service time of slot k, in ms.
    let expected = |k: u64| -> (u64, u64) {
        match k {
            600..=607 => (101 - 2 * (k - 600), 101 - 2 * (k - 600)),
            608..=653 => {
                let (m, j) = ((k - 608) / 8, (k - 608) % 8);
                (86 - 15 * m - 2 * j, 1)
            }
            _ => (1, 1),
        }
    };
    let latencies = histogram((100..1100).map(|k| ms(expected(k).0)));
    let service = histogram((100..1100).map(|k| ms(expected(k).1)));
    VirtualClock::run(|clock| async move {
        let sent = Arc::new(Mutex::new(Vec::new()));
        let report = load::open_loop(
            &cfg(&clock, "stall", 200, 2000),
            500.0,
            8,
            stalling_target(&clock, ms(1200), sent.clone()),
        )
        .await;
        assert_eq!(
            (report.ok, report.dropped),
            (1000, 0),
            "{}",
            report.one_line()
        );
        assert_eq!(report.summary(), latencies.summary());
        assert_eq!(report.service.summary(), service.summary());
        assert_eq!(report.summary().max_ms, latencies.summary().max_ms);
        // Sent more than 2 ms late: the five batches of 8 and four of the last six.
        assert_eq!(report.late, 44);
        assert_eq!(report.achieved_rate(), 500.0);
        let worst = report.windows.iter().map(|w| w.latency_max).max();
        assert_eq!(worst, Some(ms(101)));
        // Every slot outside the backlog went out exactly on its schedule.
        let sent = sent.lock().unwrap().clone();
        let t0 = sent.iter().find(|(k, _)| *k == 0).unwrap().1;
        for (k, at) in &sent {
            if !(608..=653).contains(k) {
                assert_eq!(*at - t0, ms(2 * k), "slot {k}");
            }
        }
        assert_eq!(sent.len(), 1100);

        let log = Arc::new(Mutex::new(Vec::new()));
        let closed = load::closed_loop(
            &cfg(&clock, "stall-closed", 200, 2000),
            8,
            stalling_target(&clock, ms(1200), log),
        )
        .await;
        // Each worker sends every ms; those sent at 1200 ms answer at 1301 ms.
        let stalled =
            histogram(std::iter::repeat_n(ms(101), 8).chain(std::iter::repeat_n(ms(1), 8 * 1899)));
        assert_eq!(closed.summary(), stalled.summary(), "{}", closed.one_line());
        assert_eq!(closed.summary().p99_ms, stalled.summary().p50_ms);
    });
}

#[test]
fn open_loop_keeps_its_rate_and_discards_warmup() {
    VirtualClock::run(|clock| async move {
        let config = cfg(&clock, "rate", 500, 1000).late_after(ms(20));
        let sent = Arc::new(Mutex::new(Vec::new()));
        let log = sent.clone();
        let c = clock.clone();
        let report = load::open_loop(&config, 400.0, 16, move |k| {
            log.lock().unwrap().push((k, c.now()));
            async { Ok::<_, Infallible>(()) }
        })
        .await;
        assert_eq!(
            report.mode,
            LoadMode::Open {
                rate: 400.0,
                max_in_flight: 16
            }
        );
        // Only the measured second is recorded: 400 requests, not 600.
        assert_eq!((report.ok, report.dropped, report.late), (400, 0, 0));
        // An instant target answers at its slot: every latency is the histogram's floor.
        assert_eq!(report.summary().max_ms, 0.001);
        assert_eq!(report.windows.len(), 1);
        assert_eq!(report.windows[0].ok, 400);
        let sent = sent.lock().unwrap().clone();
        assert_eq!(sent.len(), 600);
        let t0 = sent[0].1;
        for (k, at) in sent {
            assert_eq!(at - t0, Duration::from_micros(2500 * k), "slot {k}");
        }
    });
}

#[test]
fn little_law_flags_a_client_side_bottleneck() {
    VirtualClock::run(|clock| async move {
        // Half of each iteration is spent building the request (synchronously, outside the
        // measured latency): on one thread the two workers' requests alternate, one in
        // flight at a time, so one of the two workers is busy at any moment.
        let c = clock.clone();
        let report = load::closed_loop(&cfg(&clock, "slow-client", 50, 500), 2, move |_| {
            c.spend(ms(5));
            let c = c.clone();
            async move {
                c.sleep(ms(5)).await;
                Ok::<_, Infallible>(())
            }
        })
        .await;
        let little = report.little();
        // One request in flight throughout the measured 500 ms; the period itself runs
        // until the last answer, 5 ms past the end.
        assert_eq!(report.measured, ms(505));
        assert_eq!(little.in_flight, 0.5 / 0.505, "{little:?}");
        assert_eq!(little.utilisation, little.in_flight / 2.0);
        let why = little
            .client_bound
            .expect("a client-side bottleneck is flagged");
        assert!(why.contains("client-side bottleneck"), "{why}");

        // An open loop whose cap is too small for rate × latency is flagged too: two workers
        // answer 200/s of the 400/s offered, so the backlog grows. Slot k goes out at 5k ms
        // (2.5 ms earlier for odd k), all but the first two late; of the 221 slots due by the
        // end (the one due at the end itself included), 111 went out, 91 of them measured.
        let report = load::open_loop(
            &cfg(&clock, "small-cap", 50, 500),
            400.0,
            2,
            target(&clock, |_| ms(10)),
        )
        .await;
        let little = report.little();
        assert!(little.client_bound.is_some(), "{little:?}");
        assert_eq!(little.utilisation, 1.0);
        assert_eq!(
            (report.ok, report.late, report.dropped),
            (91, 91, 110),
            "{}",
            report.one_line()
        );
    });
}

#[test]
fn a_target_that_dies_ends_the_run_early_keeping_what_was_measured() {
    VirtualClock::run(|clock| async move {
        // Answers in 1 ms until 400 ms, errors after. The monitor ticks every 100 ms: at
        // 500 ms it sees only errors since the last tick, at 800 ms it has seen only errors
        // for 300 ms and stops the run.
        let start = clock.now();
        let died_at = start + ms(400);
        let config = cfg(&clock, "dies", 100, 10_000).abort_after(Some(ms(300)));
        let c = clock.clone();
        let report = load::closed_loop(&config, 4, move |_| {
            let c = c.clone();
            async move {
                c.sleep(ms(1)).await;
                if c.now() < died_at {
                    Ok(())
                } else {
                    Err("connection refused")
                }
            }
        })
        .await;
        assert_eq!(clock.now() - start, ms(800));
        assert!(report.aborted.is_some(), "{}", report.one_line());
        // Sent at 100..=398 ms (answered before 400 ms) by each of the 4 workers.
        assert_eq!(report.ok, 4 * 299, "{}", report.one_line());
        assert_eq!(report.errors, 4 * 401, "{}", report.one_line());
        assert_eq!(report.error_samples, vec!["connection refused".to_string()]);

        // A hung target: requests time out after 50 ms and count as errors. The monitor sees
        // only errors at 100 ms and stops the run at 300 ms; the pacer closes at its next slot
        // (305 ms), just after one worker took one more from the backlog, which times out at
        // 355 ms. Each worker sent one request every 50 ms from its first slot: 7 + 3 × 6.
        let config = cfg(&clock, "hangs", 0, 10_000)
            .timeout(ms(50))
            .abort_after(Some(ms(200)));
        let start = clock.now();
        let report = load::open_loop(&config, 100.0, 4, |_| {
            std::future::pending::<Result<(), Infallible>>()
        })
        .await;
        assert_eq!(clock.now() - start, ms(355), "{}", report.one_line());
        assert_eq!(report.timeouts, 25, "{}", report.one_line());
        assert_eq!(report.timeouts, report.errors);
        assert_eq!(report.ok, 0);
        assert!(report.aborted.is_some());
    });
}

#[test]
fn report_converts_to_valid_schema_metrics() {
    VirtualClock::run(|clock| async move {
        let report = load::open_loop(
            &cfg(&clock, "metrics", 0, 300),
            200.0,
            4,
            target(&clock, |_| ms(1)),
        )
        .await;
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
        assert_eq!(decoded.summary(), histogram([ms(1); 60]).summary());
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
    });
}

/// Two load machines' runs merge exactly: latencies recomputed from the summed histograms,
/// rates added (what `perfwarden merge` does with the engine's output).
#[test]
fn reports_of_two_machines_merge_exactly() {
    use perfwarden::profile::Profile;
    use perfwarden::results::{Environment, Run, merge};
    VirtualClock::run(|clock| async move {
        let fast =
            load::closed_loop(&cfg(&clock, "m1", 0, 300), 2, target(&clock, |_| ms(2))).await;
        let slow =
            load::closed_loop(&cfg(&clock, "m2", 0, 300), 2, target(&clock, |_| ms(30))).await;
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
        assert_eq!(get("latency_p99"), both.summary().p99_ms);
        assert_eq!(get("latency_p50"), both.summary().p50_ms);
        assert_eq!(get("qps"), fast.throughput() + slow.throughput());
        // 150 requests of 2 ms and 20 of 30 ms.
        assert_eq!((fast.ok, slow.ok), (300, 20));
    });
}

/// `max_requests` ends a closed loop after exactly that many sequence numbers, each sent
/// once, long before its duration bound (the redis_cache suite's hit rate relies on it).
#[test]
fn closed_loop_stops_after_max_requests() {
    VirtualClock::run(|clock| async move {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let report = load::closed_loop(
            &cfg(&clock, "bounded", 0, 30_000).max_requests(Some(500)),
            4,
            move |i| {
                log.lock().unwrap().push(i);
                async { Ok::<(), Infallible>(()) }
            },
        )
        .await;
        // An instant target: the run took no time at all.
        assert_eq!(report.measured, Duration::ZERO);
        assert_eq!(report.ok, 500, "{}", report.one_line());
        let mut seen = seen.lock().unwrap().clone();
        seen.sort_unstable();
        assert_eq!(seen, (0..500).collect::<Vec<u64>>());
    });
}

/// Three workers' shares of one open-loop plan, run together on one clock, send exactly the
/// plan's slots between them: worker `i` the slots `k ≡ i mod 3`, each at its own due time
/// `t0 + k / rate`, at a third of the rate; together every slot once.
#[test]
fn three_shares_of_an_open_loop_send_the_whole_plan_between_them() {
    VirtualClock::run(|clock| async move {
        let (rate, n) = (300.0, 3u64);
        let sent = Arc::new(Mutex::new(Vec::new()));
        let runs = (0..n).map(|index| {
            let share = load::Share {
                index,
                of: n,
                start_at: None,
            };
            let config = cfg(&clock, &format!("share {index}"), 0, 500).share(share);
            let (log, c) = (sent.clone(), clock.clone());
            async move {
                load::open_loop(&config, rate, 8, move |k| {
                    log.lock().unwrap().push((index, k, c.now()));
                    async { Ok::<_, Infallible>(()) }
                })
                .await
            }
        });
        let reports = futures::future::join_all(runs).await;
        for r in &reports {
            assert_eq!(
                r.mode,
                LoadMode::Open {
                    rate: rate / n as f64,
                    max_in_flight: 8
                }
            );
            assert_eq!((r.ok, r.dropped, r.late), (50, 0, 0));
        }
        let mut sent = sent.lock().unwrap().clone();
        sent.sort_by_key(|(_, k, _)| *k);
        assert_eq!(sent.len(), 150);
        let t0 = sent[0].2;
        for (slot, (worker, k, at)) in sent.into_iter().enumerate() {
            assert_eq!(k, slot as u64);
            assert_eq!(worker, k % n, "slot {k}");
            assert_eq!(
                at - t0,
                Duration::from_secs_f64(k as f64 / rate),
                "slot {k}"
            );
        }
    });
}
