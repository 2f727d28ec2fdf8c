//! Resource findings: what follows from a run's own numbers about where its limits are (seed
//! 000 asks for resource use analysed). Each finding cites the numbers it rests on; a run
//! whose numbers show nothing gets no finding, never a generic tip.
//!
//! - **client-bound** (Little's law): a closed loop whose workers had a request in flight
//!   less than 80% of the time, or an open loop whose in-flight cap was more than 90% used,
//!   measured the client, not the server (labels `in_flight`, `concurrency` or
//!   `max_in_flight`, from the load engine);
//! - **server CPU saturated before the SLO**: a suite whose server's busiest interval used
//!   at least 90% of the CPU it could (one core for Redis, every core otherwise) while the
//!   highest rate under its SLO was being measured (`resources/cpu_max` beside
//!   `max_rate_under_slo`);
//! - **memory growing across a soak** (`memory_growth` above 1.10) and **p99 drifting**
//!   (`p99_drift` above 1.5);
//! - **recall below target**: `recall_at_10` under its budget's `min` (or 0.95 where the
//!   config sets none).
//!
//! Pure: a run (and the budgets the gate checked) in, findings out.

use crate::gate::Comparison;
use crate::results::{Metric, Run};

/// In a closed loop, below this share of time with a request in flight the client limited
/// the run (the load engine's own rule).
const CLOSED_MIN_UTILISATION: f64 = 0.8;
/// In an open loop, above this share of the in-flight cap the client queued requests.
const OPEN_MAX_UTILISATION: f64 = 0.9;
/// A server CPU at or above this share of what it can use is saturated.
const CPU_SATURATED: f64 = 0.9;
/// Memory at the end of a soak more than this times the start is growing.
const MEMORY_GROWTH: f64 = 1.10;
/// p99 of a soak's last quarter more than this times its first quarter is drifting.
const P99_DRIFT: f64 = 1.5;
/// The recall target where the config has no budget for it.
const DEFAULT_RECALL_TARGET: f64 = 0.95;

/// One finding: what it is about (a benchmark or metric id) and the sentence with its
/// numbers.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub kind: &'static str,
    pub subject: String,
    pub text: String,
}

/// Every finding of `run`; budgets (the recall target) come from `comparison` when there is
/// one. Sorted by kind, then subject.
pub fn findings(run: &Run, comparison: Option<&Comparison>) -> Vec<Finding> {
    let mut out = Vec::new();
    out.extend(client_bound(run));
    out.extend(cpu_saturated(run));
    out.extend(soak_drift(run));
    out.extend(recall(run, comparison));
    out.sort_by(|a, b| (a.kind, &a.subject).cmp(&(b.kind, &b.subject)));
    out
}

fn label(m: &Metric, key: &str) -> Option<f64> {
    m.labels
        .get(key)?
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite())
}

/// The value of `suite/benchmark/name` in `run`.
fn sibling(run: &Run, of: &Metric, name: &str) -> Option<f64> {
    run.metrics
        .iter()
        .find(|m| m.suite == of.suite && m.benchmark == of.benchmark && m.metric == name)
        .map(|m| m.value)
}

fn client_bound(run: &Run) -> Vec<Finding> {
    let mut out = Vec::new();
    for m in run.metrics.iter().filter(|m| m.metric == "qps") {
        let Some(in_flight) = label(m, "in_flight") else {
            continue;
        };
        let mean_ms = sibling(run, m, "latency_mean").unwrap_or(0.0);
        let subject = format!("{}/{}", m.suite, m.benchmark);
        let little = m.value * mean_ms / 1000.0;
        let text = if let Some(c) = label(m, "concurrency").filter(|c| *c > 0.0) {
            let u = in_flight / c;
            if u >= CLOSED_MIN_UTILISATION {
                continue;
            }
            format!(
                "client-bound: {in_flight:.1} of {c:.0} requests in flight on average ({:.0}%, under {:.0}%); \
                 {:.0} ops/s × {mean_ms:.3} ms = {little:.1} in flight by Little's law, so {:.0} ops/s is \
                 what this client sent, not what the server can serve",
                u * 100.0,
                CLOSED_MIN_UTILISATION * 100.0,
                m.value,
                m.value
            )
        } else if let Some(cap) = label(m, "max_in_flight").filter(|c| *c > 0.0) {
            let u = in_flight / cap;
            if u <= OPEN_MAX_UTILISATION {
                continue;
            }
            format!(
                "client-bound: {in_flight:.1} of at most {cap:.0} requests in flight ({:.0}%, over {:.0}%); \
                 requests waited in the client for a free slot, so the latencies ({mean_ms:.3} ms mean at \
                 {:.0} ops/s) include the client's queue",
                u * 100.0,
                OPEN_MAX_UTILISATION * 100.0,
                m.value
            )
        } else {
            continue;
        };
        out.push(Finding {
            kind: "client-bound",
            subject,
            text,
        });
    }
    out
}

fn cpu_saturated(run: &Run) -> Vec<Finding> {
    let mut out = Vec::new();
    let cores = f64::from(run.environment.cores.max(1));
    for m in run.metrics.iter().filter(|m| m.metric == "cpu_max") {
        let service = m.labels.get("service").map_or("the server", String::as_str);
        // Redis runs commands on one thread: one core is all it can use.
        let usable = if service == "redis" {
            100.0
        } else {
            100.0 * cores
        };
        if m.value < CPU_SATURATED * usable {
            continue;
        }
        for slo in run
            .metrics
            .iter()
            .filter(|s| s.suite == m.suite && s.metric == "max_rate_under_slo")
        {
            let what = slo.labels.get("slo").map_or("its SLO", String::as_str);
            out.push(Finding {
                kind: "server-cpu-saturated",
                subject: format!("{}/{}", slo.suite, slo.benchmark),
                text: format!(
                    "server CPU saturated before the SLO: {service} peaked at {:.0}% CPU of the {usable:.0}% \
                     it can use ({}) during this suite, and the highest rate under {what} was {:.0}/s: \
                     on this machine that rate is bounded by the server's CPU, not by the latency target",
                    m.value,
                    if service == "redis" { "one thread".to_string() } else { format!("{cores:.0} cores") },
                    slo.value
                ),
            });
        }
    }
    out
}

fn soak_drift(run: &Run) -> Vec<Finding> {
    let mut out = Vec::new();
    for m in &run.metrics {
        let subject = format!("{}/{}", m.suite, m.benchmark);
        let windows = m.labels.get("window_s").map_or("?", String::as_str);
        if m.metric == "memory_growth" && m.value > MEMORY_GROWTH {
            let mb = |name| sibling(run, m, name).map_or(f64::NAN, |b| b / 1e6);
            out.push(Finding {
                kind: "memory-growing",
                subject,
                text: format!(
                    "memory grew across the soak: {:.1} MB at the start, {:.1} MB at the end ({:+.0}%, over \
                     {:+.0}%), sampled every {windows} s",
                    mb("memory_start"),
                    mb("memory_end"),
                    (m.value - 1.0) * 100.0,
                    (MEMORY_GROWTH - 1.0) * 100.0
                ),
            });
        } else if m.metric == "p99_drift" && m.value > P99_DRIFT {
            let by_window = m.labels.get("p99_ms_by_window").map_or("", String::as_str);
            out.push(Finding {
                kind: "p99-drifting",
                subject,
                text: format!(
                    "p99 drifted across the soak: the last quarter's p99 is {:.2}× the first quarter's (over \
                     {P99_DRIFT}×); p99 per {windows} s window, ms: {by_window}",
                    m.value
                ),
            });
        }
    }
    out
}

fn recall(run: &Run, comparison: Option<&Comparison>) -> Vec<Finding> {
    let mut out = Vec::new();
    for m in run.metrics.iter().filter(|m| m.metric == "recall_at_10") {
        let id = m.id();
        let budget = comparison
            .and_then(|c| c.metrics.iter().find(|x| x.id == id))
            .and_then(|x| {
                x.budgets
                    .iter()
                    .find_map(|b| b.min.map(|min| (min, b.unit)))
            });
        let (target, source) = match budget {
            Some((min, unit)) => (
                crate::gate::budget::convert(min, unit, m.unit).unwrap_or(min),
                "its budget",
            ),
            None => (DEFAULT_RECALL_TARGET, "the default target"),
        };
        if m.value >= target {
            continue;
        }
        out.push(Finding {
            kind: "recall-below-target",
            subject: id,
            text: format!(
                "recall below target: recall@10 {:.3} is under {target:.3} ({source}){}",
                m.value,
                m.sample_count
                    .map_or(String::new(), |n| format!(", over {n} queries"))
            ),
        });
    }
    out
}

#[cfg(test)]
#[path = "findings_tests.rs"]
mod tests;
