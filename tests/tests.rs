//! The single integration-test binary. Each module is one area; `#[ignore]`d tests need a
//! real service and skip with one line when it cannot be had.

// perfgate comment against a recording HTTP server that answers as GitHub does.
mod github;
// The nightly history file and its Mermaid trend charts.
mod history;
// The workflows' shell glue (scripts/*.sh) against a scratch git origin and a fake gh.
mod workflow_scripts;
// The gate's decision rule and its reports (Markdown, JSON, annotations), as exact text.
mod gate;
// The `perfgate` binary: exit codes on fixture pairs, outputs, bad input.
mod cli;
