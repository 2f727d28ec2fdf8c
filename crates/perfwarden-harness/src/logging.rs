//! Diagnostics through `tracing`, filtered by `RUST_LOG`: ours (which service was chosen,
//! what was skipped or cleaned up, each S3 retry at debug level) and those of the
//! dependencies that emit through `tracing` or `log` (tonic, hyper, the AWS SDK,
//! testcontainers). Progress and results are not diagnostics: they stay plain lines.
//!
//! Without `RUST_LOG`, perfwarden's own info lines show and dependencies only warn;
//! `RUST_LOG=debug` shows everything, the AWS SDK's full error dumps included, and
//! `RUST_LOG=perfwarden_harness=debug,aws_smithy_runtime=debug` picks.

/// The filter when `RUST_LOG` is not set. Two of Qdrant's engine's warnings are muted: it
/// warns once per segment that its server-wide feature flags and mmap probe were never set
/// up, which the embedded crate gives no way to do (its `common` module is private); its
/// defaults are what it then uses, so the lines say nothing a user can act on.
pub const DEFAULT_FILTER: &str = "warn,perfwarden=info,perfwarden_harness=info,\
qdrant_edge::common::flags=error,qdrant_edge::common::mmap=error";

/// Installs the stderr subscriber once per process (later calls do nothing): each bench's
/// `main` calls it first. The subscriber is the gate package's, with the harness's default.
pub fn init() {
    perfwarden::logging::init(DEFAULT_FILTER);
}
