//! Exports to Bencher and github-action-benchmark, checked as exact text.

use perfwarden::results::{Direction, Environment, Interval, Metric, Run, Unit, export};

fn run() -> Run {
    let mut run = Run::new(Environment {
        machine_class: "gha-ubuntu-2core".into(),
        cpu_model: "AMD EPYC 7763".into(),
        cores: 2,
        os: "Ubuntu 24.04".into(),
        rustc: "rustc 1.95.0".into(),
        git_commit: None,
        timestamp: "2026-11-20T10:00:00Z".into(),
        profile: "pr".into(),
        services: Default::default(),
    });
    let mut p99 = Metric::new(
        "qdrant_search",
        "mixtral/grpc",
        "latency_p99",
        Unit::Microseconds,
        Direction::LowerIsBetter,
        1089.0,
    );
    p99.ci = Some(Interval {
        lower: 1050.0,
        upper: 1120.0,
        level: 0.95,
    });
    p99.sample_count = Some(1000);
    let mut ops = Metric::new(
        "qdrant_search",
        "mixtral/grpc",
        "throughput",
        Unit::OpsPerSecond,
        Direction::HigherIsBetter,
        11250.0,
    );
    ops.ci = Some(Interval {
        lower: 11010.0,
        upper: 11480.5,
        level: 0.99,
    });
    ops.std_dev = Some(190.25);
    let hit = Metric::new(
        "redis_cache",
        "zipf-1.1",
        "hit_rate",
        Unit::Percent,
        Direction::HigherIsBetter,
        93.5,
    );
    let mut cold = Metric::new(
        "redis_cache",
        "zipf-1.1",
        "miss_latency_p50",
        Unit::Milliseconds,
        Direction::LowerIsBetter,
        4.25,
    );
    cold.sample_count = Some(12);
    run.metrics = vec![p99, ops, hit, cold];
    run
}

#[test]
fn bencher_metric_format() {
    assert_eq!(
        export::bencher(&run()),
        r#"{
  "qdrant_search/mixtral/grpc": {
    "latency_p99": {
      "value": 1089.0,
      "lower_value": 1050.0,
      "upper_value": 1120.0
    },
    "throughput": {
      "value": 11250.0,
      "lower_value": 11010.0,
      "upper_value": 11480.5
    }
  },
  "redis_cache/zipf-1.1": {
    "hit_rate": {
      "value": 93.5
    },
    "miss_latency_p50": {
      "value": 4.25
    }
  }
}
"#
    );
}

#[test]
fn github_action_benchmark_smaller_and_bigger() {
    let (smaller, bigger) = export::github_action_benchmark(&run());
    assert_eq!(
        smaller,
        r#"[
  {
    "name": "qdrant_search/mixtral/grpc/latency_p99",
    "unit": "us",
    "value": 1089.0,
    "range": "±39",
    "extra": "95% CI: 1050 to 1120 us\nsamples: 1000"
  },
  {
    "name": "redis_cache/zipf-1.1/miss_latency_p50",
    "unit": "ms",
    "value": 4.25,
    "extra": "samples: 12"
  }
]
"#
    );
    assert_eq!(
        bigger,
        r#"[
  {
    "name": "qdrant_search/mixtral/grpc/throughput",
    "unit": "ops/s",
    "value": 11250.0,
    "range": "±240",
    "extra": "99% CI: 11010 to 11480.5 ops/s\nstd_dev: 190.25 ops/s"
  },
  {
    "name": "redis_cache/zipf-1.1/hit_rate",
    "unit": "percent",
    "value": 93.5
  }
]
"#
    );
}

#[test]
fn an_empty_run_exports_empty_documents() {
    let mut empty = run();
    empty.metrics.clear();
    assert_eq!(export::bencher(&empty), "{}\n");
    let (s, b) = export::github_action_benchmark(&empty);
    assert_eq!((s.as_str(), b.as_str()), ("[]\n", "[]\n"));
}
