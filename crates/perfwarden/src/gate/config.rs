//! The gate's configuration: thresholds (default, per suite, per metric), absolute budgets,
//! and the policies for missing metrics and machine-class mismatches.
//!
//! It lives in the `[gate]` table of `perfwarden.toml` at the repository root. Thresholds are
//! written in percent there (`threshold = 10`) and held as fractions here (`0.10`).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::glob::Pattern;
use crate::profile::Profile;
use crate::results::{Metric, Unit};

mod parse;

pub(crate) use parse::instruction_pair;
use parse::{raw, toml_error};

/// The default relative threshold: ±10%.
pub(crate) const DEFAULT_THRESHOLD: f64 = 0.10;
/// A change is statistically real when its two-sided p-value is below this.
pub(crate) const DEFAULT_SIGNIFICANCE: f64 = 0.01;
/// How many times a metric's calibrated run-to-run noise a change must exceed.
/// 3.3 ≈ 2.33 × √2: the difference of two runs each with coefficient of variation `noise`
/// has a spread of √2 × noise, and 2.33 standard deviations leave 1% of unchanged runs
/// beyond it on the bad side.
pub(crate) const DEFAULT_NOISE_FACTOR: f64 = 3.3;

/// What a metric in the baseline but absent from the current run does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum MissingPolicy {
    /// Reported, does not fail the gate.
    #[default]
    Warn,
    /// Fails the gate like a regression.
    Fail,
}

/// What a baseline measured on another machine class than the current run does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum MismatchPolicy {
    /// Warn, and still fail on relative regressions.
    #[default]
    WarnAndGate,
    /// Warn, report the changes, but fail only on broken budgets (which do not depend on
    /// the baseline).
    WarnOnly,
}

/// The gate's configuration, validated.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Default relative threshold, as a fraction.
    pub(crate) threshold: f64,
    pub(crate) missing: MissingPolicy,
    pub(crate) machine_mismatch: MismatchPolicy,
    /// p-value under which a change is statistically real.
    pub(crate) significance: f64,
    /// Multiple of the calibrated noise under which a change is not a regression.
    pub(crate) noise_factor: f64,
    pub(crate) suites: BTreeMap<String, Rule>,
    pub(crate) metrics: Vec<MetricRule>,
    pub(crate) budgets: Vec<Budget>,
    /// `[check] instructions`: the `BENCH=SUITE/BENCHMARK` pairs `perfwarden check` also
    /// counts under callgrind when its command line names none. They live in the config so
    /// that the PR gate takes them from the base commit like the thresholds.
    pub(crate) instructions: Vec<String>,
}

/// Overrides for a suite or a set of metrics.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Rule {
    /// Relative threshold as a fraction.
    pub(crate) threshold: Option<f64>,
    /// `false` reports the metric's changes without failing on them (budgets still apply).
    pub(crate) gate: Option<bool>,
}

/// A rule for the metrics whose id matches `pattern`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct MetricRule {
    pub(crate) pattern: Pattern,
    pub(crate) rule: Rule,
}

impl MetricRule {
    fn source(&self) -> String {
        format!("metric {}", self.pattern.as_str())
    }
}

/// An absolute target for the metrics whose id matches `pattern`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Budget {
    pub(crate) pattern: Pattern,
    /// The value must be at most this (latency).
    pub(crate) max: Option<f64>,
    /// The value must be at least this (throughput, hit rate).
    pub(crate) min: Option<f64>,
    /// The unit of `min`/`max`; the metric's own unit when absent.
    pub(crate) unit: Option<Unit>,
    /// Profiles the budget applies to; all when empty.
    pub(crate) profiles: Vec<Profile>,
    /// Where the target comes from, shown in the report.
    pub(crate) note: Option<String>,
}

/// The thresholds and gating that apply to one metric, and where they came from.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Resolved {
    pub(crate) threshold: f64,
    pub(crate) gate: bool,
    /// `default`, `suite <name>` or `metric <pattern>`: shown in the JSON verdict.
    pub(crate) source: String,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            threshold: DEFAULT_THRESHOLD,
            missing: MissingPolicy::default(),
            machine_mismatch: MismatchPolicy::default(),
            significance: DEFAULT_SIGNIFICANCE,
            noise_factor: DEFAULT_NOISE_FACTOR,
            suites: BTreeMap::new(),
            metrics: Vec::new(),
            budgets: Vec::new(),
            instructions: Vec::new(),
        }
    }
}

impl Config {
    /// Parses and validates the text of a config file. The error is one line.
    pub fn from_toml(text: &str) -> Result<Config, String> {
        let file: raw::File = toml::from_str(text).map_err(|e| toml_error(text, &e))?;
        let mut config = file.gate.unwrap_or_default().validate()?;
        config.instructions = file.check.unwrap_or_default().validate()?;
        Ok(config)
    }

    /// The instruction-count pairs of `[check]` (see [`Config::instructions`]).
    pub fn instructions(&self) -> &[String] {
        &self.instructions
    }

    /// The threshold and gating for `metric`. An exact id beats every pattern; among
    /// patterns the last one in the file that sets the field wins (later, more specific
    /// rules override earlier, broader ones); then the suite; then the default.
    pub(crate) fn resolve(&self, metric: &Metric, id: &str) -> Resolved {
        let parts: Vec<&str> = id.split('/').collect();
        self.resolve_split(metric, id, &parts)
    }

    /// [`Config::resolve`] for an id already split on `/`.
    pub(crate) fn resolve_split(&self, metric: &Metric, id: &str, parts: &[&str]) -> Resolved {
        // Walk the rules from the last: the first match of a kind wins, and an exact rule
        // found later (earlier in the file) still beats a glob.
        let mut threshold: Option<&MetricRule> = None;
        let mut gate: Option<&MetricRule> = None;
        let better = |best: Option<&MetricRule>, r: &MetricRule| {
            best.is_none_or(|b| r.pattern.is_exact() && !b.pattern.is_exact())
        };
        for r in self.metrics.iter().rev() {
            if !r.pattern.matches_split(id, parts) {
                continue;
            }
            if r.rule.threshold.is_some() && better(threshold, r) {
                threshold = Some(r);
            }
            if r.rule.gate.is_some() && better(gate, r) {
                gate = Some(r);
            }
        }
        let suite = self.suites.get(&metric.suite);
        let (threshold, source) = match (threshold, suite.and_then(|s| s.threshold)) {
            (Some(r), _) => (r.rule.threshold.unwrap_or(self.threshold), r.source()),
            (None, Some(t)) => (t, format!("suite {}", metric.suite)),
            (None, None) => (self.threshold, "default".to_string()),
        };
        let gate = gate
            .and_then(|r| r.rule.gate)
            .or_else(|| suite.and_then(|s| s.gate))
            .unwrap_or(true);
        Resolved {
            threshold,
            gate,
            source,
        }
    }
}

impl Budget {
    /// True when this budget applies to metric `id` (split on `/` as `parts`) in a run of
    /// `profile`.
    pub(crate) fn applies(&self, id: &str, parts: &[&str], profile: &str) -> bool {
        (self.profiles.is_empty() || self.profiles.iter().any(|p| p.name() == profile))
            && self.pattern.matches_split(id, parts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::Direction;

    fn metric(suite: &str, bench: &str, name: &str) -> (Metric, String) {
        let m = Metric::new(
            suite,
            bench,
            name,
            Unit::Milliseconds,
            Direction::LowerIsBetter,
            1.0,
        );
        let id = m.id();
        (m, id)
    }

    #[test]
    fn empty_file_is_the_defaults() {
        assert_eq!(Config::from_toml("").unwrap(), Config::default());
        assert_eq!(Config::from_toml("[gate]").unwrap(), Config::default());
    }

    #[test]
    fn check_instructions_are_read_and_checked() {
        let c = Config::from_toml("[check]\ninstructions = [\"gate=gate/compare\"]").unwrap();
        assert_eq!(c.instructions(), ["gate=gate/compare"]);
        for bad in ["gate", "gate=compare", "g$(x)=a/b", "gate=../a/b", "=a/b"] {
            let e = Config::from_toml(&format!("[check]\ninstructions = [{bad:?}]")).unwrap_err();
            assert!(e.starts_with("[check]: instructions"), "{bad}: {e}");
        }
    }

    #[test]
    fn thresholds_resolve_exact_then_last_glob_then_suite_then_default() {
        let c = Config::from_toml(
            r#"
            [gate]
            threshold = 10
            [gate.suites.s]
            threshold = 20
            [[gate.metrics]]
            match = "s/a/m"
            threshold = 1
            [[gate.metrics]]
            match = "s/**/m"
            threshold = 5
            [[gate.metrics]]
            match = "s/**"
            gate = false
            [[gate.metrics]]
            match = "s/b/*"
            threshold = 7
            "#,
        )
        .unwrap();
        let r = |s, b, n| {
            let (m, id) = metric(s, b, n);
            c.resolve(&m, &id)
        };
        assert_eq!(r("s", "a", "m").threshold, 0.01);
        assert_eq!(r("s", "a", "m").source, "metric s/a/m");
        assert_eq!(r("s", "b", "m").threshold, 0.07);
        assert_eq!(r("s", "c", "m").threshold, 0.05);
        assert_eq!(r("s", "c", "x").threshold, 0.20);
        assert_eq!(r("s", "c", "x").source, "suite s");
        assert!(!r("s", "c", "x").gate);
        assert_eq!(r("t", "c", "x").threshold, 0.10);
        assert!(r("t", "c", "x").gate);
        assert_eq!(r("t", "c", "x").source, "default");
    }

    #[test]
    fn budgets_filter_by_pattern_and_profile() {
        let c = Config::from_toml(
            r#"
            [[gate.budgets]]
            match = "q/**/latency_mean"
            max = 10
            unit = "ms"
            profiles = ["pr", "nightly"]
            [[gate.budgets]]
            match = "q/**/throughput"
            min = 10000
            "#,
        )
        .unwrap();
        // As the gate picks them (gate::compare): the budgets that apply to id in profile.
        let applying = |id: &str, profile: &str| {
            let parts: Vec<&str> = id.split('/').collect();
            let applies = |b: &&Budget| b.applies(id, &parts, profile);
            c.budgets.iter().filter(applies).count()
        };
        assert_eq!(applying("q/x/y/latency_mean", "pr"), 1);
        assert_eq!(applying("q/x/y/latency_mean", "smoke"), 0);
        assert_eq!(applying("q/x/throughput", "smoke"), 1);
        assert_eq!(c.budgets[0].unit, Some(Unit::Milliseconds));
    }

    #[test]
    fn bad_configs_get_one_line_errors() {
        let cases = [
            ("[gate]\ntreshold = 10", "line 2"),
            ("[gate]\nthreshold = -1", "must be a percentage"),
            ("[gate]\nthreshold = 0", "must be a percentage"),
            ("[gate]\nmissing = \"explode\"", "unknown variant"),
            ("[gate]\nsignificance = 2", "significance"),
            (
                "[[gate.metrics]]\nmatch = \"a//b\"\nthreshold = 3",
                "empty segment",
            ),
            ("[[gate.metrics]]\nmatch = \"a/b\"", "neither"),
            ("[[gate.budgets]]\nmatch = \"a/b\"", "neither"),
            (
                "[[gate.budgets]]\nmatch = \"a\"\nmax = 1\nunit = \"parsecs\"",
                "unknown variant",
            ),
            ("[[gate.budgets]]\nmatch = \"a\"\nmax = 1\nmin = 2", "above"),
            (
                "[[gate.budgets]]\nmatch = \"a\"\nmax = 1\nprofiles = [\"huge\"]",
                "huge",
            ),
            ("[gaet]", "unknown field"),
            ("[gate", "line 1"),
        ];
        for (text, want) in cases {
            let err = Config::from_toml(text).unwrap_err();
            assert!(err.contains(want), "{text:?}: {err}");
            assert!(!err.contains('\n'), "{text:?}: {err}");
        }
    }
}
