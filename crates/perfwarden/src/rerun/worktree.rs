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
