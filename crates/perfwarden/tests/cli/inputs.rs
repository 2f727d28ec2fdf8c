//! Bad input: exit 2, one line naming the file, and nothing overwritten.

use anyhow::Result;

use super::*;

#[test]
fn a_unit_mismatch_exits_2_naming_both_files_the_metric_and_both_units() {
    let dir = tempfile::tempdir().unwrap();
    let out = gate_fixture(dir.path(), "unit-mismatch", false);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("perfwarden: error: "), "{err}");
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
        let out = perfwarden(d, args);
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.starts_with("perfwarden: error: ") && err.contains(names),
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
        let out = perfwarden(
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
fn out_dir_must_not_be_a_results_directory() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let d = dir.path();
    std::fs::create_dir_all(d.join("cur"))?;
    std::fs::copy(fixture("stable", "current.json"), d.join("cur/run.json"))?;
    let b = fixture("stable", "baseline.json");
    let out = perfwarden(
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
