//! The Docker engine client, shared by the container provider and the resource sampler
//! (which reads a remote container's stats), so neither needs the other for it.

use std::time::Duration;

use testcontainers::bollard::Docker;

/// Docker gets this long to answer a ping before the chain moves on.
const PING_TIMEOUT: Duration = Duration::from_secs(3);

/// The Docker engine, if it answers a ping in time.
pub async fn docker() -> Result<Docker, String> {
    let docker = Docker::connect_with_defaults().map_err(|e| format!("no Docker client: {e}"))?;
    match tokio::time::timeout(PING_TIMEOUT, docker.ping()).await {
        Ok(Ok(_)) => Ok(docker),
        Ok(Err(e)) => Err(format!("Docker does not answer: {e}")),
        Err(_) => Err(format!(
            "Docker did not answer within {} s",
            PING_TIMEOUT.as_secs()
        )),
    }
}
