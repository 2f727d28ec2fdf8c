//! The single integration-test binary. Each module is one area; `#[ignore]`d tests need a
//! real service and skip with one line when it cannot be had.

// perfgate comment against a recording HTTP server that answers as GitHub does.
mod github;
// The nightly history file and its Mermaid trend charts.
mod history;
// The workflows' shell glue (scripts/*.sh) against a scratch git origin and a fake gh.
mod workflow_scripts;
// The service chain (src/services): Redis, S3 and Qdrant through every provider the machine
// has, and the guarantee that nothing they start outlives them.
mod services;
