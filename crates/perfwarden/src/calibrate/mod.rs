//! `perfwarden calibrate`: how far the gate can be trusted on this machine. A bench runs N
//! times on unchanged code (and, for sensitivity, N times with an injected slowdown); every
//! ordered pair of runs goes through the real gate ([`crate::gate::compare`]) under the
//! repository's config, which gives per metric the false-alarm rate and the detection rate
//! the gate would have had. The spread between runs (coefficient of variation) becomes the
//! metric's noise floor in the baselines, which the gate then uses to widen its threshold.
//!
//! - [`crate::rerun`]: builds and runs the bench, one `CARGO_TARGET_DIR` per run (I/O);
//! - [`analysis`] and [`stats`]: the pure analysis;
//! - [`floor`]: writes the noise floor into the baseline files (atomically);
//! - [`report`]: the Markdown table.

pub mod analysis;
pub mod floor;
pub mod report;
pub mod stats;

use std::path::{Path, PathBuf};

pub use analysis::{Calibration, MetricCalibration, Rate, analyse};

use crate::profile::Profile;
use crate::results::{self, Run};

/// What can go wrong while calibrating; each names the bench or file it is about.
#[derive(Debug, thiserror::Error)]
pub enum CalibrateError {
    #[error(transparent)]
    Bench(#[from] crate::rerun::RerunError),
    #[error(transparent)]
    Results(#[from] crate::error::Error),
    #[error("{}: {what}", path.display())]
    Runs { path: PathBuf, what: String },
    #[error(transparent)]
    Compare(#[from] crate::gate::CompareError),
}

impl CalibrateError {
    /// Whether the fault is in what the user gave (exit code 2), not in the run.
    pub fn is_bad_input(&self) -> bool {
        match self {
            CalibrateError::Results(e) => e.is_bad_input(),
            CalibrateError::Runs { .. } | CalibrateError::Compare(_) => true,
            CalibrateError::Bench(_) => false,
        }
    }
}

/// The kept runs of a calibration directory: `unchanged/*.json` and `injected/*.json`.
pub const UNCHANGED_DIR: &str = "unchanged";
pub const INJECTED_DIR: &str = "injected";

/// Reads the runs kept in `dir` (as [`keep_run`] writes them), or, where a side has no kept
/// runs, what the bench wrote in `dir/raw/<unchanged|injected>-NNN/` (each a
/// `CARGO_TARGET_DIR`, as the runner leaves them). At least two unchanged runs are needed;
/// injected runs are optional.
pub fn read_runs(dir: &Path, profile: Profile) -> Result<(Vec<Run>, Vec<Run>), CalibrateError> {
    let read = |sub: &str| -> Result<Vec<Run>, CalibrateError> {
        let d = dir.join(sub);
        if d.is_dir() && !results::json_files(&d)?.is_empty() {
            return results::json_files(&d)?
                .iter()
                .map(|p| results::read_run(p).map_err(CalibrateError::from))
                .collect();
        }
        let mut raw: Vec<PathBuf> = std::fs::read_dir(dir.join("raw"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.is_dir()
                    && p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with(&format!("{sub}-")))
            })
            .collect();
        raw.sort();
        raw.iter()
            .map(|p| {
                crate::rerun::collect(p, profile).map_err(|what| CalibrateError::Runs {
                    path: p.clone(),
                    what,
                })
            })
            .collect()
    };
    let unchanged = read(UNCHANGED_DIR)?;
    if unchanged.len() < 2 {
        return Err(CalibrateError::Runs {
            path: dir.join(UNCHANGED_DIR),
            what: format!(
                "{} unchanged runs; calibration needs at least 2 (files *.json)",
                unchanged.len()
            ),
        });
    }
    Ok((unchanged, read(INJECTED_DIR)?))
}

/// Keeps one run as `dir/<unchanged|injected>/<index>.json` (zero-padded, so the order of
/// the files is the order of the runs).
pub fn keep_run(
    dir: &Path,
    injected: bool,
    index: usize,
    run: &Run,
) -> Result<PathBuf, CalibrateError> {
    let sub = if injected {
        INJECTED_DIR
    } else {
        UNCHANGED_DIR
    };
    let path = dir.join(sub).join(format!("{index:03}.json"));
    run.write(&path)?;
    Ok(path)
}
