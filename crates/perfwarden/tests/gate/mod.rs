//! The gate: the decision rule of the comparison (`compare`), and the reports made from it
//! (`report`, checked as exact text with insta snapshots).

mod budgets;
mod compare;
mod noise;
mod report;

use perfwarden::gate::{Comparison, Config, compare};
use perfwarden::results::{Direction, Environment, Interval, Metric, Run, Unit};

/// A fixed environment, so reports are reproducible.
pub fn env(machine_class: &str, commit: &str) -> Environment {
    Environment {
        machine_class: machine_class.into(),
        cpu_model: "AMD EPYC 7763 64-Core Processor".into(),
        cores: 2,
        os: "Ubuntu 24.04.2 LTS (kernel 6.8.0-1021-azure)".into(),
        rustc: "rustc 1.95.0 (59807616e 2026-04-14)".into(),
        git_commit: Some(commit.into()),
        timestamp: "2026-05-01T12:00:00Z".into(),
        profile: "pr".into(),
        services: Default::default(),
    }
}

pub const BASE_COMMIT: &str = "3f9c2d1e8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d";
pub const CUR_COMMIT: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678";

pub fn run_on(machine_class: &str, commit: &str, metrics: Vec<Metric>) -> Run {
    let mut r = Run::new(env(machine_class, commit));
    r.metrics = metrics;
    r
}

pub fn base(metrics: Vec<Metric>) -> Run {
    run_on("gha-ubuntu-2core", BASE_COMMIT, metrics)
}

pub fn cur(metrics: Vec<Metric>) -> Run {
    run_on("gha-ubuntu-2core", CUR_COMMIT, metrics)
}

/// A latency in ms (lower is better).
pub fn lat(suite: &str, bench: &str, name: &str, value: f64) -> Metric {
    Metric::new(
        suite,
        bench,
        name,
        Unit::Milliseconds,
        Direction::LowerIsBetter,
        value,
    )
}

/// A throughput in ops/s (higher is better).
pub fn thr(suite: &str, bench: &str, name: &str, value: f64) -> Metric {
    Metric::new(
        suite,
        bench,
        name,
        Unit::OpsPerSecond,
        Direction::HigherIsBetter,
        value,
    )
}

pub fn with_samples(mut m: Metric, samples: &[f64]) -> Metric {
    m.samples = Some(samples.to_vec());
    m
}

pub fn with_ci(mut m: Metric, lower: f64, upper: f64) -> Metric {
    m.ci = Some(Interval {
        lower,
        upper,
        level: 0.95,
    });
    m
}

pub fn config(toml: &str) -> Config {
    Config::from_toml(toml).unwrap_or_else(|e| panic!("test config: {e}"))
}

/// Compares with the default config.
pub fn gate(b: Vec<Metric>, c: Vec<Metric>) -> Comparison {
    compare(&base(b), &cur(c), &Config::default()).expect("comparable runs")
}
