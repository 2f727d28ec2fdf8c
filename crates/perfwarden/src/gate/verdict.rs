//! What the comparison produces: a verdict per metric, totals, and the environments of both
//! sides. Serializable as is: the JSON verdict file is these types in an envelope.

use serde::Serialize;

use super::budget::BudgetCheck;
use super::confirmation::{Confirmation, MetricConfirmation};
use crate::results::{Direction, Environment, Interval, Unit};

/// The verdict on one metric, declared from the most to the least severe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Worse by more than twice the threshold, and real.
    Critical,
    /// Worse by more than the threshold, and real.
    Regression,
    /// An absolute budget is broken (and the change against the baseline is not itself a
    /// regression; see [`MetricComparison::relative`]).
    BudgetBroken,
    /// In the baseline, not measured.
    Missing,
    /// Beyond the threshold, but the noise explains it.
    Inconclusive,
    /// Not in the baseline.
    New,
    /// Better by more than the threshold, and real.
    Improvement,
    /// Within the threshold.
    Stable,
}

impl Verdict {
    pub const ALL: [Verdict; 8] = [
        Verdict::Critical,
        Verdict::Regression,
        Verdict::BudgetBroken,
        Verdict::Missing,
        Verdict::Inconclusive,
        Verdict::New,
        Verdict::Improvement,
        Verdict::Stable,
    ];

    /// The name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Critical => "critical",
            Verdict::Regression => "regression",
            Verdict::BudgetBroken => "budget_broken",
            Verdict::Missing => "missing",
            Verdict::Inconclusive => "inconclusive",
            Verdict::New => "new",
            Verdict::Improvement => "improvement",
            Verdict::Stable => "stable",
        }
    }

    /// Words for people, singular and plural.
    pub fn words(self, n: usize) -> &'static str {
        let one = n == 1;
        match self {
            Verdict::Critical => "critical",
            Verdict::Regression if one => "regression",
            Verdict::Regression => "regressions",
            Verdict::BudgetBroken if one => "broken budget",
            Verdict::BudgetBroken => "broken budgets",
            Verdict::Missing => "missing",
            Verdict::Inconclusive => "inconclusive",
            Verdict::New => "new",
            Verdict::Improvement if one => "improvement",
            Verdict::Improvement => "improvements",
            Verdict::Stable => "stable",
        }
    }
}

/// One side's measurement of a metric, as the report shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Observed {
    pub value: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ci: Option<Interval>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sample_count: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub std_dev: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub noise: Option<f64>,
}

/// The verdict on one metric with everything that led to it. Relative quantities
/// (`change`, `change_interval`, thresholds) are fractions: 0.1 is 10%.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetricComparison {
    /// `suite/benchmark/metric`.
    pub id: String,
    pub suite: String,
    pub benchmark: String,
    pub metric: String,
    pub unit: Unit,
    pub direction: Direction,
    /// The headline: the relative verdict, except that a broken budget outranks everything
    /// but a regression.
    pub verdict: Verdict,
    /// The verdict of the comparison with the baseline alone (never `budget_broken`).
    pub relative: Verdict,
    /// Whether this metric fails the gate.
    pub fails: bool,
    /// Whether relative changes of this metric may fail the gate (false for `gate = false`
    /// rules and, by policy, for a baseline from another machine class).
    pub gated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<Observed>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current: Option<Observed>,
    /// `(current - baseline) / baseline`; absent for new or missing metrics and for a
    /// baseline of 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<f64>,
    /// Confidence interval of `change` at level `1 - significance`, where both sides carry
    /// their spread.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change_interval: Option<[f64; 2]>,
    /// Welch's t-test p-value of "no change", where both sides carry their spread.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_value: Option<f64>,
    /// The threshold used: the configured one, raised to the noise floor where a side
    /// carries calibrated noise.
    pub threshold: f64,
    pub configured_threshold: f64,
    /// Where the configured threshold came from: `default`, `suite <name>`, `metric <pattern>`.
    pub threshold_source: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub budgets: Vec<BudgetCheck>,
    /// One sentence saying why.
    pub reason: String,
    /// What re-measuring said, for a flagged metric that was re-measured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirmation: Option<MetricConfirmation>,
}

impl MetricComparison {
    pub fn budget_broken(&self) -> bool {
        self.budgets.iter().any(|b| b.broken)
    }
}

/// How many metrics got each relative verdict, and how many fail.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub metrics: usize,
    pub critical: usize,
    pub regression: usize,
    /// Metrics with at least one broken budget, whatever their relative verdict.
    pub budget_broken: usize,
    pub missing: usize,
    pub inconclusive: usize,
    pub new: usize,
    pub improvement: usize,
    pub stable: usize,
    /// Metrics that fail the gate.
    pub failing: usize,
}

impl Totals {
    pub fn count(metrics: &[MetricComparison]) -> Totals {
        let mut t = Totals {
            metrics: metrics.len(),
            ..Totals::default()
        };
        for m in metrics {
            match m.relative {
                Verdict::Critical => t.critical += 1,
                Verdict::Regression => t.regression += 1,
                Verdict::BudgetBroken => {}
                Verdict::Missing => t.missing += 1,
                Verdict::Inconclusive => t.inconclusive += 1,
                Verdict::New => t.new += 1,
                Verdict::Improvement => t.improvement += 1,
                Verdict::Stable => t.stable += 1,
            }
            t.budget_broken += usize::from(m.budget_broken());
            t.failing += usize::from(m.fails);
        }
        t
    }
}

/// The gate's result over two runs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    pub baseline: Environment,
    pub current: Environment,
    /// The two runs were measured on different machine classes.
    pub machine_mismatch: bool,
    /// Whether relative changes may fail the gate at all (see `machine_mismatch` policy).
    pub relative_gated: bool,
    /// Things a reader must know: machine or profile mismatch, failed or skipped suites.
    pub warnings: Vec<String>,
    /// One entry per metric id on either side, sorted by id.
    pub metrics: Vec<MetricComparison>,
    pub totals: Totals,
    /// What the baseline side is: committed results, or a commit measured now.
    pub reference: Reference,
    /// How the flagged metrics were re-measured (the per-metric outcome is on each metric).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirmation: Option<Confirmation>,
}

/// Where the baseline side of a comparison came from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reference {
    /// Results committed in the repository (or a file given on the command line).
    #[default]
    Committed,
    /// No baseline existed for this machine class: `commit` was built and measured now, on
    /// this machine, interleaved with the current tree.
    MeasuredNow { commit: String, rounds: usize },
}

impl Comparison {
    /// True when nothing fails the gate.
    pub fn passed(&self) -> bool {
        self.totals.failing == 0
    }

    /// The process exit code for this outcome: 0 passed, 1 failed.
    pub fn exit_code(&self) -> u8 {
        if self.passed() { 0 } else { 1 }
    }
}
