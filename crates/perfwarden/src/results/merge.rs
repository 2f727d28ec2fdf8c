//! Combining runs of the same suites measured on several load machines into one run.
//!
//! Histograms merge exactly (decoded, added, re-encoded), and every metric computed from a
//! histogram is recomputed from the merged one: a p99 of all requests is not the mean of the
//! machines' p99s. Metrics without a histogram combine by their [`MergeRule`]: rates that add
//! up (throughput from each load machine) should be written with `Sum`; the default is `Mean`.

use std::collections::{BTreeMap, BTreeSet};

use super::hist;
use super::schema::{Histogram, MergeRule, Metric, Run, SuiteOutcome, SuiteStatus, Unit};
use super::validate::one_line;

/// Why runs cannot be merged. `run` is the index of the offending run in the input.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("nothing to merge: no runs given")]
    NoRuns,
    #[error(
        "run {run}: {field} {found:?} differs from run 0's {expected:?}; only runs of one {field} merge"
    )]
    Environment {
        run: usize,
        field: &'static str,
        expected: String,
        found: String,
    },
    #[error(
        "metric {metric}: in run {present_in} but not in run {missing_in}; every run must measure the same metrics"
    )]
    MissingMetric {
        metric: String,
        present_in: usize,
        missing_in: usize,
    },
    #[error("run {run}: metric {metric}: {what}")]
    MetricMismatch {
        run: usize,
        metric: String,
        what: String,
    },
    #[error("run {run}: histogram {id:?}: {what}")]
    Histogram {
        run: usize,
        id: String,
        what: String,
    },
    #[error("merged run is invalid: {0}")]
    Invalid(String),
}

impl MergeError {
    /// The index of the input run the error is about, where there is one.
    pub fn run(&self) -> Option<usize> {
        match self {
            MergeError::Environment { run, .. }
            | MergeError::MetricMismatch { run, .. }
            | MergeError::Histogram { run, .. } => Some(*run),
            MergeError::MissingMetric { missing_in, .. } => Some(*missing_in),
            MergeError::NoRuns | MergeError::Invalid(_) => None,
        }
    }
}

/// Merges runs of the same suites from several load machines. The environment is run 0's
/// with the latest timestamp; `machines` is the sum. Confidence intervals do not survive: no
/// combined interval follows from the parts alone.
pub fn merge_runs(runs: &[Run]) -> Result<Run, MergeError> {
    let (first, _) = runs.split_first().ok_or(MergeError::NoRuns)?;
    check_environments(runs)?;
    let hists = merge_histograms(runs)?;
    let mut merged = Run::new(first.environment.clone());
    for r in runs {
        merged.environment.add_services(&r.environment);
    }
    merged.environment.timestamp = runs
        .iter()
        .map(|r| &r.environment.timestamp)
        .max_by_key(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .cloned()
        .unwrap_or_default();
    merged.machines = runs.iter().fold(0u32, |n, r| n.saturating_add(r.machines));
    merged.suites = merge_suites(runs);
    merged.metrics = merge_metrics(runs, &hists)?;
    merged.histograms = hists
        .into_iter()
        .map(|(id, (unit, h))| {
            let hdr = hist::try_encode(&h).map_err(|what| MergeError::Histogram {
                run: 0,
                id: id.clone(),
                what,
            })?;
            Ok(Histogram { id, unit, hdr })
        })
        .collect::<Result<_, MergeError>>()?;
    super::validate(&merged).map_err(MergeError::Invalid)?;
    Ok(merged)
}

fn check_environments(runs: &[Run]) -> Result<(), MergeError> {
    let base = &runs[0].environment;
    for (i, r) in runs.iter().enumerate().skip(1) {
        let env = &r.environment;
        let differs = |field, expected: &str, found: &str| {
            (expected != found).then(|| MergeError::Environment {
                run: i,
                field,
                expected: expected.to_string(),
                found: found.to_string(),
            })
        };
        let commit = match (&base.git_commit, &env.git_commit) {
            (Some(a), Some(b)) => differs("git commit", a, b),
            _ => None,
        };
        if let Some(e) = differs("machine class", &base.machine_class, &env.machine_class)
            .or_else(|| differs("profile", &base.profile, &env.profile))
            .or(commit)
        {
            return Err(e);
        }
    }
    Ok(())
}

/// Every histogram id of any run, merged over the runs that have it: (unit, histogram).
fn merge_histograms(
    runs: &[Run],
) -> Result<BTreeMap<String, (Unit, hdrhistogram::Histogram<u64>)>, MergeError> {
    let mut out: BTreeMap<String, (Unit, hdrhistogram::Histogram<u64>)> = BTreeMap::new();
    for (i, run) in runs.iter().enumerate() {
        for h in &run.histograms {
            let err = |what: String| MergeError::Histogram {
                run: i,
                id: h.id.clone(),
                what,
            };
            let decoded = hist::decode(&h.hdr).map_err(err)?;
            let Some((unit, acc)) = out.get_mut(&h.id) else {
                let mut acc = decoded;
                // Machines see different maxima; the sum must hold the largest.
                acc.auto(true);
                out.insert(h.id.clone(), (h.unit, acc));
                continue;
            };
            if *unit != h.unit {
                return Err(err(format!(
                    "recorded in {}, another run in {unit}",
                    h.unit
                )));
            }
            // Adding histograms of other precision or lowest value would round values into
            // buckets they were not recorded in: then the merge is no longer exact.
            if acc.sigfig() != decoded.sigfig() || acc.low() != decoded.low() {
                return Err(err(format!(
                    "precision {} digits from {} differs from another run's {} digits from {}",
                    decoded.sigfig(),
                    decoded.low(),
                    acc.sigfig(),
                    acc.low()
                )));
            }
            acc.add(&decoded)
                .map_err(|e| err(format!("cannot add: {e:?}")))?;
        }
    }
    Ok(out)
}

fn merge_suites(runs: &[Run]) -> Vec<SuiteStatus> {
    let mut out: Vec<SuiteStatus> = Vec::new();
    for (i, run) in runs.iter().enumerate() {
        for s in &run.suites {
            let reason = s.reason.as_ref().map(|r| format!("run {i}: {r}"));
            add_suite_status(&mut out, s, reason);
        }
    }
    out
}

/// Adds how a suite ended to `out`, where the same suite may already be: the worse outcome
/// wins (failed over skipped over passed) and the reasons are kept side by side.
pub(crate) fn add_suite_status(
    out: &mut Vec<SuiteStatus>,
    s: &SuiteStatus,
    reason: Option<String>,
) {
    let rank = |o: SuiteOutcome| match o {
        SuiteOutcome::Passed => 0,
        SuiteOutcome::Skipped => 1,
        SuiteOutcome::Failed => 2,
    };
    match out.iter_mut().find(|o| o.suite == s.suite) {
        None => out.push(SuiteStatus {
            reason,
            ..s.clone()
        }),
        Some(o) => {
            if rank(s.status) > rank(o.status) {
                o.status = s.status;
            }
            if o.charts.is_empty() {
                o.charts = s.charts.clone();
            }
            o.reason = match (o.reason.take(), reason) {
                (Some(a), Some(b)) => Some(format!("{a}; {b}")),
                (a, b) => a.or(b),
            };
        }
    }
}

fn merge_metrics(
    runs: &[Run],
    hists: &BTreeMap<String, (Unit, hdrhistogram::Histogram<u64>)>,
) -> Result<Vec<Metric>, MergeError> {
    let index: Vec<BTreeMap<String, &Metric>> = runs
        .iter()
        .map(|r| r.metrics.iter().map(|m| (m.id(), m)).collect())
        .collect();
    // The order is run 0's, then whatever later runs add (which is then an error below).
    let mut order: Vec<String> = Vec::new();
    let mut seen = BTreeSet::new();
    for run in runs {
        for m in &run.metrics {
            if seen.insert(m.id()) {
                order.push(m.id());
            }
        }
    }
    let mut out = Vec::with_capacity(order.len());
    for id in order {
        let present = index
            .iter()
            .position(|ix| ix.contains_key(&id))
            .unwrap_or(0);
        let mut parts = Vec::with_capacity(runs.len());
        for (i, ix) in index.iter().enumerate() {
            let m = ix.get(&id).ok_or_else(|| MergeError::MissingMetric {
                metric: one_line(&id),
                present_in: present,
                missing_in: i,
            })?;
            parts.push(*m);
        }
        out.push(merge_metric(&parts, hists)?);
    }
    Ok(out)
}

/// One metric from its value on every run (`parts[i]` is run `i`'s).
fn merge_metric(
    parts: &[&Metric],
    hists: &BTreeMap<String, (Unit, hdrhistogram::Histogram<u64>)>,
) -> Result<Metric, MergeError> {
    let first = parts[0];
    for (i, m) in parts.iter().enumerate().skip(1) {
        let mismatch = |what: String| MergeError::MetricMismatch {
            run: i,
            metric: one_line(&m.id()),
            what,
        };
        if m.unit != first.unit {
            return Err(mismatch(format!(
                "unit {} differs from run 0's {}",
                m.unit, first.unit
            )));
        }
        if m.direction != first.direction {
            return Err(mismatch(format!(
                "direction {} differs from run 0's {}",
                m.direction, first.direction
            )));
        }
        if m.stat != first.stat || m.histogram != first.histogram || m.merge != first.merge {
            return Err(mismatch(
                "`stat`, `histogram` or `merge` differs from run 0's".into(),
            ));
        }
    }
    let mut out = Metric {
        ci: None,
        samples: None,
        std_dev: None,
        sample_count: sum(parts.iter().map(|m| m.sample_count)),
        noise: parts.iter().filter_map(|m| m.noise).reduce(f64::max),
        ..first.clone()
    };
    if let (Some(id), Some(stat)) = (&first.histogram, first.stat) {
        let (hist_unit, h) = &hists[id];
        out.value = hist::metric_value(h, stat, *hist_unit, first.unit).ok_or_else(|| {
            MergeError::MetricMismatch {
                run: 0,
                metric: one_line(&first.id()),
                what: format!("unit {} does not follow from histogram {id:?}", first.unit),
            }
        })?;
        out.sample_count = first.sample_count.map(|_| h.len());
        if parts.iter().any(|m| m.std_dev.is_some()) {
            out.std_dev = hist::unit_factor(*hist_unit, first.unit).map(|f| h.stdev() * f);
        }
        return Ok(out);
    }
    let values = parts.iter().map(|m| m.value);
    match first.merge.unwrap_or(MergeRule::Mean) {
        MergeRule::Sum => out.value = values.sum(),
        MergeRule::Min => out.value = values.fold(f64::INFINITY, f64::min),
        MergeRule::Max => out.value = values.fold(0.0, f64::max),
        MergeRule::Mean => mean(parts, &mut out),
    }
    Ok(out)
}

/// The mean of means, weighted by sample counts where every run has one, with the pooled
/// standard deviation where every run has one, and the samples concatenated.
fn mean(parts: &[&Metric], out: &mut Metric) {
    let counts: Option<Vec<f64>> = parts
        .iter()
        .map(|m| m.sample_count.filter(|&n| n > 0).map(|n| n as f64))
        .collect();
    let Some(counts) = counts else {
        out.value = parts.iter().map(|m| m.value).sum::<f64>() / parts.len() as f64;
        return;
    };
    let total: f64 = counts.iter().sum();
    let mean = parts
        .iter()
        .zip(&counts)
        .map(|(m, n)| m.value * n)
        .sum::<f64>()
        / total;
    out.value = mean;
    let sds: Option<Vec<f64>> = parts.iter().map(|m| m.std_dev).collect();
    if let (Some(sds), true) = (sds, total > 1.0) {
        let within: f64 = sds
            .iter()
            .zip(&counts)
            .map(|(s, n)| (n - 1.0) * s * s)
            .sum();
        let between: f64 = parts
            .iter()
            .zip(&counts)
            .map(|(m, n)| n * (m.value - mean).powi(2))
            .sum();
        out.std_dev = Some(((within + between) / (total - 1.0)).sqrt());
    }
    let samples: Option<Vec<&Vec<f64>>> = parts.iter().map(|m| m.samples.as_ref()).collect();
    out.samples = samples.map(|s| s.into_iter().flatten().copied().collect());
}

/// The total of counts that every run has, saturating rather than overflowing.
fn sum(mut counts: impl Iterator<Item = Option<u64>>) -> Option<u64> {
    counts.try_fold(0u64, |acc, c| c.map(|c| acc.saturating_add(c)))
}
