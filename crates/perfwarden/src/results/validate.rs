//! What the types cannot check: finite, non-negative values, sane intervals, unique ids,
//! histograms that exist and decode, timestamps that parse.

use std::collections::{BTreeMap, BTreeSet};

use super::hist;
use super::schema::{Metric, Run, Stat, Unit};

/// `s` with control characters escaped, so a name from untrusted input cannot break the
/// one-line error it appears in.
pub(crate) fn one_line(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_string();
    }
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// True when `s` has nothing but white space, as the JSON Schema's `\S` pattern sees it
/// (ECMAScript's white space: U+FEFF counts, U+0085 does not), so both refuse the same names.
fn blank(s: &str) -> bool {
    s.chars()
        .all(|c| (c.is_whitespace() && c != '\u{85}') || c == '\u{feff}')
}

/// Checks a run that deserialized. The error is one line naming the metric or field.
pub fn validate(run: &Run) -> Result<(), String> {
    if run.machines == 0 {
        return Err("`machines` must be at least 1".into());
    }
    let env = &run.environment;
    if blank(&env.machine_class) {
        return Err("environment.machine_class is empty".into());
    }
    if chrono::DateTime::parse_from_rfc3339(&env.timestamp).is_err() {
        return Err(format!(
            "environment.timestamp {:?} is not an RFC 3339 date-time",
            env.timestamp
        ));
    }
    let mut suites = BTreeSet::new();
    for s in &run.suites {
        if blank(&s.suite) {
            return Err("suites: a suite with an empty name".into());
        }
        if !suites.insert(s.suite.as_str()) {
            return Err(format!("suites: suite {:?} is listed twice", s.suite));
        }
    }
    let hists = histograms(run)?;
    let mut ids = BTreeSet::new();
    for m in &run.metrics {
        metric(m, &hists)?;
        if !ids.insert(m.id()) {
            return Err(format!("duplicate metric {}", one_line(&m.id())));
        }
    }
    Ok(())
}

/// The run's histograms by id, each checked to decode.
fn histograms(run: &Run) -> Result<BTreeMap<&str, Unit>, String> {
    let mut by_id = BTreeMap::new();
    for h in &run.histograms {
        if blank(&h.id) {
            return Err("histogram with an empty `id`".into());
        }
        if by_id.insert(h.id.as_str(), h.unit).is_some() {
            return Err(format!("duplicate histogram {:?}", h.id));
        }
        hist::decode(&h.hdr).map_err(|e| format!("histogram {:?}: {e}", h.id))?;
    }
    Ok(by_id)
}

/// Checks one metric against the run's histograms (id → unit).
pub(crate) fn metric(m: &Metric, hists: &BTreeMap<&str, Unit>) -> Result<(), String> {
    let id = one_line(&m.id());
    for (field, v) in [
        ("suite", &m.suite),
        ("benchmark", &m.benchmark),
        ("metric", &m.metric),
    ] {
        if blank(v) {
            return Err(format!("metric {id}: empty `{field}`"));
        }
    }
    // Every unit perfwarden knows measures something that cannot be below zero.
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
                "metric {id}: ci.level {} is not between 0 and 1 (exclusive)",
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
        let Some(&hist_unit) = hists.get(h.as_str()) else {
            return Err(format!(
                "metric {id}: histogram {h:?} is not in `histograms`"
            ));
        };
        // A histogram-backed metric is recomputed from its histogram when runs merge, so
        // it must say which statistic it is, in a unit the histogram converts to.
        let Some(stat) = m.stat else {
            return Err(format!(
                "metric {id}: has a `histogram` but no `stat` to compute from it"
            ));
        };
        let convertible = if stat == Stat::Count {
            m.unit == Unit::Count
        } else {
            hist::unit_factor(hist_unit, m.unit).is_some()
        };
        if !convertible {
            return Err(format!(
                "metric {id}: unit {} does not follow from histogram {h:?} in {hist_unit}",
                m.unit
            ));
        }
    }
    Ok(())
}
