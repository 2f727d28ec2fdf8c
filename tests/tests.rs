//! The single integration-test binary. Each module is one area; `#[ignore]`d tests need a
//! real service and skip with one line when it cannot be had.

// perfgate comment against a recording HTTP server that answers as GitHub does.
mod github;
// The nightly history file and its Mermaid trend charts.
mod history;
// The workflows' shell glue (scripts/*.sh) against a scratch git origin and a fake gh.
mod workflow_scripts;
// Suite ingest_parquet_s3: events → Parquet → S3, verified row by row; S3 faults.
mod ingest;
// The gate's decision rule and its reports (Markdown, JSON, annotations), as exact text.
mod gate;
// The `perfgate` binary: exit codes on fixture pairs, outputs, bad input.
mod cli;
// The load engine against in-process targets (no service).
mod load;

// Suite qdrant_search: bad input offline; end to end against a real Qdrant (ignored).
mod qdrant_search;
// Suite redis_cache against a real Redis (and Qdrant where there is one), all ignored.
mod redis_cache;
// Bad input: every malformed file gets one line naming it and its problem, exit code 2.
mod malformed;
// Results I/O: Criterion import, exports, merging load machines, baseline updates, commands.
mod results;
// The JSON Schema of results v1 against the committed files and against serde.
mod schema;
// The service chain (src/services): Redis, S3 and Qdrant through every provider the machine
// has, and the guarantee that nothing they start outlives them.
mod services;
// The grpc_windows suite: integrity, applied windows and a tiny run (needs no service).
mod grpc_windows;
// perfgate calibrate on generated runs; compare --confirm on a scratch git repo and bench.
mod calibrate;
// The HTML report: escaping, self-contained, and rendered by headless Chromium.
mod html;
