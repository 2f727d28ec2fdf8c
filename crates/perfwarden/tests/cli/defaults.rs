//! Defaults: the baseline of the current run's machine class, the repository's
//! perfwarden.toml, and a baseline written by `perfwarden baseline update`.

use std::path::Path;

use anyhow::Result;

use super::*;

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
    let out = perfwarden(dir.path(), &["compare"]);
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

/// Another machine class's baseline would judge this machine by another machine's speed:
/// it is named, never used, and the error says what gives a verdict instead.
#[test]
fn without_its_own_class_another_class_is_not_used() -> Result<()> {
    let dir = tempfile::tempdir()?;
    default_layout(dir.path(), &["laptop-m2"])?;
    let out = perfwarden(dir.path(), &["compare"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("there are: laptop-m2"), "{err}");
    assert!(err.contains("perfwarden check"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    Ok(())
}

#[test]
fn without_any_baseline_the_error_says_how_to_get_one() -> Result<()> {
    let dir = tempfile::tempdir()?;
    default_layout(dir.path(), &[])?;
    let out = perfwarden(dir.path(), &["compare"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("perfwarden baseline update"),
        "{}",
        stderr(&out)
    );
    // Several classes, none of them ours: name them.
    let dir = tempfile::tempdir()?;
    default_layout(dir.path(), &["laptop-m2", "laptop-x1"])?;
    let out = perfwarden(dir.path(), &["compare"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("laptop-m2, laptop-x1"),
        "{}",
        stderr(&out)
    );
    Ok(())
}

#[test]
fn the_repositorys_perfwarden_toml_is_used_from_the_working_directory() -> Result<()> {
    let dir = tempfile::tempdir()?;
    std::fs::copy(
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("perfwarden.toml"),
        dir.path().join("perfwarden.toml"),
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
            .ends_with("perfwarden.toml")
    );
    Ok(())
}

#[test]
fn baseline_update_then_compare_passes_against_itself() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let d = dir.path();
    std::fs::create_dir_all(d.join("results"))?;
    std::fs::copy(
        fixture("stable", "current.json"),
        d.join("results/run.json"),
    )?;
    let out = perfwarden(d, &["baseline", "update", "--current", "results"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = perfwarden(d, &["compare"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v = verdicts(d)?;
    assert_eq!(v["totals"]["stable"], v["totals"]["metrics"]);
    Ok(())
}
