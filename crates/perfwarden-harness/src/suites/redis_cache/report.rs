//! Each phase's metrics and its line of the printed report.

use std::time::Duration;

use super::fault::FaultKind;
use super::mix::Mix;
use super::phases::Measured;
use super::record::{ms, say};
use super::tally::{Tally, outages};
use crate::load::LoadReport;
use crate::record::Recorder;
use perfwarden::results::{Direction, Stat, Unit};

/// The short report, and the headline numbers the bench prints last.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    pub lines: Vec<String>,
    /// Set in Redis-only mode: why, and what was not measured.
    pub no_backend: Option<String>,
    pub zipf_hit_rate: Option<f64>,
    pub hit_p50_ms: Option<f64>,
    pub raw_get_p50_ms: Option<f64>,
    pub redis_benchmark_get_p50_ms: Option<f64>,
    pub ratio: Option<f64>,
    pub speedup: Option<f64>,
    pub fault: Option<String>,
}

impl Summary {
    /// Prints `line` now and keeps it for the report.
    pub(crate) fn say(&mut self, line: String) {
        say(&line);
        self.lines.push(line);
    }
}

/// What the mixed phase's hit rate should be, to print beside it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Model {
    pub mix: Mix,
    pub pool: usize,
    pub requests: u64,
    pub steady_from: u64,
    /// A perfect cache on these very draws, steady state and overall (percent).
    pub ideal_steady: f64,
    pub ideal_overall: f64,
    /// The expectation over all draw sequences (percent).
    pub expected_steady: f64,
    pub backend: bool,
}

fn backend_label(backend: bool) -> &'static str {
    if backend {
        "qdrant"
    } else {
        "none: hit-path only"
    }
}

/// A mixed phase: hit rates, hit (and miss) latency, end-to-end latency.
pub(crate) fn mixed(
    rec: &mut Recorder,
    bench: &str,
    model: &Model,
    report: &LoadReport,
    t: &Tally,
) -> String {
    let steady = rec.percent(bench, "hit_rate", t.steady_hit_rate(), t.steady_requests);
    steady.labels.insert(
        "steady_state".into(),
        format!("requests {}..{}", model.steady_from, model.requests),
    );
    steady
        .labels
        .insert("perfect_cache".into(), format!("{:.2}", model.ideal_steady));
    steady
        .labels
        .insert("expected".into(), format!("{:.2}", model.expected_steady));
    steady.labels.insert("windows".into(), t.windows_line(20));
    if t.requests < model.requests {
        steady.labels.insert(
            "incomplete".into(),
            format!("{} of {} requests ran", t.requests, model.requests),
        );
    }
    rec.percent(bench, "hit_rate_overall", t.hit_rate(), t.requests)
        .labels
        .insert(
            "perfect_cache".into(),
            format!("{:.2}", model.ideal_overall),
        );
    rec.p50_p99(bench, "hit_latency", &t.hit_latency);
    let mut line = format!(
        "{bench}: hit rate {:.1}% at steady state (requests {}..{}; a perfect cache {:.1}%, expected {:.1}%), {:.1}% from cold; hits p50 {:.3} ms p99 {:.3} ms",
        t.steady_hit_rate(),
        model.steady_from,
        model.requests,
        model.ideal_steady,
        model.expected_steady,
        t.hit_rate(),
        ms(&t.hit_latency, 0.5),
        ms(&t.hit_latency, 0.99),
    );
    if model.backend {
        rec.p50_p99(bench, "miss_latency", &t.miss_latency);
        rec.stats(
            bench,
            "e2e_cached",
            &report.latency,
            &[("e2e_p50_cached", Stat::P50), ("e2e_p99_cached", Stat::P99)],
        );
        rec.rate(bench, "qps", Unit::OpsPerSecond, report.throughput());
        let s = report.summary();
        line += &format!(
            "; misses p50 {:.2} ms p99 {:.2} ms; end to end p50 {:.3} ms p99 {:.2} ms, {:.0} requests/s",
            ms(&t.miss_latency, 0.5),
            ms(&t.miss_latency, 0.99),
            s.p50_ms,
            s.p99_ms,
            report.throughput()
        );
    } else {
        line += &format!("; {} misses counted, not searched", t.unfilled);
    }
    rec.count(bench, "redis_errors", t.redis_errors);
    rec.count(bench, "failed_requests", t.failed);
    rec.label_all(bench, "mix", &model.mix.describe(model.pool));
    rec.label_all(bench, "backend", backend_label(model.backend));
    if t.failed > 0 || t.redis_errors > 0 {
        line += &format!("; {} failed, {} Redis errors", t.failed, t.redis_errors);
    }
    line + &format!("; hit rate by time: {}", t.windows_line(10))
}

/// Redis memory after the Zipf phase.
pub(crate) fn memory(
    rec: &mut Recorder,
    bench: &str,
    before: u64,
    after: u64,
    keys: usize,
) -> String {
    let m = rec.value(
        bench,
        "redis_used_memory",
        Unit::Bytes,
        Direction::LowerIsBetter,
        after as f64,
    );
    m.labels.insert("before".into(), before.to_string());
    m.labels.insert("cached_queries".into(), keys.to_string());
    let grown = after.saturating_sub(before);
    format!(
        "{bench}: Redis used_memory {:.1} MB ({:+.1} MB for {keys} cached answers, ~{} B each)",
        after as f64 / 1e6,
        grown as f64 / 1e6,
        if keys > 0 { grown / keys as u64 } else { 0 }
    )
}

/// The hit path on a warm cache.
pub(crate) fn hit_path(
    rec: &mut Recorder,
    bench: &str,
    report: &LoadReport,
    t: &Tally,
    concurrency: usize,
    connections: usize,
) -> String {
    rec.p50_p99(bench, "hit_latency", &t.hit_latency);
    rec.rate(bench, "qps", Unit::OpsPerSecond, report.throughput());
    rec.count(bench, "misses", t.misses + t.unfilled);
    rec.count(bench, "failed_requests", t.failed);
    rec.label_all(bench, "concurrency", &concurrency.to_string());
    rec.label_all(bench, "connections", &connections.to_string());
    let mut line = format!(
        "{bench} (c={concurrency} over {connections} connections, warm cache): hit p50 {:.3} ms p99 {:.3} ms, {:.0} requests/s",
        ms(&t.hit_latency, 0.5),
        ms(&t.hit_latency, 0.99),
        report.throughput()
    );
    if t.misses + t.unfilled + t.failed > 0 {
        line += &format!(
            "; {} misses and {} failures on a cache that should hold every key",
            t.misses + t.unfilled,
            t.failed
        );
    }
    line
}

/// Search without the cache, and the speed-up the cache gives on the same draws.
pub(crate) fn uncached(
    rec: &mut Recorder,
    bench: &str,
    uncached: &LoadReport,
    cached: &LoadReport,
) -> (Option<f64>, String) {
    rec.stats(
        bench,
        "e2e_uncached",
        &uncached.latency,
        &[
            ("e2e_p50_uncached", Stat::P50),
            ("e2e_p99_uncached", Stat::P99),
        ],
    );
    rec.rate(
        bench,
        "qps_uncached",
        Unit::OpsPerSecond,
        uncached.throughput(),
    );
    let (u, c) = (uncached.summary(), cached.summary());
    let speedup = (c.mean_ms > 0.0 && u.count > 0).then(|| u.mean_ms / c.mean_ms);
    if let Some(s) = speedup {
        let m = rec.value(bench, "speedup", Unit::Ratio, Direction::HigherIsBetter, s);
        m.labels.insert(
            "basis".into(),
            "mean end-to-end latency without the cache / with it, same draws and concurrency"
                .into(),
        );
        m.labels.insert(
            "p50_ratio".into(),
            format!("{:.2}", u.p50_ms / c.p50_ms.max(1e-9)),
        );
        m.labels.insert(
            "throughput_ratio".into(),
            format!(
                "{:.2}",
                cached.throughput() / uncached.throughput().max(1e-9)
            ),
        );
    }
    let line = format!(
        "{bench} without the cache: p50 {:.2} ms p99 {:.2} ms, {:.0} requests/s; speed-up {} (mean {:.3} → {:.3} ms)",
        u.p50_ms,
        u.p99_ms,
        uncached.throughput(),
        speedup.map_or("n/a".into(), |s| format!("{s:.1}x")),
        u.mean_ms,
        c.mean_ms
    );
    (speedup, line)
}

/// The fault drill: the degraded window (the largest outage, `gap` apart from any other)
/// and what was served in it.
pub(crate) fn fault(
    rec: &mut Recorder,
    bench: &str,
    kind: FaultKind,
    length: Duration,
    gap: Duration,
    m: &Measured,
    t: &Tally,
) -> String {
    rec.count(bench, "failed_requests", t.failed);
    rec.count(bench, "degraded_requests", t.degraded);
    rec.count(bench, "redis_errors", t.redis_errors);
    rec.p50_p99(bench, "degraded_latency", &t.degraded_latency);
    let injected = match &m.fault {
        Some(f) => match &f.result {
            Ok(()) => format!(
                "{} at {:.2} s (in effect at {:.2} s)",
                describe(kind, length),
                f.began.as_secs_f64(),
                f.done.as_secs_f64()
            ),
            Err(e) => format!(
                "{} failed at {:.2} s: {e}",
                describe(kind, length),
                f.began.as_secs_f64()
            ),
        },
        None => "no fault injected".into(),
    };
    // The outage the fault caused is the largest; others are lone commands that timed out.
    let all = outages(&m.outcomes, gap);
    let main = all.iter().max_by_key(|o| o.requests).copied();
    let window = match main {
        Some(main) => {
            let (from, to) = (main.start, main.end);
            let w = rec.value(
                bench,
                "degraded_window",
                Unit::Seconds,
                Direction::LowerIsBetter,
                (to - from).as_secs_f64(),
            );
            w.labels
                .insert("start_s".into(), format!("{:.3}", from.as_secs_f64()));
            w.labels
                .insert("end_s".into(), format!("{:.3}", to.as_secs_f64()));
            w.labels
                .insert("requests".into(), main.requests.to_string());
            w.labels
                .insert("other_outages".into(), (all.len() - 1).to_string());
            let others: Vec<String> = all
                .iter()
                .filter(|o| **o != main)
                .map(|o| {
                    format!(
                        "{:.2}-{:.2} s ({})",
                        o.start.as_secs_f64(),
                        o.end.as_secs_f64(),
                        o.requests
                    )
                })
                .collect();
            format!(
                "Redis was unavailable from {:.2} s to {:.2} s after the phase start ({:.2} s, {} requests); {} requests in all served by Qdrant instead (p50 {:.2} ms, p99 {:.2} ms), {} failed, {} answered after the fault began{}",
                from.as_secs_f64(),
                to.as_secs_f64(),
                (to - from).as_secs_f64(),
                main.requests,
                t.degraded,
                ms(&t.degraded_latency, 0.5),
                ms(&t.degraded_latency, 0.99),
                t.failed,
                t.served_after_fault,
                if others.is_empty() {
                    String::new()
                } else {
                    format!("; other Redis timeouts: {}", others.join(", "))
                }
            )
        }
        None => format!("no request saw Redis fail ({} failed)", t.failed),
    };
    rec.label_all(bench, "fault", &injected);
    let by_window: Vec<String> = t
        .windows
        .iter()
        .enumerate()
        .map(|(k, w)| {
            format!(
                "{:.2}s {}h/{}d/{}f",
                (t.window * (k as u32 + 1)).as_secs_f64(),
                w.hits,
                w.degraded,
                w.failed
            )
        })
        .collect();
    format!(
        "{bench}: {injected}: {window}; hits/degraded/failed by window: {}",
        by_window.join(", ")
    )
}

fn describe(kind: FaultKind, length: Duration) -> String {
    match kind {
        FaultKind::Pause => format!("CLIENT PAUSE for {:.1} s", length.as_secs_f64()),
        FaultKind::Shutdown => "SHUTDOWN NOSAVE".into(),
    }
}

/// `used_memory` from the text of `INFO memory`.
pub(crate) fn parse_used_memory(info: &str) -> Option<u64> {
    info.lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn used_memory_from_info() {
        let info = "# Memory\r\nused_memory:1073824\r\nused_memory_human:1.02M\r\nused_memory_rss:8585216\r\n";
        assert_eq!(parse_used_memory(info), Some(1_073_824));
        assert_eq!(parse_used_memory("# Memory\r\n"), None);
    }
}
