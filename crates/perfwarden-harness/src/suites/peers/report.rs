//! The peers bench's results: per tool and load, then ours against each tool. Pure
//! functions over [`Results`].

use std::fmt::Write as _;

use super::run::{Load, Results, Sample};
use super::tools::Tool;
use crate::record::Recorder;
use crate::suite::{Suite, no_charts};
use perfwarden::results::{Direction, Run, Unit};

/// The suite's name in metric ids and the results file name.
pub const SUITE: Suite = Suite::new("peers", no_charts);

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    }
}

fn column(samples: &[Sample], f: impl Fn(&Sample) -> Option<f64>) -> Vec<f64> {
    samples.iter().filter_map(f).collect()
}

/// Ours over theirs per round (rounds pair up: the same round ran both).
fn paired(ours: &[Sample], theirs: &[Sample], f: impl Fn(&Sample) -> Option<f64>) -> Vec<f64> {
    ours.iter()
        .zip(theirs)
        .filter_map(|(o, t)| Some(f(o)? / f(t).filter(|&t| t > 0.0)?))
        .collect()
}

/// A metric whose value is the median of `samples`, which it keeps.
fn sampled(
    rec: &mut Recorder<'_>,
    bench: &str,
    name: &str,
    unit: Unit,
    dir: Direction,
    samples: Vec<f64>,
) {
    let value = median(samples.clone());
    rec.value(bench, name, unit, dir, value).samples = Some(samples);
}

impl Results {
    /// Every metric into `run`.
    pub fn record(&self, run: &mut Run) {
        let mut rec = SUITE.recorder(run);
        for (load, tool, samples) in &self.cells {
            let bench = format!("{}/{}/{}", load.target, tool.name(), load.name);
            let tp = column(samples, |s| Some(s.throughput()));
            sampled(
                &mut rec,
                &bench,
                "throughput",
                Unit::OpsPerSecond,
                Direction::HigherIsBetter,
                tp,
            );
            if load.name == "saturated" {
                let v = column(samples, |s| Some(s.per_cpu_s()));
                sampled(
                    &mut rec,
                    &bench,
                    "requests_per_cpu_s",
                    Unit::OpsPerSecond,
                    Direction::HigherIsBetter,
                    v,
                );
            } else {
                for (name, f) in [
                    ("latency_p50", p50 as fn(&Sample) -> Option<f64>),
                    ("latency_p99", p99),
                ] {
                    let v = column(samples, |s| f(s).map(|us| us / 1000.0));
                    if !v.is_empty() {
                        sampled(
                            &mut rec,
                            &bench,
                            name,
                            Unit::Milliseconds,
                            Direction::LowerIsBetter,
                            v,
                        );
                    }
                }
                let lag = column(samples, |s| s.outcome.send_lag_p50_us);
                if !lag.is_empty() {
                    let (unit, dir) = (Unit::Microseconds, Direction::LowerIsBetter);
                    sampled(&mut rec, &bench, "send_lag_p50", unit, dir, lag);
                }
            }
        }
        for (load, tool) in self.pairs() {
            let bench = format!("{}/ours_vs_{}", load.target, tool.name());
            let (ours, theirs) = (self.samples(&load, Tool::Ours), self.samples(&load, tool));
            if load.name == "saturated" {
                let v = paired(ours, theirs, |s| Some(s.per_cpu_s()));
                sampled(
                    &mut rec,
                    &bench,
                    "cpu_efficiency",
                    Unit::Ratio,
                    Direction::HigherIsBetter,
                    v,
                );
            } else {
                let v = paired(ours, theirs, p50);
                if !v.is_empty() {
                    sampled(
                        &mut rec,
                        &bench,
                        "p50_ratio",
                        Unit::Ratio,
                        Direction::LowerIsBetter,
                        v,
                    );
                }
                let added: Vec<f64> = ours
                    .iter()
                    .zip(theirs)
                    .filter_map(|(o, t)| Some((p50(o)? - p50(t)?).max(0.0)))
                    .collect();
                if !added.is_empty() {
                    sampled(
                        &mut rec,
                        &bench,
                        "p50_added",
                        Unit::Microseconds,
                        Direction::LowerIsBetter,
                        added,
                    );
                }
            }
        }
    }

    /// (load, other tool) for every load where both ours and that tool ran.
    fn pairs(&self) -> Vec<(Load, Tool)> {
        self.cells
            .iter()
            .filter(|(l, t, _)| *t != Tool::Ours && !self.samples(l, Tool::Ours).is_empty())
            .map(|(l, t, _)| (*l, *t))
            .collect()
    }

    /// A Markdown table per target: each tool's medians, and ours against it.
    pub fn markdown(&self) -> String {
        let mut out = String::from(
            "## peers: our load engine against wrk, oha, Locust and redis-benchmark\n\n",
        );
        out.push_str("| load | tool | req/s | req per client CPU-s | p50 µs | p99 µs | ours/theirs per CPU-s | ours/theirs p50 |\n|---|---|---:|---:|---:|---:|---:|---:|\n");
        for (load, tool, samples) in &self.cells {
            let opt = |v: Vec<f64>| {
                if v.is_empty() {
                    "-".to_string()
                } else {
                    format!("{:.0}", median(v))
                }
            };
            let ours = self.samples(load, Tool::Ours);
            let vs = |f: fn(&Sample) -> Option<f64>| {
                let v = paired(ours, samples, f);
                if *tool == Tool::Ours || v.is_empty() {
                    "-".to_string()
                } else {
                    format!("{:.2}", median(v))
                }
            };
            let _ = writeln!(
                out,
                "| {}/{} | {} | {:.0} | {} | {} | {} | {} | {} |",
                load.target,
                load.name,
                tool.name(),
                median(column(samples, |s| Some(s.throughput()))),
                if load.name == "saturated" {
                    opt(column(samples, |s| Some(s.per_cpu_s())))
                } else {
                    "-".into()
                },
                opt(column(samples, p50)),
                opt(column(samples, p99)),
                if load.name == "saturated" {
                    vs(|s| Some(s.per_cpu_s()))
                } else {
                    "-".into()
                },
                if load.name == "saturated" {
                    "-".into()
                } else {
                    vs(p50)
                },
            );
        }
        for line in &self.skipped {
            let _ = writeln!(out, "\nskipped: {line}");
        }
        out
    }
}

fn p50(s: &Sample) -> Option<f64> {
    s.outcome.p50_us
}

fn p99(s: &Sample) -> Option<f64> {
    s.outcome.p99_us
}
