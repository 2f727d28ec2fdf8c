//! The nightly history: one JSON line per run, and each metric's recent trend.
//!
//! Every nightly run appends one [`Entry`] (commit, timestamp, machine class, profile and
//! every metric's value and unit) to a JSON-lines file that CI keeps on a dedicated branch.
//! [`trend`] picks a metric's recent points out of it, comparable ones only (same machine
//! class and profile, same unit), and [`trend_chart`] draws them as a Mermaid `xychart-beta`
//! block, which GitHub renders inside a PR comment.
//!
//! The file is rewritten atomically on append, so an interrupted append leaves the old
//! history, never a half line; a malformed line is an error naming the file and line, and
//! nothing is written over a file that cannot be read.

mod chart;

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::results::{Run, Unit, write_atomic};

pub use chart::trend_chart;

/// The version of the history line format this build writes and reads.
pub(crate) const HISTORY_VERSION: u32 = 1;

/// One run, as one line of the history file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub(crate) history_version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// RFC 3339, UTC: when the run was measured.
    pub(crate) timestamp: String,
    pub(crate) machine_class: String,
    pub(crate) profile: String,
    /// Metric id (`suite/benchmark/metric`) to its value.
    pub metrics: BTreeMap<String, Value>,
}

/// A metric's value and unit in one run.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Value {
    pub value: f64,
    pub unit: Unit,
}

impl Entry {
    /// The history line for a run.
    pub fn from_run(run: &Run) -> Entry {
        let env = &run.environment;
        Entry {
            history_version: HISTORY_VERSION,
            commit: env.git_commit.clone(),
            timestamp: env.timestamp.clone(),
            machine_class: env.machine_class.clone(),
            profile: env.profile.clone(),
            metrics: run
                .metrics
                .iter()
                .map(|m| {
                    let v = Value {
                        value: m.value,
                        unit: m.unit,
                    };
                    (m.id(), v)
                })
                .collect(),
        }
    }

    /// The entry as one JSON line, newline-terminated.
    pub fn to_line(&self) -> String {
        let mut s = serde_json::to_string(self).expect("an Entry always serializes");
        s.push('\n');
        s
    }
}

/// Parses a history file's text. Blank lines are skipped; the error names the line.
pub fn parse_history(text: &str) -> Result<Vec<Entry>, String> {
    let mut entries = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let n = i + 1;
        let value: serde_json::Value =
            serde_json::from_str(line).map_err(|e| format!("line {n}: invalid JSON: {e}"))?;
        match value.get("history_version").and_then(|v| v.as_u64()) {
            Some(v) if v == HISTORY_VERSION as u64 => {}
            Some(v) => {
                return Err(format!(
                    "line {n}: unsupported history_version {v} (this perfwarden reads version {HISTORY_VERSION})"
                ));
            }
            None => return Err(format!("line {n}: missing field `history_version`")),
        }
        let entry: Entry = serde_json::from_value(value).map_err(|e| format!("line {n}: {e}"))?;
        if let Some((id, _)) = entry
            .metrics
            .iter()
            .find(|(_, v)| !v.value.is_finite() || v.value < 0.0)
        {
            return Err(format!(
                "line {n}: metric {id}: value is not a finite, non-negative number"
            ));
        }
        entries.push(entry);
    }
    Ok(entries)
}

/// Reads a history file.
pub fn read_history(path: &Path) -> Result<Vec<Entry>, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_history(&text).map_err(|what| Error::BadInput {
        path: path.to_path_buf(),
        what,
    })
}

/// Appends `entry` to the history at `path` (created when missing), keeping at most `keep`
/// entries (the oldest go first). Earlier lines are kept byte for byte; the file is checked
/// before it is rewritten, so a history this build cannot read is never overwritten.
pub fn append(path: &Path, entry: &Entry, keep: Option<usize>) -> Result<usize, Error> {
    let existing = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => {
            return Err(Error::Read {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    parse_history(&existing).map_err(|what| Error::BadInput {
        path: path.to_path_buf(),
        what: format!("{what} (not appending to a history that cannot be read)"),
    })?;
    let mut lines: Vec<&str> = existing.lines().filter(|l| !l.trim().is_empty()).collect();
    let new_line = entry.to_line();
    lines.push(new_line.trim_end());
    if let Some(keep) = keep {
        let excess = lines.len().saturating_sub(keep.max(1));
        lines.drain(..excess);
    }
    let mut text = lines.join("\n");
    text.push('\n');
    write_atomic(path, text.as_bytes())?;
    Ok(lines.len())
}

/// Which history entries are comparable with each other.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    pub machine_class: Option<String>,
    pub profile: Option<String>,
}

impl Filter {
    fn admits(&self, e: &Entry) -> bool {
        self.machine_class
            .as_ref()
            .is_none_or(|c| *c == e.machine_class)
            && self.profile.as_ref().is_none_or(|p| *p == e.profile)
    }
}

/// One point of a metric's trend.
#[derive(Clone, Debug, PartialEq)]
pub struct TrendPoint {
    pub timestamp: String,
    pub commit: Option<String>,
    pub value: f64,
}

/// A metric's recent values, oldest first, all in one unit.
#[derive(Clone, Debug, PartialEq)]
pub struct Trend {
    pub metric: String,
    pub unit: Unit,
    pub points: Vec<TrendPoint>,
}

/// The last `last` points of `metric` among the entries `filter` admits, in file order
/// (the order runs were appended). Points in another unit than the latest one are left out:
/// a changed unit means the numbers are not comparable. `None` when the metric has no point.
pub fn trend(entries: &[Entry], metric: &str, filter: &Filter, last: usize) -> Option<Trend> {
    let found: Vec<(&Entry, Value)> = entries
        .iter()
        .filter(|e| filter.admits(e))
        .filter_map(|e| e.metrics.get(metric).map(|v| (e, *v)))
        .collect();
    let unit = found.last()?.1.unit;
    let same_unit: Vec<TrendPoint> = found
        .into_iter()
        .filter(|(_, v)| v.unit == unit)
        .map(|(e, v)| TrendPoint {
            timestamp: e.timestamp.clone(),
            commit: e.commit.clone(),
            value: v.value,
        })
        .collect();
    let skip = same_unit.len().saturating_sub(last.max(1));
    Some(Trend {
        metric: metric.to_string(),
        unit,
        points: same_unit.into_iter().skip(skip).collect(),
    })
}
