//! Redis: `REDIS_URL`, a `redis` container, or `redis-server` from PATH.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ::redis::aio::{ConnectionManager, MultiplexedConnection};
use testcontainers::ImageExt;
use testcontainers::runners::AsyncRunner;
use testcontainers_modules::redis::Redis;

use super::chain::Decision;
use super::container::{self, ImageRef};
use super::native::{self, ChildProcess};
use super::{
    Env, Owned, Provided, ProviderKind, Resolved, ResourceSampler, ResourceTarget, Service,
    ServiceError, endpoint, ready_timeout, redact_url,
};
use endpoint::REDIS_PORT;

/// The container image, pinned: testcontainers-modules defaults to the long-gone 5.0.
pub(crate) const IMAGE: &str = "redis";
pub(crate) const TAG: &str = "7.4.2";
/// `PERFWARDEN_REDIS_IMAGE` / `PERFWARDEN_REDIS_TAG` override them (registry mirrors).
pub(crate) const IMAGE_VAR_PREFIX: &str = "PERFWARDEN_REDIS";

/// How many times a native start is retried when another process took its free port.
const PORT_RETRIES: usize = 3;

/// A Redis server the suites can use; dropping it stops what perfwarden started.
pub struct RedisService {
    /// Connect here (passwords included, for a named endpoint).
    pub url: String,
    pub provider: ProviderKind,
    /// The server's `redis_version`.
    pub version: String,
    client: ::redis::Client,
    owned: Owned,
    // Declared after `owned`, so the server stops before its data dir goes.
    _data_dir: Option<tempfile::TempDir>,
}

impl std::fmt::Debug for RedisService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisService")
            .field("url", &redact_url(&self.url))
            .field("provider", &self.provider)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

/// Resolves Redis through the chain (see [`super`]).
pub async fn provide() -> Result<Provided<RedisService>, ServiceError> {
    provide_from(&Env::from_process()).await
}

/// Resolves Redis through one provider only, as `PERFWARDEN_REDIS=<kind>` would.
pub async fn provide_via(kind: ProviderKind) -> Result<Provided<RedisService>, ServiceError> {
    let env = Env::from_process().with(Service::Redis.force_var(), kind.as_str());
    provide_from(&env).await
}

pub async fn provide_from(env: &Env) -> Result<Provided<RedisService>, ServiceError> {
    let timeout = ready_timeout(env)?;
    let named = if super::chain::candidates(Service::Redis, env)?.contains(&ProviderKind::Endpoint)
    {
        endpoint::redis(env)?
    } else {
        None
    };
    let image = ImageRef::from_env(env, IMAGE_VAR_PREFIX, IMAGE, TAG);
    let pull = async || {
        request(&image)
            .pull_image()
            .await
            .map(drop)
            .map_err(|e| e.to_string())
    };
    let decision = super::choose(Service::Redis, env, named.is_some(), &image, pull).await?;
    let service = match decision {
        Decision::Skip(reason) => return Ok(Provided::Skipped(reason)),
        Decision::Use(ProviderKind::Endpoint) => match named {
            Some(named) => at_endpoint(named.url, timeout).await?,
            None => unreachable!("the chain only picks a configured endpoint"),
        },
        Decision::Use(ProviderKind::Container) => in_container(&image, timeout).await?,
        Decision::Use(ProviderKind::Native) => native_server(timeout).await?,
        Decision::Use(ProviderKind::Embedded) => unreachable!("Redis has no embedded provider"),
    };
    service.resolved().announce();
    Ok(Provided::Ready(service))
}

fn request(image: &ImageRef) -> testcontainers::ContainerRequest<Redis> {
    Redis::default()
        .with_name(image.name.clone())
        .with_tag(image.tag.clone())
}

async fn at_endpoint(url: String, timeout: Duration) -> Result<RedisService, ServiceError> {
    let client = open(&url)?;
    let version =
        server_version(&client, timeout)
            .await
            .map_err(|what| ServiceError::Endpoint {
                service: Service::Redis,
                endpoint: redact_url(&url),
                what,
            })?;
    let redis_url = url.clone();
    Ok(RedisService {
        url,
        provider: ProviderKind::Endpoint,
        version,
        client,
        owned: Owned::Endpoint {
            url: redis_url,
            default_port: REDIS_PORT,
        },
        _data_dir: None,
    })
}

async fn in_container(image: &ImageRef, timeout: Duration) -> Result<RedisService, ServiceError> {
    let started = container::start(
        Service::Redis,
        image,
        request(image),
        &[REDIS_PORT],
        timeout,
    )
    .await?;
    let url = format!("redis://{}:{}", started.host, started.ports[0]);
    let client = open(&url)?;
    let version = match server_version(&client, timeout).await {
        Ok(v) => v,
        Err(what) => return Err(started.guard.start_error(Service::Redis, what)),
    };
    Ok(RedisService {
        url,
        provider: ProviderKind::Container,
        version,
        client,
        owned: Owned::Container(started.guard),
        _data_dir: None,
    })
}

async fn native_server(timeout: Duration) -> Result<RedisService, ServiceError> {
    let binary = native::binary_for(Service::Redis)?;
    let dir = native::data_dir("redis")?;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let port = native::pick_port()?;
        let mut command = std::process::Command::new(&binary);
        // No config file: loopback only, no persistence (a stop never waits on a save), data
        // and log in the temp dir.
        command
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .arg("--dir")
            .arg(dir.path())
            .current_dir(dir.path());
        let log = dir.path().join(format!("redis-{attempt}.log"));
        let mut child = ChildProcess::spawn(Service::Redis, command, &log)?;
        let url = format!("redis://127.0.0.1:{port}");
        let client = open(&url)?;
        let waited = child
            .wait_ready(timeout, || {
                let client = client.clone();
                async move { ping(&client).await.is_ok() }
            })
            .await;
        match waited {
            Ok(()) => {
                let version = server_version(&client, timeout)
                    .await
                    .map_err(|what| child.start_error(what))?;
                return Ok(RedisService {
                    url,
                    provider: ProviderKind::Native,
                    version,
                    client,
                    owned: Owned::Child(child),
                    _data_dir: Some(dir),
                });
            }
            Err(_) if attempt < PORT_RETRIES && child.log_tail().contains("in use") => continue,
            Err(e) => return Err(e),
        }
    }
}

fn open(url: &str) -> Result<::redis::Client, ServiceError> {
    ::redis::Client::open(url).map_err(|e| ServiceError::Client {
        service: Service::Redis,
        address: redact_url(url),
        what: e.to_string(),
    })
}

async fn ping(client: &::redis::Client) -> ::redis::RedisResult<()> {
    let mut conn = client.get_multiplexed_async_connection().await?;
    ::redis::cmd("PING")
        .query_async::<String>(&mut conn)
        .await?;
    Ok(())
}

/// `redis_version` from `INFO server`, bounded by `timeout`.
async fn server_version(client: &::redis::Client, timeout: Duration) -> Result<String, String> {
    let query = async {
        let mut conn = client.get_multiplexed_async_connection().await?;
        ::redis::cmd("INFO")
            .arg("server")
            .query_async::<String>(&mut conn)
            .await
    };
    match tokio::time::timeout(timeout, query).await {
        Ok(Ok(info)) => Ok(parse_version(&info).unwrap_or("unknown").to_string()),
        Ok(Err(e)) => Err(format!("no answer to INFO: {e}")),
        Err(_) => Err(format!("no answer within {:.0} s", timeout.as_secs_f64())),
    }
}

fn parse_version(info: &str) -> Option<&str> {
    info.lines()
        .find_map(|l| l.strip_prefix("redis_version:"))
        .map(str::trim)
}

impl RedisService {
    /// One multiplexed connection (cheap to clone; requests are pipelined over it).
    pub async fn connection(&self) -> Result<MultiplexedConnection, ServiceError> {
        self.client
            .get_multiplexed_async_connection()
            .await
            .map_err(|e| self.client_error(e))
    }

    /// A connection that reconnects by itself after a dropped link.
    pub async fn connection_manager(&self) -> Result<ConnectionManager, ServiceError> {
        self.client
            .get_connection_manager()
            .await
            .map_err(|e| self.client_error(e))
    }

    /// `n` multiplexed connections handed out round-robin, for concurrent load that one
    /// TCP connection would bottleneck.
    pub async fn pool(&self, n: usize) -> Result<RedisPool, ServiceError> {
        let mut conns = Vec::with_capacity(n.max(1));
        for _ in 0..n.max(1) {
            conns.push(self.connection().await?);
        }
        Ok(RedisPool {
            conns,
            next: AtomicUsize::new(0),
        })
    }

    /// The address without credentials, for printing.
    pub fn address(&self) -> String {
        redact_url(&self.url)
    }

    /// What to hand [`ResourceSampler::start`].
    pub fn resource_target(&self) -> ResourceTarget {
        self.owned.resource_target(Service::Redis)
    }

    /// Starts sampling this server's CPU and memory.
    pub fn sampler(&self) -> ResourceSampler {
        ResourceSampler::start(self.resource_target())
    }

    /// The line printed when the service was resolved.
    pub(crate) fn resolved(&self) -> Resolved {
        let address = self
            .url
            .strip_prefix("redis://")
            .filter(|_| self.provider != ProviderKind::Endpoint)
            .map_or_else(|| self.address(), str::to_string);
        Resolved {
            service: Service::Redis,
            provider: self.provider,
            server: "redis-server".into(),
            version: self.version.clone(),
            address,
            detail: match &self.owned {
                Owned::Container(c) => Some(format!("image {}", c.image())),
                _ => None,
            },
        }
    }

    /// The pid of the child process, for a native server.
    pub fn pid(&self) -> Option<u32> {
        match &self.owned {
            Owned::Child(c) => Some(c.pid()),
            _ => None,
        }
    }

    /// The container id, for a server in a container.
    pub fn container_id(&self) -> Option<&str> {
        match &self.owned {
            Owned::Container(c) => Some(c.id()),
            _ => None,
        }
    }

    fn client_error(&self, e: ::redis::RedisError) -> ServiceError {
        ServiceError::Client {
            service: Service::Redis,
            address: self.address(),
            what: e.to_string(),
        }
    }
}

/// Multiplexed connections handed out round-robin.
#[derive(Debug)]
pub struct RedisPool {
    conns: Vec<MultiplexedConnection>,
    next: AtomicUsize,
}

impl RedisPool {
    /// The next connection (a clone: cheap, and usable from any task).
    pub fn get(&self) -> MultiplexedConnection {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.conns.len();
        self.conns[i].clone()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn version_comes_from_info_server() {
        let info = "# Server\r\nredis_version:7.0.15\r\nredis_git_sha1:00000000\r\n";
        assert_eq!(super::parse_version(info), Some("7.0.15"));
        assert_eq!(super::parse_version("# Server\r\n"), None);
    }
}
