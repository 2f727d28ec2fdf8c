//! The `perfgate` binary end to end: exit codes 0/1/2 on the fixture pairs under
//! `fixtures/gate/`, the files it writes, GitHub Actions output, and bad input that must
//! leave every existing file as it was.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use anyhow::Result;

const BIN: &str = env!("CARGO_BIN_EXE_perfgate");

fn fixture(case: &str, file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/gate")
        .join(case)
        .join(file)
}

/// Runs perfgate in `cwd` (so the repository's perfgate.toml is not picked up unless asked
/// for), with results and reports under `cwd/results`, and outside GitHub Actions even when
/// the tests themselves run there.
fn perfgate(cwd: &Path, args: &[&str]) -> Output {
    perfgate_env(cwd, args, &[])
}

fn perfgate_env(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .current_dir(cwd)
        .env("PERFGATE_RESULTS_DIR", cwd.join("results"))
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("PERFGATE_MACHINE_CLASS");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("perfgate runs")
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exited, not killed")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Gates a fixture pair, with its own perfgate.toml when `with_config`.
fn gate_fixture(cwd: &Path, case: &str, with_config: bool) -> Output {
    let b = fixture(case, "baseline.json");
    let c = fixture(case, "current.json");
    let cfg = fixture(case, "perfgate.toml");
    let mut args = vec![
        "compare",
        "--baseline",
        b.to_str().unwrap(),
        "--current",
        c.to_str().unwrap(),
    ];
    if with_config {
        args.extend(["--config", cfg.to_str().unwrap()]);
    }
    perfgate(cwd, &args)
}

fn verdicts(cwd: &Path) -> Result<serde_json::Value> {
    let text = std::fs::read_to_string(cwd.join("results/report/verdict.json"))?;
    Ok(serde_json::from_str(&text)?)
}

fn verdict_of(v: &serde_json::Value, id: &str) -> String {
    v["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == id)
        .unwrap_or_else(|| panic!("{id} not in verdict.json"))["verdict"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn help_and_version_exit_0_usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(code(&perfgate(dir.path(), &["--help"])), 0);
    assert_eq!(code(&perfgate(dir.path(), &["compare", "--help"])), 0);
    assert_eq!(code(&perfgate(dir.path(), &["--version"])), 0);
    assert_eq!(code(&perfgate(dir.path(), &[])), 2);
    assert_eq!(code(&perfgate(dir.path(), &["frobnicate"])), 2);
    assert_eq!(code(&perfgate(dir.path(), &["compare", "--bogus"])), 2);
    assert_eq!(
        code(&perfgate(dir.path(), &["compare", "--print", "yaml"])),
        2
    );
}

/// A fixture pair, whether to use its perfgate.toml, the exit code, and verdicts by id.
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
                    "qdrant_search/mixtral/grpc/closed_c16/throughput",
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
            report.starts_with("<!-- perfgate-report -->\n**perfgate: "),
            "{case}"
        );
        let first = stdout(&out);
        assert!(
            first.starts_with(if want == 0 {
                "perfgate: passed"
            } else {
                "perfgate: FAILED"
            }),
            "{case}: {first}"
        );
    }
    Ok(())
}

#[test]
fn a_unit_mismatch_exits_2_naming_both_files_the_metric_and_both_units() {
    let dir = tempfile::tempdir().unwrap();
    let out = gate_fixture(dir.path(), "unit-mismatch", false);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("perfgate: error: "), "{err}");
    for part in [
        "unit-mismatch/baseline.json",
        "unit-mismatch/current.json",
        "qdrant_search/mixtral/grpc/dense/latency_mean",
        "ms in the baseline",
        "us in the current run",
    ] {
        assert!(err.contains(part), "{part} not in {err}");
    }
    assert!(!dir.path().join("results/report").exists());
}

#[test]
fn bad_input_exits_2_with_one_line_naming_the_file() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let d = dir.path();
    std::fs::write(
        d.join("truncated.json"),
        r#"{"schema_version": 1, "environment": {"#,
    )?;
    std::fs::write(d.join("bad.toml"), "[gate]\nthreshold = \"ten\"\n")?;
    let good = fixture("stable", "current.json");
    let good = good.to_str().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (
            &["compare", "--baseline", "nope.json", "--current", good],
            "nope.json",
        ),
        (
            &["compare", "--baseline", good, "--current", "truncated.json"],
            "truncated.json",
        ),
        (
            &[
                "compare",
                "--baseline",
                good,
                "--current",
                good,
                "--config",
                "bad.toml",
            ],
            "bad.toml",
        ),
        (
            &[
                "compare",
                "--baseline",
                good,
                "--current",
                good,
                "--config",
                "absent.toml",
            ],
            "absent.toml",
        ),
        // The default current results directory does not exist.
        (&["compare", "--baseline", good], "results"),
    ];
    for (args, names) in cases {
        let out = perfgate(d, args);
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.starts_with("perfgate: error: ") && err.contains(names),
            "{args:?}: {err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
    Ok(())
}

#[test]
fn a_failed_run_overwrites_nothing() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let d = dir.path();
    let out_dir = d.join("out");
    std::fs::create_dir_all(&out_dir)?;
    for f in ["report.md", "verdict.json"] {
        std::fs::write(out_dir.join(f), "the previous report\n")?;
    }
    std::fs::write(d.join("extra.md"), "the previous extra\n")?;
    std::fs::write(d.join("broken.json"), "{ not json")?;
    let good = fixture("regression-latency", "baseline.json");
    for current in [
        "broken.json",
        fixture("unit-mismatch", "current.json").to_str().unwrap(),
    ] {
        let baseline = if current == "broken.json" {
            good.clone()
        } else {
            fixture("unit-mismatch", "baseline.json")
        };
        let out = perfgate(
            d,
            &[
                "compare",
                "--baseline",
                baseline.to_str().unwrap(),
                "--current",
                current,
                "--out-dir",
                "out",
                "--markdown",
                "extra.md",
                "--json",
                "extra.json",
            ],
        );
        assert_eq!(code(&out), 2, "{}", stderr(&out));
        for f in ["report.md", "verdict.json"] {
            assert_eq!(
                std::fs::read_to_string(out_dir.join(f))?,
                "the previous report\n"
            );
        }
        assert_eq!(
            std::fs::read_to_string(d.join("extra.md"))?,
            "the previous extra\n"
        );
        assert!(!d.join("extra.json").exists());
    }
    Ok(())
}

#[test]
fn outputs_go_to_out_dir_and_the_extra_paths() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let d = dir.path();
    let b = fixture("regression-latency", "baseline.json");
    let c = fixture("regression-latency", "current.json");
    let out = perfgate(
        d,
        &[
            "compare",
            "--baseline",
            b.to_str().unwrap(),
            "--current",
            c.to_str().unwrap(),
            "--out-dir",
            "gate-out",
            "--markdown",
            "comment.md",
            "--json",
            "nested/verdict.json",
            "--print",
            "markdown",
        ],
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let report = std::fs::read_to_string(d.join("gate-out/report.md"))?;
    assert_eq!(std::fs::read_to_string(d.join("comment.md"))?, report);
    assert_eq!(stdout(&out), report);
    let verdict = std::fs::read_to_string(d.join("gate-out/verdict.json"))?;
    assert_eq!(
        std::fs::read_to_string(d.join("nested/verdict.json"))?,
        verdict
    );
    let v: serde_json::Value = serde_json::from_str(&verdict)?;
    assert_eq!(v["verdict_schema_version"], 1);
    assert_eq!(v["totals"]["critical"], 1);
    assert_eq!(v["totals"]["regression"], 1);
    Ok(())
}

#[test]
fn out_dir_must_not_be_a_results_directory() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let d = dir.path();
    std::fs::create_dir_all(d.join("cur"))?;
    std::fs::copy(fixture("stable", "current.json"), d.join("cur/run.json"))?;
    let b = fixture("stable", "baseline.json");
    let out = perfgate(
        d,
        &[
            "compare",
            "--baseline",
            b.to_str().unwrap(),
            "--current",
            "cur",
            "--out-dir",
            "cur",
        ],
    );
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("results directory"),
        "{}",
        stderr(&out)
    );
    assert!(!d.join("cur/verdict.json").exists());
    Ok(())
}

/// Lays out `baselines/<class>/run.json` and `results/run.json` (the default current).
fn default_layout(d: &Path, baseline_classes: &[&str]) -> Result<()> {
    std::fs::create_dir_all(d.join("results"))?;
    std::fs::copy(
        fixture("stable", "current.json"),
        d.join("results/run.json"),
    )?;
    for class in baseline_classes {
        let dir = d.join("baselines").join(class);
        std::fs::create_dir_all(&dir)?;
        std::fs::copy(fixture("stable", "baseline.json"), dir.join("run.json"))?;
    }
    Ok(())
}

#[test]
fn the_default_baseline_is_the_current_runs_machine_class() -> Result<()> {
    // The fixtures were measured on machine class gha-ubuntu-2core.
    let dir = tempfile::tempdir()?;
    default_layout(dir.path(), &["gha-ubuntu-2core", "laptop-m2"])?;
    let out = perfgate(dir.path(), &["compare"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
    let v = verdicts(dir.path())?;
    assert!(
        v["inputs"]["baseline"]
            .as_str()
            .unwrap()
            .ends_with("gha-ubuntu-2core")
    );
    Ok(())
}

#[test]
fn without_its_own_class_the_only_baseline_is_used_with_a_warning() -> Result<()> {
    let dir = tempfile::tempdir()?;
    default_layout(dir.path(), &["laptop-m2"])?;
    let out = perfgate(dir.path(), &["compare"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("using baselines/laptop-m2"),
        "{}",
        stderr(&out)
    );
    Ok(())
}

#[test]
fn without_any_baseline_the_error_says_how_to_get_one() -> Result<()> {
    let dir = tempfile::tempdir()?;
    default_layout(dir.path(), &[])?;
    let out = perfgate(dir.path(), &["compare"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("perfgate baseline update"),
        "{}",
        stderr(&out)
    );
    // Several classes, none of them ours: name them.
    let dir = tempfile::tempdir()?;
    default_layout(dir.path(), &["laptop-m2", "laptop-x1"])?;
    let out = perfgate(dir.path(), &["compare"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("laptop-m2, laptop-x1"),
        "{}",
        stderr(&out)
    );
    Ok(())
}

#[test]
fn the_repositorys_perfgate_toml_is_used_from_the_working_directory() -> Result<()> {
    let dir = tempfile::tempdir()?;
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("perfgate.toml"),
        dir.path().join("perfgate.toml"),
    )?;
    // No relative change, but the seed budgets (mean < 10 ms, p95 < 20 ms, ≥ 10,000 ops/s)
    // are broken in this pair.
    let out = gate_fixture(dir.path(), "budget", false);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let v = verdicts(dir.path())?;
    assert_eq!(v["totals"]["budget_broken"], 3);
    assert!(
        v["inputs"]["config"]
            .as_str()
            .unwrap()
            .ends_with("perfgate.toml")
    );
    Ok(())
}

#[test]
fn in_github_actions_the_summary_is_appended_and_annotations_printed() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let summary = dir.path().join("step_summary.md");
    std::fs::write(&summary, "earlier step\n")?;
    let b = fixture("regression-latency", "baseline.json");
    let c = fixture("regression-latency", "current.json");
    let out = perfgate_env(
        dir.path(),
        &[
            "compare",
            "--baseline",
            b.to_str().unwrap(),
            "--current",
            c.to_str().unwrap(),
        ],
        &[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()),
        ],
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let text = std::fs::read_to_string(&summary)?;
    assert!(
        text.starts_with("earlier step\n<!-- perfgate-report -->\n"),
        "{text}"
    );
    let stdout = stdout(&out);
    assert!(
        stdout.contains(
            "::error title=perfgate%3A critical regression::qdrant_search/mixtral/grpc/dense/latency_p95"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("::error title=perfgate%3A regression::"),
        "{stdout}"
    );
    assert!(stdout.contains("+15%25 is beyond"), "{stdout}");
    Ok(())
}
