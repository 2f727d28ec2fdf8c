//! The baseline's commit checked out beside the current tree (`git worktree add --detach`),
//! removed again when dropped.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs git in `repo`; the error is one line (git's stderr, or why git did not start).
pub(crate) fn git(repo: &Path, args: &[&str]) -> Result<String, String> {
    tracing::debug!(repo = %repo.display(), "git {}", args.join(" "));
    let out = Command::new("git")
        .current_dir(repo)
        .args(args)
        .output()
        .map_err(|e| format!("cannot start git: {e}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(format!(
            "git {}: {}",
            args.join(" "),
            err.trim().replace('\n', " ")
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The full id of `commit` when it is a commit of the repository at `repo`; otherwise why
/// not, in one line.
pub(crate) fn resolve_commit(repo: &Path, commit: &str) -> Result<String, String> {
    // A commit given as an option (`-x`) must not be read as one by git.
    if commit.is_empty() || commit.starts_with('-') {
        return Err(format!("{commit:?} is not a commit id"));
    }
    git(
        repo,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{commit}^{{commit}}"),
        ],
    )
    .map_err(|_| {
        format!(
            "commit {commit} is not in the repository at {}",
            repo.display()
        )
    })
}

/// Where the worktree of `commit` goes: the system's temporary folder, never the results
/// folder (by default under the target directory). Cargo records a build's sources that lie
/// under its target directory relative to that directory, so a worktree there made cargo
/// check the *other* tree's build against the worktree's files, call it fresh, and hand the
/// current side the baseline's binaries (seen in a fresh clone's main job: byte-identical
/// sides, a confirmation of the baseline against itself).
pub(crate) fn location(kind: &str, commit: &str) -> PathBuf {
    let short: String = commit.chars().take(12).collect();
    let pid = std::process::id();
    std::env::temp_dir().join(format!("perfwarden-{pid}-{kind}-{short}"))
}

/// A detached worktree of one commit; dropping it removes the worktree.
#[derive(Debug)]
pub(crate) struct Worktree {
    repo: PathBuf,
    pub(crate) path: PathBuf,
    pub(crate) commit: String,
}

impl Worktree {
    /// Checks out `commit` of `repo` at `path` (which must not exist yet).
    pub(crate) fn add(repo: &Path, commit: &str, path: &Path) -> Result<Worktree, String> {
        let commit = resolve_commit(repo, commit)?;
        remove_stale(repo);
        let p = path
            .to_str()
            .ok_or_else(|| format!("{} is not UTF-8", path.display()))?;
        git(
            repo,
            &["worktree", "add", "--detach", "--force", p, &commit],
        )?;
        Ok(Worktree {
            repo: repo.to_path_buf(),
            path: path.to_path_buf(),
            commit,
        })
    }
}

impl Drop for Worktree {
    fn drop(&mut self) {
        if let Some(p) = self.path.to_str() {
            let _ = git(&self.repo, &["worktree", "remove", "--force", p]);
        }
    }
}

/// Removes the worktrees that a killed perfwarden left behind: its process is gone, so its
/// `Drop` never ran (Ctrl-C, a CI job's timeout, SIGKILL, which nothing can catch), and the
/// checkout stayed in the temporary folder and in the repository's worktree list. Found by
/// their [`location`] names, whose pid no longer runs; a live run's worktree is left alone.
pub(crate) fn remove_stale(repo: &Path) {
    let Ok(list) = git(repo, &["worktree", "list", "--porcelain"]) else {
        return;
    };
    let tmp = std::env::temp_dir();
    let tmp = tmp.canonicalize().unwrap_or(tmp);
    for path in list.lines().filter_map(|l| l.strip_prefix("worktree ")) {
        let p = Path::new(path);
        let in_tmp = p
            .parent()
            .is_some_and(|d| d.canonicalize().is_ok_and(|d| d == tmp));
        let pid = p
            .file_name()
            .and_then(|n| n.to_str()?.strip_prefix("perfwarden-")?.split('-').next())
            .and_then(|pid| pid.parse::<i32>().ok())
            .filter(|pid| *pid > 0);
        if let Some(pid) = pid
            && in_tmp
            && !running(pid)
        {
            tracing::info!(
                path,
                pid,
                "removing the worktree of a perfwarden that is gone"
            );
            let _ = git(repo, &["worktree", "remove", "--force", path]);
        }
    }
    let _ = git(repo, &["worktree", "prune"]);
}

/// Whether process `pid` still runs (`kill -0`; without `kill`, it is taken to run). Only
/// positive i32 pids come here: a larger number reaches `kill` wrapped to a negative one, a
/// process group, which always answers.
fn running(pid: i32) -> bool {
    Command::new("kill")
        .args(["-0", &pid.to_string()])
        .stderr(std::process::Stdio::null())
        .status()
        .ok()
        .is_none_or(|s| s.success())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for args in [
            &["init", "-q"][..],
            &[
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@t",
                "commit",
                "-q",
                "--allow-empty",
                "-m",
                "t",
            ],
        ] {
            git(dir.path(), args).unwrap();
        }
        dir
    }

    #[test]
    fn a_killed_runs_worktree_is_removed_by_the_next_run_and_a_live_ones_is_not() {
        let repo = repo();
        let tmp = std::env::temp_dir();
        // pid_max is at most 2^22 on Linux: this pid runs nowhere (and is still an i32).
        let dead = tmp.join(format!(
            "perfwarden-2147483646-baseline-{}",
            std::process::id()
        ));
        let live = tmp.join(format!("perfwarden-{}-baseline-live", std::process::id()));
        for p in [&dead, &live] {
            let _ = std::fs::remove_dir_all(p);
            git(
                repo.path(),
                &["worktree", "add", "-q", "--detach", p.to_str().unwrap()],
            )
            .unwrap();
        }
        remove_stale(repo.path());
        assert!(!dead.exists(), "the dead run's worktree is gone");
        assert!(live.exists(), "this live run's worktree stays");
        let list = git(repo.path(), &["worktree", "list"]).unwrap();
        assert!(!list.contains("2147483646"), "{list}");
        git(
            repo.path(),
            &["worktree", "remove", "--force", live.to_str().unwrap()],
        )
        .unwrap();
    }
}
