//! Where results go, and writing a run there (atomically: see [`super::atomic`]).

use std::path::{Path, PathBuf};

use super::atomic::write_atomic;
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
    cargo_target_dir()
        .unwrap_or_else(|| PathBuf::from("target"))
        .join("perfwarden")
}

/// The cargo target directory: `CARGO_TARGET_DIR`, or the one holding the running bench or
/// test binary; `None` for an installed binary run without `CARGO_TARGET_DIR`.
pub(crate) fn cargo_target_dir() -> Option<PathBuf> {
    std::env::var_os("CARGO_TARGET_DIR")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(target_dir_of_current_exe)
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
