//! The short plain-text summary the CLI prints on a terminal: the verdict, then one line per
//! failing metric (the worst first), then the warnings.

use super::format;
use crate::gate::{Comparison, MetricComparison};

/// At most this many metric lines; the rest are counted.
const MAX_LINES: usize = 20;

/// The summary, newline-terminated.
pub fn render(c: &Comparison) -> String {
    let t = &c.totals;
    let mut out = String::new();
    let head = if c.passed() { "passed" } else { "FAILED" };
    out.push_str(&format!(
        "perfwarden: {head}: {} metrics: {} critical, {} regression(s), {} broken budget(s), \
         {} improvement(s), {} inconclusive, {} stable, {} new, {} missing\n",
        t.metrics,
        t.critical,
        t.regression,
        t.budget_broken,
        t.improvement,
        t.inconclusive,
        t.stable,
        t.new,
        t.missing
    ));
    let mut failing: Vec<&MetricComparison> = c.metrics.iter().filter(|m| m.fails).collect();
    failing.sort_by_key(|m| m.verdict);
    for m in failing.iter().take(MAX_LINES) {
        out.push_str(&format!("  {:<14} {}\n", m.verdict.as_str(), line(m)));
    }
    if failing.len() > MAX_LINES {
        out.push_str(&format!(
            "  … and {} more failing\n",
            failing.len() - MAX_LINES
        ));
    }
    for w in &c.warnings {
        out.push_str(&format!("  warning: {}\n", one_line(w)));
    }
    out
}

fn line(m: &MetricComparison) -> String {
    let values = match (&m.baseline, &m.current) {
        (Some(b), Some(c)) => format!(
            "{} -> {}",
            format::value(b.value, m.unit),
            format::value(c.value, m.unit)
        ),
        (Some(b), None) => format!("baseline {}", format::value(b.value, m.unit)),
        (None, Some(c)) => format::value(c.value, m.unit),
        (None, None) => String::new(),
    };
    let budgets: String = m
        .budgets
        .iter()
        .filter(|b| b.broken)
        .map(|b| {
            let limit = match (b.min, b.max) {
                (Some(lo), Some(hi)) => format!(
                    "{} to {}",
                    format::value(lo, b.unit),
                    format::value(hi, b.unit)
                ),
                (Some(lo), None) => format!(">= {}", format::value(lo, b.unit)),
                (None, Some(hi)) => format!("<= {}", format::value(hi, b.unit)),
                (None, None) => String::new(),
            };
            format!("; budget {limit} broken")
        })
        .collect();
    one_line(&format!("{}  {values}: {}{budgets}", m.id, m.reason))
}

/// Untrusted names must not break the terminal's lines or inject escape sequences.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}
