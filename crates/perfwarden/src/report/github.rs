//! GitHub Actions workflow commands: `::error`/`::warning` annotations for what failed or
//! needs a look. Pure: the CLI prints them and appends the Markdown to the step summary.

use std::fmt;

use super::format;
use crate::gate::{Comparison, MetricComparison, Verdict};

/// GitHub shows at most 10 annotations of each level per step; more are noise in the log.
pub(crate) const MAX_PER_LEVEL: usize = 10;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Level {
    Error,
    Warning,
}

/// One workflow command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Annotation {
    pub(crate) level: Level,
    pub(crate) title: String,
    pub(crate) message: String,
}

impl fmt::Display for Annotation {
    /// `::error title=<title>::<message>`, escaped as GitHub's toolkit escapes them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.level {
            Level::Error => "error",
            Level::Warning => "warning",
        };
        write!(
            f,
            "::{level} title={}::{}",
            escape_property(&self.title),
            escape_data(&self.message)
        )
    }
}

/// Escapes a command's message: `%`, CR and LF.
pub(crate) fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a command's property value: as data, plus `:` and `,` which delimit properties.
pub(crate) fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Errors for what fails the gate, warnings for the rest a reader should see; at most
/// [`MAX_PER_LEVEL`] of each, the worst first, then one line counting the others.
pub fn annotations(c: &Comparison) -> Vec<Annotation> {
    let mut errors: Vec<&MetricComparison> = c.metrics.iter().filter(|m| m.fails).collect();
    errors.sort_by_key(|m| m.verdict);
    let mut warns: Vec<&MetricComparison> = c
        .metrics
        .iter()
        .filter(|m| {
            !m.fails
                && matches!(
                    m.relative,
                    Verdict::Critical
                        | Verdict::Regression
                        | Verdict::Missing
                        | Verdict::Inconclusive
                )
        })
        .collect();
    warns.sort_by_key(|m| m.relative);

    let mut out = Vec::new();
    for m in errors.iter().take(MAX_PER_LEVEL) {
        out.push(metric_annotation(Level::Error, m));
    }
    if errors.len() > MAX_PER_LEVEL {
        out.push(Annotation {
            level: Level::Error,
            title: "perfwarden".into(),
            message: format!(
                "{} more failing metrics: see the step summary",
                errors.len() - MAX_PER_LEVEL
            ),
        });
    }
    let general = c.warnings.iter().map(|w| Annotation {
        level: Level::Warning,
        title: "perfwarden".into(),
        message: w.clone(),
    });
    let metric_warnings = warns.iter().map(|m| metric_annotation(Level::Warning, m));
    let all_warnings: Vec<Annotation> = general.chain(metric_warnings).collect();
    let n = all_warnings.len();
    out.extend(all_warnings.into_iter().take(MAX_PER_LEVEL));
    if n > MAX_PER_LEVEL {
        out.push(Annotation {
            level: Level::Warning,
            title: "perfwarden".into(),
            message: format!("{} more warnings: see the step summary", n - MAX_PER_LEVEL),
        });
    }
    out
}

fn metric_annotation(level: Level, m: &MetricComparison) -> Annotation {
    let what = match m.verdict {
        Verdict::Critical => "critical regression",
        Verdict::Regression => "regression",
        Verdict::BudgetBroken => "broken budget",
        Verdict::Missing => "missing metric",
        Verdict::Inconclusive => "inconclusive change",
        Verdict::New => "new metric",
        Verdict::Improvement => "improvement",
        Verdict::Stable => "stable",
    };
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
    let mut message = format!("{}: {values}; {}", m.id, m.reason);
    for b in m.budgets.iter().filter(|b| b.broken) {
        let limit = match (b.min, b.max) {
            (Some(lo), _) if b.value < lo => format!("at least {}", format::value(lo, b.unit)),
            (_, Some(hi)) => format!("at most {}", format::value(hi, b.unit)),
            _ => String::new(),
        };
        message.push_str(&format!(
            "; budget {} broken: {} should be {limit}",
            b.pattern,
            format::value(b.value, b.unit)
        ));
    }
    Annotation {
        level,
        title: format!("perfwarden: {what}"),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_escaped_as_github_requires() {
        let a = Annotation {
            level: Level::Error,
            title: "a: b, c%".into(),
            message: "100% slower\r\nsecond line: yes, really".into(),
        };
        assert_eq!(
            a.to_string(),
            "::error title=a%3A b%2C c%25::100%25 slower%0D%0Asecond line: yes, really"
        );
    }
}
