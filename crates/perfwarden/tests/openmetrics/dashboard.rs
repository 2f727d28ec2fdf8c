//! The Grafana dashboard in `deploy/grafana/perfwarden.json`: the panels the README promises
//! (latency percentiles, throughput, verdicts per run), and queries that select series the
//! exposition really has, so a renamed family cannot leave a panel silently empty.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{Context, Result, ensure};
use serde_json::Value;

use super::*;

fn dashboard() -> Result<Value> {
    let path = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../deploy/grafana/perfwarden.json"
    ));
    let text = std::fs::read_to_string(path).with_context(|| path.display().to_string())?;
    Ok(serde_json::from_str(&text)?)
}

fn panels(d: &Value) -> Vec<&Value> {
    d["panels"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

fn panel_exprs(p: &Value) -> Vec<String> {
    p["targets"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["expr"].as_str().map(str::to_string))
        .collect()
}

/// Every PromQL expression of the dashboard: panels' and template variables' queries.
pub fn exprs() -> Result<Vec<String>> {
    let d = dashboard()?;
    let mut all: Vec<String> = panels(&d).into_iter().flat_map(panel_exprs).collect();
    for v in d["templating"]["list"].as_array().into_iter().flatten() {
        if let Some(q) = v["query"]["query"].as_str() {
            // label_values(<selector>, <label>): the selector is PromQL.
            let inner = q
                .trim_start_matches("label_values(")
                .rsplit_once(',')
                .map(|(s, _)| s);
            all.extend(inner.map(str::to_string));
        }
    }
    Ok(all)
}

/// The panel whose title starts with `title`.
fn panel<'a>(d: &'a Value, title: &str) -> Result<&'a Value> {
    panels(d)
        .into_iter()
        .find(|p| p["title"].as_str().is_some_and(|t| t.starts_with(title)))
        .with_context(|| format!("no panel titled {title:?}"))
}

#[test]
fn the_promised_panels_are_there_with_their_units() -> Result<()> {
    let d = dashboard()?;
    let latency = panel(&d, "Latency percentiles")?;
    ensure!(latency["fieldConfig"]["defaults"]["unit"] == "s");
    let exprs = panel_exprs(latency).join("\n");
    for p in ["p50", "p95", "p99"] {
        ensure!(
            exprs.contains(&format!("_{p}_seconds")),
            "latency panel lacks {p}"
        );
    }
    let throughput = panel(&d, "Throughput")?;
    ensure!(throughput["fieldConfig"]["defaults"]["unit"] == "ops");
    let verdicts = panel(&d, "Verdicts per run")?;
    ensure!(
        panel_exprs(verdicts)
            .iter()
            .any(|e| e.contains("perfwarden_gate_metrics") && e.contains("commit"))
    );
    panel(&d, "Gate passed")?;
    // Panel ids are unique (Grafana keys its state by them).
    let ids: BTreeSet<u64> = panels(&d).iter().filter_map(|p| p["id"].as_u64()).collect();
    ensure!(ids.len() == panels(&d).len());
    Ok(())
}

#[test]
fn every_query_selects_series_of_the_exposition() -> Result<()> {
    let text = sample_text();
    let names: BTreeSet<&str> = samples(&text)
        .filter_map(|l| l.split(['{', ' ']).next())
        .collect();
    let literal = regex::Regex::new(r"perfwarden_[a-z0-9_]+")?;
    let by_name = regex::Regex::new(r#"__name__=~"([^"]+)""#)?;
    for expr in exprs()? {
        let mut wanted = 0;
        for m in literal.find_iter(&expr) {
            // A name inside a __name__ regex is checked as a regex below.
            if expr[..m.start()].ends_with("=~\"") {
                continue;
            }
            wanted += 1;
            ensure!(
                names.contains(m.as_str()),
                "{expr}: no series named {}",
                m.as_str()
            );
        }
        for c in by_name.captures_iter(&expr) {
            wanted += 1;
            // PromQL regexes are anchored at both ends.
            let re = regex::Regex::new(&format!("^(?:{})$", &c[1]))?;
            ensure!(
                names.iter().any(|n| re.is_match(n)),
                "{expr}: {} matches no series",
                &c[1]
            );
        }
        ensure!(wanted > 0, "{expr}: selects no perfwarden series");
        // Every label the query filters on exists in the exposition.
        for label in [
            "machine_class",
            "profile",
            "suite",
            "verdict",
            "commit",
            "le",
        ] {
            if expr.contains(&format!("{label}=")) || expr.contains(&format!("{label},")) {
                ensure!(
                    text.contains(&format!("{label}=\"")),
                    "{expr}: no label {label}"
                );
            }
        }
    }
    Ok(())
}
