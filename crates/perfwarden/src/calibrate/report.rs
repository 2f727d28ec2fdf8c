//! The calibration as Markdown: one row per metric, the goals beside the measurements.

use std::fmt::Write;

use super::analysis::{Calibration, MetricCalibration, Rate};

/// `12.3%`, or `-` for none.
fn pct(f: Option<f64>) -> String {
    f.map_or_else(|| "-".into(), |f| format!("{:.1}%", f * 100.0))
}

/// `3/380 (0.8%)`.
fn rate(r: Option<Rate>) -> String {
    match r {
        Some(r) if r.pairs > 0 => format!("{}/{} ({})", r.alarms, r.pairs, pct(r.rate())),
        _ => "-".into(),
    }
}

/// A value with four significant digits, whatever its magnitude.
fn num(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let digits = (3 - v.abs().log10().floor() as i32).max(0) as usize;
    format!("{v:.digits$}")
}

/// What the metric's numbers say against the goals, in a few words.
pub(crate) fn status(m: &MetricCalibration, c: &Calibration) -> String {
    let mut notes = Vec::new();
    if let Some(cv) = m.spread.cv
        && super::floor::varies_like_other_code(&m.id, cv)
    {
        notes.push("instruction counts vary: the runs measured different code".into());
    }
    if m.too_noisy {
        notes.push(format!(
            "too noisy at {}: needs {}",
            pct(Some(m.threshold)),
            pct(m.needed_threshold)
        ));
    }
    let floor_fa = m.false_alarms_with_noise.rate();
    if floor_fa.is_some_and(|r| r > c.false_alarm_budget) {
        notes.push("over budget even with the noise floor".into());
    }
    if let Some(d) = m.detections_with_noise.and_then(|d| d.rate())
        && d < c.detection_goal
    {
        notes.push(format!(
            "misses injected slowdowns ({} caught)",
            pct(Some(d))
        ));
    }
    if notes.is_empty() {
        "meets the goal".into()
    } else {
        notes.join("; ")
    }
}

pub(crate) fn render(c: &Calibration) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## Calibration: {} unchanged runs{}\n",
        c.unchanged_runs,
        match c.injected_slowdown {
            Some(f) => format!(
                ", {} runs with a {} injected slowdown",
                c.injected_runs,
                pct(Some(f))
            ),
            None => String::new(),
        }
    );
    let _ = writeln!(
        out,
        "False alarms: ordered pairs of unchanged runs the gate called a regression (goal ≤ {}). \
         Detected: injected runs against unchanged ones the gate flagged (goal ≥ {}). \
         \"+ floor\": with the calibrated noise floor ({} × CV) in the baseline.\n",
        pct(Some(c.false_alarm_budget)),
        pct(Some(c.detection_goal)),
        c.noise_factor
    );
    out.push_str(
        "| metric | CV | min | median | max | threshold | false alarms | + floor | injected change | detected | + floor | needed threshold | status |\n",
    );
    out.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
    for m in &c.metrics {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            m.id.replace('|', "\\|"),
            pct(m.spread.cv),
            num(m.spread.min),
            num(m.spread.median),
            num(m.spread.max),
            pct(Some(m.threshold)),
            rate(Some(m.false_alarms)),
            rate(Some(m.false_alarms_with_noise)),
            pct(m.injected_change),
            rate(m.detections),
            rate(m.detections_with_noise),
            pct(m.needed_threshold),
            status(m, c),
        );
    }
    out
}
