//! The `perfwarden` binary end to end: exit codes 0/1/2 on the fixture pairs under
//! `fixtures/gate/`, the files it writes, GitHub Actions output, and bad input that must
//! leave every existing file as it was.

mod defaults;
mod fixtures;
mod inputs;
mod outputs;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use anyhow::Result;

pub const BIN: &str = env!("CARGO_BIN_EXE_perfwarden");

pub fn fixture(case: &str, file: &str) -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .join("fixtures/gate")
        .join(case)
        .join(file)
}

/// Runs perfwarden in `cwd` (so the repository's perfwarden.toml is not picked up unless asked
/// for), with results and reports under `cwd/results`, and outside GitHub Actions even when
/// the tests themselves run there.
pub fn perfwarden(cwd: &Path, args: &[&str]) -> Output {
    perfwarden_env(cwd, args, &[])
}

pub fn perfwarden_env(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .current_dir(cwd)
        .env("PERFWARDEN_RESULTS_DIR", cwd.join("results"))
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("PERFWARDEN_MACHINE_CLASS")
        // Tests that read stderr expect the default (quiet) diagnostics.
        .env_remove("RUST_LOG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("perfwarden runs")
}

pub fn code(o: &Output) -> i32 {
    o.status.code().expect("exited, not killed")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Gates a fixture pair, with its own perfwarden.toml when `with_config`.
pub fn gate_fixture(cwd: &Path, case: &str, with_config: bool) -> Output {
    let b = fixture(case, "baseline.json");
    let c = fixture(case, "current.json");
    let cfg = fixture(case, "perfwarden.toml");
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
    perfwarden(cwd, &args)
}

pub fn verdicts(cwd: &Path) -> Result<serde_json::Value> {
    let text = std::fs::read_to_string(cwd.join("results/report/verdict.json"))?;
    Ok(serde_json::from_str(&text)?)
}

pub fn verdict_of(v: &serde_json::Value, id: &str) -> String {
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
    assert_eq!(code(&perfwarden(dir.path(), &["--help"])), 0);
    assert_eq!(code(&perfwarden(dir.path(), &["compare", "--help"])), 0);
    assert_eq!(code(&perfwarden(dir.path(), &["--version"])), 0);
    assert_eq!(code(&perfwarden(dir.path(), &[])), 2);
    assert_eq!(code(&perfwarden(dir.path(), &["frobnicate"])), 2);
    assert_eq!(code(&perfwarden(dir.path(), &["compare", "--bogus"])), 2);
    assert_eq!(
        code(&perfwarden(dir.path(), &["compare", "--print", "yaml"])),
        2
    );
}

#[test]
fn every_subcommand_is_wired_and_has_help() {
    let dir = tempfile::tempdir().unwrap();
    for sub in [
        "compare", "baseline", "export", "merge", "import", "comment", "history",
    ] {
        let out = perfwarden(dir.path(), &[sub, "--help"]);
        assert_eq!(code(&out), 0, "{sub}: {}", stderr(&out));
        assert!(stdout(&out).contains("Usage: perfwarden"), "{sub}");
    }
}
