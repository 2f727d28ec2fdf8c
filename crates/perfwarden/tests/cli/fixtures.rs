//! The fixture pairs of `fixtures/gate/` get their exit codes and verdicts.

use anyhow::Result;

use super::*;

/// A fixture pair, whether to use its perfwarden.toml, the exit code, and verdicts by id.
type Case = (
    &'static str,
    bool,
    i32,
    &'static [(&'static str, &'static str)],
);

#[test]
fn fixture_pairs_get_their_exit_codes_and_verdicts() -> Result<()> {
    let cases: &[Case] = &[
        (
            "stable",
            false,
            0,
            &[("grpc_windows/default/write/64MB/throughput", "stable")],
        ),
        (
            "regression-latency",
            false,
            1,
            &[
                (
                    "qdrant_search/mixtral/grpc/dense/latency_mean",
                    "regression",
                ),
                ("qdrant_search/mixtral/grpc/dense/latency_p95", "critical"),
            ],
        ),
        (
            "regression-throughput",
            false,
            1,
            &[
                ("ingest_parquet_s3/sustained_10k/max_rate", "regression"),
                ("grpc_windows/aggressive/read/256MB/throughput", "stable"),
            ],
        ),
        (
            "improvement",
            false,
            0,
            &[
                (
                    "qdrant_search/mixtral/grpc/dense/latency_mean",
                    "improvement",
                ),
                (
                    "qdrant_search/mixtral/grpc/closed_c16/throughput",
                    "improvement",
                ),
            ],
        ),
        (
            "noisy",
            false,
            0,
            &[("redis_cache/zipf/get/hit_latency_p50", "inconclusive")],
        ),
        (
            "noisy-real",
            false,
            1,
            &[("redis_cache/zipf/get/hit_latency_p50", "regression")],
        ),
        (
            "overlapping-intervals",
            false,
            0,
            &[(
                "qdrant_search/dim_4096/single_query/latency_mean",
                "inconclusive",
            )],
        ),
        (
            "new-missing",
            false,
            0,
            &[
                ("qdrant_search/mixtral/grpc/dense/recall_at_10", "missing"),
                ("qdrant_search/mixtral/rest/dense/latency_mean", "new"),
            ],
        ),
        (
            "new-missing",
            true,
            1,
            &[("qdrant_search/mixtral/grpc/dense/recall_at_10", "missing")],
        ),
        (
            "budget",
            false,
            0,
            &[("qdrant_search/mixtral/grpc/dense/latency_mean", "stable")],
        ),
        (
            "budget",
            true,
            1,
            &[
                (
                    "qdrant_search/mixtral/grpc/dense/latency_mean",
                    "budget_broken",
                ),
                (
                    "qdrant_search/mixtral/grpc/dense/latency_p95",
                    "budget_broken",
                ),
                (
                    "qdrant_search/mixtral/grpc/dense/max_rate_under_slo",
                    "budget_broken",
                ),
                ("qdrant_search/mixtral/grpc/dense/recall_at_10", "stable"),
            ],
        ),
        (
            "machine-mismatch",
            false,
            1,
            &[("qdrant_search/mixtral/grpc/dense/latency_mean", "critical")],
        ),
        (
            "machine-mismatch",
            true,
            0,
            &[("qdrant_search/mixtral/grpc/dense/latency_mean", "critical")],
        ),
        (
            "thresholds",
            false,
            1,
            &[
                ("grpc_windows/default/write/64MB/throughput", "regression"),
                ("qdrant_search/mixtral/grpc/dense/recall_at_10", "stable"),
            ],
        ),
        (
            "thresholds",
            true,
            1,
            &[
                ("grpc_windows/default/write/64MB/throughput", "stable"),
                (
                    "qdrant_search/mixtral/grpc/dense/recall_at_10",
                    "regression",
                ),
            ],
        ),
    ];
    for &(case, with_config, want, expected) in cases {
        let dir = tempfile::tempdir()?;
        let out = gate_fixture(dir.path(), case, with_config);
        assert_eq!(
            code(&out),
            want,
            "{case} (config: {with_config}): {}",
            stderr(&out)
        );
        let v = verdicts(dir.path())?;
        assert_eq!(v["exit_code"], want, "{case}");
        for (id, verdict) in expected {
            assert_eq!(verdict_of(&v, id), *verdict, "{case}: {id}");
        }
        let report = std::fs::read_to_string(dir.path().join("results/report/report.md"))?;
        assert!(
            report.starts_with("<!-- perfwarden-report -->\n**perfwarden: "),
            "{case}"
        );
        let first = stdout(&out);
        assert!(
            first.starts_with(if want == 0 {
                "perfwarden: passed"
            } else {
                "perfwarden: FAILED"
            }),
            "{case}: {first}"
        );
    }
    Ok(())
}

#[test]
fn threshold_on_the_command_line_replaces_the_default() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let b = fixture("regression-throughput", "baseline.json");
    let c = fixture("regression-throughput", "current.json");
    let args = |t: &'static str| {
        vec![
            "compare".to_string(),
            "--baseline".into(),
            b.to_str().unwrap().into(),
            "--current".into(),
            c.to_str().unwrap().into(),
            format!("--threshold={t}"),
        ]
    };
    let run = |t| {
        let a = args(t);
        perfwarden(
            dir.path(),
            &a.iter().map(String::as_str).collect::<Vec<_>>(),
        )
    };
    // -15% events/s: a regression at 10%, stable at 20%.
    assert_eq!(code(&run("10")), 1);
    assert_eq!(code(&run("20")), 0);
    let v = verdicts(dir.path())?;
    assert_eq!(
        verdict_of(&v, "ingest_parquet_s3/sustained_10k/max_rate"),
        "stable"
    );
    for bad in ["0", "-5", "ten", "NaN"] {
        let out = run(bad);
        assert_eq!(code(&out), 2, "{bad}");
        assert!(stderr(&out).contains("percentage"), "{}", stderr(&out));
    }
    Ok(())
}
