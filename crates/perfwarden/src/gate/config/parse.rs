//! Parsing `perfwarden.toml`: the file's shape as written (`raw`), then validation into a
//! [`Config`] with one-line errors that say which table and which value is wrong.

use std::collections::BTreeMap;

use super::{Budget, Config, MetricRule, Rule};
use crate::gate::glob::Pattern;
use crate::profile::Profile;

/// A TOML error as one line: position and message, without the multi-line snippet.
pub(super) fn toml_error(text: &str, e: &toml::de::Error) -> String {
    let msg = e.message().trim().replace('\n', " ");
    match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            format!("line {line}, column {col}: {msg}")
        }
        None => msg,
    }
}

/// The file's shape as written, before validation.
pub(super) mod raw {
    use std::collections::BTreeMap;

    use serde::Deserialize;

    use super::super::{MismatchPolicy, MissingPolicy};
    use crate::results::Unit;

    #[derive(Deserialize, Default)]
    #[serde(deny_unknown_fields)]
    pub(crate) struct File {
        pub(crate) gate: Option<Gate>,
        pub(crate) check: Option<Check>,
    }

    #[derive(Deserialize, Default)]
    #[serde(deny_unknown_fields)]
    pub(crate) struct Check {
        #[serde(default)]
        pub(crate) instructions: Vec<String>,
    }

    #[derive(Deserialize, Default)]
    #[serde(deny_unknown_fields)]
    pub(crate) struct Gate {
        pub(crate) threshold: Option<f64>,
        pub(crate) missing: Option<MissingPolicy>,
        pub(crate) machine_mismatch: Option<MismatchPolicy>,
        pub(crate) significance: Option<f64>,
        pub(crate) noise_factor: Option<f64>,
        #[serde(default)]
        pub(crate) suites: BTreeMap<String, Rule>,
        #[serde(default)]
        pub(crate) metrics: Vec<MetricRule>,
        #[serde(default)]
        pub(crate) budgets: Vec<Budget>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(crate) struct Rule {
        pub(crate) threshold: Option<f64>,
        pub(crate) gate: Option<bool>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(crate) struct MetricRule {
        #[serde(rename = "match")]
        pub(crate) pattern: String,
        pub(crate) threshold: Option<f64>,
        pub(crate) gate: Option<bool>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(crate) struct Budget {
        #[serde(rename = "match")]
        pub(crate) pattern: String,
        pub(crate) max: Option<f64>,
        pub(crate) min: Option<f64>,
        pub(crate) unit: Option<Unit>,
        #[serde(default)]
        pub(crate) profiles: Vec<String>,
        pub(crate) note: Option<String>,
    }
}

fn threshold_pct(what: &str, pct: f64) -> Result<f64, String> {
    if pct.is_finite() && pct > 0.0 && pct < 10_000.0 {
        Ok(pct / 100.0)
    } else {
        Err(format!(
            "{what}: threshold {pct} must be a percentage above 0 (e.g. 10 for ±10%)"
        ))
    }
}

fn rule(what: &str, threshold: Option<f64>, gate: Option<bool>) -> Result<Rule, String> {
    Ok(Rule {
        threshold: threshold.map(|t| threshold_pct(what, t)).transpose()?,
        gate,
    })
}

/// A `BENCH=SUITE/BENCHMARK` pair as `(bench, id)`, when its names are ones a shell or a path
/// cannot abuse (scripts/gate.sh passes the base commit's pairs on): the one reading of a
/// pair, for `[check] instructions` and `check --instructions` alike.
pub(crate) fn instruction_pair(pair: &str) -> Option<(&str, &str)> {
    let word = |s: &str, extra: &str| {
        !s.is_empty()
            && s.len() <= 200
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-".contains(c) || extra.contains(c))
    };
    pair.split_once('=').filter(|(bench, id)| {
        word(bench, "") && id.contains('/') && word(id, "./") && !id.contains("..")
    })
}

impl raw::Check {
    pub(super) fn validate(self) -> Result<Vec<String>, String> {
        if let Some(pair) = self
            .instructions
            .iter()
            .find(|p| instruction_pair(p).is_none())
        {
            return Err(format!(
                "[check]: instructions {pair:?} is not BENCH=SUITE/BENCHMARK \
                 (e.g. \"gate=gate_10k_metrics/compare\")"
            ));
        }
        Ok(self.instructions)
    }
}

impl raw::Gate {
    pub(super) fn validate(self) -> Result<Config, String> {
        let defaults = Config::default();
        let threshold = match self.threshold {
            Some(t) => threshold_pct("[gate]", t)?,
            None => defaults.threshold,
        };
        let significance = self.significance.unwrap_or(defaults.significance);
        if !(significance > 0.0 && significance < 0.5) {
            return Err(format!(
                "[gate]: significance {significance} must be between 0 and 0.5 (e.g. 0.01)"
            ));
        }
        let noise_factor = self.noise_factor.unwrap_or(defaults.noise_factor);
        if !(noise_factor.is_finite() && noise_factor >= 0.0) {
            return Err(format!(
                "[gate]: noise_factor {noise_factor} must be a number of at least 0"
            ));
        }
        let mut suites = BTreeMap::new();
        for (name, r) in self.suites {
            let what = format!("[gate.suites.{name}]");
            suites.insert(name, rule(&what, r.threshold, r.gate)?);
        }
        let mut metrics = Vec::new();
        for r in self.metrics {
            let what = format!("[[gate.metrics]] {:?}", r.pattern);
            let pattern = Pattern::new(&r.pattern).map_err(|e| format!("{what}: {e}"))?;
            if r.threshold.is_none() && r.gate.is_none() {
                return Err(format!("{what}: sets neither `threshold` nor `gate`"));
            }
            metrics.push(MetricRule {
                pattern,
                rule: rule(&what, r.threshold, r.gate)?,
            });
        }
        let mut budgets = Vec::new();
        for b in self.budgets {
            let what = format!("[[gate.budgets]] {:?}", b.pattern);
            let pattern = Pattern::new(&b.pattern).map_err(|e| format!("{what}: {e}"))?;
            if b.max.is_none() && b.min.is_none() {
                return Err(format!("{what}: sets neither `max` nor `min`"));
            }
            for (field, v) in [("max", b.max), ("min", b.min)] {
                if v.is_some_and(|v| !v.is_finite()) {
                    return Err(format!("{what}: `{field}` is not a finite number"));
                }
            }
            if let (Some(lo), Some(hi)) = (b.min, b.max)
                && lo > hi
            {
                return Err(format!("{what}: `min` {lo} is above `max` {hi}"));
            }
            let profiles = b
                .profiles
                .iter()
                .map(|p| p.parse::<Profile>().map_err(|e| format!("{what}: {e}")))
                .collect::<Result<Vec<_>, _>>()?;
            budgets.push(Budget {
                pattern,
                max: b.max,
                min: b.min,
                unit: b.unit,
                profiles,
                note: b.note,
            });
        }
        Ok(Config {
            threshold,
            missing: self.missing.unwrap_or_default(),
            machine_mismatch: self.machine_mismatch.unwrap_or_default(),
            significance,
            noise_factor,
            suites,
            metrics,
            budgets,
            instructions: Vec::new(),
        })
    }
}
