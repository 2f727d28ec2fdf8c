//! Redis SET/GET/EXPIRE through each provider, and the pooled connections under load.

use std::time::Duration;

use ::redis::AsyncCommands;
use anyhow::{Result, bail, ensure};
use perfwarden_harness::services::redis::{self, RedisService};
use perfwarden_harness::services::{
    Env, Provided, ProviderKind, ResourceSampler, ResourceTarget, ResourceUsage, require_or_skip,
};

use super::unique;

async fn round_trip(svc: &RedisService) -> Result<()> {
    let mut conn = svc.connection_manager().await?;
    let key = unique("perfwarden:test");

    let value = format!("value of {key}");
    let _: () = conn.set(&key, &value).await?;
    let got: Option<String> = conn.get(&key).await?;
    ensure!(
        got.as_deref() == Some(value.as_str()),
        "GET returned {got:?}"
    );

    // EXPIRE really expires: the TTL is counted down by the server, then the key is gone.
    let expiring = format!("{key}:ttl");
    let _: () = conn.set(&expiring, "soon gone").await?;
    let set: bool = conn.pexpire(&expiring, 300).await?;
    ensure!(set, "PEXPIRE did not apply");
    let ttl: i64 = conn.pttl(&expiring).await?;
    ensure!(
        (1..=300).contains(&ttl),
        "PTTL {ttl} ms right after PEXPIRE 300"
    );
    tokio::time::sleep(Duration::from_millis(450)).await;
    let gone: Option<String> = conn.get(&expiring).await?;
    ensure!(gone.is_none(), "the key outlived its TTL: {gone:?}");
    let exists: bool = conn.exists(&expiring).await?;
    ensure!(!exists, "EXISTS still sees the expired key");

    // Pooled connections: concurrent increments from several tasks all land.
    let pool = svc.pool(4).await?;
    let counter = format!("{key}:counter");
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let mut c = pool.get();
        let counter = counter.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..25 {
                let _: i64 = c.incr(&counter, 1).await?;
            }
            Ok::<_, ::redis::RedisError>(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let total: i64 = conn.get(&counter).await?;
    ensure!(total == 200, "8 tasks x 25 INCR gave {total}");
    let _: () = conn.del(&[&key, &counter]).await?;
    Ok(())
}

async fn via(kind: ProviderKind, key: &str) -> Result<()> {
    let Some(svc) = require_or_skip(redis::provide_via(kind).await?, key)? else {
        return Ok(());
    };
    ensure!(
        svc.provider == kind,
        "asked for {kind}, got {}",
        svc.provider
    );
    ensure!(!svc.version.is_empty() && svc.version != "unknown");
    round_trip(&svc).await
}

#[tokio::test]
#[ignore = "needs Redis: REDIS_URL, Docker with a Redis image, or redis-server on PATH"]
async fn redis_through_the_chain() -> Result<()> {
    let Some(svc) = require_or_skip(redis::provide().await?, "redis")? else {
        return Ok(());
    };
    round_trip(&svc).await
}

#[tokio::test]
#[ignore = "needs REDIS_URL"]
async fn redis_at_a_named_endpoint() -> Result<()> {
    via(ProviderKind::Endpoint, "redis:endpoint").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Docker with a Redis image (PERFWARDEN_REDIS_IMAGE/_TAG)"]
async fn redis_in_a_container() -> Result<()> {
    via(ProviderKind::Container, "redis:container").await
}

#[tokio::test]
#[ignore = "needs redis-server on PATH"]
async fn redis_as_a_native_process() -> Result<()> {
    via(ProviderKind::Native, "redis:native").await
}

#[tokio::test]
#[ignore = "needs redis-server on PATH"]
async fn redis_resources_are_sampled_while_loaded() -> Result<()> {
    let Some(svc) = require_or_skip(
        redis::provide_via(ProviderKind::Native).await?,
        "redis:native",
    )?
    else {
        return Ok(());
    };
    let sampler = svc.sampler();
    let mut conn = svc.connection().await?;
    let payload = "x".repeat(64 * 1024);
    // About 64 MiB through the server: enough CPU and memory to be seen.
    for i in 0..1024 {
        let _: () = conn.set(format!("k{i}"), &payload).await?;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let usage = sampler.finish();
    let metrics = usage.metrics("redis_cache", "redis/resources");
    let by_name = |n: &str| metrics.iter().find(|m| m.metric == n).map(|m| m.value);
    let memory = by_name("memory_max").unwrap_or(0.0);
    ensure!(
        memory > 64.0 * 1024.0 * 1024.0,
        "memory_max {memory} B: {usage:?}"
    );
    ensure!(
        by_name("cpu_mean").unwrap_or(0.0) > 0.0,
        "no CPU seen: {usage:?}"
    );
    Ok(())
}

#[tokio::test]
#[ignore = "needs redis-server on PATH"]
async fn redis_endpoint_path_against_a_server_perfwarden_started() -> Result<()> {
    let Some(server) = require_or_skip(
        redis::provide_via(ProviderKind::Native).await?,
        "redis:native",
    )?
    else {
        return Ok(());
    };
    // The named-endpoint provider, pointed at a real server it does not own.
    let env = Env::from_process()
        .with("REDIS_URL", &server.url)
        .with("PERFWARDEN_REDIS", "auto");
    let Provided::Ready(svc) = redis::provide_from(&env).await? else {
        bail!("REDIS_URL was set, yet Redis was skipped");
    };
    ensure!(svc.provider == ProviderKind::Endpoint);
    ensure!(svc.version == server.version);
    super::sampled_through_its_listener(svc.sampler()).await?;
    round_trip(&svc).await
}

#[tokio::test]
async fn an_unreachable_redis_endpoint_fails_naming_it() -> Result<()> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let url = format!("redis://:secret@127.0.0.1:{port}");
    let env = Env::default()
        .with("REDIS_URL", &url)
        .with("PERFWARDEN_READY_TIMEOUT_SECS", "5");
    let err = redis::provide_from(&env)
        .await
        .expect_err("nothing listens there");
    let text = err.to_string();
    ensure!(
        text.starts_with(&format!("redis: endpoint redis://:***@127.0.0.1:{port}")),
        "{text}"
    );
    ensure!(!text.contains("secret"), "the password leaked: {text}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Docker with a Redis image (PERFWARDEN_REDIS_IMAGE/_TAG)"]
async fn redis_container_resources_from_proc_and_from_docker_stats() -> Result<()> {
    let Some(svc) = require_or_skip(
        redis::provide_via(ProviderKind::Container).await?,
        "redis:container",
    )?
    else {
        return Ok(());
    };
    let ResourceTarget::Container { service, id, .. } = svc.resource_target() else {
        bail!("a container service gave another target");
    };
    // The local engine's process is read from /proc; a remote engine's only through the
    // Docker stats stream, forced here by hiding the pid.
    let from_proc = svc.sampler();
    let from_stats = ResourceSampler::start(ResourceTarget::Container {
        service,
        id,
        host_pid: None,
    });
    let mut conn = svc.connection().await?;
    let payload = "y".repeat(64 * 1024);
    let start = std::time::Instant::now();
    let mut i = 0u32;
    // Docker reports once a second: load it for a bit over two reports.
    while start.elapsed() < Duration::from_millis(2600) {
        let _: () = conn.set(format!("k{}", i % 512), &payload).await?;
        i += 1;
    }
    for (how, usage) in [("proc", from_proc.finish()), ("stats", from_stats.finish())] {
        let ResourceUsage::Measured(u) = usage else {
            bail!("{how}: nothing measured: {usage:?}");
        };
        eprintln!("perfwarden: redis container via {how}: {u:?}");
        ensure!(u.samples >= 2, "{how}: {u:?}");
        ensure!(u.memory_max_bytes > 16 * 1024 * 1024, "{how}: {u:?}");
        ensure!(u.cpu_mean > 0.0, "{how}: {u:?}");
    }
    Ok(())
}
