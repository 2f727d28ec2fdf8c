//! The committed baselines: `baselines/<machine_class>/<suite>.json`, one results file per
//! suite, written from a current run by `perfwarden baseline update`.
//!
//! Everything is checked and serialized before the first byte is written, then every file is
//! staged outside `baselines/` and renamed into place (see [`crate::results::write_atomic_all`]):
//! a refused, invalid or failed update leaves the old baselines as they were, and no reader
//! ever sees half a file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::results::{self, Metric, Run, SuiteOutcome};

/// The directory holding the baselines of one machine class.
pub fn class_dir(baselines_dir: &Path, machine_class: &str) -> PathBuf {
    baselines_dir.join(machine_class)
}

/// The baseline file of one suite on one machine class.
pub fn suite_path(baselines_dir: &Path, machine_class: &str, suite: &str) -> PathBuf {
    class_dir(baselines_dir, machine_class).join(format!("{suite}.json"))
}

/// Writes `current` as the new baseline of its machine class, one file per suite that has
/// metrics, and returns the files written. Refuses (unless `force`) a run without metrics
/// or with a failed or skipped suite, and an existing baseline that cannot be read. Each
/// new metric without a `noise` keeps the old baseline's (calibration measures it, a run
/// does not).
pub fn update(current: &Run, baselines_dir: &Path, force: bool) -> Result<Vec<PathBuf>, Error> {
    let class = &current.environment.machine_class;
    let dir = class_dir(baselines_dir, class);
    let refuse = |path: &Path, what: String| Error::Refused {
        path: path.to_path_buf(),
        what: format!("{what}; pass --force to update the baseline anyway"),
    };
    check_name("machine class", class, baselines_dir)?;
    if !force {
        if current.metrics.is_empty() {
            return Err(refuse(
                &dir,
                "refusing to update: the run has no metrics".into(),
            ));
        }
        let bad: Vec<String> = current
            .suites
            .iter()
            .filter(|s| s.status != SuiteOutcome::Passed)
            .map(|s| {
                let status = format!("{:?}", s.status).to_lowercase();
                let suite = results::one_line(&s.suite);
                match &s.reason {
                    Some(r) => format!("{suite} {status} ({})", results::one_line(r)),
                    None => format!("{suite} {status}"),
                }
            })
            .collect();
        if !bad.is_empty() {
            return Err(refuse(
                &dir,
                format!("refusing to update: suite {}", bad.join(", suite ")),
            ));
        }
    }
    let mut files = Vec::new();
    for (suite, metrics) in by_suite(&current.metrics) {
        check_name("suite", suite, baselines_dir)?;
        let path = suite_path(baselines_dir, class, suite);
        let mut run = suite_run(current, suite, metrics, &path)?;
        match std::fs::exists(&path) {
            Ok(false) => {}
            Ok(true) | Err(_) => match results::read_run(&path) {
                Ok(old) => keep_noise(&mut run.metrics, &old),
                Err(e) if !force => {
                    // The path is already the error's subject: keep only what is wrong.
                    let why = match e {
                        Error::BadInput { what, .. } => what,
                        Error::Read { source, .. } => format!("cannot read: {source}"),
                        other => other.to_string(),
                    };
                    return Err(refuse(
                        &path,
                        format!("the existing baseline is unusable ({why})"),
                    ));
                }
                Err(_) => {}
            },
        }
        results::validate(&run).map_err(|what| Error::BadInput {
            path: path.clone(),
            what: format!("would write an invalid baseline: {what}"),
        })?;
        files.push((path, run.to_json().into_bytes()));
    }
    // Everything is checked and serialized: only now touch the disk.
    results::write_atomic_all(&files)?;
    Ok(files.into_iter().map(|(path, _)| path).collect())
}

/// The metrics of each suite, suites in order of first appearance.
fn by_suite(metrics: &[Metric]) -> Vec<(&str, Vec<&Metric>)> {
    let mut out: Vec<(&str, Vec<&Metric>)> = Vec::new();
    for m in metrics {
        match out.iter_mut().find(|(s, _)| *s == m.suite) {
            Some((_, ms)) => ms.push(m),
            None => out.push((&m.suite, vec![m])),
        }
    }
    out
}

/// `run` split into one run per suite (suites with metrics in order of first appearance,
/// then suites that only have a status, such as a skipped one), as the results directory
/// and the baselines keep them.
pub fn split_by_suite(run: &Run) -> Result<Vec<(String, Run)>, Error> {
    let mut out = Vec::new();
    for (suite, metrics) in by_suite(&run.metrics) {
        let part = suite_run(run, suite, metrics, Path::new(suite))?;
        out.push((suite.to_string(), part));
    }
    for s in &run.suites {
        if !out.iter().any(|(name, _)| *name == s.suite) {
            let part = suite_run(run, &s.suite, Vec::new(), Path::new(&s.suite))?;
            out.push((s.suite.clone(), part));
        }
    }
    for (suite, _) in &out {
        check_name("suite", suite, Path::new("."))?;
    }
    Ok(out)
}

/// The part of `current` that belongs to `suite`: its status, metrics and histograms.
fn suite_run(current: &Run, suite: &str, metrics: Vec<&Metric>, path: &Path) -> Result<Run, Error> {
    let mut run = Run::new(current.environment.clone());
    run.machines = current.machines;
    run.suites = current
        .suites
        .iter()
        .filter(|s| s.suite == suite)
        .cloned()
        .collect();
    let wanted: BTreeSet<&str> = metrics
        .iter()
        .filter_map(|m| m.histogram.as_deref())
        .collect();
    // A histogram shared with another suite would be written to both files, and the two
    // files would then clash when read back as one set.
    for m in &current.metrics {
        if m.suite != suite && m.histogram.as_deref().is_some_and(|h| wanted.contains(h)) {
            return Err(Error::BadInput {
                path: path.to_path_buf(),
                what: format!(
                    "histogram {:?} is used by suites {suite} and {}; baselines are kept per suite",
                    m.histogram.as_deref().unwrap_or_default(),
                    results::one_line(&m.suite)
                ),
            });
        }
    }
    run.histograms = current
        .histograms
        .iter()
        .filter(|h| wanted.contains(h.id.as_str()))
        .cloned()
        .collect();
    run.metrics = metrics.into_iter().cloned().collect();
    Ok(run)
}

/// Carries each old metric's `noise` over to the same metric (same id and unit) when the new
/// one has none.
fn keep_noise(metrics: &mut [Metric], old: &Run) {
    let noise: BTreeMap<String, (results::Unit, f64)> = old
        .metrics
        .iter()
        .filter_map(|m| m.noise.map(|n| (m.id(), (m.unit, n))))
        .collect();
    for m in metrics.iter_mut().filter(|m| m.noise.is_none()) {
        if let Some(&(unit, n)) = noise.get(&m.id())
            && unit == m.unit
        {
            m.noise = Some(n);
        }
    }
}

/// A machine class or suite name becomes a path component: it must not climb out of the
/// baselines directory or hide a separator.
pub(crate) fn check_name(what: &str, name: &str, baselines_dir: &Path) -> Result<(), Error> {
    let bad = name.is_empty()
        || name == "."
        || name == ".."
        || name
            .chars()
            .any(|c| c == '/' || c == '\\' || c == ':' || c.is_control());
    if bad {
        return Err(Error::BadInput {
            path: baselines_dir.to_path_buf(),
            what: format!("{what} {name:?} cannot name a baseline file"),
        });
    }
    Ok(())
}
