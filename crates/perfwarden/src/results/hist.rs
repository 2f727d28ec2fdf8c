//! Latency histograms in results files: encoding, decoding, and the metrics a suite derives
//! from one.
//!
//! A histogram travels as HdrHistogram's V2 + DEFLATE serialization, base64-encoded (standard
//! alphabet, padded): the format every HdrHistogram implementation reads, so a results file
//! can be inspected with other tools. Keeping the whole distribution is what lets
//! `perfwarden merge` combine load machines exactly: percentiles cannot be averaged.

use std::io::Read;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hdrhistogram::serialization::{Deserializer, Serializer, V2DeflateSerializer};

use super::schema::{self, Direction, Interval, Metric, Run, Stat, Unit};

/// The V2 + DEFLATE cookie (HdrHistogram's `V2_COMPRESSED_COOKIE`, word size 8).
const V2_COMPRESSED_COOKIE: u32 = 0x1c84_9314;
/// The uncompressed V2 cookie found inside the DEFLATE stream.
const V2_COOKIE: u32 = 0x1c84_9313;
/// Bytes of the V2 header before the counts payload.
const V2_HEADER_LEN: usize = 40;
/// Inflated histograms larger than this are refused. A 3-digit histogram spanning one hour in
/// microseconds encodes in well under a megabyte; the bound stops a few bytes of DEFLATE from
/// asking for gigabytes.
const MAX_INFLATED_BYTES: u64 = 16 * 1024 * 1024;

/// The statistics [`latency_metrics`] emits, with their metric names.
pub(crate) const LATENCY_STATS: [(Stat, &str); 7] = [
    (Stat::Mean, "latency_mean"),
    (Stat::P50, "latency_p50"),
    (Stat::P90, "latency_p90"),
    (Stat::P95, "latency_p95"),
    (Stat::P99, "latency_p99"),
    (Stat::P999, "latency_p999"),
    (Stat::Max, "latency_max"),
];

/// Serializes a histogram as base64 V2 + DEFLATE, or says why it cannot be.
pub(crate) fn try_encode(h: &hdrhistogram::Histogram<u64>) -> Result<String, String> {
    let mut bytes = Vec::new();
    V2DeflateSerializer::new()
        .serialize(h, &mut bytes)
        .map_err(|e| format!("cannot serialize histogram: {e}"))?;
    Ok(STANDARD.encode(bytes))
}

/// Serializes a histogram as base64 V2 + DEFLATE.
///
/// # Panics
/// Only for a histogram with a single count above `i64::MAX`, which the V2 format cannot
/// represent and no recording reaches; use [`try_encode`] for histograms built from input.
pub fn encode(h: &hdrhistogram::Histogram<u64>) -> String {
    try_encode(h).expect("a recorded histogram always serializes")
}

/// Decodes a base64 V2 + DEFLATE histogram. The error is one line saying what is wrong.
pub fn decode(text: &str) -> Result<hdrhistogram::Histogram<u64>, String> {
    let bytes = STANDARD
        .decode(text.trim())
        .map_err(|e| format!("not valid base64: {e}"))?;
    if bytes.len() < 8 {
        return Err(format!(
            "{} bytes is too short for an HdrHistogram",
            bytes.len()
        ));
    }
    let cookie = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    if cookie != V2_COMPRESSED_COOKIE {
        return Err(format!(
            "not an HdrHistogram V2 + DEFLATE encoding (cookie {cookie:#010x})"
        ));
    }
    let compressed_len = u32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize;
    let compressed = &bytes[8..];
    if compressed_len > compressed.len() {
        return Err(format!(
            "truncated HdrHistogram: header announces {compressed_len} compressed bytes, {} present",
            compressed.len()
        ));
    }
    // Inflate here, with a bound, rather than in hdrhistogram's deserializer: it sizes its
    // buffer from the inner header before reading, so a crafted header could ask for 4 GiB.
    let mut inflated = Vec::new();
    flate2::read::ZlibDecoder::new(&compressed[..compressed_len])
        .take(MAX_INFLATED_BYTES + 1)
        .read_to_end(&mut inflated)
        .map_err(|e| format!("HdrHistogram DEFLATE stream is corrupt: {e}"))?;
    if inflated.len() as u64 > MAX_INFLATED_BYTES {
        return Err(format!(
            "HdrHistogram inflates to more than {MAX_INFLATED_BYTES} bytes"
        ));
    }
    if inflated.len() < V2_HEADER_LEN {
        return Err("HdrHistogram payload is shorter than its header".into());
    }
    let inner_cookie = u32::from_be_bytes([inflated[0], inflated[1], inflated[2], inflated[3]]);
    let payload_len =
        u32::from_be_bytes([inflated[4], inflated[5], inflated[6], inflated[7]]) as usize;
    if inner_cookie != V2_COOKIE {
        return Err(format!(
            "HdrHistogram inner cookie {inner_cookie:#010x} is not V2"
        ));
    }
    if payload_len > inflated.len() - V2_HEADER_LEN {
        return Err(format!(
            "truncated HdrHistogram: header announces {payload_len} payload bytes, {} present",
            inflated.len() - V2_HEADER_LEN
        ));
    }
    Deserializer::new()
        .deserialize(&mut inflated.as_slice())
        .map_err(|e| format!("invalid HdrHistogram: {e}"))
}

/// The factor that converts a value in `from` to `to`, when one exists (the same unit, or
/// two durations).
pub(crate) fn unit_factor(from: Unit, to: Unit) -> Option<f64> {
    if from == to {
        return Some(1.0);
    }
    Some(nanos(from)? / nanos(to)?)
}

fn nanos(unit: Unit) -> Option<f64> {
    match unit {
        Unit::Nanoseconds => Some(1.0),
        Unit::Microseconds => Some(1e3),
        Unit::Milliseconds => Some(1e6),
        Unit::Seconds => Some(1e9),
        _ => None,
    }
}

/// One statistic of a histogram, in the histogram's own unit (a count for [`Stat::Count`]).
pub fn stat_value(h: &hdrhistogram::Histogram<u64>, stat: Stat) -> f64 {
    let q = |q: f64| h.value_at_quantile(q) as f64;
    match stat {
        Stat::Min => h.min() as f64,
        Stat::Mean => h.mean(),
        Stat::P50 => q(0.50),
        Stat::P90 => q(0.90),
        Stat::P95 => q(0.95),
        Stat::P99 => q(0.99),
        Stat::P999 => q(0.999),
        Stat::Max => h.max() as f64,
        Stat::Count => h.len() as f64,
    }
}

/// The confidence level of the intervals [`with_histogram_spread`] gives percentiles.
pub(crate) const PERCENTILE_LEVEL: f64 = 0.95;

/// The quantile a percentile statistic stands for.
fn quantile_of(stat: Stat) -> Option<f64> {
    match stat {
        Stat::P50 => Some(0.50),
        Stat::P90 => Some(0.90),
        Stat::P95 => Some(0.95),
        Stat::P99 => Some(0.99),
        Stat::P999 => Some(0.999),
        _ => None,
    }
}

/// The distribution-free interval of the `q` quantile of the `n` values in `h`: the order
/// statistics at ranks `nq ± z·sqrt(nq(1-q))` (the normal approximation of the binomial),
/// widened to the histogram's bucket edges. In the histogram's unit.
pub(crate) fn quantile_interval(
    h: &hdrhistogram::Histogram<u64>,
    q: f64,
    level: f64,
) -> (f64, f64) {
    let n = h.len() as f64;
    // The standard normal quantile of (1 + level) / 2.
    let z = std::f64::consts::SQRT_2 * statrs::function::erf::erf_inv(level);
    let half = z * (q * (1.0 - q) / n.max(1.0)).sqrt();
    let lo = h.value_at_quantile((q - half).max(0.0));
    let hi = h.value_at_quantile((q + half).min(1.0));
    (
        h.lowest_equivalent(lo) as f64,
        h.highest_equivalent(hi) as f64,
    )
}

/// `run` with the spread its histograms give every metric computed from one that carries
/// none: a percentile gets [`quantile_interval`] at [`PERCENTILE_LEVEL`], a mean the
/// histogram's standard deviation over its count, in the metric's unit. So a suite's
/// latency percentiles and means are tested against noise instead of taken at face value,
/// committed baselines included. A histogram that does not decode leaves its metrics as
/// they are (validation reports it).
pub(crate) fn with_histogram_spread(run: &Run) -> std::borrow::Cow<'_, Run> {
    use std::borrow::Cow;
    let wanted = |m: &Metric| {
        let quantile = m.stat.and_then(quantile_of).is_some();
        let mean = m.stat == Some(Stat::Mean) && m.std_dev.is_none() && m.samples.is_none();
        m.histogram.is_some() && m.ci.is_none() && (quantile || mean)
    };
    if !run.metrics.iter().any(wanted) {
        return Cow::Borrowed(run);
    }
    let mut decoded = std::collections::HashMap::new();
    let mut out = run.clone();
    for m in out.metrics.iter_mut().filter(|m| wanted(m)) {
        let Some(id) = m.histogram.as_deref() else {
            continue;
        };
        let h = decoded.entry(id.to_string()).or_insert_with(|| {
            let stored = run.histograms.iter().find(|h| h.id == id)?;
            Some((stored.unit, decode(&stored.hdr).ok()?))
        });
        let Some((unit, h)) = h else { continue };
        let Some(f) = unit_factor(*unit, m.unit) else {
            continue;
        };
        match m.stat.and_then(quantile_of) {
            Some(q) => {
                let (lo, hi) = quantile_interval(h, q, PERCENTILE_LEVEL);
                // The interval must hold the value the suite wrote (the same histogram's
                // quantile).
                m.ci = Some(Interval {
                    lower: (lo * f).min(m.value),
                    upper: (hi * f).max(m.value),
                    level: PERCENTILE_LEVEL,
                });
            }
            None => {
                m.std_dev = Some(h.stdev() * f);
                m.sample_count = Some(h.len());
            }
        }
    }
    Cow::Owned(out)
}

/// The value of a metric computed from a histogram recorded in `hist_unit`, expressed in
/// `metric_unit`. `None` when the units do not convert (a count is always a count).
pub(crate) fn metric_value(
    h: &hdrhistogram::Histogram<u64>,
    stat: Stat,
    hist_unit: Unit,
    metric_unit: Unit,
) -> Option<f64> {
    if stat == Stat::Count {
        return (metric_unit == Unit::Count).then(|| stat_value(h, stat));
    }
    Some(stat_value(h, stat) * unit_factor(hist_unit, metric_unit)?)
}

/// The standard latency metrics of one benchmark, derived from its histogram of values in
/// `unit`: mean, p50, p90, p95, p99, p99.9 and max (lower is better), each pointing at the
/// returned histogram (id `suite/benchmark/latency`) so runs merge exactly.
pub fn latency_metrics(
    suite: &str,
    benchmark: &str,
    h: &hdrhistogram::Histogram<u64>,
    unit: Unit,
) -> (Vec<Metric>, schema::Histogram) {
    let id = format!("{suite}/{benchmark}/latency");
    let metrics = LATENCY_STATS
        .iter()
        .map(|&(stat, name)| {
            let mut m = Metric::new(
                suite,
                benchmark,
                name,
                unit,
                Direction::LowerIsBetter,
                stat_value(h, stat),
            );
            m.stat = Some(stat);
            m.histogram = Some(id.clone());
            m.sample_count = Some(h.len());
            if stat == Stat::Mean {
                m.std_dev = Some(h.stdev());
            }
            m
        })
        .collect();
    let hist = schema::Histogram {
        id,
        unit,
        hdr: encode(h),
    };
    (metrics, hist)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> hdrhistogram::Histogram<u64> {
        let mut h = hdrhistogram::Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap();
        for v in 1..=1000u64 {
            h.record(v * 10).unwrap();
        }
        h
    }

    #[test]
    fn percentiles_get_their_order_statistics_and_means_their_standard_deviation() {
        // 1,000 values 10, 20, …, 10,000: the p50 is 5,000; at 95% its ranks are
        // 500 ± 1.96·sqrt(250) ≈ 469 to 531, so about 4,690 to 5,310.
        let (lo, hi) = quantile_interval(&sample(), 0.5, 0.95);
        assert!((4_680.0..=4_700.0).contains(&lo), "{lo}");
        assert!((5_300.0..=5_320.0).contains(&hi), "{hi}");
        // More values, a narrower interval.
        let mut big = sample();
        for _ in 0..99 {
            big.add(sample()).unwrap();
        }
        let (blo, bhi) = quantile_interval(&big, 0.5, 0.95);
        assert!(bhi - blo < (hi - lo) / 5.0, "{blo}..{bhi}");

        let (metrics, hist) = latency_metrics("s", "b", &sample(), Unit::Microseconds);
        let mut run = Run::new(crate::results::Environment::detect(
            crate::profile::Profile::Smoke,
        ));
        run.metrics = metrics;
        run.histograms.push(hist);
        let with = with_histogram_spread(&run);
        for m in &with.metrics {
            let expect = m.stat.and_then(quantile_of).is_some();
            assert_eq!(m.ci.is_some(), expect, "{}", m.metric);
            // The mean carries the values' standard deviation (10 … 10,000 evenly: about
            // 2,887) over all 1,000 of them; the maximum is one value and carries nothing.
            let mean = m.stat == Some(Stat::Mean);
            assert_eq!(m.std_dev.is_some(), mean, "{}", m.metric);
            if mean {
                let sd = m.std_dev.unwrap();
                assert!((2_850.0..=2_920.0).contains(&sd), "{sd}");
                assert_eq!(m.sample_count, Some(1000));
            }
            if let Some(ci) = &m.ci {
                assert!(
                    ci.lower <= m.value && m.value <= ci.upper,
                    "{ci:?} {}",
                    m.value
                );
            }
        }
    }

    #[test]
    fn encode_decode_round_trips() {
        let h = sample();
        let back = decode(&encode(&h)).unwrap();
        assert_eq!(back, h);
        assert_eq!(back.len(), 1000);
    }

    #[test]
    fn decode_rejects_garbage_with_a_reason() {
        assert!(decode("!!!").unwrap_err().contains("base64"));
        assert!(decode("AAAA").unwrap_err().contains("too short"));
        assert!(decode("AAAAAAAAAAAA").unwrap_err().contains("cookie"));
        // A valid encoding cut in half: the DEFLATE length no longer fits.
        let full = STANDARD.decode(encode(&sample())).unwrap();
        let cut = STANDARD.encode(&full[..full.len() / 2]);
        assert!(decode(&cut).unwrap_err().contains("truncated"));
    }

    #[test]
    fn latency_metrics_point_at_their_histogram() {
        let h = sample();
        let (metrics, hist) = latency_metrics("s", "b", &h, Unit::Microseconds);
        assert_eq!(metrics.len(), 7);
        assert_eq!(hist.id, "s/b/latency");
        for m in &metrics {
            assert_eq!(m.histogram.as_deref(), Some("s/b/latency"));
            assert_eq!(m.sample_count, Some(1000));
            assert_eq!(m.direction, Direction::LowerIsBetter);
        }
        let p99 = metrics.iter().find(|m| m.metric == "latency_p99").unwrap();
        assert_eq!(p99.value, h.value_at_quantile(0.99) as f64);
        let max = metrics.iter().find(|m| m.metric == "latency_max").unwrap();
        assert_eq!(max.value, h.max() as f64);
    }

    #[test]
    fn units_convert_between_durations_only() {
        assert_eq!(
            unit_factor(Unit::Microseconds, Unit::Milliseconds),
            Some(1e-3)
        );
        assert_eq!(unit_factor(Unit::Seconds, Unit::Nanoseconds), Some(1e9));
        assert_eq!(unit_factor(Unit::Microseconds, Unit::OpsPerSecond), None);
        assert_eq!(unit_factor(Unit::Bytes, Unit::Bytes), Some(1.0));
    }
}
