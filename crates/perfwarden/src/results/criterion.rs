//! Criterion's own output as results: `target/criterion/**/new/{benchmark,estimates,sample}.json`
//! become metrics with their confidence intervals and raw samples.
//!
//! Every benchmark gives `time_mean` and `time_median` (ns per iteration, lower is better),
//! and, where the bench declared a `Throughput`, `throughput_bytes` (B/s) and/or
//! `throughput_elements` (elements/s), higher is better. The suite is the first component of
//! the benchmark id (Criterion's group); the rest is the benchmark. Times are read as
//! nanoseconds, which is what Criterion's default wall-clock measurement writes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::read::read_bounded;
use super::schema::{
    Direction, Environment, Interval, Metric, Run, Stat, SuiteOutcome, SuiteStatus, Unit,
};
use crate::error::Error;

/// The suite for benchmarks whose id has a single component (no group) and no hint is given.
pub(crate) const DEFAULT_SUITE: &str = "criterion";

/// Directories deeper than this under the Criterion directory are not searched: Criterion
/// nests at most group/function/value/new.
const MAX_DEPTH: usize = 12;

#[derive(Deserialize)]
struct BenchmarkFile {
    full_id: String,
    #[serde(default)]
    throughput: Option<Throughput>,
}

/// Criterion's `Throughput`, as serde writes it (externally tagged).
#[derive(Deserialize)]
enum Throughput {
    Bits(u64),
    Bytes(u64),
    BytesDecimal(u64),
    Elements(u64),
    ElementsAndBytes { elements: u64, bytes: u64 },
}

#[derive(Deserialize)]
struct EstimatesFile {
    mean: Estimate,
    median: Estimate,
    std_dev: Estimate,
}

#[derive(Deserialize)]
struct Estimate {
    confidence_interval: ConfidenceInterval,
    point_estimate: f64,
}

#[derive(Deserialize)]
struct ConfidenceInterval {
    confidence_level: f64,
    lower_bound: f64,
    upper_bound: f64,
}

#[derive(Deserialize)]
struct SampleFile {
    iters: Vec<f64>,
    times: Vec<f64>,
}

/// Reads every benchmark under `criterion_dir` (usually `target/criterion`). `suite_hint` names
/// the suite of benchmarks whose id has no group component ([`DEFAULT_SUITE`] when `None`).
/// Metrics come sorted by benchmark id.
pub fn import(criterion_dir: &Path, suite_hint: Option<&str>) -> Result<Vec<Metric>, Error> {
    let mut dirs = Vec::new();
    find_new_dirs(criterion_dir, 0, &mut dirs)?;
    if dirs.is_empty() {
        return Err(Error::BadInput {
            path: criterion_dir.to_path_buf(),
            what: "no Criterion results (*/new/benchmark.json) found; run `cargo bench` first"
                .into(),
        });
    }
    let mut by_id: BTreeMap<String, (PathBuf, Vec<Metric>)> = BTreeMap::new();
    for dir in dirs {
        let (id, metrics) = benchmark(&dir, suite_hint.unwrap_or(DEFAULT_SUITE))?;
        if let Some((other, _)) = by_id.get(&id) {
            return Err(Error::BadInput {
                path: dir.join("benchmark.json"),
                what: format!(
                    "benchmark id {id:?} is also claimed by {}",
                    other.join("benchmark.json").display()
                ),
            });
        }
        by_id.insert(id, (dir, metrics));
    }
    Ok(by_id.into_values().flat_map(|(_, m)| m).collect())
}

/// A run of the imported metrics, with every suite found marked passed.
pub fn import_run(
    criterion_dir: &Path,
    suite_hint: Option<&str>,
    environment: Environment,
) -> Result<Run, Error> {
    let metrics = import(criterion_dir, suite_hint)?;
    let mut run = Run::new(environment);
    for m in &metrics {
        if !run.suites.iter().any(|s| s.suite == m.suite) {
            run.suites.push(SuiteStatus {
                suite: m.suite.clone(),
                status: SuiteOutcome::Passed,
                reason: None,
                charts: Vec::new(),
            });
        }
    }
    run.metrics = metrics;
    Ok(run)
}

/// Collects the `new` directories holding a `benchmark.json`. Symlinks are not followed, so
/// a link loop cannot trap the walk.
fn find_new_dirs(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) -> Result<(), Error> {
    let io = |source| Error::Read {
        path: dir.to_path_buf(),
        source,
    };
    if depth == 0 && !std::fs::metadata(dir).map_err(io)?.is_dir() {
        return Err(Error::BadInput {
            path: dir.to_path_buf(),
            what: "is not a directory (expected Criterion's output directory)".into(),
        });
    }
    if depth > MAX_DEPTH {
        return Ok(());
    }
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        if entry.file_type().map_err(io)?.is_dir() {
            entries.push(entry.path());
        }
    }
    entries.sort();
    for sub in entries {
        if sub.file_name().is_some_and(|n| n == "new") && sub.join("benchmark.json").is_file() {
            out.push(sub.clone());
        }
        find_new_dirs(&sub, depth + 1, out)?;
    }
    Ok(())
}

fn load<T: DeserializeOwned>(path: &Path) -> Result<T, Error> {
    let bytes = read_bounded(path)?;
    serde_json::from_slice(&bytes).map_err(|e| Error::BadInput {
        path: path.to_path_buf(),
        what: format!("not a Criterion file: {}", super::one_line(&e.to_string())),
    })
}

/// The metrics of the benchmark whose files are in `new_dir`, with its full id.
fn benchmark(new_dir: &Path, default_suite: &str) -> Result<(String, Vec<Metric>), Error> {
    let bench: BenchmarkFile = load(&new_dir.join("benchmark.json"))?;
    let estimates_path = new_dir.join("estimates.json");
    let est: EstimatesFile = load(&estimates_path)?;
    let sample_path = new_dir.join("sample.json");
    let per_iter = if sample_path.exists() {
        let s: SampleFile = load(&sample_path)?;
        if s.iters.len() != s.times.len() || s.iters.iter().any(|&i| i <= 0.0) {
            return Err(Error::BadInput {
                path: sample_path,
                what: "`iters` and `times` differ in length or hold a non-positive count".into(),
            });
        }
        Some(
            s.times
                .iter()
                .zip(&s.iters)
                .map(|(t, i)| t / i)
                .collect::<Vec<f64>>(),
        )
    } else {
        None
    };
    let bad = |what: String| Error::BadInput {
        path: estimates_path.clone(),
        what,
    };
    let (suite, name) = match bench.full_id.split_once('/') {
        Some((group, rest)) if !group.is_empty() && !rest.is_empty() => (group, rest),
        _ => (default_suite, bench.full_id.as_str()),
    };
    let time = |metric: &str, e: &Estimate, stat: Stat| -> Result<Metric, Error> {
        let mut m = Metric::new(
            suite,
            name,
            metric,
            Unit::Nanoseconds,
            Direction::LowerIsBetter,
            e.point_estimate,
        );
        m.ci = Some(interval(&e.confidence_interval));
        m.stat = Some(stat);
        m.std_dev = Some(est.std_dev.point_estimate);
        m.sample_count = per_iter.as_ref().map(|s| s.len() as u64);
        m.samples = per_iter.clone();
        check(&m).map_err(bad)?;
        Ok(m.label("source", "criterion"))
    };
    let mut metrics = vec![
        time("time_mean", &est.mean, Stat::Mean)?,
        time("time_median", &est.median, Stat::P50)?,
    ];
    let (elements, bytes) = match bench.throughput {
        None => (None, None),
        Some(Throughput::Bits(b)) => (None, Some(b as f64 / 8.0)),
        Some(Throughput::Bytes(b) | Throughput::BytesDecimal(b)) => (None, Some(b as f64)),
        Some(Throughput::Elements(e)) => (Some(e as f64), None),
        Some(Throughput::ElementsAndBytes { elements, bytes }) => {
            (Some(elements as f64), Some(bytes as f64))
        }
    };
    for (per, metric, unit) in [
        (elements, "throughput_elements", Unit::ElementsPerSecond),
        (bytes, "throughput_bytes", Unit::BytesPerSecond),
    ] {
        if let Some(per) = per {
            let m = throughput(&metrics[0], per, metric, unit);
            check(&m).map_err(bad)?;
            metrics.push(m);
        }
    }
    Ok((bench.full_id, metrics))
}

/// The throughput of `per` units per iteration, derived from the mean time per iteration:
/// the interval's bounds swap (the slowest time is the lowest throughput).
fn throughput(time: &Metric, per: f64, metric: &str, unit: Unit) -> Metric {
    let rate = |ns: f64| if ns > 0.0 { per * 1e9 / ns } else { 0.0 };
    let mut m = Metric::new(
        &time.suite,
        &time.benchmark,
        metric,
        unit,
        Direction::HigherIsBetter,
        rate(time.value),
    );
    m.ci = time.ci.filter(|ci| ci.lower > 0.0).map(|ci| Interval {
        lower: rate(ci.upper),
        upper: rate(ci.lower),
        level: ci.level,
    });
    m.stat = Some(Stat::Mean);
    m.sample_count = time.sample_count;
    m.samples = time
        .samples
        .as_ref()
        .map(|s| s.iter().map(|&t| rate(t)).collect());
    m.label("source", "criterion")
}

fn interval(ci: &ConfidenceInterval) -> Interval {
    Interval {
        lower: ci.lower_bound,
        upper: ci.upper_bound,
        level: ci.confidence_level,
    }
}

/// The checks of [`super::validate`] on one metric, so a bad Criterion file is refused with
/// its own path rather than later as a bad run.
fn check(m: &Metric) -> Result<(), String> {
    super::validate::metric(m, &BTreeMap::new())
}
