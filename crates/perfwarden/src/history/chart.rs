//! A metric's trend as a Mermaid `xychart-beta` block, which GitHub renders in comments.
//!
//! The text is built only from the trend's data, deterministically, so it is tested as
//! exact text. Metric names come from untrusted PR code: everything quoted is stripped of
//! quotes, backticks, angle brackets and control characters, so nothing can close the
//! string or the fence, or be taken for HTML.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use super::Trend;

/// Characters of a metric id kept in a chart title.
const MAX_TITLE_METRIC_CHARS: usize = 80;

/// The trend as a fenced ```` ```mermaid ```` block, newline-terminated; empty when the trend
/// has no point. The x axis is the run date (`MM-DD`, or `MM-DD HH:MM` where a day has
/// several runs), the y axis the metric's unit over a range padded around the values.
pub fn trend_chart(trend: &Trend) -> String {
    if trend.points.is_empty() {
        return String::new();
    }
    let values: Vec<f64> = trend.points.iter().map(|p| p.value).collect();
    let scale = Scale::around(&values);
    let n = trend.points.len();
    let runs = if n == 1 { "run" } else { "runs" };
    let labels: Vec<String> = x_labels(trend.points.iter().map(|p| p.timestamp.as_str()))
        .into_iter()
        .map(|l| format!("\"{}\"", clean(&l)))
        .collect();
    let data: Vec<String> = values.iter().map(|&v| scale.data(v)).collect();

    let mut out = String::new();
    out.push_str("```mermaid\nxychart-beta\n");
    let _ = writeln!(
        out,
        "    title \"{} ({}), last {n} {runs}\"",
        title_metric(&trend.metric),
        trend.unit
    );
    let _ = writeln!(out, "    x-axis [{}]", labels.join(", "));
    let _ = writeln!(
        out,
        "    y-axis \"{}\" {} --> {}",
        trend.unit,
        scale.axis(scale.lo),
        scale.axis(scale.hi)
    );
    let _ = writeln!(out, "    line [{}]", data.join(", "));
    out.push_str("```\n");
    out
}

/// The y range and the precision values are printed with, from the values' spread: one
/// digit finer than a tenth of the range on the axis, one more for the data.
struct Scale {
    lo: f64,
    hi: f64,
    /// Decimal exponent of the axis step.
    exp: i32,
}

impl Scale {
    fn around(values: &[f64]) -> Scale {
        let min = values.iter().copied().fold(f64::INFINITY, f64::min);
        let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        // A flat line still gets a visible range: a fifth of its value, or 1 around zero.
        let span = if max > min {
            max - min
        } else if max > 0.0 {
            max * 0.2
        } else {
            1.0
        };
        let pad = span * 0.1;
        let exp = (span + 2.0 * pad).log10().floor() as i32 - 1;
        let step = 10f64.powi(exp);
        // The epsilon keeps 9.8 / 0.1 = 97.99999... from flooring a whole step too far.
        let lo = ((min - pad) / step + 1e-9).floor() * step;
        let hi = ((max + pad) / step - 1e-9).ceil() * step;
        Scale {
            lo: if lo > 0.0 { lo } else { 0.0 },
            hi,
            exp,
        }
    }

    fn axis(&self, v: f64) -> String {
        fixed(v, (-self.exp).max(0) as usize)
    }

    fn data(&self, v: f64) -> String {
        fixed(v, (1 - self.exp).max(0) as usize)
    }
}

/// `v` with `decimals` digits after the point, trailing zeros dropped.
fn fixed(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if s == "-0" { "0".into() } else { s }
}

/// Day labels, with the time of day added to all of them when two runs share a day.
fn x_labels<'a>(timestamps: impl Iterator<Item = &'a str>) -> Vec<String> {
    let times: Vec<Option<DateTime<Utc>>> = timestamps
        .map(|t| {
            DateTime::parse_from_rfc3339(t)
                .ok()
                .map(|d| d.with_timezone(&Utc))
        })
        .collect();
    let label = |fmt: &str| -> Vec<String> {
        times
            .iter()
            .enumerate()
            .map(|(i, t)| t.map_or_else(|| format!("#{}", i + 1), |t| t.format(fmt).to_string()))
            .collect()
    };
    let days = label("%m-%d");
    let mut sorted = days.clone();
    sorted.sort();
    sorted.dedup();
    if sorted.len() == days.len() {
        days
    } else {
        label("%m-%d %H:%M")
    }
}

fn title_metric(metric: &str) -> String {
    let cleaned = clean(metric);
    if cleaned.chars().count() <= MAX_TITLE_METRIC_CHARS {
        return cleaned;
    }
    let head: String = cleaned.chars().take(MAX_TITLE_METRIC_CHARS - 1).collect();
    format!("{head}…")
}

/// Text safe inside a Mermaid double-quoted string inside a Markdown fence.
fn clean(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control())
        .map(|c| match c {
            '"' | '`' => '\'',
            '<' => '‹',
            '>' => '›',
            c => c,
        })
        .collect()
}
