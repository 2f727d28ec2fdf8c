//! The gate package's single integration-test binary. Each module is one area; none needs a
//! service.

// perfwarden comment against a recording HTTP server that answers as GitHub does.
mod github;
// The nightly history file and its Mermaid trend charts.
mod history;
// The workflows' shell glue (scripts/*.sh) against a scratch git origin and a fake gh.
mod workflow_scripts;
// The gate's decision rule and its reports (Markdown, JSON, annotations), as exact text.
mod gate;
// The `perfwarden` binary: exit codes on fixture pairs, outputs, bad input.
mod cli;
// Bad input: every malformed file gets one line naming it and its problem, exit code 2.
mod malformed;
// Results I/O: Criterion import, exports, merging load machines, baseline updates, commands.
mod results;
// The JSON Schema of results v1 against the committed files and against serde.
mod schema;
// perfwarden calibrate on generated runs; compare --confirm on a scratch git repo and bench.
mod calibrate;
// compare --confirm's second look: rounds too spread to decide get as many again.
mod confirm_looks;
// OpenMetrics export, read by independent parsers; the Grafana dashboard's panels and queries.
mod openmetrics;
// The HTML report: escaping, self-contained, and rendered by headless Chromium.
mod html;
// README.md's command and variable tables against the code they are generated from.
mod readme;
