//! The current tree's twin: the same files (committed, changed and untracked alike) checked
//! out at a path exactly as long as the baseline's worktree, so that both sides of an
//! interleaved run are built from paths of one length.
//!
//! Why: absolute paths end up in the binary (`CARGO_MANIFEST_DIR` in fixtures' paths, among
//! others), and the linker lays `.rodata` out before `.text`, so a longer path moves every
//! function. Seen here on identical code: the gate bench built in a scratch clone and in the
//! baseline's worktree differed by 64 bytes of `.rodata`, every function sat 64 bytes apart,
//! and the clone's binary ran 2–30% slower in all nine rounds of three checks (paired
//! ratios of `gate_10k_metrics/compare/time_median`, geometric mean +14%). Paths of one
//! length give both binaries the same layout, so the paired ratio measures the code.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::worktree::{Worktree, git};

/// The name of the twin beside `baseline` (a directory name of the same length).
pub(crate) fn name_beside(baseline: &Path) -> Option<PathBuf> {
    let len = baseline.file_name()?.to_str()?.chars().count();
    let name = format!("{:-<len$}", "current");
    // Shorter than "current": as many characters of it as fit, distinct from the baseline's.
    let name: String = name.chars().take(len.max(1)).collect();
    let twin = baseline.with_file_name(name);
    (twin != baseline).then_some(twin)
}

/// Checks out `tree`'s HEAD beside `baseline`, applies the tree's uncommitted changes and
/// copies its untracked files (not the ignored ones): the tree as it is, at a path of the
/// baseline's length. Removed when dropped; an error says which step failed.
pub(crate) fn twin(tree: &Path, baseline: &Path) -> Result<Worktree, String> {
    let path = name_beside(baseline)
        .ok_or_else(|| format!("{}: no name for a twin beside it", baseline.display()))?;
    let _ = std::fs::remove_dir_all(&path);
    let wt = Worktree::add(tree, "HEAD", &path)?;
    let diff = Command::new("git")
        .current_dir(tree)
        .args(["diff", "HEAD", "--binary"])
        .output()
        .map_err(|e| format!("cannot start git: {e}"))?;
    if !diff.status.success() {
        return Err("git diff HEAD failed in the current tree".into());
    }
    if !diff.stdout.is_empty() {
        apply(&path, &diff.stdout)?;
    }
    let untracked = git(tree, &["ls-files", "--others", "--exclude-standard", "-z"])?;
    for rel in untracked.split('\0').filter(|r| !r.is_empty()) {
        let to = path.join(rel);
        if let Some(dir) = to.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::copy(tree.join(rel), &to).map_err(|e| format!("{rel}: {e}"))?;
    }
    Ok(wt)
}

/// `git apply` of `patch` in `dir`.
fn apply(dir: &Path, patch: &[u8]) -> Result<(), String> {
    use std::io::Write;
    let mut child = Command::new("git")
        .current_dir(dir)
        .args(["apply", "--binary", "--whitespace=nowarn", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start git: {e}"))?;
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(patch)
        .map_err(|e| format!("git apply: {e}"))?;
    let out = child
        .wait_with_output()
        .map_err(|e| format!("git apply: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "git apply of the tree's uncommitted changes: {}",
            String::from_utf8_lossy(&out.stderr)
                .trim()
                .replace('\n', " ")
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_twin_holds_the_tree_as_it_is_and_goes_when_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        std::fs::create_dir_all(repo.join("src")).unwrap();
        let write = |rel: &str, text: &str| std::fs::write(repo.join(rel), text).unwrap();
        write("src/lib.rs", "fn committed() {}\n");
        write("gone.txt", "deleted, not committed\n");
        write(".gitignore", "ignored/\n");
        let run = |args: &[&str]| git(&repo, args).unwrap();
        run(&["init", "-q"]);
        run(&["add", "."]);
        run(&[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@localhost",
            "commit",
            "-qm",
            "base",
        ]);
        write("src/lib.rs", "fn changed() {}\n");
        std::fs::remove_file(repo.join("gone.txt")).unwrap();
        std::fs::create_dir_all(repo.join("src/new")).unwrap();
        write("src/new/mod.rs", "fn untracked() {}\n");
        std::fs::create_dir_all(repo.join("ignored")).unwrap();
        write("ignored/big.bin", "build output\n");
        let baseline = dir.path().join("work/baseline-0123456789ab");
        let t = twin(&repo, &baseline).unwrap();
        assert_eq!(t.path.as_os_str().len(), baseline.as_os_str().len());
        let read = |rel: &str| std::fs::read_to_string(t.path.join(rel)).ok();
        assert_eq!(read("src/lib.rs").as_deref(), Some("fn changed() {}\n"));
        assert_eq!(
            read("src/new/mod.rs").as_deref(),
            Some("fn untracked() {}\n")
        );
        assert_eq!(read("gone.txt"), None);
        assert_eq!(read("ignored/big.bin"), None);
        let path = t.path.clone();
        drop(t);
        assert!(!path.exists());
    }

    #[test]
    fn the_twin_is_as_long_as_the_baseline_and_distinct() {
        for b in [
            "/w/confirm/baseline-0123456789ab",
            "/w/base-0123456789ab",
            "/w/ab",
        ] {
            let t = name_beside(Path::new(b)).unwrap();
            assert_eq!(t.as_os_str().len(), b.len(), "{}", t.display());
            assert_ne!(t, Path::new(b));
            assert_eq!(t.parent(), Path::new(b).parent());
        }
        assert_eq!(
            name_beside(Path::new("/w/base-0123456789ab")).unwrap(),
            Path::new("/w/current----------")
        );
        // Where the only name of that length is the baseline's own there is no twin.
        assert_eq!(name_beside(Path::new("/w/current")), None);
        assert_eq!(name_beside(Path::new("/w/c")), None);
    }
}
