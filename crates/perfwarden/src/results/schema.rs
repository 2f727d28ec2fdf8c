//! The results schema, version 1: what every suite writes and what the gate reads.
//!
//! A [`Run`] is one measurement session on one machine (or several merged, see
//! [`Run::machines`]). It carries the [`Environment`] it was measured in and a flat list
//! of [`Metric`]s. A metric is identified by `suite/benchmark/metric`; its [`Unit`] and
//! [`Direction`] travel with it, so the gate never has to guess which way is better.
//!
//! Latency distributions may carry their HdrHistogram ([`Histogram`]), serialized in the
//! HdrHistogram V2 + DEFLATE format and base64-encoded, so runs from several load machines
//! can be merged exactly instead of averaging percentiles.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

pub use super::chart::Chart;

/// The schema version this build reads and writes.
pub(crate) const SCHEMA_VERSION: u32 = 1;

/// One measurement session: its environment, the suites it ran and their metrics.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Run {
    pub(crate) schema_version: u32,
    pub environment: Environment,
    /// How each suite of the run ended. A baseline update refuses failed or skipped suites.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suites: Vec<SuiteStatus>,
    pub metrics: Vec<Metric>,
    /// Serialized latency distributions, referenced by [`Metric::histogram`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub histograms: Vec<Histogram>,
    /// How many load machines contributed (1 unless produced by `perfwarden merge`).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub machines: u32,
}

fn one() -> u32 {
    1
}

fn is_one(n: &u32) -> bool {
    *n == 1
}

/// Where and how a run was measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    /// A label for comparable machines, e.g. `gha-ubuntu-2core` or `laptop-m2`.
    /// Baselines are kept per machine class.
    pub machine_class: String,
    pub cpu_model: String,
    pub cores: u32,
    pub os: String,
    pub rustc: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_commit: Option<String>,
    /// RFC 3339, UTC.
    pub timestamp: String,
    /// The run profile: smoke, pr, nightly or full.
    pub profile: String,
    /// What served each service the run used, by service key: provider, server and
    /// version (`qdrant` -> `embedded qdrant-edge 0.7.2`, `redis` -> `native redis-server
    /// 7.0.15`), so an engine or server upgrade shows beside the numbers it moved.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub services: BTreeMap<String, String>,
}

/// How one suite of a run ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuiteStatus {
    pub suite: String,
    pub status: SuiteOutcome,
    /// Why a suite failed or was skipped, in one line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The charts the suite asks the HTML report to draw from its metrics.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub charts: Vec<Chart>,
}

impl SuiteStatus {
    /// How `suite` ended, with no charts.
    pub fn new(suite: &str, status: SuiteOutcome, reason: Option<String>) -> SuiteStatus {
        SuiteStatus {
            suite: suite.to_string(),
            status,
            reason,
            charts: Vec::new(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuiteOutcome {
    Passed,
    Failed,
    Skipped,
}

/// One measured number.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metric {
    pub suite: String,
    /// The benchmark within the suite, e.g. `mixtral/grpc/dense` or `default/write/64MB`.
    pub benchmark: String,
    /// The metric's name, e.g. `latency_p99`, `throughput`, `recall_at_10`.
    pub metric: String,
    pub unit: Unit,
    pub direction: Direction,
    pub value: f64,
    /// Confidence interval of `value`, where the producer knows one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci: Option<Interval>,
    /// Number of samples behind `value`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub std_dev: Option<f64>,
    /// The raw samples, in `unit`, where the producer keeps them (Criterion does).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub samples: Option<Vec<f64>>,
    /// Which statistic of a distribution this is (mean, p99, ...), with the id of the
    /// histogram in [`Run::histograms`] it was computed from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stat: Option<Stat>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub histogram: Option<String>,
    /// How this metric combines across load machines when it has no histogram.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merge: Option<MergeRule>,
    /// The run-to-run noise of this metric on its machine class, as a fraction of the value
    /// (coefficient of variation), measured by `perfwarden calibrate` and kept in baselines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noise: Option<f64>,
    /// Free-form labels: protocol, collection, profile, payload size, ...
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

/// A confidence interval around a metric's value.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Interval {
    pub lower: f64,
    pub upper: f64,
    /// Confidence level, e.g. 0.95.
    pub level: f64,
}

/// A latency distribution, exactly mergeable.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Histogram {
    /// Referenced by [`Metric::histogram`]; conventionally `suite/benchmark/name`.
    pub id: String,
    /// The unit of the recorded values (usually `us`).
    pub unit: Unit,
    /// HdrHistogram V2 + DEFLATE serialization, base64 (standard alphabet, padded).
    pub hdr: String,
}

/// Which way is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    LowerIsBetter,
    HigherIsBetter,
}

/// A statistic of a distribution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stat {
    Min,
    Mean,
    P50,
    P90,
    P95,
    P99,
    P999,
    Max,
    Count,
}

/// How a metric without a histogram combines across load machines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MergeRule {
    /// Rates and counts: the machines' values add up.
    Sum,
    Mean,
    Min,
    Max,
}

/// The units perfwarden knows. Anything else in a file is an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Unit {
    #[serde(rename = "ns")]
    Nanoseconds,
    #[serde(rename = "us")]
    Microseconds,
    #[serde(rename = "ms")]
    Milliseconds,
    #[serde(rename = "s")]
    Seconds,
    #[serde(rename = "ops/s")]
    OpsPerSecond,
    #[serde(rename = "events/s")]
    EventsPerSecond,
    #[serde(rename = "points/s")]
    PointsPerSecond,
    #[serde(rename = "elements/s")]
    ElementsPerSecond,
    #[serde(rename = "B/s")]
    BytesPerSecond,
    #[serde(rename = "MB/s")]
    MegabytesPerSecond,
    #[serde(rename = "B")]
    Bytes,
    #[serde(rename = "MB")]
    Megabytes,
    #[serde(rename = "percent")]
    Percent,
    #[serde(rename = "ratio")]
    Ratio,
    #[serde(rename = "count")]
    Count,
}

impl Unit {
    /// Every unit, in the order the JSON Schema lists them.
    pub const ALL: [Unit; 15] = [
        Unit::Nanoseconds,
        Unit::Microseconds,
        Unit::Milliseconds,
        Unit::Seconds,
        Unit::OpsPerSecond,
        Unit::EventsPerSecond,
        Unit::PointsPerSecond,
        Unit::ElementsPerSecond,
        Unit::BytesPerSecond,
        Unit::MegabytesPerSecond,
        Unit::Bytes,
        Unit::Megabytes,
        Unit::Percent,
        Unit::Ratio,
        Unit::Count,
    ];

    /// The unit as written in files and reports.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Unit::Nanoseconds => "ns",
            Unit::Microseconds => "us",
            Unit::Milliseconds => "ms",
            Unit::Seconds => "s",
            Unit::OpsPerSecond => "ops/s",
            Unit::EventsPerSecond => "events/s",
            Unit::PointsPerSecond => "points/s",
            Unit::ElementsPerSecond => "elements/s",
            Unit::BytesPerSecond => "B/s",
            Unit::MegabytesPerSecond => "MB/s",
            Unit::Bytes => "B",
            Unit::Megabytes => "MB",
            Unit::Percent => "percent",
            Unit::Ratio => "ratio",
            Unit::Count => "count",
        }
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::LowerIsBetter => "lower_is_better",
            Direction::HigherIsBetter => "higher_is_better",
        })
    }
}

impl Metric {
    /// A metric with only the required fields set.
    pub fn new(
        suite: impl Into<String>,
        benchmark: impl Into<String>,
        metric: impl Into<String>,
        unit: Unit,
        direction: Direction,
        value: f64,
    ) -> Metric {
        Metric {
            suite: suite.into(),
            benchmark: benchmark.into(),
            metric: metric.into(),
            unit,
            direction,
            value,
            ci: None,
            sample_count: None,
            std_dev: None,
            samples: None,
            stat: None,
            histogram: None,
            merge: None,
            noise: None,
            labels: BTreeMap::new(),
        }
    }

    /// The metric's identity within a run: `suite/benchmark/metric`.
    pub fn id(&self) -> String {
        format!("{}/{}/{}", self.suite, self.benchmark, self.metric)
    }

    /// Adds a label (builder style).
    pub fn label(mut self, key: impl Into<String>, value: impl Into<String>) -> Metric {
        self.labels.insert(key.into(), value.into());
        self
    }
}

impl Run {
    /// An empty run measured in `environment`.
    pub fn new(environment: Environment) -> Run {
        Run {
            schema_version: SCHEMA_VERSION,
            environment,
            suites: Vec::new(),
            metrics: Vec::new(),
            histograms: Vec::new(),
            machines: 1,
        }
    }

    /// A run in which `suite` was skipped for `reason` and measured nothing. A suite writes
    /// it in place of its results, so an earlier run's numbers are never gated as this one's
    /// (and `baseline update` refuses it unless forced).
    pub fn skipped(environment: Environment, suite: &str, reason: String) -> Run {
        let mut run = Run::new(environment);
        run.suites
            .push(SuiteStatus::new(suite, SuiteOutcome::Skipped, Some(reason)));
        run
    }
}
