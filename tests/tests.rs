//! The single integration-test binary. Each module is one area; `#[ignore]`d tests need a
//! real service and skip with one line when it cannot be had.

// The gate's decision rule and its reports (Markdown, JSON, annotations), as exact text.
mod gate;
// The `perfgate` binary: exit codes on fixture pairs, outputs, bad input.
mod cli;
