//! The single integration-test binary. Each module is one area; `#[ignore]`d tests need a
//! real service and skip with one line when it cannot be had.

// Suite ingest_parquet_s3: events → Parquet → S3, verified row by row; S3 faults.
mod ingest;
