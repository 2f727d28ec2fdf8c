//! Results in the formats users already feed to other tools: Bencher Metric Format (BMF) JSON
//! for `bencher run --adapter json`, and github-action-benchmark's `customSmallerIsBetter` /
//! `customBiggerIsBetter` JSON.
//!
//! Both are pure functions of a [`Run`]; the caller decides where the text goes.

use std::collections::BTreeMap;

use serde::Serialize;

use super::schema::{Direction, Metric, Run};

/// The run as Bencher Metric Format JSON: `{ "<suite>/<benchmark>": { "<metric>": { "value",
/// "lower_value", "upper_value" } } }`. The measure is the metric's name (Bencher creates it
/// on first use); the bounds are the metric's confidence interval where it has one. Keys are
/// sorted, so the same run always gives the same text.
pub fn bencher(run: &Run) -> String {
    let mut benchmarks: BTreeMap<String, BTreeMap<&str, BmfMetric>> = BTreeMap::new();
    for m in &run.metrics {
        let metric = BmfMetric {
            value: m.value,
            lower_value: m.ci.map(|ci| ci.lower),
            upper_value: m.ci.map(|ci| ci.upper),
        };
        benchmarks
            .entry(format!("{}/{}", m.suite, m.benchmark))
            .or_default()
            .insert(&m.metric, metric);
    }
    pretty(&benchmarks)
}

/// One BMF metric. A struct, not a map, so the keys keep Bencher's documented order.
#[derive(Serialize)]
struct BmfMetric {
    value: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    lower_value: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    upper_value: Option<f64>,
}

/// One entry of github-action-benchmark's custom tools.
#[derive(Serialize)]
struct GabEntry {
    name: String,
    unit: String,
    value: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    range: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    extra: Option<String>,
}

/// The run as github-action-benchmark input: `(customSmallerIsBetter, customBiggerIsBetter)`,
/// each an array of `{name, unit, value, range?, extra?}` in the run's order. `name` is the
/// metric's id; `range` is `±` the larger distance from the value to its confidence bounds;
/// `extra` carries the interval, the sample count and the standard deviation.
pub fn github_action_benchmark(run: &Run) -> (String, String) {
    let side = |direction: Direction| {
        let entries: Vec<GabEntry> = run
            .metrics
            .iter()
            .filter(|m| m.direction == direction)
            .map(gab_entry)
            .collect();
        pretty(&entries)
    };
    (
        side(Direction::LowerIsBetter),
        side(Direction::HigherIsBetter),
    )
}

fn gab_entry(m: &Metric) -> GabEntry {
    let mut extra = Vec::new();
    let range = m.ci.map(|ci| {
        // Rounded to hundredths of a percent: 0.57 * 100.0 is 56.99999999999999.
        let percent = (ci.level * 10_000.0).round() / 100.0;
        extra.push(format!(
            "{percent}% CI: {} to {} {}",
            ci.lower, ci.upper, m.unit
        ));
        let half = (m.value - ci.lower).max(ci.upper - m.value).max(0.0);
        format!("±{half}")
    });
    if let Some(n) = m.sample_count {
        extra.push(format!("samples: {n}"));
    }
    if let Some(sd) = m.std_dev {
        extra.push(format!("std_dev: {sd} {}", m.unit));
    }
    GabEntry {
        name: m.id(),
        unit: m.unit.to_string(),
        value: m.value,
        range,
        extra: (!extra.is_empty()).then(|| extra.join("\n")),
    }
}

fn pretty<T: Serialize + ?Sized>(v: &T) -> String {
    let mut s = serde_json::to_string_pretty(v).expect("plain JSON values always serialize");
    s.push('\n');
    s
}
