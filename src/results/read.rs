//! Reading results: one file or a directory of them, validated, with errors that name the
//! file and what is wrong.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::schema::{Run, SCHEMA_VERSION};
use crate::error::Error;

/// Files larger than this are refused before being read: no results file is near it, and a
/// runaway file should not exhaust memory.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Reads and validates one results file.
pub fn read_run(path: &Path) -> Result<Run, Error> {
    let bad = |what: String| Error::BadInput {
        path: path.to_path_buf(),
        what,
    };
    let meta = std::fs::metadata(path).map_err(|e| Error::Read {
        path: path.to_path_buf(),
        source: e,
    })?;
    if meta.is_dir() {
        return Err(bad("is a directory, expected a results JSON file".into()));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(bad(format!(
            "file is {} bytes, over the {} byte limit for a results file",
            meta.len(),
            MAX_FILE_BYTES
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| Error::Read {
        path: path.to_path_buf(),
        source: e,
    })?;
    parse_run(&bytes).map_err(bad)
}

/// Parses and validates a results document. The error is one line, without the path.
pub fn parse_run(bytes: &[u8]) -> Result<Run, String> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err("file is empty".into());
    }
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8: {e}"))?;
    // Check the version before the shape, so a future schema gets the right message.
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
    let obj = value
        .as_object()
        .ok_or("expected a JSON object at the top level")?;
    match obj.get("schema_version") {
        None => return Err("missing field `schema_version`".into()),
        Some(v) if v.as_u64() == Some(SCHEMA_VERSION as u64) => {}
        Some(v) => {
            return Err(format!(
                "unsupported schema_version {v} (this perfgate reads version {SCHEMA_VERSION})"
            ));
        }
    }
    let run: Run = serde_json::from_value(value).map_err(|e| format!("{e}"))?;
    validate(&run)?;
    Ok(run)
}

/// Checks what the types cannot: finite, non-negative values, sane intervals, unique ids,
/// histograms that exist.
pub fn validate(run: &Run) -> Result<(), String> {
    if run.machines == 0 {
        return Err("`machines` must be at least 1".into());
    }
    let mut ids = BTreeSet::new();
    let hist_ids: BTreeSet<&str> = run.histograms.iter().map(|h| h.id.as_str()).collect();
    for h in &run.histograms {
        if h.id.trim().is_empty() {
            return Err("histogram with an empty `id`".into());
        }
    }
    if hist_ids.len() != run.histograms.len() {
        return Err("duplicate histogram ids".into());
    }
    for m in &run.metrics {
        let id = m.id();
        for (field, v) in [
            ("suite", &m.suite),
            ("benchmark", &m.benchmark),
            ("metric", &m.metric),
        ] {
            if v.trim().is_empty() {
                return Err(format!("metric {id}: empty `{field}`"));
            }
        }
        let finite = |field: &str, v: f64| -> Result<(), String> {
            if !v.is_finite() {
                Err(format!("metric {id}: `{field}` is not a finite number"))
            } else if v < 0.0 {
                Err(format!(
                    "metric {id}: `{field}` is negative ({v} {})",
                    m.unit
                ))
            } else {
                Ok(())
            }
        };
        finite("value", m.value)?;
        if let Some(ci) = &m.ci {
            finite("ci.lower", ci.lower)?;
            finite("ci.upper", ci.upper)?;
            if ci.lower > ci.upper {
                return Err(format!(
                    "metric {id}: ci.lower {} is above ci.upper {}",
                    ci.lower, ci.upper
                ));
            }
            if !(ci.level > 0.0 && ci.level < 1.0) {
                return Err(format!(
                    "metric {id}: ci.level {} is not between 0 and 1",
                    ci.level
                ));
            }
        }
        if let Some(sd) = m.std_dev {
            finite("std_dev", sd)?;
        }
        if let Some(noise) = m.noise {
            finite("noise", noise)?;
        }
        if let Some(samples) = &m.samples {
            for &s in samples {
                finite("samples", s)?;
            }
        }
        if let Some(h) = &m.histogram {
            if !hist_ids.contains(h.as_str()) {
                return Err(format!(
                    "metric {id}: histogram {h:?} is not in `histograms`"
                ));
            }
        }
        if !ids.insert(id.clone()) {
            return Err(format!("duplicate metric {id}"));
        }
    }
    Ok(())
}

/// Reads a results file, or every `*.json` file of a directory (not recursive, sorted by
/// name) merged into one run. Merging files of one run is how suites that write one file
/// each are gated together; the environment is the first file's.
pub fn read_run_set(path: &Path) -> Result<Run, Error> {
    let meta = std::fs::metadata(path).map_err(|e| Error::Read {
        path: path.to_path_buf(),
        source: e,
    })?;
    if !meta.is_dir() {
        return read_run(path);
    }
    let files = json_files(path)?;
    let Some((first, rest)) = files.split_first() else {
        return Err(Error::BadInput {
            path: path.to_path_buf(),
            what: "directory holds no *.json results files".into(),
        });
    };
    let mut run = read_run(first)?;
    let mut ids: BTreeSet<String> = run.metrics.iter().map(|m| m.id()).collect();
    for file in rest {
        let other = read_run(file)?;
        for m in &other.metrics {
            if !ids.insert(m.id()) {
                return Err(Error::BadInput {
                    path: file.clone(),
                    what: format!(
                        "metric {} is also in another file of {}",
                        m.id(),
                        path.display()
                    ),
                });
            }
        }
        run.metrics.extend(other.metrics);
        run.suites.extend(other.suites);
        run.histograms.extend(other.histograms);
    }
    Ok(run)
}

/// The `*.json` files directly inside `dir`, sorted.
pub fn json_files(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let rd = std::fs::read_dir(dir).map_err(|e| Error::Read {
        path: dir.to_path_buf(),
        source: e,
    })?;
    let mut files = Vec::new();
    for entry in rd {
        let entry = entry.map_err(|e| Error::Read {
            path: dir.to_path_buf(),
            source: e,
        })?;
        let p = entry.path();
        if p.extension().is_some_and(|e| e == "json") && p.is_file() {
            files.push(p);
        }
    }
    files.sort();
    Ok(files)
}
