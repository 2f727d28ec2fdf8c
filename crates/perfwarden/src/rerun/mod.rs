//! Re-running benches: the machinery `check`, `calibrate` and `confirm` share. It runs
//! benches as child processes (`cargo bench --no-run`, then the built binaries); it never
//! links them. Every run gets its own `CARGO_TARGET_DIR`, so a suite's
//! `perfwarden/<suite>.json` and Criterion's estimates land in a directory of their own and
//! no run sees another's (Criterion would otherwise compare against the previous run and the
//! suites would overwrite each other's files).
//!
//! - [`worktree`]: another commit of the repository checked out beside it;
//! - [`interleave`]: two trees' benches built and run alternately, A B B A;
//! - [`instructions`]: a bench's instruction count under callgrind.

mod built;
mod cargo;
pub(crate) mod instructions;
pub(crate) mod interleave;
pub(crate) mod worktree;

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::profile::Profile;
use crate::results::{self, Environment, Run, criterion};
pub(crate) use built::{bench_targets, build_benches, target_directory};

/// A bench that could not be built or run, or wrote nothing usable.
#[derive(Debug, thiserror::Error)]
#[error("bench {bench}: {what}")]
pub struct RerunError {
    pub(crate) bench: String,
    pub(crate) what: String,
}

/// The environment variable both suites and the gate bench read for an injected slowdown.
pub(crate) const SLOWDOWN_VAR: &str = "PERFWARDEN_INJECT_SLOWDOWN";

/// How to run one bench binary.
#[derive(Clone, Debug)]
pub(crate) struct BenchCommand {
    /// The bench target's name (`cargo bench --bench <name>`).
    pub(crate) name: String,
    /// The built binary.
    pub(crate) binary: PathBuf,
    /// Where the binary runs (the package root: benches read files relative to it).
    pub(crate) workdir: PathBuf,
    /// Arguments after `--bench` (Criterion options or a filter).
    pub(crate) args: Vec<String>,
    pub(crate) profile: Profile,
    /// `suite/benchmark` of an `instructions` metric to add to every run: the binary runs
    /// once more under callgrind with `PERFWARDEN_INSTRUCTIONS_ONCE=1` (see
    /// [`instructions`]).
    pub(crate) instructions: Option<String>,
}

impl BenchCommand {
    /// Runs the bench once into `run_dir` (its `CARGO_TARGET_DIR`) and reads what it wrote.
    pub(crate) fn run_once(
        &self,
        run_dir: &Path,
        slowdown: Option<f64>,
    ) -> Result<Run, RerunError> {
        // The bench runs in its package's directory (as under `cargo bench`): a relative
        // directory (the default `target/perfwarden/...` without CARGO_TARGET_DIR) would be
        // written there instead, and the run would find nothing and leave a stray target/;
        // a relative binary (a copy in such a folder) could not be started at all.
        let absolute = |path: &Path| {
            std::path::absolute(path).map_err(|e| RerunError {
                bench: self.name.clone(),
                what: format!("{}: {e}", path.display()),
            })
        };
        let run_dir = &absolute(run_dir)?;
        let binary = &absolute(&self.binary)?;
        let _ = std::fs::remove_dir_all(run_dir);
        std::fs::create_dir_all(run_dir).map_err(|e| RerunError {
            bench: self.name.clone(),
            what: format!("cannot create {}: {e}", run_dir.display()),
        })?;
        let log = run_dir.join("bench.log");
        let log_file = std::fs::File::create(&log).map_err(|e| RerunError {
            bench: self.name.clone(),
            what: format!("cannot create {}: {e}", log.display()),
        })?;
        let mut cmd = Command::new(binary);
        cmd.current_dir(&self.workdir)
            .arg("--bench")
            .args(&self.args)
            .env("CARGO_TARGET_DIR", run_dir)
            .env_remove("PERFWARDEN_RESULTS_DIR")
            // The commit is the tree's own (a worktree of the baseline's commit is not
            // GITHUB_SHA).
            .env_remove("GITHUB_SHA")
            .env("PERFWARDEN_PROFILE", self.profile.to_string())
            .stdout(log_file.try_clone().map_err(|e| RerunError {
                bench: self.name.clone(),
                what: format!("{}: {e}", log.display()),
            })?)
            .stderr(log_file);
        match slowdown {
            Some(f) => cmd.env(SLOWDOWN_VAR, f.to_string()),
            None => cmd.env_remove(SLOWDOWN_VAR),
        };
        tracing::debug!(
            bench = %self.name,
            binary = %binary.display(),
            args = ?self.args,
            run_dir = %run_dir.display(),
            ?slowdown,
            "running a bench"
        );
        let status = cmd.status().map_err(|e| RerunError {
            bench: self.name.clone(),
            what: format!("cannot start {}: {e}", binary.display()),
        })?;
        if !status.success() {
            return Err(RerunError {
                bench: self.name.clone(),
                what: format!("exited with {status}; its output is in {}", log.display()),
            });
        }
        let mut run = collect(run_dir, self.profile).map_err(|what| RerunError {
            bench: self.name.clone(),
            what,
        })?;
        if let Some(id) = &self.instructions {
            let (suite, benchmark) = id.split_once('/').unwrap_or((id.as_str(), "all"));
            let mut envs = vec![(instructions::ONCE_VAR.to_string(), "1".to_string())];
            if let Some(f) = slowdown {
                envs.push((SLOWDOWN_VAR.to_string(), f.to_string()));
            }
            let count = instructions::callgrind(
                binary,
                &["--bench".to_string()],
                &envs,
                &self.workdir,
                &run_dir.join("callgrind.out"),
            )
            .map_err(|what| RerunError {
                bench: self.name.clone(),
                what,
            })?;
            run.metrics
                .push(instructions::metric(suite, benchmark, count));
        }
        Ok(run)
    }
}

/// One run from what a bench wrote under `target_dir`: the suites' results files
/// (`perfwarden/*.json`) and Criterion's estimates (`criterion/`), metrics the suites already
/// wrote winning over Criterion's of the same id.
pub(crate) fn collect(target_dir: &Path, profile: Profile) -> Result<Run, String> {
    let suites_dir = target_dir.join("perfwarden");
    let criterion_dir = target_dir.join("criterion");
    let has_suites = results::json_files(&suites_dir).is_ok_and(|f| !f.is_empty());
    let mut run = if has_suites {
        results::read_run_set(&suites_dir).map_err(|e| e.to_string())?
    } else {
        Run::new(Environment::detect(profile))
    };
    if criterion_dir.is_dir() {
        let imported = criterion::import_run(&criterion_dir, None, run.environment.clone())
            .map_err(|e| e.to_string())?;
        let ids: std::collections::BTreeSet<String> = run.metrics.iter().map(|m| m.id()).collect();
        run.metrics.extend(
            imported
                .metrics
                .into_iter()
                .filter(|m| !ids.contains(&m.id())),
        );
        for s in imported.suites {
            if !run.suites.iter().any(|r| r.suite == s.suite) {
                run.suites.push(s);
            }
        }
    }
    // A suite that skipped (its service cannot be had here) says so with no metrics.
    if run.metrics.is_empty() && run.suites.is_empty() {
        return Err(format!(
            "wrote no metrics (neither {} nor {})",
            suites_dir.display(),
            criterion_dir.display()
        ));
    }
    Ok(run)
}
