//! Building bench binaries, and knowing they were built from the tree that was asked for.
//!
//! Two checkouts of one workspace that share a target directory share cargo's fingerprints
//! (they do not depend on the workspace's path), so cargo can call one checkout's benches
//! fresh and hand back the binaries it built from the other: a check would then measure
//! another commit, and a confirmation would compare a commit with itself. Every binary is read
//! for the folders perfwarden's crates wrote into it (`crate::built_from`); one from another
//! checkout makes its packages be cleaned and built again.

use std::path::{Path, PathBuf};

use super::{BenchCommand, RerunError, cargo};
use crate::built_from;
use crate::profile::Profile;

/// Builds `cargo bench --no-run` of the bench targets `names` in the workspace at `repo`
/// (into `target_dir` when given, else cargo's default), one cargo invocation for all, and
/// returns each as a command to run at `profile` smoke until the caller sets its own. A
/// binary built from another checkout is rebuilt from this one, or is an error.
pub(crate) fn build_benches(
    repo: &Path,
    names: &[String],
    target_dir: Option<&Path>,
) -> Result<Vec<BenchCommand>, RerunError> {
    let built = build_once(repo, names, target_dir)?;
    let Some((bench, folder)) = first_foreign(&built, repo) else {
        return Ok(built);
    };
    tracing::warn!(
        "cargo called bench {bench} fresh but handed back a binary built from {folder} (a \
         target directory shared with another checkout); cleaning this workspace's packages \
         and building again"
    );
    clean_packages(repo, target_dir)?;
    let built = build_once(repo, names, target_dir)?;
    match first_foreign(&built, repo) {
        None => Ok(built),
        Some((bench, folder)) => Err(RerunError {
            bench,
            what: format!(
                "built from {folder}, not from {}, even after `cargo clean -p`: give this \
                 checkout its own CARGO_TARGET_DIR",
                repo.display()
            ),
        }),
    }
}

fn build_once(
    repo: &Path,
    names: &[String],
    target_dir: Option<&Path>,
) -> Result<Vec<BenchCommand>, RerunError> {
    let err = |what: String| RerunError {
        bench: names.join(","),
        what,
    };
    let mut cmd = cargo::command();
    if let Some(t) = target_dir {
        cmd.env("CARGO_TARGET_DIR", t);
    }
    cmd.current_dir(repo)
        .args(["bench", "--no-run", "--message-format=json"]);
    for n in names {
        cmd.args(["--bench", n]);
    }
    tracing::debug!(repo = %repo.display(), ?target_dir, "cargo bench --no-run {}", names.join(" "));
    let out = cmd
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| err(format!("cannot start cargo: {e}")))?;
    if !out.status.success() {
        return Err(err(format!("cargo bench --no-run failed ({})", out.status)));
    }
    let messages = String::from_utf8_lossy(&out.stdout);
    names
        .iter()
        .map(|name| {
            let (binary, mut workdir) = artifact(&messages, name).ok_or_else(|| RerunError {
                bench: name.clone(),
                what: "cargo built no executable of that name".into(),
            })?;
            if workdir.as_os_str().is_empty() {
                workdir = repo.to_path_buf();
            }
            Ok(BenchCommand {
                name: name.clone(),
                binary,
                workdir,
                args: Vec::new(),
                profile: Profile::Smoke,
                instructions: None,
            })
        })
        .collect()
}

/// The first bench whose binary names a folder outside the checkout at `repo`, and that
/// folder. A binary that names no folder (a bench that links no crate of ours) cannot be
/// checked and passes.
fn first_foreign(built: &[BenchCommand], repo: &Path) -> Option<(String, String)> {
    built.iter().find_map(|cmd| {
        let bytes = std::fs::read(&cmd.binary).ok()?;
        built_from::folders_in(&bytes)
            .into_iter()
            .find(|f| !in_checkout(Path::new(f), repo))
            .map(|f| (cmd.name.clone(), f))
    })
}

/// Whether `folder` belongs to the checkout at `repo`: they share the nearest folder with a
/// `.git` (a clone's folder, a worktree's file), so a worktree nested in `repo` (under
/// `target/`) is not `repo`'s. Without git, whether `folder` lies under `repo`.
fn in_checkout(folder: &Path, repo: &Path) -> bool {
    let canonical = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    let (folder, repo) = (canonical(folder), canonical(repo));
    let checkout = |p: &Path| -> Option<PathBuf> {
        p.ancestors()
            .find(|a| a.join(".git").exists())
            .map(Path::to_path_buf)
    };
    match checkout(&repo) {
        Some(ours) => checkout(&folder) == Some(ours),
        None => folder.starts_with(&repo),
    }
}

/// `cargo clean -p` of every package of the workspace at `repo`, in the bench profile's
/// folder: their next build cannot be called fresh. Dependencies stay built.
fn clean_packages(repo: &Path, target_dir: Option<&Path>) -> Result<(), RerunError> {
    let packages = workspace_packages(repo);
    let mut cmd = cargo::command();
    if let Some(t) = target_dir {
        cmd.env("CARGO_TARGET_DIR", t);
    }
    cmd.current_dir(repo).args(["clean", "--release"]);
    for p in &packages {
        cmd.args(["-p", p]);
    }
    let status = cmd.status().map_err(|e| RerunError {
        bench: packages.join(","),
        what: format!("cannot start cargo clean: {e}"),
    })?;
    if status.success() {
        Ok(())
    } else {
        Err(RerunError {
            bench: packages.join(","),
            what: format!("cargo clean -p failed ({status})"),
        })
    }
}

/// `cargo metadata --no-deps` of the workspace at `repo`; `null` when cargo cannot say.
fn metadata(repo: &Path) -> serde_json::Value {
    let out = cargo::command()
        .current_dir(repo)
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--offline",
        ])
        .stderr(std::process::Stdio::null())
        .output();
    out.ok()
        .and_then(|o| serde_json::from_slice(&o.stdout).ok())
        .unwrap_or_default()
}

fn workspace_packages(repo: &Path) -> Vec<String> {
    let meta = metadata(repo);
    let packages = meta["packages"].as_array().into_iter().flatten();
    packages
        .filter_map(|p| p["name"].as_str().map(String::from))
        .collect()
}

/// The names of the bench targets of every package in the workspace at `repo`
/// (`cargo metadata`); empty when cargo cannot say.
pub(crate) fn bench_targets(repo: &Path) -> std::collections::BTreeSet<String> {
    let meta = metadata(repo);
    let targets = meta["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|p| p["targets"].as_array().into_iter().flatten());
    targets
        .filter(|t| {
            t["kind"]
                .as_array()
                .is_some_and(|k| k.iter().any(|k| k == "bench"))
        })
        .filter_map(|t| t["name"].as_str().map(String::from))
        .collect()
}

/// The executable of bench target `name` and its package's folder (where cargo runs it).
fn artifact(messages: &str, name: &str) -> Option<(PathBuf, PathBuf)> {
    messages
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["reason"] == "compiler-artifact" && v["target"]["name"] == name)
        .filter(|v| {
            v["target"]["kind"]
                .as_array()
                .is_some_and(|k| k.iter().any(|k| k == "bench"))
        })
        .find_map(|v| {
            let exe = PathBuf::from(v["executable"].as_str()?);
            let dir = v["manifest_path"]
                .as_str()
                .and_then(|m| Path::new(m).parent())
                .map(Path::to_path_buf)
                .unwrap_or_default();
            Some((exe, dir))
        })
}

#[cfg(test)]
mod tests;
