//! A run (and, when it was gated, its verdicts) as OpenMetrics text, for Prometheus through a
//! Pushgateway or a file scraped by the textfile collector.
//!
//! Every metric of the run becomes a gauge named after the metric and the unit Prometheus
//! expects: durations in seconds (`latency_p99` in ms becomes `perfwarden_latency_p99_seconds`),
//! percentages as ratios, everything else in its own unit spelt out (`_ops_per_second`). Each
//! latency histogram of the run becomes a classic histogram (`_bucket` series with `le`
//! labels, `_count`, `_sum`) on fixed 1-2-5 bounds from 1 µs to 50 s, so histograms of several
//! runs or machines add up in PromQL. Series carry the labels that identify a run
//! (`profile`, `commit`, `machine_class`) and a measurement (`suite`, `benchmark`,
//! `collection` where the suite names one); free-form labels of the results are left out,
//! since a label that changes between runs would start a new series each time. Each gauge
//! says which way is better in its `direction` label.
//!
//! The text is also valid Prometheus text format 0.0.4 (no `info`/`stateset` types, no
//! timestamps, which a Pushgateway refuses), so the same bytes can be pushed.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::openmetrics_names::{Kind, family_name, histogram_name, metric_unit};
use crate::gate::{Comparison, Verdict};
use crate::results::{Histogram, Metric, Run, Unit, hist};

/// The classic bucket bounds, in seconds: 1-2-5 steps from 1 µs to 50 s (the recorders' range
/// ends at 60 s, which lands in `+Inf`).
pub const BUCKET_BOUNDS: [f64; 24] = [
    1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 2e-2, 5e-2, 0.1,
    0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0,
];

/// Why a run cannot be exposed.
#[derive(Debug, thiserror::Error)]
#[error("histogram {id:?}: {what}")]
pub struct OpenMetricsError {
    pub id: String,
    pub what: String,
}

/// One metric family: its type, unit, help and samples in the order they are written.
struct Family {
    kind: Kind,
    unit: &'static str,
    help: String,
    samples: Vec<(String, Labels, f64)>,
}

type Labels = Vec<(&'static str, String)>;

/// All families of one exposition, by name (OpenMetrics wants each family's samples together).
#[derive(Default)]
struct Exposition {
    families: BTreeMap<String, Family>,
}

impl Exposition {
    fn family(
        &mut self,
        name: String,
        kind: Kind,
        unit: &'static str,
        help: String,
    ) -> &mut Family {
        self.families.entry(name).or_insert_with(|| Family {
            kind,
            unit,
            help,
            samples: Vec::new(),
        })
    }

    /// A gauge sample; a second sample with the same name and labels is dropped (two metric
    /// names that differ only in characters Prometheus does not allow).
    fn gauge(&mut self, name: String, unit: &'static str, help: String, labels: Labels, v: f64) {
        let family = self.family(name.clone(), Kind::Gauge, unit, help);
        if !family.samples.iter().any(|(_, l, _)| *l == labels) {
            family.samples.push((name, labels, v));
        }
    }

    fn render(&self) -> String {
        let mut out = String::new();
        for (name, f) in &self.families {
            let _ = writeln!(out, "# TYPE {name} {}", f.kind.as_str());
            if !f.unit.is_empty() {
                let _ = writeln!(out, "# UNIT {name} {}", f.unit);
            }
            let _ = writeln!(out, "# HELP {name} {}", escape_help(&f.help));
            for (sample, labels, value) in &f.samples {
                let _ = writeln!(out, "{sample}{} {}", render_labels(labels), number(*value));
            }
        }
        out.push_str("# EOF\n");
        out
    }
}

/// The run, and its verdicts when a comparison is given, as OpenMetrics text ending in `# EOF`.
pub fn render(run: &Run, comparison: Option<&Comparison>) -> Result<String, OpenMetricsError> {
    let mut x = Exposition::default();
    let run_labels = run_labels(run);
    for m in &run.metrics {
        let (unit, divisor) = metric_unit(m.unit);
        let help = format!("perfwarden metric {} ({})", m.metric, m.direction);
        let mut labels = measurement_labels(&m.suite, &m.benchmark, m, &run_labels);
        labels.push(("direction", m.direction.to_string()));
        x.gauge(
            family_name(&m.metric, unit),
            unit,
            help,
            labels,
            m.value / divisor,
        );
    }
    for h in &run.histograms {
        histogram(&mut x, run, h, &run_labels)?;
    }
    run_families(&mut x, run, &run_labels);
    if let Some(c) = comparison {
        verdict_families(&mut x, c, &run_labels);
    }
    Ok(x.render())
}

/// `profile`, `commit` (when known) and `machine_class`: what tells one run from another.
fn run_labels(run: &Run) -> Labels {
    let env = &run.environment;
    let mut labels = vec![("profile", env.profile.clone())];
    if let Some(commit) = &env.git_commit {
        labels.push(("commit", commit.clone()));
    }
    labels.push(("machine_class", env.machine_class.clone()));
    labels
}

/// `suite`, `benchmark`, `collection` (from the metric's label of that name), then the run's.
fn measurement_labels(suite: &str, benchmark: &str, m: &Metric, run: &Labels) -> Labels {
    let mut labels = vec![
        ("suite", suite.to_string()),
        ("benchmark", benchmark.to_string()),
    ];
    if let Some(c) = m.labels.get("collection") {
        labels.push(("collection", c.clone()));
    }
    labels.extend(run.iter().cloned());
    labels
}

/// One latency histogram as a classic histogram. Counts are to the recorder's precision (3
/// significant digits); `_sum` is the mean times the count.
fn histogram(
    x: &mut Exposition,
    run: &Run,
    h: &Histogram,
    run_labels: &Labels,
) -> Result<(), OpenMetricsError> {
    let Some(per_second) = hist::unit_factor(Unit::Seconds, h.unit) else {
        return Ok(()); // Only durations are recorded as histograms; anything else has no bounds.
    };
    let hdr = hist::decode(&h.hdr).map_err(|what| OpenMetricsError {
        id: h.id.clone(),
        what,
    })?;
    // The suite and benchmark of the metrics computed from it; else from the id's parts.
    let owner = run
        .metrics
        .iter()
        .find(|m| m.histogram.as_deref() == Some(&h.id));
    let (suite, rest) = h.id.split_once('/').unwrap_or(("", &h.id));
    let (benchmark, name) = rest.rsplit_once('/').unwrap_or(("", rest));
    let mut labels = match owner {
        Some(m) => measurement_labels(&m.suite, &m.benchmark, m, run_labels),
        None => {
            let mut l = vec![
                ("suite", suite.to_string()),
                ("benchmark", benchmark.to_string()),
            ];
            l.extend(run_labels.iter().cloned());
            l
        }
    };
    let family = histogram_name(name, |n| {
        x.families.get(n).is_some_and(|f| f.kind != Kind::Histogram)
    });
    let help = format!("perfwarden {name} histogram (lower is better)");
    let f = x.family(family.clone(), Kind::Histogram, "seconds", help);
    if f.samples.iter().any(|(_, l, _)| *l == labels) {
        return Ok(());
    }
    for bound in BUCKET_BOUNDS {
        // The bound in recorded units; 1e-6 s is 0.9999999999999999 µs in binary floating point.
        let upto = (bound * per_second * (1.0 + 1e-9)).floor() as u64;
        let mut l = labels.clone();
        l.push(("le", number(bound)));
        f.samples.push((
            format!("{family}_bucket"),
            l,
            hdr.count_between(0, upto) as f64,
        ));
    }
    labels.push(("le", "+Inf".into()));
    f.samples
        .push((format!("{family}_bucket"), labels.clone(), hdr.len() as f64));
    labels.pop();
    f.samples
        .push((format!("{family}_count"), labels.clone(), hdr.len() as f64));
    let sum = hdr.mean() * hdr.len() as f64 / per_second;
    f.samples.push((format!("{family}_sum"), labels, sum));
    Ok(())
}

/// The run itself: when it was measured, by how many load machines, how each suite ended.
fn run_families(x: &mut Exposition, run: &Run, labels: &Labels) {
    let when = chrono::DateTime::parse_from_rfc3339(&run.environment.timestamp)
        .map(|t| t.timestamp_millis() as f64 / 1e3)
        .unwrap_or(0.0);
    let help = "when the run was measured (Unix time)".to_string();
    x.gauge(
        "perfwarden_run_timestamp_seconds".into(),
        "seconds",
        help,
        labels.clone(),
        when,
    );
    let help = "load machines that contributed to the run".to_string();
    x.gauge(
        "perfwarden_run_machines".into(),
        "",
        help,
        labels.clone(),
        f64::from(run.machines),
    );
    for s in &run.suites {
        let mut l = vec![("suite", s.suite.clone())];
        l.extend(labels.iter().cloned());
        l.push(("status", format!("{:?}", s.status).to_lowercase()));
        let help = "1 for how each suite of the run ended".to_string();
        x.gauge("perfwarden_suite_status".into(), "", help, l, 1.0);
    }
}

/// The gate's outcome: metrics per verdict, pass or fail, and each metric's verdict and change.
fn verdict_families(x: &mut Exposition, c: &Comparison, labels: &Labels) {
    for verdict in Verdict::ALL {
        let n = c.metrics.iter().filter(|m| m.verdict == verdict).count();
        let mut l = labels.clone();
        l.push(("verdict", verdict.as_str().to_string()));
        let help = "metrics of the run with each verdict of the gate".to_string();
        x.gauge("perfwarden_gate_metrics".into(), "", help, l, n as f64);
    }
    let help = "1 when the gate passed, 0 when it failed".to_string();
    let passed = f64::from(u8::from(c.passed()));
    x.gauge(
        "perfwarden_gate_passed".into(),
        "",
        help,
        labels.clone(),
        passed,
    );
    for m in &c.metrics {
        let mut l = vec![
            ("suite", m.suite.clone()),
            ("benchmark", m.benchmark.clone()),
            ("metric", m.metric.clone()),
        ];
        l.extend(labels.iter().cloned());
        l.push(("verdict", m.verdict.as_str().to_string()));
        let help = "1 for the gate's verdict on each metric".to_string();
        x.gauge("perfwarden_metric_verdict".into(), "", help, l.clone(), 1.0);
        if let Some(change) = m.change {
            l.pop();
            l.push(("direction", m.direction.to_string()));
            let help = "(current - baseline) / baseline of each metric".to_string();
            x.gauge(
                "perfwarden_metric_change_ratio".into(),
                "ratio",
                help,
                l,
                change,
            );
        }
    }
}

fn render_labels(labels: &Labels) -> String {
    if labels.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", escape_label(v)))
        .collect();
    format!("{{{}}}", parts.join(","))
}

fn escape_label(v: &str) -> String {
    v.replace('\\', r"\\")
        .replace('"', "\\\"")
        .replace('\n', r"\n")
}

fn escape_help(v: &str) -> String {
    v.replace('\\', r"\\").replace('\n', r"\n")
}

/// A sample value: Rust's shortest round-trip decimal, which every exposition parser reads.
fn number(v: f64) -> String {
    if v.is_infinite() {
        return if v > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    format!("{v}")
}
