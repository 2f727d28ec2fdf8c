//! Workload mixes and load shapes (spike, soak) on the load engine's virtual clock: every
//! send time, count and latency is exact, whatever the machine is doing.

use std::convert::Infallible;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use perfwarden_harness::load::{
    self, Clock, Kinds, LatencyHistogram, LoadConfig, Mix, MixPlan, ProgressMode, Shape,
    SpikePhase, TagStats, VirtualClock,
};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn cfg(clock: &VirtualClock, warmup_ms: u64, duration_ms: u64) -> LoadConfig {
    LoadConfig::new("shape", ms(warmup_ms), ms(duration_ms))
        .progress(ProgressMode::Quiet)
        .clock(Clock::Virtual(clock.clone()))
        .abort_after(None)
}

/// The p99 a histogram reports for latencies all equal to `d` (its bucket's value).
fn p99_of(d: Duration) -> f64 {
    histogram([d]).summary().p99_ms
}

fn histogram(latencies: impl IntoIterator<Item = Duration>) -> LatencyHistogram {
    let mut h = LatencyHistogram::new();
    latencies.into_iter().for_each(|l| h.record(l));
    h
}

/// 100/s, ×4 from 1 s for 1 s, back: every slot goes out exactly when the schedule says,
/// and each phase holds the slots due in it (warm-up slots are not recorded).
#[test]
fn a_spike_sends_base_then_k_times_base_then_base_on_schedule() {
    let shape = Shape::Spike {
        base: 100.0,
        factor: 4.0,
        at: ms(1000),
        length: ms(1000),
    };
    let schedule = shape.schedule(ms(100), ms(3000));
    VirtualClock::run(|clock| async move {
        let sent = Arc::new(Mutex::new(Vec::new()));
        let (log, c) = (sent.clone(), clock.clone());
        let s = load::spike(&cfg(&clock, 100, 3000), &shape, 16, move |k| {
            log.lock().unwrap().push((k, c.now()));
            async { Ok::<_, Infallible>(()) }
        })
        .await;
        let counts = s.phases.each_ref().map(|p| p.requests());
        assert_eq!(counts, [100, 400, 100], "{}", s.one_line());
        assert_eq!((s.report.dropped, s.report.late), (0, 0));
        let sent = sent.lock().unwrap().clone();
        assert_eq!(sent.len() as u64, schedule.slots());
        let t0 = sent[0].1;
        for (k, at) in sent {
            assert_eq!(at - t0, schedule.due(k), "slot {k}");
        }
        // An instant target recovers at once.
        assert_eq!(s.recovery, Some(Duration::ZERO));
    });
}

/// Four workers of 10 ms each serve 400/s. At 200/s every request takes 10 ms; the burst
/// of 800/s for 500 ms leaves a backlog of about 200 requests (400/s more than served),
/// which the base rate's spare 200/s clears in about a second. Latency counts from each
/// slot's due time, so the backlog shows during and after the burst, and the first 100 ms
/// window after the backlog is back at 10 ms.
#[test]
fn an_overloading_spike_shows_during_and_after_then_recovers() {
    let shape = Shape::Spike {
        base: 200.0,
        factor: 4.0,
        at: ms(1000),
        length: ms(500),
    };
    VirtualClock::run(|clock| async move {
        let c = clock.clone();
        let config = cfg(&clock, 100, 3000).window(ms(100));
        let s = load::spike(&config, &shape, 4, move |_| {
            let c = c.clone();
            async move {
                c.sleep(ms(10)).await;
                Ok::<_, Infallible>(())
            }
        })
        .await;
        let p99 = |p: SpikePhase| s.phases[p as usize].latency.summary().p99_ms;
        assert_eq!(
            p99(SpikePhase::Before),
            histogram([ms(10)]).summary().p99_ms
        );
        assert!(p99(SpikePhase::During) > 400.0, "{}", s.one_line());
        assert!(p99(SpikePhase::After) > 400.0, "{}", s.one_line());
        let recovery = s.recovery.expect("recovers within the run");
        assert!(
            recovery >= ms(950) && recovery <= ms(1100),
            "{recovery:?}: {}",
            s.one_line()
        );
        let (metrics, _) = s.to_metrics("s", "spike/x");
        let get = |n: &str| metrics.iter().find(|m| m.metric == n).unwrap().value;
        assert_eq!(get("recovery_time"), recovery.as_secs_f64() * 1e3);
        assert!(get("p99_during_over_before") > 40.0);
        assert!(
            metrics
                .iter()
                .any(|m| m.benchmark == "spike/x/during" && m.metric == "latency_p99")
        );
    });
}

const MIX: &str = r#"
[[persona]]
name = "researcher"
users = 3
think_ms = [1000, 3000]
kinds = { fast = 2, slow = 1 }
[[persona]]
name = "pipeline"
users = 1
think_ms = [500, 500]
kinds = { slow = 1 }
"#;

/// A mix in the open loop: each slot's kind is the plan's, per kind and per persona the
/// counts are exactly those of the slots, each kind's latency is its own service time, and
/// a stall of the whole target shows in every kind from its due time (coordinated omission
/// corrected as in a single-kind run), the parts summing to the whole exactly.
#[test]
fn a_mix_keeps_per_kind_and_persona_numbers_and_the_correction() {
    let mix = Mix::parse(Path::new("fixtures/personas/test.toml"), MIX).unwrap();
    VirtualClock::run(|clock| async move {
        // The target holds every request arriving in [from, until) until `until`.
        type Stall = Arc<Mutex<Option<(Instant, Instant)>>>;
        let stall: Stall = Arc::new(Mutex::new(None));
        let kind = |service: Duration| {
            let (c, stall) = (clock.clone(), stall.clone());
            move |_| {
                let (c, stall) = (c.clone(), stall.clone());
                async move {
                    let window = *stall.lock().unwrap();
                    if let Some((_, until)) =
                        window.filter(|(from, until)| (*from..*until).contains(&c.now()))
                    {
                        c.sleep_until(until).await;
                    }
                    c.sleep(service).await;
                    Ok(())
                }
            }
        };
        let kinds = Kinds::new()
            .with("fast", kind(ms(2)))
            .with("slow", kind(ms(7)));
        let plan = MixPlan::new(mix, &kinds, 42).unwrap();
        // Slots 100.. are measured (200/s after a 500 ms warm-up), 400 of them.
        let measured = 100..500u64;
        let class_count = |c: usize| measured.clone().filter(|&k| plan.class_of(k) == c).count();
        let expect: Vec<u64> = (0..plan.classes()).map(|c| class_count(c) as u64).collect();

        let m = load::open_loop_mix(
            &cfg(&clock, 500, 2000),
            &Shape::Constant { rate: 200.0 },
            32,
            plan.clone(),
        )
        .await;
        assert_eq!(m.report.ok, 400, "{}", m.report.one_line());
        let kinds = m.by_kind();
        assert_eq!(kinds[0].0, "fast");
        assert_eq!(kinds[0].1.requests(), expect[0]);
        assert_eq!(kinds[1].1.requests(), expect[1] + expect[2]);
        let all = |d: Duration, n: u64| histogram(std::iter::repeat_n(d, n as usize)).summary();
        assert_eq!(kinds[0].1.latency.summary(), all(ms(2), expect[0]));
        assert_eq!(
            kinds[1].1.latency.summary(),
            all(ms(7), expect[1] + expect[2])
        );
        let personas = m.by_persona();
        assert_eq!(personas[0].1.requests(), expect[0] + expect[1]);
        assert_eq!(personas[1].1.requests(), expect[2]);

        // The same plan with the target stalled for 100 ms from slot 200 (due 1 s after the
        // first slot, which is due 5 ms after the call).
        let from = clock.now() + ms(1005);
        *stall.lock().unwrap() = Some((from, from + ms(100)));
        let m = load::open_loop_mix(
            &cfg(&clock, 500, 2000),
            &Shape::Constant { rate: 200.0 },
            32,
            plan.clone(),
        )
        .await;
        let whole = TagStats::sum(m.by_kind().iter().map(|(_, s)| s));
        assert_eq!(whole.latency.summary(), m.report.summary());
        // Slot 200 + j, due 5j ms into the stall, waits until it ends: its latency from its
        // due time is 100 - 5j ms plus its kind's service time. Each kind's worst is its
        // first slot in the stall.
        for (c, (name, s)) in m.by_kind().into_iter().enumerate() {
            let service = if c == 0 { 2 } else { 7 };
            let first = (200..220u64)
                .find(|&k| plan.class(plan.class_of(k)).1 == name)
                .expect("each kind has a slot in the stall");
            let worst = ms(100 - 5 * (first - 200) + service);
            assert_eq!(
                s.latency.summary().max_ms,
                histogram([worst]).summary().max_ms,
                "{name}"
            );
        }
    });
}

/// A soak of 4 windows of 500 ms: the target gets slower in the second half and its
/// memory grows by 1 MB per window; p99 per window, the drift and the memory samples (taken
/// at each window's end) are exact.
#[test]
fn a_soak_reports_p99_and_memory_drift_across_windows() {
    VirtualClock::run(|clock| async move {
        let start = clock.now();
        let c = clock.clone();
        let sampled = Arc::new(Mutex::new(Vec::new()));
        let (log, c2) = (sampled.clone(), clock.clone());
        let r = load::soak(
            &cfg(&clock, 100, 2000),
            100.0,
            8,
            4,
            move || {
                let (log, c2) = (log.clone(), c2.clone());
                async move {
                    let mut log = log.lock().unwrap();
                    log.push(c2.now() - start);
                    Some(10_000_000 + 1_000_000 * (log.len() as u64 - 1))
                }
            },
            move |_| {
                let c = c.clone();
                async move {
                    let late = c.now() - start >= ms(1105);
                    c.sleep(if late { ms(3) } else { ms(1) }).await;
                    Ok::<_, Infallible>(())
                }
            },
        )
        .await;
        let p99s: Vec<f64> = r
            .windows
            .iter()
            .map(|w| w.latency.summary().p99_ms)
            .collect();
        let (one, three) = (p99_of(ms(1)), p99_of(ms(3)));
        assert_eq!(p99s, [one, one, three, three]);
        assert_eq!(r.windows.iter().map(TagStats::requests).sum::<u64>(), 200);
        assert_eq!(r.p99_drift(), Some(three / one));
        assert_eq!(r.memory_growth(), Some((10_000_000, 14_000_000, 1.4)));
        let at = sampled.lock().unwrap().clone();
        assert_eq!(at, [ms(105), ms(605), ms(1105), ms(1605), ms(2105)]);
    });
}
