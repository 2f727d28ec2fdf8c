//! promtool (Debian's `prometheus` package) reads the exposition: `check metrics` lints it as
//! Prometheus text, and `tsdb create-blocks-from openmetrics` parses it with Prometheus's own
//! strict OpenMetrics parser (which needs a timestamp on every sample, so the test adds one).
//! The dashboard's queries pass `check rules`, Prometheus's PromQL parser.

use std::io::Write;
use std::process::{Command, Stdio};

use anyhow::{Result, ensure};

use super::*;

fn promtool() -> Option<&'static str> {
    let found = Command::new("promtool")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("skipped: no promtool on PATH (apt-get install prometheus)");
    }
    found.then_some("promtool")
}

fn check_metrics(text: &str) -> Result<std::process::Output> {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    child.stdin.take().unwrap().write_all(text.as_bytes())?;
    Ok(child.wait_with_output()?)
}

/// `promtool tsdb create-blocks-from openmetrics` on `text` with `ts` appended to each sample.
fn backfill(text: &str, dir: &std::path::Path) -> Result<std::process::Output> {
    let stamped: String = text
        .lines()
        .map(|l| {
            if l.starts_with('#') {
                format!("{l}\n")
            } else {
                format!("{l} 1795168800\n")
            }
        })
        .collect();
    let file = dir.join("exposition.om");
    std::fs::write(&file, stamped)?;
    Ok(Command::new("promtool")
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(&file)
        .arg(dir.join("blocks"))
        .output()?)
}

#[test]
#[ignore = "needs promtool (Debian's prometheus package)"]
fn promtool_lints_and_parses_the_exposition_as_openmetrics() -> Result<()> {
    if promtool().is_none() {
        return Ok(());
    }
    let text = sample_text();
    let lint = check_metrics(&text)?;
    ensure!(
        lint.status.success(),
        "promtool check metrics: {}",
        String::from_utf8_lossy(&lint.stdout)
    );
    let dir = tempfile::tempdir()?;
    let out = backfill(&text, dir.path())?;
    let said =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    ensure!(out.status.success(), "promtool tsdb: {said}");
    // Its summary table ends with the number of samples and series it stored: one each.
    let n = samples(&text).count().to_string();
    ensure!(
        said.split_whitespace().filter(|w| *w == n).count() >= 2,
        "{n} samples expected: {said}"
    );

    // The same parser refuses what OpenMetrics forbids: a unit that is not the name's suffix.
    let dir = tempfile::tempdir()?;
    let bad = text.replace(
        "# UNIT perfwarden_latency_p99_seconds seconds",
        "# UNIT perfwarden_latency_p99_seconds ms",
    );
    let out = backfill(&bad, dir.path())?;
    ensure!(!out.status.success(), "a wrong UNIT was accepted");
    Ok(())
}

#[test]
#[ignore = "needs promtool (Debian's prometheus package)"]
fn the_dashboard_queries_are_valid_promql() -> Result<()> {
    if promtool().is_none() {
        return Ok(());
    }
    let mut rules = String::from("groups:\n  - name: dashboard\n    rules:\n");
    for (i, expr) in super::dashboard::exprs()?.iter().enumerate() {
        // Template variables become what Grafana's "All" sends.
        let expr = expr
            .replace("$machine_class", ".*")
            .replace("$profile", ".*")
            .replace("$suite", ".*");
        rules.push_str(&format!(
            "      - record: dashboard:expr{i}\n        expr: {}\n",
            serde_json::to_string(&expr)?
        ));
    }
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("rules.yml");
    std::fs::write(&file, rules)?;
    let out = Command::new("promtool")
        .args(["check", "rules"])
        .arg(&file)
        .output()?;
    ensure!(
        out.status.success(),
        "promtool check rules: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}
