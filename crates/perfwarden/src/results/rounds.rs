//! Several runs of the same benches as one run whose metrics carry the per-round values as
//! samples: the spread the gate's noise test needs, measured where it arises (between runs),
//! not inferred from within one.

use std::collections::BTreeMap;

use super::schema::{Metric, Run};

/// One run from `runs` (the same benches, one run per round): each metric measured in every
/// round gets the mean of its round values as its value and the values as its samples; its
/// interval and histogram statistic are dropped, since the value is no longer one
/// histogram's. Metrics missing from some round are left out (they could not be compared
/// pair by pair). Suites and environment are the first run's. `None` for no runs.
pub fn rounds_as_samples(runs: &[Run]) -> Option<Run> {
    let (first, rest) = runs.split_first()?;
    let mut values: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for run in runs {
        for m in &run.metrics {
            values.entry(m.id()).or_default().push(m.value);
        }
    }
    let mut out = Run::new(first.environment.clone());
    out.suites = first.suites.clone();
    for s in rest.iter().flat_map(|r| &r.suites) {
        super::merge::add_suite_status(&mut out.suites, s, s.reason.clone());
    }
    out.metrics = first
        .metrics
        .iter()
        .filter_map(|m| {
            let v = values.get(&m.id()).filter(|v| v.len() == runs.len())?;
            Some(with_samples(m, v))
        })
        .collect();
    Some(out)
}

fn with_samples(m: &Metric, values: &[f64]) -> Metric {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let std_dev = if values.len() > 1 {
        (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
    } else {
        0.0
    };
    let mut out = m.clone();
    out.value = mean;
    out.samples = Some(values.to_vec());
    out.sample_count = Some(values.len() as u64);
    out.std_dev = Some(std_dev);
    out.ci = None;
    out.stat = None;
    out.histogram = None;
    out
}
