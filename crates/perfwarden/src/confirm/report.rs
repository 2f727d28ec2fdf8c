//! The confirmation as a Markdown section, appended to the gate's report.

use std::fmt::Write;

use super::{ConfirmReport, Status};

pub fn markdown(r: &ConfirmReport) -> String {
    if r.confirmations.is_empty() {
        return String::new();
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n### Confirmation against the baseline commit\n\nEach flagged metric re-measured in {} \
         alternating rounds (baseline, current) at commit `{}`; confirmed when at least 80% of \
         the paired ratios are beyond the threshold in the worse direction, drift otherwise.\n",
        r.rounds,
        r.baseline_commit
            .as_deref()
            .unwrap_or("unknown")
            .replace('`', "'")
    );
    out.push_str(
        "| metric | verdict | confirmation | paired change | pairs beyond the threshold |\n",
    );
    out.push_str("|---|---|---|---:|---:|\n");
    for c in &r.confirmations {
        let what = match &c.status {
            Status::Unconfirmed { reason } => format!("unconfirmed: {}", clean(reason)),
            s => s.as_str().to_string(),
        };
        let (change, beyond) = match &c.paired {
            Some(p) => (
                format!("{:+.1}%", p.paired_change * 100.0),
                format!("{}/{} (need {})", p.beyond, p.worse_ratios.len(), p.needed),
            ),
            None => ("-".into(), "-".into()),
        };
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} |",
            clean(&c.id),
            c.verdict.as_str(),
            what,
            change,
            beyond
        );
    }
    out
}

/// Untrusted text in a table cell: no pipes, backticks, angle brackets or line breaks.
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '|' | '`' | '<' | '>' => '_',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect()
}
