//! The service chain against real servers: real data round-tripped through every provider
//! this machine can have, and nothing left behind after a drop, a panic or a kill.
//!
//! Each test names what it needs in its `#[ignore]`; when the provider cannot be had it
//! prints one line and passes, unless `PERFWARDEN_REQUIRE_SERVICES` names its key (`redis`,
//! `s3`, `qdrant` for the chain; `redis:native`, `s3:embedded`, `redis:container`, ... for
//! one provider), then it fails.

mod cleanup;
mod qdrant;
#[cfg(feature = "embedded-qdrant")]
mod qdrant_embedded;
mod redis;
mod s3;
mod s3_sdk_config;

use std::time::Duration;

/// A suffix that keeps the keys, buckets and collections of concurrent runs apart.
fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{prefix}-{}-{nanos:09}", std::process::id())
}

/// Checks that a server on this host behind a named endpoint (one perfwarden did not start)
/// is sampled, through the process listening on the endpoint's port.
async fn sampled_through_its_listener(
    sampler: perfwarden_harness::services::ResourceSampler,
) -> anyhow::Result<()> {
    use perfwarden_harness::services::{ProviderKind, ResourceUsage};
    tokio::time::sleep(Duration::from_millis(600)).await;
    match sampler.finish() {
        ResourceUsage::Measured(u) => anyhow::ensure!(
            u.provider == ProviderKind::Endpoint && u.scope.contains("listening"),
            "sampled as {u:?}"
        ),
        other => {
            anyhow::bail!("a server on this host behind an endpoint was not sampled: {other:?}")
        }
    }
    Ok(())
}

/// Polls `check` every 50 ms until it holds or `limit` passes.
async fn eventually(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let start = std::time::Instant::now();
    while start.elapsed() < limit {
        if check() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    check()
}
