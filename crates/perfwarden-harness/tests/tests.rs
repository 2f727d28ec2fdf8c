//! The harness package's single integration-test binary. Each module is one area;
//! `#[ignore]`d tests need a real service and skip with one line when it cannot be had
//! (or fail, when `PERFWARDEN_REQUIRE_SERVICES` names it).

// Suite ingest_parquet_s3: events → Parquet → S3, verified row by row; S3 faults.
mod ingest;
// The load engine against in-process targets (no service).
mod load;
// Workload mixes and the spike and soak shapes on the virtual clock (no service).
mod shapes;
// Suite qdrant_search: bad input offline; end to end against a real Qdrant (ignored).
mod qdrant_search;
// qdrant_search's workload mix (seed 002's personas) on the engine behind Redis (ignored).
mod qdrant_mix;
// Suite redis_cache against a real Redis (and Qdrant where there is one), all ignored.
mod redis_cache;
// The service chain (src/services): Redis, S3 and Qdrant through every provider the machine
// has, and the guarantee that nothing they start outlives them.
mod services;
// The grpc_windows suite: integrity, applied windows and a tiny run (needs no service).
mod grpc_windows;
