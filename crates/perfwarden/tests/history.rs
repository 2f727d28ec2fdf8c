//! The nightly history: appending runs as JSON lines, reading trends back, and the Mermaid
//! charts drawn from them, checked as exact text.

use std::path::Path;

use perfwarden::commands::history::{AppendArgs, HistoryArgs, HistoryCommand, TrendArgs, run_to};
use perfwarden::history::{
    self, Entry, Filter, Trend, TrendPoint, Value, parse_history, read_history, trend, trend_chart,
};
use perfwarden::results::{Direction, Environment, Metric, Run, Unit};

const P99: &str = "qdrant_search/mixtral/grpc/latency_p99";
const QPS: &str = "qdrant_search/mixtral/grpc/throughput";

fn run(commit: &str, timestamp: &str, class: &str, p99_ms: f64, qps: f64) -> Run {
    let mut run = Run::new(Environment {
        machine_class: class.into(),
        cpu_model: "test cpu".into(),
        cores: 4,
        os: "linux".into(),
        rustc: "rustc 1.95.0".into(),
        git_commit: Some(commit.into()),
        timestamp: timestamp.into(),
        profile: "nightly".into(),
        services: Default::default(),
    });
    run.metrics.push(Metric::new(
        "qdrant_search",
        "mixtral/grpc",
        "latency_p99",
        Unit::Milliseconds,
        Direction::LowerIsBetter,
        p99_ms,
    ));
    run.metrics.push(Metric::new(
        "qdrant_search",
        "mixtral/grpc",
        "throughput",
        Unit::OpsPerSecond,
        Direction::HigherIsBetter,
        qps,
    ));
    run
}

fn point(timestamp: &str, value: f64) -> TrendPoint {
    TrendPoint {
        timestamp: timestamp.into(),
        commit: None,
        value,
    }
}

const GHA: &str = "gha-ubuntu-24.04-4core";

#[test]
fn append_writes_one_exact_line_per_run_and_keeps_earlier_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.jsonl");
    let first = Entry::from_run(&run("aaa111", "2026-10-21T02:14:05Z", GHA, 8.25, 12000.0));
    assert_eq!(history::append(&path, &first, None).unwrap(), 1);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "{\"history_version\":1,\"commit\":\"aaa111\",\"timestamp\":\"2026-10-21T02:14:05Z\",\
\"machine_class\":\"gha-ubuntu-24.04-4core\",\"profile\":\"nightly\",\"metrics\":{\
\"qdrant_search/mixtral/grpc/latency_p99\":{\"value\":8.25,\"unit\":\"ms\"},\
\"qdrant_search/mixtral/grpc/throughput\":{\"value\":12000.0,\"unit\":\"ops/s\"}}}\n"
    );
    let before = std::fs::read_to_string(&path).unwrap();
    let second = Entry::from_run(&run("bbb222", "2026-10-22T02:13:00Z", GHA, 8.5, 11900.0));
    assert_eq!(history::append(&path, &second, None).unwrap(), 2);
    let after = std::fs::read_to_string(&path).unwrap();
    assert!(after.starts_with(&before), "an earlier line changed");
    assert_eq!(read_history(&path).unwrap(), vec![first, second.clone()]);

    // Keeping two runs drops the oldest.
    let third = Entry::from_run(&run("ccc333", "2026-10-23T02:15:00Z", GHA, 8.0, 12100.0));
    assert_eq!(history::append(&path, &third, Some(2)).unwrap(), 2);
    assert_eq!(read_history(&path).unwrap(), vec![second, third]);
}

#[test]
fn a_history_that_cannot_be_read_is_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.jsonl");
    let broken = "{\"history_version\":1,\"timestamp\":\"2026-10-21T02:14:05Z\",\"machine_cl";
    std::fs::write(&path, broken).unwrap();
    let entry = Entry::from_run(&run("a", "2026-10-22T02:00:00Z", GHA, 1.0, 1.0));
    let err = history::append(&path, &entry, None)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(&format!("{}: line 1: invalid JSON", path.display())),
        "{err}"
    );
    assert!(
        err.ends_with("(not appending to a history that cannot be read)"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), broken);
}

#[test]
fn parse_errors_name_the_line() {
    let good = Entry::from_run(&run("a", "2026-10-21T02:00:00Z", GHA, 1.0, 2.0)).to_line();
    let cases = [
        (format!("{good}\nnot json\n"), "line 3: invalid JSON"),
        (
            format!(
                "{good}{}",
                good.replace("\"history_version\":1", "\"history_version\":2")
            ),
            "line 2: unsupported history_version 2 (this perfwarden reads version 1)",
        ),
        (
            good.replace("\"history_version\":1,", ""),
            "line 1: missing field `history_version`",
        ),
        (
            good.replace("\"value\":1.0", "\"value\":-1.0"),
            "line 1: metric qdrant_search/mixtral/grpc/latency_p99: value is not a finite, non-negative number",
        ),
        (
            good.replace("\"ms\"", "\"fortnights\""),
            "line 1: unknown variant `fortnights`",
        ),
    ];
    for (text, want) in cases {
        let err = parse_history(&text).unwrap_err();
        assert!(
            err.starts_with(want),
            "{err:?} does not start with {want:?}"
        );
    }
    assert_eq!(parse_history("\n\n").unwrap(), vec![]);
}

#[test]
fn trend_keeps_comparable_points_only() {
    let mut entries = vec![
        Entry::from_run(&run("a", "2026-10-20T02:00:00Z", GHA, 7.0, 1.0)),
        Entry::from_run(&run("b", "2026-10-21T02:00:00Z", "laptop-m2", 3.0, 1.0)),
        Entry::from_run(&run("c", "2026-10-22T02:00:00Z", GHA, 8.0, 1.0)),
        Entry::from_run(&run("d", "2026-10-23T02:00:00Z", GHA, 9.0, 1.0)),
    ];
    let filter = Filter {
        machine_class: Some(GHA.into()),
        profile: Some("nightly".into()),
    };
    let t = trend(&entries, P99, &filter, 2).unwrap();
    assert_eq!(t.unit, Unit::Milliseconds);
    let values: Vec<(f64, Option<&str>)> = t
        .points
        .iter()
        .map(|p| (p.value, p.commit.as_deref()))
        .collect();
    assert_eq!(values, [(8.0, Some("c")), (9.0, Some("d"))]);

    // A unit change makes older points incomparable: only the latest unit's points remain.
    entries[3].metrics.insert(
        P99.into(),
        Value {
            value: 9000.0,
            unit: Unit::Microseconds,
        },
    );
    let t = trend(&entries, P99, &Filter::default(), 30).unwrap();
    assert_eq!(t.unit, Unit::Microseconds);
    assert_eq!(t.points.len(), 1);

    assert_eq!(
        trend(&entries, "no/such/metric", &Filter::default(), 30),
        None
    );
    let other_profile = Filter {
        profile: Some("pr".into()),
        ..Filter::default()
    };
    assert_eq!(trend(&entries, P99, &other_profile, 30), None);
}

#[test]
fn chart_of_a_nightly_trend() {
    let t = Trend {
        metric: P99.into(),
        unit: Unit::Milliseconds,
        points: vec![
            point("2026-10-21T02:14:05Z", 10.2),
            point("2026-10-22T02:13:40Z", 10.4),
            point("2026-10-23T02:15:12Z", 10.1),
            point("2026-10-24T02:14:51Z", 12.3),
            point("2026-10-25T02:14:09Z", 12.55),
        ],
    };
    assert_eq!(
        trend_chart(&t),
        r##"```mermaid
xychart-beta
    title "qdrant_search/mixtral/grpc/latency_p99 (ms), last 5 runs"
    x-axis ["10-21", "10-22", "10-23", "10-24", "10-25"]
    y-axis "ms" 9.8 --> 12.8
    line [10.2, 10.4, 10.1, 12.3, 12.55]
```
"##
    );
}

#[test]
fn chart_of_large_values_with_two_runs_on_one_day() {
    let t = Trend {
        metric: QPS.into(),
        unit: Unit::OpsPerSecond,
        points: vec![
            point("2026-10-24T02:00:00Z", 12345.678),
            point("2026-10-25T02:00:00Z", 11020.0),
            point("2026-10-25T14:30:00+02:00", 13990.4),
        ],
    };
    assert_eq!(
        trend_chart(&t),
        r##"```mermaid
xychart-beta
    title "qdrant_search/mixtral/grpc/throughput (ops/s), last 3 runs"
    x-axis ["10-24 02:00", "10-25 02:00", "10-25 12:30"]
    y-axis "ops/s" 10700 --> 14300
    line [12346, 11020, 13990]
```
"##
    );
}

#[test]
fn chart_of_one_point_and_of_a_flat_line() {
    let one = Trend {
        metric: "redis_cache/zipf/hit_rate".into(),
        unit: Unit::Ratio,
        points: vec![point("2026-10-25T02:00:00Z", 0.93)],
    };
    assert_eq!(
        trend_chart(&one),
        r##"```mermaid
xychart-beta
    title "redis_cache/zipf/hit_rate (ratio), last 1 run"
    x-axis ["10-25"]
    y-axis "ratio" 0.91 --> 0.95
    line [0.93]
```
"##
    );
    let zeros = Trend {
        metric: "ingest_parquet_s3/4624/lost_events".into(),
        unit: Unit::Count,
        points: vec![point("2026-10-24T02:00:00Z", 0.0), point("not a time", 0.0)],
    };
    assert_eq!(
        trend_chart(&zeros),
        r##"```mermaid
xychart-beta
    title "ingest_parquet_s3/4624/lost_events (count), last 2 runs"
    x-axis ["10-24", "#2"]
    y-axis "count" 0 --> 0.1
    line [0, 0]
```
"##
    );
    let empty = Trend {
        points: vec![],
        ..one
    };
    assert_eq!(trend_chart(&empty), "");
}

#[test]
fn chart_text_from_untrusted_names_cannot_break_out() {
    let t = Trend {
        metric: "grpc_windows/x\"]\n```\n<img src=x>/`mbps`".into(),
        unit: Unit::MegabytesPerSecond,
        points: vec![point("2026-10-25T02:00:00Z\"]", 100.0)],
    };
    let chart = trend_chart(&t);
    assert_eq!(
        chart,
        r##"```mermaid
xychart-beta
    title "grpc_windows/x']'''‹img src=x›/'mbps' (MB/s), last 1 run"
    x-axis ["#1"]
    y-axis "MB/s" 98 --> 102
    line [100]
```
"##
    );
    assert_eq!(chart.matches("```").count(), 2);
}

fn write_results(dir: &Path, r: &Run) {
    std::fs::create_dir_all(dir).unwrap();
    r.write(&dir.join("qdrant_search.json")).unwrap();
}

#[test]
fn the_history_command_appends_and_draws() {
    let dir = tempfile::tempdir().unwrap();
    let history_file = dir.path().join("history.jsonl");
    let days = [
        ("2026-10-23", 8.0),
        ("2026-10-24", 8.4),
        ("2026-10-25", 9.5),
    ];
    for (day, p99) in days {
        let current = dir.path().join(day);
        write_results(
            &current,
            &run("f00d", &format!("{day}T02:00:00Z"), GHA, p99, 1.0),
        );
        let args = HistoryArgs {
            command: HistoryCommand::Append(AppendArgs {
                current,
                history: history_file.clone(),
                keep: None,
                commit: Some(format!("commit-{day}")),
            }),
        };
        let mut out = Vec::new();
        assert_eq!(run_to(&args, &mut out, &mut Vec::new()).unwrap(), 0);
        let out = String::from_utf8(out).unwrap();
        assert!(
            out.starts_with(&format!(
                "perfwarden: appended 2 metrics of commit-{day} ({day}T02:00:00Z) to "
            )),
            "{out}"
        );
    }

    let trend_args = |metrics: &[&str]| HistoryArgs {
        command: HistoryCommand::Trend(TrendArgs {
            history: history_file.clone(),
            metrics: metrics.iter().map(|m| m.to_string()).collect(),
            last: 2,
            machine_class: Some(GHA.into()),
            profile: Some("nightly".into()),
        }),
    };
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run_to(&trend_args(&[P99, "no/such/metric"]), &mut out, &mut err).unwrap();
    assert_eq!(code, 2);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        r##"```mermaid
xychart-beta
    title "qdrant_search/mixtral/grpc/latency_p99 (ms), last 2 runs"
    x-axis ["10-24", "10-25"]
    y-axis "ms" 8.2 --> 9.7
    line [8.4, 9.5]
```
"##
    );
    assert_eq!(
        String::from_utf8(err).unwrap(),
        format!(
            "perfwarden: {}: no run of \"no/such/metric\" matches\n",
            history_file.display()
        )
    );
    let history = read_history(&history_file).unwrap();
    assert_eq!(history[0].commit.as_deref(), Some("commit-2026-10-23"));
}

#[test]
fn appending_empty_results_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut empty = run("a", "2026-10-25T02:00:00Z", GHA, 1.0, 1.0);
    empty.metrics.clear();
    write_results(&dir.path().join("cur"), &empty);
    let history_file = dir.path().join("history.jsonl");
    let args = HistoryArgs {
        command: HistoryCommand::Append(AppendArgs {
            current: dir.path().join("cur"),
            history: history_file.clone(),
            keep: None,
            commit: None,
        }),
    };
    let err = run_to(&args, &mut Vec::new(), &mut Vec::new()).unwrap_err();
    assert!(
        format!("{err:#}").ends_with("cur: the results hold no metric to append to the history")
    );
    assert!(!history_file.exists());
}

#[test]
fn the_history_command_line() {
    use clap::Parser;
    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: HistoryArgs,
    }
    let cli = Cli::try_parse_from([
        "perfwarden",
        "trend",
        "--history",
        "h.jsonl",
        "--metric",
        P99,
        QPS,
        "--last",
        "7",
    ])
    .unwrap();
    let HistoryCommand::Trend(t) = cli.args.command else {
        panic!("not trend");
    };
    assert_eq!(t.metrics, [P99, QPS]);
    assert_eq!((t.last, t.machine_class, t.profile), (7, None, None));

    let cli = Cli::try_parse_from([
        "perfwarden",
        "append",
        "--current",
        "target/perfwarden",
        "--history",
        "h.jsonl",
        "--keep",
        "1",
    ])
    .unwrap();
    let HistoryCommand::Append(a) = cli.args.command else {
        panic!("not append");
    };
    assert_eq!(a.keep, Some(1));
    assert!(Cli::try_parse_from(["perfwarden", "trend", "--history", "h"]).is_err());
    assert!(
        Cli::try_parse_from([
            "perfwarden",
            "trend",
            "--history",
            "h",
            "--metric",
            "m",
            "--last",
            "0"
        ])
        .is_err()
    );
}
