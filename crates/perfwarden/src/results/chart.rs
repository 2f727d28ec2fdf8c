//! The charts a suite asks the HTML report to draw, written by the suite into its results
//! ([`SuiteStatus::charts`](super::SuiteStatus::charts)), so the report draws from data and
//! never matches suite names. Each kind says which metrics it reads; the report finds them
//! among the suite's own metrics.

use serde::{Deserialize, Serialize};

/// One chart of a suite.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Chart {
    /// One line per benchmark through the latency statistics `metrics` (drawn in ms), the
    /// x axis labelled by `labels` (one per metric, e.g. `p50`).
    Percentiles {
        title: String,
        metrics: Vec<String>,
        labels: Vec<String>,
    },
    /// `metric` of the benchmarks named `<series>/<group>/<size>[/<more>]` (size like `4MB`):
    /// one chart per group (and more) titled `<title> and size: <group>`, the sizes on the x
    /// axis, one line per series. When every group has a single size, one chart titled
    /// `<title> (one payload size)` with the series on the x axis. Series named in `skip`
    /// are left out.
    SizeSweep {
        title: String,
        metric: String,
        y_label: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        skip: Vec<String>,
    },
    /// The per-second samples of `metric`, one chart per benchmark that kept them, titled
    /// `<title>: <benchmark>`, with the value of the benchmark's `target` metric as a line.
    RateOverTime {
        title: String,
        metric: String,
        target: String,
        y_label: String,
    },
}
