//! Writes the calibrated noise floor (`Metric::noise`, a coefficient of variation) into the
//! baseline files of one machine class. Every file is read, changed and serialized before
//! the first is written, and all are renamed into place together (`write_atomic_all`), so a
//! failure leaves the old baselines as they were.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::analysis::Calibration;
use crate::error::Error;
use crate::results::{self, Run};

/// What writing the noise floor did.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct FloorWritten {
    /// Files updated in place (existing baselines) or created, with how many metrics each
    /// received a noise value.
    pub(crate) files: Vec<(PathBuf, usize)>,
    /// Calibrated metrics that no baseline file holds and no new file received.
    pub(crate) unmatched: Vec<String>,
    /// Instruction counts that varied between the unchanged runs, with their CV: not
    /// written (see [`varies_like_other_code`]).
    pub(crate) refused: Vec<(String, f64)>,
}

/// Instruction counts of one binary on one input vary by well under 0.1% (here: identical in
/// five runs); unchanged runs whose counts differ by more than this measured different code
/// (a binary cargo reused from another checkout). A floor made of that would silently widen
/// the counts' tight threshold (2%) past the change it exists to catch.
const INSTRUCTIONS_CV_LIMIT: f64 = 0.01;

/// Whether an instruction count's run-to-run CV says the runs measured different code.
pub(crate) fn varies_like_other_code(id: &str, cv: f64) -> bool {
    id.rsplit('/').next() == Some(crate::rerun::instructions::METRIC) && cv > INSTRUCTIONS_CV_LIMIT
}

/// Sets `noise` on every calibrated metric found in `class_dir/*.json`. A suite with no
/// baseline file there gets one made of `template`'s metrics of that suite (an unchanged
/// run of the calibration), so the floor is not lost for want of a baseline.
pub(crate) fn write_noise(
    class_dir: &Path,
    calibration: &Calibration,
    template: Option<&Run>,
) -> Result<FloorWritten, Error> {
    let mut done = FloorWritten::default();
    let mut cvs: BTreeMap<&str, f64> = BTreeMap::new();
    for m in &calibration.metrics {
        match m.spread.cv {
            Some(cv) if varies_like_other_code(&m.id, cv) => done.refused.push((m.id.clone(), cv)),
            Some(cv) => {
                cvs.insert(m.id.as_str(), cv);
            }
            None => {}
        }
    }
    let mut writes: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    let mut matched: BTreeMap<&str, bool> = cvs.keys().map(|k| (*k, false)).collect();
    let existing = if class_dir.is_dir() {
        results::json_files(class_dir)?
    } else {
        Vec::new()
    };
    for path in existing {
        let mut run = results::read_run(&path)?;
        let mut n = 0;
        for m in &mut run.metrics {
            let id = m.id();
            if let Some(cv) = cvs.get(id.as_str()) {
                m.noise = Some(*cv);
                if let Some(seen) = matched.get_mut(id.as_str()) {
                    *seen = true;
                }
                n += 1;
            }
        }
        if n > 0 {
            writes.push((path.clone(), run.to_json().into_bytes()));
            done.files.push((path, n));
        }
    }
    let mut new_suites: BTreeMap<String, Run> = BTreeMap::new();
    if let Some(t) = template {
        for m in &t.metrics {
            let id = m.id();
            if matched.get(id.as_str()) != Some(&false) {
                continue;
            }
            let run = new_suites.entry(m.suite.clone()).or_insert_with(|| {
                let mut r = Run::new(t.environment.clone());
                r.suites = t
                    .suites
                    .iter()
                    .filter(|s| s.suite == m.suite)
                    .cloned()
                    .collect();
                r
            });
            let mut m = m.clone();
            m.noise = cvs.get(id.as_str()).copied();
            // A histogram the metric names must travel with it, or the file is invalid.
            if let Some(h) = &m.histogram
                && !run.histograms.iter().any(|x| &x.id == h)
                && let Some(hist) = t.histograms.iter().find(|x| &x.id == h)
            {
                run.histograms.push(hist.clone());
            }
            run.metrics.push(m);
            if let Some(seen) = matched.get_mut(id.as_str()) {
                *seen = true;
            }
        }
    }
    for (suite, run) in new_suites {
        let path = class_dir.join(format!("{suite}.json"));
        let n = run.metrics.len();
        writes.push((path.clone(), run.to_json().into_bytes()));
        done.files.push((path, n));
    }
    done.unmatched = matched
        .into_iter()
        .filter(|(_, m)| !m)
        .map(|(k, _)| k.to_string())
        .collect();
    results::write_atomic_all(&writes)?;
    Ok(done)
}
