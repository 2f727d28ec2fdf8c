//! The reports as exact text (insta snapshots under `tests/gate/snapshots/`), plus the
//! properties a snapshot cannot show: the size limit and hostile names.

use perfwarden::gate::{Comparison, compare};
use perfwarden::report::{github, json, markdown, text};
use perfwarden::results::{Direction, Metric, SuiteOutcome, SuiteStatus, Unit};

use super::*;

/// One comparison with every verdict, a warning, budgets and units of every kind.
fn mixed() -> Comparison {
    let cfg = config(
        r#"
        [gate.suites.grpc_windows]
        threshold = 15
        [[gate.budgets]]
        match = "qdrant_search/**/latency_mean"
        max = 10
        unit = "ms"
        note = "seed target: mean search latency < 10 ms"
        [[gate.budgets]]
        match = "redis_cache/**/hit_rate"
        min = 90
        unit = "percent"
        note = "seed target: hit rate > 90%"
        "#,
    );
    let hit_rate = |v: f64| {
        Metric::new(
            "redis_cache",
            "zipf/get",
            "hit_rate",
            Unit::Percent,
            Direction::HigherIsBetter,
            v,
        )
    };
    let mb = |v: f64| {
        Metric::new(
            "grpc_windows",
            "aggressive/read/256MB",
            "throughput",
            Unit::MegabytesPerSecond,
            Direction::HigherIsBetter,
            v,
        )
    };
    let events = |v: f64| {
        Metric::new(
            "ingest_parquet_s3",
            "unthrottled",
            "max_rate",
            Unit::EventsPerSecond,
            Direction::HigherIsBetter,
            v,
        )
    };
    let mut b = base(vec![
        with_samples(
            lat("qdrant_search", "mixtral/grpc/dense", "latency_p99", 12.0),
            &[11.9, 12.1, 12.0, 12.2, 11.8, 12.0],
        ),
        lat("qdrant_search", "mixtral/grpc/dense", "latency_mean", 8.5),
        lat("qdrant_search", "phi3/rest/dense", "latency_mean", 6.0),
        with_ci(
            lat(
                "qdrant_search",
                "dim_4096/single_query",
                "latency_mean",
                0.8,
            ),
            0.6,
            1.0,
        ),
        thr(
            "qdrant_search",
            "mixtral/grpc/closed_c16",
            "throughput",
            12_000.0,
        ),
        hit_rate(93.0),
        mb(1_200.0),
        events(48_000.0),
        lat("redis_cache", "zipf/get", "miss_latency_p99", 3.0),
    ]);
    b.environment.profile = "pr".into();
    let mut c = cur(vec![
        with_samples(
            lat("qdrant_search", "mixtral/grpc/dense", "latency_p99", 15.0),
            &[14.8, 15.1, 15.0, 15.2, 14.9, 15.0],
        ),
        lat("qdrant_search", "mixtral/grpc/dense", "latency_mean", 9.5),
        lat("qdrant_search", "phi3/rest/dense", "latency_mean", 6.1),
        with_ci(
            lat(
                "qdrant_search",
                "dim_4096/single_query",
                "latency_mean",
                0.95,
            ),
            0.75,
            1.15,
        ),
        thr(
            "qdrant_search",
            "mixtral/grpc/closed_c16",
            "throughput",
            15_600.0,
        ),
        hit_rate(88.5),
        mb(1_000.0),
        events(50_000.0),
        lat(
            "qdrant_search",
            "deepcoder/grpc/hybrid",
            "latency_mean",
            3.2,
        ),
    ]);
    c.suites.push(SuiteStatus {
        suite: "redis_cache".into(),
        status: SuiteOutcome::Failed,
        reason: Some("redis-server exited during the miss phase".into()),
        charts: Vec::new(),
    });
    compare(&b, &c, &cfg).unwrap()
}

#[test]
fn markdown_report_with_every_verdict() {
    insta::assert_snapshot!(markdown::render(&mixed()));
}

#[test]
fn markdown_report_that_passes() {
    let c = gate(
        vec![lat(
            "qdrant_search",
            "mixtral/grpc/dense",
            "latency_mean",
            4.0,
        )],
        vec![lat(
            "qdrant_search",
            "mixtral/grpc/dense",
            "latency_mean",
            4.1,
        )],
    );
    insta::assert_snapshot!(markdown::render(&c));
}

#[test]
fn json_verdict() {
    let inputs = json::Inputs {
        baseline: "baselines/gha-ubuntu-2core".into(),
        current: "target/perfwarden".into(),
        config: Some("perfwarden.toml".into()),
    };
    insta::assert_snapshot!(json::render(&mixed(), &inputs));
}

#[test]
fn json_verdict_parses_back_with_totals_and_exit_code() {
    let v: serde_json::Value =
        serde_json::from_str(&json::render(&mixed(), &json::Inputs::default())).unwrap();
    assert_eq!(v["verdict_schema_version"], 1);
    assert_eq!(v["passed"], false);
    assert_eq!(v["exit_code"], 1);
    assert_eq!(v["totals"]["metrics"], 10);
    assert_eq!(v["metrics"].as_array().unwrap().len(), 10);
}

#[test]
fn github_annotations() {
    let lines: Vec<String> = github::annotations(&mixed())
        .iter()
        .map(ToString::to_string)
        .collect();
    insta::assert_snapshot!(lines.join("\n"));
}

#[test]
fn text_summary() {
    insta::assert_snapshot!(text::render(&mixed()));
}

/// Names from untrusted PR code: table pipes, backticks, HTML, newlines, mentions, links.
fn hostile() -> Comparison {
    let names = [
        "a|b||c",
        "``tick`s``",
        "<script>alert(1)</script>",
        "</details><img src=x onerror=alert(1)>",
        "two\nlines\r\nhere",
        "@octocat [click](https://evil.example) **bold** #1",
        "back\\|slash",
        "&amp; &lt;",
    ];
    let metrics: Vec<Metric> = names
        .iter()
        .map(|n| lat("evil", n, &format!("m|{n}"), 1.0))
        .collect();
    let worse: Vec<Metric> = metrics
        .iter()
        .map(|m| {
            let mut m = m.clone();
            m.value = 2.0;
            m
        })
        .collect();
    let mut b = base(metrics);
    b.environment.machine_class = "gha|<b>x</b>\n".into();
    let mut c = cur(worse);
    c.environment.cpu_model = "`cpu`|".into();
    compare(&b, &c, &perfwarden::gate::Config::default()).unwrap()
}

#[test]
fn hostile_names_are_inert() {
    let md = markdown::render(&hostile());
    insta::assert_snapshot!(md);
    // Every table row keeps its column count: no unescaped `|` from a name.
    for line in md.lines().filter(|l| l.starts_with('|')) {
        let cells = unescaped_pipes(line);
        assert!(cells == 8 || cells == 4, "{cells} pipes in {line:?}");
    }
    assert!(!md.contains("<script>"));
    assert!(!md.contains("<img"));
    assert_eq!(md.matches("</details>").count(), 1, "only the report's own");
}

/// The number of `|` that GFM treats as cell separators.
fn unescaped_pipes(line: &str) -> usize {
    let mut n = 0;
    let mut prev = ' ';
    for c in line.chars() {
        if c == '|' && prev != '\\' {
            n += 1;
        }
        prev = c;
    }
    n
}

/// 10,000 metrics: regressions, improvements, a broken budget and thousands of stable ones.
fn huge() -> Comparison {
    let mut b = Vec::new();
    let mut c = Vec::new();
    for i in 0..10_000 {
        let bench = format!("collection_{:05}/grpc/dense", i);
        b.push(lat("qdrant_search", &bench, "latency_mean", 4.0));
        let v = match i % 100 {
            0 => 6.0,
            1 => 2.0,
            _ => 4.0 + (i % 7) as f64 * 0.01,
        };
        c.push(lat("qdrant_search", &bench, "latency_mean", v));
    }
    compare(&base(b), &cur(c), &perfwarden::gate::Config::default()).unwrap()
}

#[test]
fn a_huge_report_stays_under_githubs_limit_with_the_verdict_and_regressions_first() {
    let c = huge();
    let md = markdown::render(&c);
    assert!(md.len() <= markdown::GITHUB_LIMIT, "{} bytes", md.len());
    assert!(
        md.len() > markdown::GITHUB_LIMIT - 2_000,
        "uses the room: {}",
        md.len()
    );
    let mut lines = md.lines();
    assert_eq!(lines.next(), Some(markdown::MARKER));
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("**perfwarden: failed, 100 critical**")
    );
    // All 100 critical changes fit, before anything else; the stable ones are cut.
    let regressions = md.find("### Regressions (100)").unwrap();
    let improvements = md.find("### Improvements (100)").unwrap();
    assert!(regressions < improvements);
    assert_eq!(md.matches(" critical |").count(), 100);
    assert!(md.contains("rows were left out"));
    // Folded sections stay balanced when cut, and the environments are always there.
    assert_eq!(md.matches("<details>").count(), 2);
    assert_eq!(md.matches("</details>").count(), 2);
    assert!(md.contains("<details><summary>Environments</summary>"));
    assert!(md.trim_end().ends_with("</sub>"));
}

#[test]
fn a_huge_report_truncated_small() {
    insta::assert_snapshot!(markdown::render_limited(
        &huge(),
        &markdown::Extras::default(),
        4_000
    ));
}
