//! The JSON verdict file, for machines: every metric's verdict with its values, change,
//! threshold and reason, the totals and the exit status. Versioned on its own
//! (`verdict_schema_version`), independently of the results schema.

use serde::Serialize;

use crate::gate::{Comparison, Confirmation, MetricComparison, Reference, Totals};
use crate::results::Environment;

/// The version of the verdict file's shape.
pub const VERDICT_SCHEMA_VERSION: u32 = 1;

/// Where the inputs came from, recorded in the verdict file.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Inputs {
    pub baseline: String,
    pub current: String,
    /// The config file, or `None` for the built-in defaults.
    pub config: Option<String>,
}

#[derive(Serialize)]
struct VerdictFile<'a> {
    verdict_schema_version: u32,
    tool: &'static str,
    tool_version: &'static str,
    passed: bool,
    exit_code: u8,
    totals: &'a Totals,
    machine_mismatch: bool,
    relative_gated: bool,
    warnings: &'a [String],
    inputs: &'a Inputs,
    reference: &'a Reference,
    #[serde(skip_serializing_if = "Option::is_none")]
    confirmation: Option<&'a Confirmation>,
    baseline: &'a Environment,
    current: &'a Environment,
    metrics: &'a [MetricComparison],
}

/// The verdict file's text: pretty JSON, newline-terminated.
pub fn render(c: &Comparison, inputs: &Inputs) -> String {
    let file = VerdictFile {
        verdict_schema_version: VERDICT_SCHEMA_VERSION,
        tool: "perfwarden",
        tool_version: env!("CARGO_PKG_VERSION"),
        passed: c.passed(),
        exit_code: c.exit_code(),
        totals: &c.totals,
        machine_mismatch: c.machine_mismatch,
        relative_gated: c.relative_gated,
        warnings: &c.warnings,
        inputs,
        reference: &c.reference,
        confirmation: c.confirmation.as_ref(),
        baseline: &c.baseline,
        current: &c.current,
        metrics: &c.metrics,
    };
    let mut s = serde_json::to_string_pretty(&file).expect("a verdict always serializes");
    s.push('\n');
    s
}
