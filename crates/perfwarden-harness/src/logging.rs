//! Diagnostics through `tracing`, filtered by `RUST_LOG`: ours (which service was chosen,
//! what was skipped or cleaned up, each S3 retry at debug level) and those of the
//! dependencies that emit through `tracing` or `log` (tonic, hyper, the AWS SDK,
//! testcontainers). Progress and results are not diagnostics: they stay plain lines.
//!
//! Without `RUST_LOG`, perfwarden's own info lines show and dependencies only warn;
//! `RUST_LOG=debug` shows everything, the AWS SDK's full error dumps included, and
//! `RUST_LOG=perfwarden_harness=debug,aws_smithy_runtime=debug` picks.

use tracing_subscriber::EnvFilter;

/// The filter when `RUST_LOG` is not set.
pub const DEFAULT_FILTER: &str = "warn,perfwarden=info,perfwarden_harness=info";

/// Installs the stderr subscriber once per process (later calls do nothing): each bench's
/// `main` calls it first.
pub fn init() {
    let from_env = std::env::var_os(EnvFilter::DEFAULT_ENV).is_some_and(|v| !v.is_empty());
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|e| {
        if from_env {
            eprintln!("perfwarden: RUST_LOG: {e}; using {DEFAULT_FILTER}");
        }
        EnvFilter::new(DEFAULT_FILTER)
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .without_time()
        // Where an event comes from matters once dependencies speak (RUST_LOG set).
        .with_target(from_env)
        .try_init();
}
