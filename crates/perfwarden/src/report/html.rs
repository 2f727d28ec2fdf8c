//! The HTML report: one self-contained page (inline CSS, inline SVG charts drawn with
//! plotters, no script, no font or image from anywhere): the verdict and the metrics that
//! fail the gate first, then per suite the charts people read at a glance and the verdicts. [`render_html`] is pure; the command does the
//! I/O. Every name on the page comes from results files that PR code writes, so every one
//! is escaped ([`esc`]); plotters escapes the text it draws into the SVG itself.

mod charts;

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::gate::{Comparison, MetricComparison, Verdict};
use crate::results::Run;

pub(crate) use charts::{draw, intervals};

/// Escapes text for HTML element content and quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

const CSS: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px;color:#1b1f24;background:#fff}\
h1{font-size:22px}h2{font-size:18px;border-bottom:1px solid #d0d7de;padding-bottom:4px;margin-top:32px}\
h3{font-size:15px}table{border-collapse:collapse;font-size:13px;margin:8px 0}\
td,th{border:1px solid #d0d7de;padding:3px 8px;text-align:left;vertical-align:top}\
td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f6f8fa}\
.v-critical,.v-regression,.v-budget_broken{background:#ffebe9;color:#82071e;font-weight:600}\
.v-improvement{background:#dafbe1;color:#116329}.v-inconclusive,.v-missing{background:#fff8c5}\
.pass{color:#116329}.fail{color:#82071e}.chart svg{max-width:100%;height:auto}\
.muted{color:#57606a;font-size:13px}";

/// The report page for `comparison` of `current` against its baseline.
pub fn render_html(comparison: &Comparison, current: &Run) -> String {
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    // No network, no script: the page is only what this file holds.
    out.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">");
    let _ = write!(
        out,
        "<title>perfwarden report</title><style>{CSS}</style></head><body>"
    );
    summary(&mut out, comparison);
    // What failed comes first, before any chart: that is what the reader opened the page for.
    failing(&mut out, comparison);
    findings(
        &mut out,
        &super::findings::findings(current, Some(comparison)),
    );
    let suites: BTreeSet<&str> = current
        .metrics
        .iter()
        .map(|m| m.suite.as_str())
        .chain(comparison.metrics.iter().map(|m| m.suite.as_str()))
        .collect();
    for suite in suites {
        let _ = write!(out, "<section><h2>{}</h2>", esc(suite));
        for (title, svg) in suite_charts(suite, current) {
            let _ = write!(
                out,
                "<h3>{}</h3><div class=\"chart\">{svg}</div>",
                esc(&title)
            );
        }
        let rows: Vec<&MetricComparison> = comparison
            .metrics
            .iter()
            .filter(|m| m.suite == suite)
            .collect();
        if let Some(svg) = intervals(&rows) {
            out.push_str(
                "<h3>Baseline vs current (value relative to the baseline, with intervals)</h3>",
            );
            let _ = write!(out, "<div class=\"chart\">{svg}</div>");
        }
        verdict_table(&mut out, &rows);
        out.push_str("</section>");
    }
    out.push_str("</body></html>\n");
    out
}

/// What the numbers say about where the run's limits are, before the charts.
fn findings(out: &mut String, found: &[super::findings::Finding]) {
    if found.is_empty() {
        return;
    }
    let _ = write!(out, "<section><h2>Findings ({})</h2><ul>", found.len());
    for f in found {
        let _ = write!(
            out,
            "<li><code>{}</code>: {}</li>",
            esc(&f.subject),
            esc(&f.text)
        );
    }
    out.push_str("</ul></section>");
}

/// The charts the suite asked for in its results (its status's `charts`), drawn from its
/// metrics; a suite that named none (or wrote no status) gets none.
fn suite_charts(suite: &str, current: &Run) -> Vec<(String, String)> {
    current
        .suites
        .iter()
        .filter(|s| s.suite == suite)
        .flat_map(|s| &s.charts)
        .flat_map(|chart| draw(chart, suite, current))
        .collect()
}

fn summary(out: &mut String, c: &Comparison) {
    let t = &c.totals;
    let (class, word) = if c.passed() {
        ("pass", "passed")
    } else {
        ("fail", "failed")
    };
    let _ = write!(
        out,
        "<h1>perfwarden report: <span class=\"{class}\">{word}</span></h1><p class=\"muted\">\
         baseline {} ({}), current {} ({}); {} metrics: {} critical, {} regressions, \
         {} broken budgets, {} missing, {} inconclusive, {} new, {} improvements, {} stable</p>",
        esc(c.baseline.git_commit.as_deref().unwrap_or("unknown commit")),
        esc(&c.baseline.machine_class),
        esc(c.current.git_commit.as_deref().unwrap_or("unknown commit")),
        esc(&c.current.machine_class),
        t.metrics,
        t.critical,
        t.regression,
        t.budget_broken,
        t.missing,
        t.inconclusive,
        t.new,
        t.improvement,
        t.stable
    );
    for w in &c.warnings {
        let _ = write!(out, "<p class=\"muted\">warning: {}</p>", esc(w));
    }
}

/// The metrics that fail the gate (regressions and broken budgets), baseline against
/// current with their intervals, across all suites.
fn failing(out: &mut String, c: &Comparison) {
    let mut rows: Vec<&MetricComparison> = c.metrics.iter().filter(|m| m.fails).collect();
    if rows.is_empty() {
        return;
    }
    rows.sort_by(|a, b| a.verdict.cmp(&b.verdict).then(a.id.cmp(&b.id)));
    out.push_str(
        "<section><h2>What fails the gate</h2><table><tr><th>metric</th><th>baseline</th>\
         <th>current</th><th>change</th><th>threshold</th><th>verdict</th><th>why</th></tr>",
    );
    for m in rows {
        let change = match (m.change, m.change_interval) {
            (Some(c), Some([lo, hi])) => format!(
                "{:+.1}% [{:+.1}%, {:+.1}%]",
                c * 100.0,
                lo * 100.0,
                hi * 100.0
            ),
            (Some(c), None) => format!("{:+.1}%", c * 100.0),
            _ => "-".into(),
        };
        let _ = write!(
            out,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{:.1}%</td><td class=\"v-{}\">{}</td><td>{}</td></tr>",
            esc(&m.id),
            esc(&observed(&m.baseline, m)),
            esc(&observed(&m.current, m)),
            esc(&change),
            m.threshold * 100.0,
            m.verdict.as_str(),
            verdict_word(m.verdict),
            esc(&m.reason)
        );
    }
    out.push_str("</table></section>");
}

/// A value with its unit and, where known, its interval: `12.30 ms [11.90, 12.70]`.
fn observed(o: &Option<crate::gate::Observed>, m: &MetricComparison) -> String {
    let Some(o) = o else {
        return "-".into();
    };
    match &o.ci {
        Some(ci) => format!(
            "{} {} [{}, {}]",
            num(o.value),
            m.unit,
            num(ci.lower),
            num(ci.upper)
        ),
        None => format!("{} {}", num(o.value), m.unit),
    }
}

fn verdict_table(out: &mut String, rows: &[&MetricComparison]) {
    if rows.is_empty() {
        return;
    }
    out.push_str(
        "<h3>Verdicts</h3><table><tr><th>metric</th><th>baseline</th><th>current</th>\
                  <th>change</th><th>threshold</th><th>verdict</th><th>why</th></tr>",
    );
    let mut sorted: Vec<&&MetricComparison> = rows.iter().collect();
    sorted.sort_by(|a, b| a.verdict.cmp(&b.verdict).then(a.id.cmp(&b.id)));
    for m in sorted {
        let value = |o: &Option<crate::gate::Observed>| {
            o.as_ref()
                .map_or("-".to_string(), |o| format!("{} {}", num(o.value), m.unit))
        };
        let _ = write!(
            out,
            "<tr><td>{}/{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{:.1}%</td><td class=\"v-{}\">{}</td><td>{}</td></tr>",
            esc(&m.benchmark),
            esc(&m.metric),
            esc(&value(&m.baseline)),
            esc(&value(&m.current)),
            m.change
                .map_or("-".into(), |c| format!("{:+.1}%", c * 100.0)),
            m.threshold * 100.0,
            m.verdict.as_str(),
            verdict_word(m.verdict),
            esc(&m.reason)
        );
    }
    out.push_str("</table>");
}

fn verdict_word(v: Verdict) -> &'static str {
    v.words(1)
}

/// Four significant digits.
pub(crate) fn num(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let digits = (3 - v.abs().log10().floor() as i32).max(0) as usize;
    format!("{v:.digits$}")
}
