//! A server's own account of its process, read from its Prometheus `/metrics` (the text
//! exposition format): what perfwarden can know of the CPU and memory of a server it did not
//! start (a named endpoint), where it has no pid or container to sample.
//!
//! CPU is the standard `process_cpu_seconds_total` counter, read before and after the run;
//! memory is `process_resident_memory_bytes`, or Qdrant's allocator gauge
//! `memory_resident_bytes` where the former is missing.

use std::time::{Duration, Instant};

use perfwarden::results::{Direction, Metric, Unit};

const CPU: &str = "process_cpu_seconds_total";
const MEMORY: [&str; 2] = ["process_resident_memory_bytes", "memory_resident_bytes"];

/// The value of the sample named `name`, summed over its label sets (a per-thread or
/// per-mode counter adds up to the process's); None when no such sample is there.
pub(crate) fn sample(text: &str, name: &str) -> Option<f64> {
    let mut found = None;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some(rest) = line.strip_prefix(name) else {
            continue;
        };
        // `name value`, `name{labels} value` and an optional timestamp; not `name_suffix`.
        let rest = match rest.chars().next() {
            Some('{') => match rest.find('}') {
                Some(end) => &rest[end + 1..],
                None => continue,
            },
            Some(c) if c.is_whitespace() => rest,
            _ => continue,
        };
        if let Some(v) = rest
            .split_whitespace()
            .next()
            .and_then(|v| v.parse::<f64>().ok())
            && v.is_finite()
        {
            *found.get_or_insert(0.0) += v;
        }
    }
    found
}

/// One reading of a server's `/metrics`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Reading {
    pub at: Instant,
    pub cpu_seconds: Option<f64>,
    pub memory_bytes: Option<f64>,
}

impl Reading {
    pub(crate) fn parse(text: &str, at: Instant) -> Reading {
        Reading {
            at,
            cpu_seconds: sample(text, CPU),
            memory_bytes: MEMORY.iter().find_map(|name| sample(text, name)),
        }
    }
}

/// Reads `{http_url}/metrics` with `client` (which carries the API key, if any).
pub async fn read(client: &reqwest::Client, http_url: &str) -> Result<Reading, String> {
    let url = format!("{}/metrics", http_url.trim_end_matches('/'));
    let text = client
        .get(&url)
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| format!("{url}: {e}"))?
        .text()
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    Ok(Reading::parse(&text, Instant::now()))
}

/// The server's CPU (mean percent of one core over the span) and resident memory (at the
/// end) between two readings, as metrics of `suite/benchmark`; what a reading lacks is
/// left out.
pub fn metrics(before: &Reading, after: &Reading, suite: &str, benchmark: &str) -> Vec<Metric> {
    let metric = |name: &str, unit, value| {
        Metric::new(
            suite,
            benchmark,
            name,
            unit,
            Direction::LowerIsBetter,
            value,
        )
        .label("service", "qdrant")
        .label("provider", "endpoint")
        .label("scope", "the server's own /metrics")
    };
    let span = after.at.saturating_duration_since(before.at).as_secs_f64();
    let mut out = Vec::new();
    if let (Some(a), Some(b)) = (before.cpu_seconds, after.cpu_seconds)
        && span > 0.0
    {
        out.push(metric(
            "cpu_mean",
            Unit::Percent,
            ((b - a).max(0.0) / span) * 100.0,
        ));
    }
    if let Some(m) = after.memory_bytes {
        out.push(metric("memory_end", Unit::Bytes, m));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "# HELP process_cpu_seconds_total CPU\n\
        # TYPE process_cpu_seconds_total counter\n\
        process_cpu_seconds_total 12.5\n\
        process_cpu_seconds_total_extra 99\n\
        memory_resident_bytes{kind=\"jemalloc\"} 1000 1700000000\n\
        memory_resident_bytes{kind=\"other\"} 24\n\
        app_info{name=\"qdrant\",version=\"1.18.3\"} 1\n";

    #[test]
    fn samples_are_found_by_whole_name_and_summed_over_labels() {
        assert_eq!(sample(TEXT, "process_cpu_seconds_total"), Some(12.5));
        assert_eq!(sample(TEXT, "memory_resident_bytes"), Some(1024.0));
        assert_eq!(sample(TEXT, "process_resident_memory_bytes"), None);
        assert_eq!(sample("x NaN\n", "x"), None);
    }

    #[test]
    fn two_readings_give_cpu_and_memory() {
        let t0 = Instant::now();
        let before = Reading::parse(TEXT, t0);
        let after = Reading::parse(&TEXT.replace("12.5", "14.5"), t0 + Duration::from_secs(4));
        let m = metrics(&before, &after, "qdrant_search", "qdrant/resources");
        assert_eq!(m.len(), 2);
        assert_eq!((m[0].metric.as_str(), m[0].value), ("cpu_mean", 50.0));
        assert_eq!((m[1].metric.as_str(), m[1].value), ("memory_end", 1024.0));
        let none = Reading::parse("", t0);
        assert!(metrics(&none, &none, "s", "b").is_empty());
    }
}
