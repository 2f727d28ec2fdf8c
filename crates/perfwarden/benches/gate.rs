//! The gate's own speed: compare + render over 10,000 metrics, a fifth of them carrying 30
//! raw samples and a tenth a confidence interval, under a fixed copy of perfwarden.toml
//! (fixtures/bench/): the workload must not change when the repository's own gate config
//! does (a PR that loosened perfwarden.toml would otherwise also speed up this bench).
//! Goal: under 100 ms for compare + Markdown + JSON on a 2-core CI machine.
//!
//! Run: `cargo bench --bench gate`.
//!
//! `PERFWARDEN_INJECT_SLOWDOWN=0.15` makes every measured iteration spin on the CPU for 15%
//! of the time its work took, so `perfwarden calibrate --inject-slowdown` can check that the
//! gate catches a known regression of its own bench.

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, criterion_group};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use perfwarden::gate::{Config, compare};
use perfwarden::report::{json, markdown};
use perfwarden::results::{Direction, Environment, Interval, Metric, Run, Unit};

const METRICS: usize = 10_000;

fn env(commit: &str) -> Environment {
    Environment {
        machine_class: "gha-ubuntu-2core".into(),
        cpu_model: "AMD EPYC 7763 64-Core Processor".into(),
        cores: 2,
        os: "Ubuntu 24.04.2 LTS".into(),
        rustc: "rustc 1.95.0".into(),
        git_commit: Some(commit.into()),
        timestamp: "2026-05-01T12:00:00Z".into(),
        profile: "pr".into(),
        services: Default::default(),
    }
}

/// A baseline and a current run of `METRICS` metrics: most within ±5%, about 5% worse and
/// 5% better by 10-40%, seeded so every run measures the same work.
fn runs() -> (Run, Run) {
    let mut rng = ChaCha8Rng::seed_from_u64(0x9a7e);
    let suites = [
        "qdrant_search",
        "redis_cache",
        "ingest_parquet_s3",
        "grpc_windows",
    ];
    let names = [
        ("latency_mean", Unit::Milliseconds, Direction::LowerIsBetter),
        ("latency_p95", Unit::Milliseconds, Direction::LowerIsBetter),
        ("latency_p99", Unit::Microseconds, Direction::LowerIsBetter),
        ("throughput", Unit::OpsPerSecond, Direction::HigherIsBetter),
        ("hit_rate", Unit::Percent, Direction::HigherIsBetter),
    ];
    let mut base = Run::new(env("3f9c2d1e8a7b"));
    let mut cur = Run::new(env("a1b2c3d4e5f6"));
    for i in 0..METRICS {
        let suite = suites[i % suites.len()];
        let (name, unit, direction) = names[(i / suites.len()) % names.len()];
        let bench = format!("collection_{:04}/grpc/dense", i / 20);
        let v0: f64 = rng.random_range(1.0..1000.0);
        let roll: f64 = rng.random();
        let factor = if roll < 0.05 {
            1.0 + rng.random_range(0.1..0.4)
        } else if roll < 0.10 {
            1.0 - rng.random_range(0.1..0.4)
        } else {
            1.0 + rng.random_range(-0.05..0.05)
        };
        let mut b = Metric::new(suite, &bench, name, unit, direction, v0);
        let mut c = Metric::new(suite, &bench, name, unit, direction, v0 * factor);
        if i % 5 == 0 {
            let spread = rng.random_range(0.01..0.3);
            let mut samples = |v: f64| -> Vec<f64> {
                (0..30)
                    .map(|_| v * (1.0 + rng.random_range(-spread..spread)))
                    .collect()
            };
            b.samples = Some(samples(v0));
            c.samples = Some(samples(v0 * factor));
        } else if i % 10 == 1 {
            for m in [&mut b, &mut c] {
                let v = m.value;
                m.ci = Some(Interval {
                    lower: v * 0.95,
                    upper: v * 1.05,
                    level: 0.95,
                });
            }
        }
        base.metrics.push(b);
        cur.metrics.push(c);
    }
    (base, cur)
}

fn config() -> Config {
    let path = perfwarden::manifest_dir!().join("../../fixtures/bench/perfwarden.toml");
    Config::from_toml(
        &std::fs::read_to_string(path).expect("fixtures/bench/perfwarden.toml is there"),
    )
    .expect("fixtures/bench/perfwarden.toml parses")
}

/// The injected slowdown fraction (`PERFWARDEN_INJECT_SLOWDOWN`); 0 when unset.
fn slowdown() -> f64 {
    std::env::var("PERFWARDEN_INJECT_SLOWDOWN")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|f| f.is_finite() && *f > 0.0)
        .unwrap_or(0.0)
}

/// Runs `work`, then with an injected slowdown spins for that fraction of its time again.
fn slowed<T>(factor: f64, work: impl FnOnce() -> T) -> T {
    if factor <= 0.0 {
        return work();
    }
    let started = Instant::now();
    let out = work();
    let until = Instant::now() + started.elapsed().mul_f64(factor);
    while Instant::now() < until {
        std::hint::spin_loop();
    }
    out
}

fn gate(c: &mut Criterion) {
    let f = slowdown();
    let (base, cur) = runs();
    let config = config();
    let comparison = compare(&base, &cur, &config).expect("comparable");
    let inputs = json::Inputs::default();
    let mut group = c.benchmark_group("gate_10k_metrics");
    group.sample_size(20);
    group.bench_function("compare", |b| {
        b.iter(|| {
            slowed(f, || {
                compare(black_box(&base), black_box(&cur), &config).unwrap()
            })
        })
    });
    group.bench_function("render_markdown", |b| {
        b.iter(|| slowed(f, || markdown::render(black_box(&comparison))))
    });
    group.bench_function("render_json", |b| {
        b.iter(|| slowed(f, || json::render(black_box(&comparison), &inputs)))
    });
    group.bench_function("compare_and_render", |b| {
        b.iter(|| {
            slowed(f, || {
                let c = compare(black_box(&base), black_box(&cur), &config).unwrap();
                (markdown::render(&c), json::render(&c, &inputs))
            })
        })
    });
    group.finish();
}

criterion_group!(benches, gate);

/// Criterion's main, except that with `PERFWARDEN_INSTRUCTIONS_ONCE` set it runs compare +
/// render once and exits, so `valgrind --tool=callgrind` can count the instructions of
/// exactly that work (`perfwarden calibrate --instructions`).
fn main() {
    if std::env::var_os("PERFWARDEN_INSTRUCTIONS_ONCE").is_some() {
        let (base, cur) = runs();
        let config = config();
        let inputs = json::Inputs::default();
        black_box(slowed(slowdown(), || {
            let c = compare(&base, &cur, &config).unwrap();
            (markdown::render(&c), json::render(&c, &inputs))
        }));
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
