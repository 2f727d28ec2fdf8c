//! Writing files atomically: an interrupted write leaves the old file or the new one, never
//! half of either, and never a stray temporary file in the destination folder.
//!
//! Each file is staged in a folder of its own on the destination's filesystem (the cargo
//! target dir's `perfwarden-staging/`, or the system temp dir) and renamed into place, so a
//! write killed half-way leaves its temporary file there, not beside the baselines where
//! `git add baselines/` would pick it up. Only where no such folder shares the destination's
//! filesystem (or the rename fails with `EXDEV` anyway, across bind mounts) is the file
//! staged beside its target. Written files get ordinary permissions (0666 less the umask,
//! usually 0644), not the 0600 of a temporary file.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::Error;

/// The staging folder's name under the cargo target dir.
const STAGING: &str = "perfwarden-staging";

/// Writes `bytes` to `path` through a staged temporary file and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    write_atomic_all(&[(path.to_path_buf(), bytes.to_vec())])
}

/// Writes several files in two phases: every file is written and synced in its staging
/// folder first, and only then renamed into place. A failure while writing (a full disk, a
/// missing permission) replaces nothing, and leaves no staged file behind.
pub fn write_atomic_all(files: &[(PathBuf, Vec<u8>)]) -> Result<(), Error> {
    let mut staged = Vec::with_capacity(files.len());
    for (path, bytes) in files {
        let io = |source| Error::Write {
            path: path.clone(),
            source,
        };
        if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
            // A rename cannot replace a directory; say so before anything is replaced.
            return Err(io(io::Error::other("the target exists and is not a file")));
        }
        let dir = parent_of(path);
        std::fs::create_dir_all(dir).map_err(io)?;
        let tmp = Staged::write_in(&staging_dir_for(dir), bytes).map_err(io)?;
        staged.push((path, bytes, tmp));
    }
    for (path, bytes, tmp) in staged {
        let io = |source| Error::Write {
            path: path.clone(),
            source,
        };
        match tmp.rename_to(path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::CrossesDevices => {
                Staged::write_in(parent_of(path), bytes)
                    .and_then(|beside| beside.rename_to(path))
                    .map_err(io)?;
            }
            Err(e) => return Err(io(e)),
        }
    }
    Ok(())
}

fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// A written and synced temporary file, removed when dropped unless it was renamed into
/// place (so a failed write leaves nothing behind; only a killed one leaves it, in the
/// staging folder).
struct Staged {
    path: PathBuf,
    renamed: bool,
}

impl Staged {
    /// A new file `.perfwarden-<pid>-<n>.tmp` in `dir` holding `bytes`, with ordinary
    /// permissions: 0666 passed to open(2), which takes the umask off as for any new file.
    fn write_in(dir: &Path, bytes: &[u8]) -> io::Result<Staged> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        loop {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let path = dir.join(format!(".perfwarden-{}-{n}.tmp", std::process::id()));
            let mut options = OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o666);
            match options.open(&path) {
                Ok(mut file) => {
                    let staged = Staged {
                        path,
                        renamed: false,
                    };
                    file.write_all(bytes)?;
                    file.sync_all()?;
                    return Ok(staged);
                }
                // Left by a process that had this id before: take the next name.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
    }

    fn rename_to(mut self, target: &Path) -> io::Result<()> {
        std::fs::rename(&self.path, target)?;
        self.renamed = true;
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.renamed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// The first staging folder on the same filesystem as `dir` that is not `dir` itself: the
/// cargo target dir's, then the system temp dir; else `dir`.
fn staging_dir_for(dir: &Path) -> PathBuf {
    let candidates = [
        super::store::cargo_target_dir()
            .or_else(|| Some(PathBuf::from("target")).filter(|t| t.is_dir()))
            .map(|t| t.join(STAGING)),
        Some(std::env::temp_dir()),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|c| usable(c, dir))
        .unwrap_or_else(|| dir.to_path_buf())
}

fn usable(candidate: &Path, dir: &Path) -> bool {
    let same_folder = match (candidate.canonicalize(), dir.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    // Only a folder inside one that exists is made: never a whole target dir.
    if candidate.parent().is_some_and(Path::is_dir) {
        // Another writer may make it at the same moment: whether it exists afterwards counts.
        let _ = std::fs::create_dir(candidate);
    }
    !same_folder && candidate.is_dir() && same_filesystem(candidate, dir)
}

#[cfg(unix)]
fn same_filesystem(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_filesystem(_: &Path, _: &Path) -> bool {
    false
}
