//! Names and units of the OpenMetrics exposition: which family a metric lands in and how its
//! value is scaled. Prometheus wants base units named in the family (`_seconds`, `_ratio`),
//! so a p99 in milliseconds and one in microseconds end up in the same family, comparable.

use crate::results::Unit;

/// The metric types the exposition uses; both exist in OpenMetrics and in text format 0.0.4.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Gauge,
    Histogram,
}

impl Kind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        }
    }
}

/// Suffixes OpenMetrics reserves for the samples of counters, histograms and summaries; a
/// gauge whose name ends in one would read as part of another family.
const RESERVED: [&str; 8] = [
    "_total", "_count", "_sum", "_bucket", "_created", "_info", "_gcount", "_gsum",
];

/// The exposed unit of a results unit (empty for plain counts) and the divisor that converts a
/// value to it: durations in seconds, percentages as ratios, the rest as they are. A divisor,
/// not a factor: 0.599 / 1e3 prints as 0.000599, 0.599 * 1e-3 as 0.0005989999999999999.
pub(crate) fn metric_unit(unit: Unit) -> (&'static str, f64) {
    match unit {
        Unit::Nanoseconds => ("seconds", 1e9),
        Unit::Microseconds => ("seconds", 1e6),
        Unit::Milliseconds => ("seconds", 1e3),
        Unit::Seconds => ("seconds", 1.0),
        Unit::OpsPerSecond => ("ops_per_second", 1.0),
        Unit::EventsPerSecond => ("events_per_second", 1.0),
        Unit::PointsPerSecond => ("points_per_second", 1.0),
        Unit::ElementsPerSecond => ("elements_per_second", 1.0),
        Unit::BytesPerSecond => ("bytes_per_second", 1.0),
        Unit::MegabytesPerSecond => ("megabytes_per_second", 1.0),
        Unit::Bytes => ("bytes", 1.0),
        Unit::Megabytes => ("megabytes", 1.0),
        Unit::Percent => ("ratio", 100.0),
        Unit::Ratio => ("ratio", 1.0),
        Unit::Count => ("", 1.0),
    }
}

/// `perfwarden_<metric>_<unit>`: the metric's name with every character Prometheus does not
/// allow replaced by `_`, the unit appended unless the name already ends with it. A name that
/// would end in a reserved suffix gets `_value`; gauges never end in `_seconds_bucket` etc.
pub(crate) fn family_name(metric: &str, unit: &str) -> String {
    let mut name = format!("perfwarden_{}", sanitize(metric));
    if !unit.is_empty() && !name.ends_with(&format!("_{unit}")) {
        name.push('_');
        name.push_str(unit);
    }
    if RESERVED.iter().any(|s| name.ends_with(s)) {
        name.push_str("_value");
    }
    name
}

/// `perfwarden_<name>_seconds`: the histogram family of a latency histogram named `name` (the
/// last part of its id). Should a metric's gauge already have that name (a metric named like
/// the histogram, in a time unit), the histogram becomes `perfwarden_<name>_recorded_seconds`.
pub(crate) fn histogram_name(name: &str, taken: impl Fn(&str) -> bool) -> String {
    let plain = format!("perfwarden_{}_seconds", sanitize(name));
    if taken(&plain) {
        format!("perfwarden_{}_recorded_seconds", sanitize(name))
    } else {
        plain
    }
}

/// `[a-zA-Z0-9_]` kept, anything else `_`; a leading digit gets a `_` before it.
fn sanitize(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_name_the_base_unit_once() {
        assert_eq!(
            family_name("latency_p99", "seconds"),
            "perfwarden_latency_p99_seconds"
        );
        assert_eq!(
            family_name("upsert_seconds", "seconds"),
            "perfwarden_upsert_seconds"
        );
        assert_eq!(family_name("errors", ""), "perfwarden_errors");
        assert_eq!(family_name("hits_total", ""), "perfwarden_hits_total_value");
        assert_eq!(
            family_name("recall@10", "ratio"),
            "perfwarden_recall_10_ratio"
        );
        assert_eq!(
            histogram_name("latency", |_| false),
            "perfwarden_latency_seconds"
        );
        assert_eq!(
            histogram_name("latency", |n| n == "perfwarden_latency_seconds"),
            "perfwarden_latency_recorded_seconds"
        );
    }

    #[test]
    fn every_unit_has_an_exposed_unit() {
        for unit in Unit::ALL {
            let (name, divisor) = metric_unit(unit);
            assert!(divisor >= 1.0, "{unit}");
            assert!(name.chars().all(|c| c.is_ascii_lowercase() || c == '_'));
        }
        assert_eq!(metric_unit(Unit::Percent), ("ratio", 100.0));
    }
}
