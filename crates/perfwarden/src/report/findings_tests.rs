use super::*;
use crate::profile::Profile;
use crate::results::{Direction, Environment, Unit};

fn run(cores: u32, metrics: Vec<Metric>) -> Run {
    let mut env = Environment::detect(Profile::Pr);
    env.cores = cores;
    let mut run = Run::new(env);
    run.metrics = metrics;
    run
}

fn m(bench: &str, name: &str, unit: Unit, value: f64) -> Metric {
    Metric::new("s", bench, name, unit, Direction::LowerIsBetter, value)
}

#[test]
fn nothing_to_say_about_a_healthy_run() {
    let healthy = run(
        2,
        vec![
            m("b/closed_c8", "qps", Unit::OpsPerSecond, 4000.0)
                .label("concurrency", "8")
                .label("in_flight", "7.9"),
            m("b/closed_c8", "latency_mean", Unit::Milliseconds, 1.97),
            m("b/open_500", "qps", Unit::OpsPerSecond, 500.0)
                .label("max_in_flight", "64")
                .label("in_flight", "1.0"),
            m("q/resources", "cpu_max", Unit::Percent, 120.0).label("service", "qdrant"),
            m(
                "q/grpc/dense",
                "max_rate_under_slo",
                Unit::OpsPerSecond,
                900.0,
            ),
            m("soak/x", "memory_growth", Unit::Ratio, 1.02),
            m("soak/x", "p99_drift", Unit::Ratio, 1.1),
            m("q/grpc/dense", "recall_at_10", Unit::Ratio, 0.97),
        ],
    );
    assert_eq!(findings(&healthy, None), []);
}

#[test]
fn each_finding_cites_its_numbers() {
    let troubled = run(
        2,
        vec![
            m("b/closed_c16", "qps", Unit::OpsPerSecond, 2000.0)
                .label("concurrency", "16")
                .label("in_flight", "4.0"),
            m("b/closed_c16", "latency_mean", Unit::Milliseconds, 2.0),
            m("b/open_900", "qps", Unit::OpsPerSecond, 850.0)
                .label("max_in_flight", "8")
                .label("in_flight", "7.6"),
            m("b/open_900", "latency_mean", Unit::Milliseconds, 9.0),
            m("rc/resources", "cpu_max", Unit::Percent, 97.0).label("service", "redis"),
            m(
                "rc/stress",
                "max_rate_under_slo",
                Unit::OpsPerSecond,
                41000.0,
            )
            .label("slo", "p99 < 5 ms"),
            m("soak/x", "memory_growth", Unit::Ratio, 1.5).label("window_s", "15"),
            m("soak/x", "memory_start", Unit::Bytes, 10e6),
            m("soak/x", "memory_end", Unit::Bytes, 15e6),
            m("soak/x", "p99_drift", Unit::Ratio, 2.0)
                .label("window_s", "15")
                .label("p99_ms_by_window", "1.0,1.1,1.9,2.1"),
            m("q/grpc/dense", "recall_at_10", Unit::Ratio, 0.81),
        ],
    );
    let got: Vec<(&str, String, String)> = findings(&troubled, None)
        .into_iter()
        .map(|f| (f.kind, f.subject, f.text))
        .collect();
    let want = [
        (
            "client-bound",
            "s/b/closed_c16",
            "client-bound: 4.0 of 16 requests in flight on average (25%, under 80%); 2000 ops/s × 2.000 ms \
             = 4.0 in flight by Little's law, so 2000 ops/s is what this client sent, not what the server \
             can serve",
        ),
        (
            "client-bound",
            "s/b/open_900",
            "client-bound: 7.6 of at most 8 requests in flight (95%, over 90%); requests waited in the \
             client for a free slot, so the latencies (9.000 ms mean at 850 ops/s) include the client's queue",
        ),
        (
            "memory-growing",
            "s/soak/x",
            "memory grew across the soak: 10.0 MB at the start, 15.0 MB at the end (+50%, over +10%), \
             sampled every 15 s",
        ),
        (
            "p99-drifting",
            "s/soak/x",
            "p99 drifted across the soak: the last quarter's p99 is 2.00× the first quarter's (over 1.5×); \
             p99 per 15 s window, ms: 1.0,1.1,1.9,2.1",
        ),
        (
            "recall-below-target",
            "s/q/grpc/dense/recall_at_10",
            "recall below target: recall@10 0.810 is under 0.950 (the default target)",
        ),
        (
            "server-cpu-saturated",
            "s/rc/stress",
            "server CPU saturated before the SLO: redis peaked at 97% CPU of the 100% it can use (one \
             thread) during this suite, and the highest rate under p99 < 5 ms was 41000/s: on this \
             machine that rate is bounded by the server's CPU, not by the latency target",
        ),
    ];
    let want: Vec<(&str, String, String)> = want
        .iter()
        .map(|(k, s, t)| (*k, s.to_string(), t.to_string()))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn a_multithreaded_server_is_saturated_only_across_its_cores() {
    let qdrant = |cpu| {
        run(
            4,
            vec![
                m("q/resources", "cpu_max", Unit::Percent, cpu).label("service", "qdrant"),
                m(
                    "q/grpc/dense",
                    "max_rate_under_slo",
                    Unit::OpsPerSecond,
                    900.0,
                ),
            ],
        )
    };
    assert_eq!(findings(&qdrant(350.0), None), []);
    let f = findings(&qdrant(390.0), None);
    assert_eq!(f.len(), 1);
    assert!(
        f[0].text
            .contains("390% CPU of the 400% it can use (4 cores)"),
        "{}",
        f[0].text
    );
}
