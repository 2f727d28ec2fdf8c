//! The suite's registration (name and charts) and its printing helpers; its metrics go
//! through the shared [`Recorder`](crate::record::Recorder).

use crate::load::LatencyHistogram;
use crate::suite::{Suite, no_charts};

/// The suite's name in results; the report draws only its baseline comparison.
pub const SUITE: Suite = Suite::new("redis_cache", no_charts);

/// One progress line on stderr.
pub(crate) fn say(line: &str) {
    SUITE.say(line);
}

/// A latency in ms for printing, from µs.
pub(crate) fn ms(hist: &LatencyHistogram, q: f64) -> f64 {
    hist.quantile_us(q) as f64 / 1000.0
}
