//! `compare --confirm`'s second look, on a scratch git repository whose bench reads, run by
//! run, values listed in its source: a slowdown whose first three rounds scatter too widely
//! to bound it beyond the threshold gets three more rounds and is confirmed on all six; one
//! whose next rounds come back to the baseline is drift; a file claiming more rounds than
//! the first look allowed is refused.

use std::path::Path;

use anyhow::Result;
use perfwarden::confirm;
use perfwarden::gate;
use perfwarden::gate::confirmation::Status;
use perfwarden::report::markdown;

use super::calibrate::{demo_comparison, first_commit, git, scratch_options, scratch_package};

/// A crate whose bench `demo` writes metric `demo/case/work`, the next of `values` on each
/// run (counted in a file named after the first value, so each side counts its own runs).
fn scratch_crate(dir: &Path, values: &[u32]) -> Result<()> {
    let counter = dir.parent().unwrap().join(format!("count-{}", values[0]));
    let bench = r##"fn main() {
    let n: usize = std::fs::read_to_string(COUNTER).ok().and_then(|s| s.parse().ok()).unwrap_or(0);
    std::fs::write(COUNTER, (n + 1).to_string()).unwrap();
    let dir = std::path::PathBuf::from(std::env::var("CARGO_TARGET_DIR").unwrap()).join("perfwarden");
    std::fs::create_dir_all(&dir).unwrap();
    let json = format!(r#"{{"schema_version":1,"environment":{{"machine_class":"test-2core","cpu_model":"t","cores":2,"os":"linux","rustc":"r","timestamp":"2026-11-24T00:00:00Z","profile":"smoke"}},"suites":[{{"suite":"demo","status":"passed"}}],"metrics":[{{"suite":"demo","benchmark":"case","metric":"work","unit":"ms","direction":"lower_is_better","value":{}}}]}}"#, VALUES[n % VALUES.len()]);
    std::fs::write(dir.join("demo.json"), json).unwrap();
}
"##;
    let counter = counter.display().to_string();
    scratch_package(
        dir,
        &format!(
            "const VALUES: &[u32] = &{values:?};\nconst COUNTER: &str = {counter:?};\n{bench}"
        ),
    )
}

#[test]
fn rounds_too_spread_to_decide_get_a_second_look() -> Result<()> {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR"))?;
    let repo = dir.path().join("repo");
    scratch_crate(&repo, &[100])?;
    let opts = scratch_options(dir.path(), &repo)?;
    let (baseline, _, comparison) = demo_comparison(&first_commit(&repo)?, 130.0)?;

    // Every round beyond +10%, so spread that three bound the change at -0.4%: three more,
    // and all six bound it at +14%, at 97.5%.
    scratch_crate(&repo, &[120, 145, 112, 125, 130, 122])?;
    git(&repo, &["commit", "-qam", "slower, unevenly"])?;
    let mut log = Vec::new();
    let report = confirm::confirm(&comparison, &baseline, &opts, &mut |l| log.push(l));
    let only = &report.metrics["demo/case/work"];
    assert_eq!(only.status, Status::Confirmed, "{report:?}\n{log:?}");
    assert_eq!(only.paired.as_ref().unwrap().worse_ratios.len(), 6);
    assert!(
        log.iter().any(|l| l.contains("left open by 3 rounds")),
        "{log:?}"
    );
    assert!(log.iter().any(|l| l.contains("round 6/6 done")), "{log:?}");
    // The trusted side re-derives it from the six ratios, and renders both looks.
    let mut judged = comparison.clone();
    gate::confirmation::apply(&mut judged, report.clone()).map_err(anyhow::Error::msg)?;
    assert_eq!(judged.exit_code(), 1);
    let md = markdown::render(&judged);
    assert!(
        md.contains("6/6 beyond, at least +14.3% at 97.5%; the first 3 rounds left it open, so 3 more were run"),
        "{md}"
    );
    assert!(md.contains("1 of them had 3 more rounds"), "{md}");

    // A file that adds rounds where the first look decided is refused.
    let mut forged = report.clone();
    let entry = forged.metrics.get_mut("demo/case/work").unwrap();
    let p = entry.paired.as_mut().unwrap();
    p.worse_ratios = vec![1.0, 1.0, 1.0, 1.5, 1.5, 1.5];
    let err = gate::confirmation::apply(&mut comparison.clone(), forged).unwrap_err();
    assert!(err.contains("the first 3 decided (drift)"), "{err}");

    // The next three rounds come back to the baseline: drift, on all six.
    scratch_crate(&repo, &[121, 145, 112, 98, 103, 95])?;
    git(&repo, &["commit", "-qam", "slower once"])?;
    let report = confirm::confirm(&comparison, &baseline, &opts, &mut |_| {});
    let only = &report.metrics["demo/case/work"];
    assert_eq!(only.status, Status::Drift, "{report:?}");
    assert_eq!(only.paired.as_ref().unwrap().first_look(), Some(3));
    let mut judged = comparison.clone();
    gate::confirmation::apply(&mut judged, report).map_err(anyhow::Error::msg)?;
    assert_eq!(judged.exit_code(), 0);
    Ok(())
}

/// `check` with no committed baseline measures the base commit now; a change its rounds
/// leave open gets the same second look there.
#[test]
fn a_baseline_measured_now_gives_open_changes_a_second_look_too() -> Result<()> {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR"))?;
    let repo = dir.path().join("repo");
    scratch_crate(&repo, &[100])?;
    let base = first_commit(&repo)?;
    scratch_crate(&repo, &[120, 145, 112, 125, 130, 122])?;
    git(&repo, &["commit", "-qam", "slower, unevenly"])?;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_perfwarden"))
        .current_dir(&repo)
        .args([
            "check",
            "--profile",
            "smoke",
            "--print",
            "none",
            "--base",
            &base,
        ])
        .env("CARGO_TARGET_DIR", dir.path().join("target"))
        .env("PERFWARDEN_MACHINE_CLASS", "test-2core")
        .env_remove("PERFWARDEN_RESULTS_DIR")
        .env_remove("GITHUB_ACTIONS")
        .output()?;
    let log = String::from_utf8_lossy(&out.stderr);
    let report = std::fs::read_to_string(dir.path().join("target/perfwarden/report/report.md"))
        .unwrap_or_default();
    assert_eq!(out.status.code(), Some(1), "{log}\n{report}");
    assert!(log.contains("demo left open by 3 rounds"), "{log}");
    assert!(
        report.contains("the first 3 rounds left it open, so 3 more were run"),
        "{report}"
    );
    Ok(())
}
