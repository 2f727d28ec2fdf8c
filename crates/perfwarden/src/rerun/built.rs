//! Building bench binaries, and knowing they were built from the tree that was asked for.
//!
//! Two checkouts of one workspace that share a target directory share cargo's fingerprints
//! (they do not depend on the workspace's path), so cargo can call one checkout's benches
//! fresh and hand back the binaries it built from the other: a check would then measure
//! another commit, and a confirmation would compare a commit with itself. Every binary is read
//! for the packages and folders perfwarden's crates wrote into it (`crate::built_from`); one
//! that a package of this workspace built from another folder makes the workspace's packages
//! be cleaned and built again.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{BenchCommand, RerunError, cargo};
use crate::built_from::{self, BuiltFrom};
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

/// The first bench whose binary says a package of this workspace built it from a folder
/// other than that package's folder here, and that folder.
fn first_foreign(built: &[BenchCommand], repo: &Path) -> Option<(String, String)> {
    let members = workspace_members(repo);
    built.iter().find_map(|cmd| {
        let bytes = std::fs::read(&cmd.binary).ok()?;
        let crates = built_from::built_from(&bytes);
        foreign(&crates, &members).map(|c| (cmd.name.clone(), c.folder.clone()))
    })
}

/// The first of `crates` that names a package of `members` (name → its folder here) but
/// another folder. Crates of other names (perfwarden as a dependency of a user's workspace)
/// are not judged; a binary that names no member cannot be checked, and the confirmation's
/// sides get newer files (`interleave`) so that cargo rebuilds them anyway.
pub(super) fn foreign<'a>(
    crates: &'a [BuiltFrom],
    members: &BTreeMap<String, PathBuf>,
) -> Option<&'a BuiltFrom> {
    crates.iter().find(|c| {
        members
            .get(&c.package)
            .is_some_and(|here| canonical(Path::new(&c.folder)) != *here)
    })
}

/// `p` with symbolic links resolved, or as it is when it no longer exists (a worktree that
/// was removed).
fn canonical(p: &Path) -> PathBuf {
    p.canonicalize().unwrap_or_else(|_| p.to_path_buf())
}

/// `cargo clean -p` of every package of the workspace at `repo`, in the bench profile's
/// folder: their next build cannot be called fresh. Dependencies stay built.
fn clean_packages(repo: &Path, target_dir: Option<&Path>) -> Result<(), RerunError> {
    let packages: Vec<String> = workspace_members(repo).into_keys().collect();
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

/// The cargo target directory of the workspace at `repo` (`CARGO_TARGET_DIR`, a
/// `build.target-dir` of its cargo config, else its `target/`); `None` when cargo cannot say.
pub(crate) fn target_directory(repo: &Path) -> Option<PathBuf> {
    metadata(repo)["target_directory"]
        .as_str()
        .map(PathBuf::from)
}

/// Each package of the workspace at `repo` and its folder.
fn workspace_members(repo: &Path) -> BTreeMap<String, PathBuf> {
    let meta = metadata(repo);
    let packages = meta["packages"].as_array().into_iter().flatten();
    packages
        .filter_map(|p| {
            let folder = Path::new(p["manifest_path"].as_str()?).parent()?;
            Some((p["name"].as_str()?.to_string(), canonical(folder)))
        })
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
