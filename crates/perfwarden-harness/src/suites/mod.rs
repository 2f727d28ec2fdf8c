//! The suites: one folder per suite, holding the library code its bench target calls.

pub mod grpc_windows;
pub mod ingest_parquet_s3;
pub mod peers;
pub mod qdrant_search;
pub mod redis_cache;
