//! What a run writes: report.md and verdict.json, extra copies, GitHub's step summary and
//! annotations.

use anyhow::Result;

use super::*;

#[test]
fn outputs_go_to_out_dir_and_the_extra_paths() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let d = dir.path();
    let b = fixture("regression-latency", "baseline.json");
    let c = fixture("regression-latency", "current.json");
    let out = perfwarden(
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
fn in_github_actions_the_summary_is_appended_and_annotations_printed() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let summary = dir.path().join("step_summary.md");
    std::fs::write(&summary, "earlier step\n")?;
    let b = fixture("regression-latency", "baseline.json");
    let c = fixture("regression-latency", "current.json");
    let out = perfwarden_env(
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
        text.starts_with("earlier step\n<!-- perfwarden-report -->\n"),
        "{text}"
    );
    let stdout = stdout(&out);
    assert!(
        stdout.contains(
            "::error title=perfwarden%3A critical regression::qdrant_search/mixtral/grpc/dense/latency_p95"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("::error title=perfwarden%3A regression::"),
        "{stdout}"
    );
    assert!(stdout.contains("+15%25 is beyond"), "{stdout}");
    Ok(())
}

/// `RUST_LOG=debug` adds diagnostics on stderr (which files were read, which config) and
/// changes nothing else; without it, stderr carries no diagnostics at all.
#[test]
fn rust_log_debug_adds_diagnostics_and_changes_no_output() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let b = fixture("regression-latency", "baseline.json");
    let c = fixture("regression-latency", "current.json");
    let args = [
        "compare",
        "--baseline",
        b.to_str().unwrap(),
        "--current",
        c.to_str().unwrap(),
        "--print",
        "markdown",
    ];
    let quiet = perfwarden(dir.path(), &args);
    let loud = perfwarden_env(dir.path(), &args, &[("RUST_LOG", "debug")]);
    assert_eq!((code(&quiet), code(&loud)), (1, 1), "{}", stderr(&loud));
    assert_eq!(stdout(&quiet), stdout(&loud));
    assert!(!stderr(&quiet).contains("DEBUG"), "{}", stderr(&quiet));
    let loud = stderr(&loud);
    assert!(
        loud.contains("DEBUG perfwarden::results::read: read results"),
        "{loud}"
    );
    assert!(loud.contains("current.json"), "{loud}");
    assert!(
        loud.contains("no perfwarden.toml: the default gate config"),
        "{loud}"
    );
    // What the quiet run said is still said, in the same order.
    let said: Vec<&str> = loud.lines().filter(|l| !l.contains("DEBUG")).collect();
    assert_eq!(said, stderr(&quiet).lines().collect::<Vec<_>>());
    Ok(())
}
