//! What changed since the baseline's commit, read from git: the I/O half of
//! [`crate::gate::unchanged`].

use std::path::Path;

use crate::rerun::worktree;

/// Why the code measured is not known to be the baseline commit's.
pub type NotUnchanged = String;

/// `Ok` with the number of paths that changed, all inert, when the code measured is
/// `commit`'s: `head` (a commit) against `commit`, or where `head` is `None` the working tree
/// of `repo`, its uncommitted and untracked files included. Otherwise the first path that is
/// code, or why git could not tell (a shallow clone without the commit, no git at all).
pub fn unchanged_since(
    repo: &Path,
    commit: &str,
    head: Option<&str>,
) -> Result<usize, NotUnchanged> {
    let commit = worktree::resolve_commit(repo, commit)?;
    let head = head
        .map(|h| worktree::resolve_commit(repo, h))
        .transpose()?;
    changed_since(repo, &commit, head.as_deref())
}

/// As [`unchanged_since`] for GitHub's test merge of a pull request: `head` merged onto `base`
/// is the code measured. Its code is `commit`'s when nothing but inert paths changed from
/// `commit` to `base`, nor from where `head` forked off `base` to `head` (a path neither side
/// touched merges to `base`'s, which is `commit`'s).
pub fn unchanged_in_merge(
    repo: &Path,
    commit: &str,
    base: &str,
    head: &str,
) -> Result<usize, NotUnchanged> {
    let [commit, base, head] = [commit, base, head].map(|c| worktree::resolve_commit(repo, c));
    let (commit, base, head) = (commit?, base?, head?);
    let fork = worktree::git(repo, &["merge-base", &base, &head])?;
    Ok(changed_since(repo, &commit, Some(&base))? + changed_since(repo, &fork, Some(&head))?)
}

/// [`unchanged_since`] on resolved commit ids.
fn changed_since(repo: &Path, commit: &str, head: Option<&str>) -> Result<usize, NotUnchanged> {
    // --no-renames: names only, so a clone without blobs needs none.
    let mut diff = vec!["diff", "--no-renames", "--name-only", "-z", commit];
    diff.extend(head);
    let mut changed = split(&worktree::git(repo, &diff)?);
    if head.is_none() {
        let untracked = worktree::git(repo, &["ls-files", "--others", "--exclude-standard", "-z"])?;
        changed.extend(split(&untracked));
    }
    match crate::gate::unchanged::first_code_path(&changed) {
        None => Ok(changed.len()),
        Some(p) => Err(format!(
            "{p} changed since commit {}",
            crate::report::format::short_commit(commit)
        )),
    }
}

fn split(z: &str) -> Vec<String> {
    z.split('\0')
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git(repo: &Path, args: &[&str]) -> String {
        let mut all = vec!["-c", "user.name=t", "-c", "user.email=t@t"];
        all.extend(["-c", "commit.gpgsign=false"]);
        all.extend(args);
        worktree::git(repo, &all).unwrap()
    }

    fn commit(repo: &Path, files: &[(&str, &str)]) -> String {
        for (path, text) in files {
            let path = repo.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        git(repo, &["add", "-A"]);
        git(repo, &["commit", "-q", "-m", "x"]);
        git(repo, &["rev-parse", "HEAD"])
    }

    #[test]
    fn docs_and_baselines_since_the_baselines_commit_leave_the_code_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path();
        git(repo, &["init", "-q", "-b", "main"]);
        let measured = commit(repo, &[("src/lib.rs", "1"), ("README.md", "a")]);
        let docs = commit(repo, &[("README.md", "b"), ("baselines/x/s.json", "{}")]);
        assert_eq!(unchanged_since(repo, &measured, Some(&docs)), Ok(2));
        assert_eq!(unchanged_since(repo, &measured, None), Ok(2));
        // Uncommitted and untracked files of the working tree count.
        std::fs::write(repo.join("src/new.rs"), "").unwrap();
        let why = unchanged_since(repo, &measured, None).unwrap_err();
        assert!(why.starts_with("src/new.rs changed since commit"), "{why}");
        std::fs::remove_file(repo.join("src/new.rs")).unwrap();
        std::fs::write(repo.join("src/lib.rs"), "2").unwrap();
        assert!(unchanged_since(repo, &measured, None).is_err());
        git(repo, &["checkout", "-q", "--", "src/lib.rs"]);

        // A pull request (docs only) forked before the base changed a doc: unchanged. A code
        // change on either side is not.
        let pr = commit(repo, &[("docs/a.md", "x")]);
        git(repo, &["checkout", "-q", &docs]);
        let base = commit(repo, &[("docs/b.md", "y")]);
        assert_eq!(unchanged_in_merge(repo, &measured, &base, &pr), Ok(4));
        let moved = commit(repo, &[("src/lib.rs", "3")]);
        let why = unchanged_in_merge(repo, &measured, &moved, &pr).unwrap_err();
        assert!(why.starts_with("src/lib.rs changed"), "{why}");
        git(repo, &["checkout", "-q", &pr]);
        let slower = commit(repo, &[("src/lib.rs", "4")]);
        assert!(unchanged_in_merge(repo, &measured, &base, &slower).is_err());
        // Not a commit of the repository: not unchanged, and says so.
        let why = unchanged_since(repo, "--output=x", None).unwrap_err();
        assert!(why.contains("not a commit id"), "{why}");
    }
}
