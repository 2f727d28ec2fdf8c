//! Writing results to disk: atomically, so an interrupted write leaves the old file or
//! the new one, never half of either.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::schema::Run;
use crate::error::Error;

/// Where suites write their results: `PERFWARDEN_RESULTS_DIR` when set, else `perfwarden/`
/// in the cargo target directory: `CARGO_TARGET_DIR`, or the one holding the running bench or
/// test binary (cargo runs those from their package's folder, not the workspace root), or
/// `target/` under the working directory.
pub fn results_dir() -> PathBuf {
    let set = |name| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(dir) = set("PERFWARDEN_RESULTS_DIR") {
        return PathBuf::from(dir);
    }
    let target = set("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .or_else(target_dir_of_current_exe)
        .unwrap_or_else(|| PathBuf::from("target"));
    target.join("perfwarden")
}

/// `<target>` for a binary cargo built as `<target>/<profile>/deps/<name>-<hash>`.
fn target_dir_of_current_exe() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let deps = exe.parent()?;
    if deps.file_name()? != "deps" {
        return None;
    }
    Some(deps.parent()?.parent()?.to_path_buf())
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    write_atomic_all(&[(path.to_path_buf(), bytes.to_vec())])
}

/// Writes several files, each through a temporary file and a rename, in two phases: every
/// file is written and synced beside its target first, and only then renamed into place. A
/// failure while writing (a full disk, a missing permission) replaces nothing.
pub fn write_atomic_all(files: &[(PathBuf, Vec<u8>)]) -> Result<(), Error> {
    let mut staged = Vec::with_capacity(files.len());
    for (path, bytes) in files {
        let io = |source| Error::Write {
            path: path.clone(),
            source,
        };
        if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
            // A rename cannot replace a directory; say so before anything is replaced.
            return Err(io(std::io::Error::other(
                "the target exists and is not a file",
            )));
        }
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        let mut tmp = Staged::create_in(dir).map_err(io)?;
        tmp.write_and_close(bytes).map_err(io)?;
        staged.push((path, tmp));
    }
    for (path, mut tmp) in staged {
        std::fs::rename(&tmp.path, path).map_err(|source| Error::Write {
            path: path.clone(),
            source,
        })?;
        tmp.renamed = true;
    }
    Ok(())
}

/// A temporary file beside its target, removed when dropped unless it was renamed into place
/// (so a failed write leaves nothing behind).
struct Staged {
    path: PathBuf,
    /// Open until written and synced; closed before the rename.
    file: Option<File>,
    renamed: bool,
}

impl Staged {
    /// A new file `.perfwarden-<pid>-<n>.tmp` in `dir`, readable and writable by its owner
    /// only until it is renamed.
    fn create_in(dir: &Path) -> io::Result<Staged> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        loop {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let path = dir.join(format!(".perfwarden-{}-{n}.tmp", std::process::id()));
            let mut options = OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            match options.open(&path) {
                Ok(file) => {
                    return Ok(Staged {
                        path,
                        file: Some(file),
                        renamed: false,
                    });
                }
                // Left by a process that had this id before: take the next name.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Writes `bytes`, syncs them to disk and closes the file.
    fn write_and_close(&mut self, bytes: &[u8]) -> io::Result<()> {
        let mut file = self.file.take().expect("written once");
        file.write_all(bytes)?;
        file.sync_all()
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        // Closed first: an open file cannot be removed everywhere.
        drop(self.file.take());
        if !self.renamed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

impl Run {
    /// Pretty JSON, newline-terminated.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a Run always serializes");
        s.push('\n');
        s
    }

    /// Writes this run atomically to `path`.
    pub fn write(&self, path: &Path) -> Result<(), Error> {
        write_atomic(path, self.to_json().as_bytes())
    }

    /// Writes this run as `<results_dir>/<name>.json` and returns the path.
    pub fn write_to_results_dir(&self, name: &str) -> Result<PathBuf, Error> {
        let path = results_dir().join(format!("{name}.json"));
        self.write(&path)?;
        Ok(path)
    }
}
