//! Qdrant: `QDRANT_URL` (+ `QDRANT_API_KEY`), a `qdrant/qdrant` container, `qdrant` from
//! PATH, or (built with the `embedded-qdrant` feature, the default) Qdrant's engine
//! in-process. A server's two protocols are checked before it is handed out: REST
//! (`/readyz` for servers perfwarden starts, `/` for a named endpoint) and gRPC (its health
//! check).

use std::time::Duration;

use qdrant_client::Qdrant;
use testcontainers::core::{IntoContainerPort, WaitFor};
use testcontainers::runners::AsyncRunner;
use testcontainers::{GenericImage, ImageExt};

use super::chain::Decision;
use super::container::{self, ImageRef};
use super::endpoint::{self, QDRANT_GRPC_PORT, QDRANT_HTTP_PORT, QdrantEndpoint};
use super::native::{self, ChildProcess};
use super::{
    Env, Owned, Provided, ProviderKind, Resolved, ResourceSampler, ResourceTarget, Service,
    ServiceError, ready_timeout,
};
use crate::qdrant::client::{Server, Target};

/// The container image, pinned.
pub(crate) const IMAGE: &str = "qdrant/qdrant";
pub(crate) const TAG: &str = "v1.18.3";
/// `PERFWARDEN_QDRANT_IMAGE` / `PERFWARDEN_QDRANT_TAG` override them.
pub(crate) const IMAGE_VAR_PREFIX: &str = "PERFWARDEN_QDRANT";

/// The gRPC client's per-request bound: generous, since a suite's batch upsert with
/// `wait` may take long on big collections (qdrant-client's own default is 5 s).
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// How many times a native start is retried when another process took a free port.
const PORT_RETRIES: usize = 3;

/// A Qdrant: a server with a gRPC and a REST client, or the engine in-process; dropping it
/// stops what perfwarden started.
pub struct QdrantService {
    /// What the suites search (a server's clients, or the engine).
    pub target: Target,
    pub provider: ProviderKind,
    /// The server's version, or the `qdrant-edge` crate's.
    pub version: String,
    owned: Owned,
    // Declared after `owned`, so the server stops before its data dir goes.
    _data_dir: Option<tempfile::TempDir>,
}

impl std::fmt::Debug for QdrantService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QdrantService")
            .field("address", &self.target.address())
            .field("provider", &self.provider)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

/// Resolves Qdrant through the chain (see [`super`]).
pub async fn provide() -> Result<Provided<QdrantService>, ServiceError> {
    provide_from(&Env::from_process()).await
}

/// Resolves Qdrant through one provider only, as `PERFWARDEN_QDRANT=<kind>` would.
pub async fn provide_via(kind: ProviderKind) -> Result<Provided<QdrantService>, ServiceError> {
    let env = Env::from_process().with(Service::Qdrant.force_var(), kind.as_str());
    provide_from(&env).await
}

pub async fn provide_from(env: &Env) -> Result<Provided<QdrantService>, ServiceError> {
    let timeout = ready_timeout(env)?;
    let candidates = super::chain::candidates(Service::Qdrant, env)?;
    let named = if candidates.contains(&ProviderKind::Endpoint) {
        endpoint::qdrant(env)?
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
    let decision = super::choose(Service::Qdrant, env, named.is_some(), &image, pull).await?;
    let service = match decision {
        Decision::Skip(reason) => return Ok(Provided::Skipped(reason)),
        Decision::Use(ProviderKind::Endpoint) => match named {
            Some(named) => at_endpoint(named, timeout).await?,
            None => unreachable!("the chain only picks a configured endpoint"),
        },
        Decision::Use(ProviderKind::Container) => in_container(&image, timeout).await?,
        Decision::Use(ProviderKind::Native) => native_server(timeout).await?,
        Decision::Use(ProviderKind::Embedded) => embedded()?,
    };
    service.resolved().announce();
    Ok(Provided::Ready(service))
}

fn request(image: &ImageRef) -> testcontainers::ContainerRequest<GenericImage> {
    // Readiness is polled on /readyz below rather than read from the log, whose wording and
    // stream differ between releases.
    GenericImage::new(image.name.clone(), image.tag.clone())
        .with_exposed_port(QDRANT_HTTP_PORT.tcp())
        .with_exposed_port(QDRANT_GRPC_PORT.tcp())
        .with_wait_for(WaitFor::Nothing)
        .with_env_var("QDRANT__TELEMETRY_DISABLED", "true")
}

/// The two clients and the server version, once both protocols answer.
struct Connected {
    client: Qdrant,
    rest: reqwest::Client,
    version: String,
}

/// Builds the clients and checks gRPC answers (its health check carries the version).
async fn connect(
    http_url: &str,
    grpc_url: &str,
    api_key: Option<&String>,
    timeout: Duration,
) -> Result<Connected, String> {
    let client = Qdrant::from_url(grpc_url)
        .api_key(api_key)
        .skip_compatibility_check()
        .timeout(REQUEST_TIMEOUT)
        .connect_timeout(timeout)
        .build()
        .map_err(|e| format!("no gRPC client for {grpc_url}: {e}"))?;
    let rest = rest_client(api_key).map_err(|e| format!("no REST client: {e}"))?;
    let root = rest
        .get(format!("{http_url}/"))
        .timeout(timeout)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| format!("REST {http_url} does not answer: {e}"))?;
    let rest_version = root
        .json::<serde_json::Value>()
        .await
        .ok()
        .and_then(|v| v.get("version")?.as_str().map(str::to_string));
    // `/` and the health check answer without a key; listing collections needs it, so a
    // wrong QDRANT_API_KEY is reported here rather than by the suite's first request.
    let listed = rest
        .get(format!("{http_url}/collections"))
        .timeout(timeout)
        .send()
        .await
        .map_err(|e| format!("REST {http_url}/collections does not answer: {e}"))?;
    if let Err(e) = listed.error_for_status_ref() {
        return Err(match listed.status().as_u16() {
            401 | 403 => format!("the API key was refused ({})", listed.status()),
            _ => format!("REST {http_url}/collections: {e}"),
        });
    }
    let health = tokio::time::timeout(timeout, client.health_check())
        .await
        .map_err(|_| {
            format!(
                "gRPC {grpc_url} did not answer within {} s",
                timeout.as_secs()
            )
        })?
        .map_err(|e| format!("gRPC {grpc_url} does not answer: {e}"))?;
    let version = rest_version.unwrap_or(health.version);
    Ok(Connected {
        client,
        rest,
        version,
    })
}

fn rest_client(api_key: Option<&String>) -> reqwest::Result<reqwest::Client> {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(key) = api_key
        && let Ok(mut value) = reqwest::header::HeaderValue::from_str(key)
    {
        value.set_sensitive(true);
        headers.insert("api-key", value);
    }
    reqwest::Client::builder().default_headers(headers).build()
}

async fn readyz(http_url: &str) -> bool {
    let client = reqwest::Client::new();
    let answer = client
        .get(format!("{http_url}/readyz"))
        .timeout(Duration::from_secs(2))
        .send()
        .await;
    answer.is_ok_and(|r| r.status().is_success())
}

async fn at_endpoint(
    named: QdrantEndpoint,
    timeout: Duration,
) -> Result<QdrantService, ServiceError> {
    let connected = connect(
        &named.http_url,
        &named.grpc_url,
        named.api_key.as_ref(),
        timeout,
    )
    .await
    .map_err(|what| ServiceError::Endpoint {
        service: Service::Qdrant,
        endpoint: named.http_url.clone(),
        what,
    })?;
    let owned = Owned::Endpoint {
        url: named.http_url.clone(),
        default_port: QDRANT_HTTP_PORT,
    };
    Ok(service(
        named.http_url,
        named.grpc_url,
        ProviderKind::Endpoint,
        connected,
        owned,
        None,
    ))
}

async fn in_container(image: &ImageRef, timeout: Duration) -> Result<QdrantService, ServiceError> {
    let started = container::start(
        Service::Qdrant,
        image,
        request(image),
        &[QDRANT_HTTP_PORT, QDRANT_GRPC_PORT],
        timeout,
    )
    .await?;
    let http_url = format!("http://{}:{}", started.host, started.ports[0]);
    let grpc_url = format!("http://{}:{}", started.host, started.ports[1]);
    started
        .guard
        .wait_ready(Service::Qdrant, timeout, || readyz(&http_url))
        .await?;
    let connected = match connect(&http_url, &grpc_url, None, timeout).await {
        Ok(c) => c,
        Err(what) => return Err(started.guard.start_error(Service::Qdrant, what)),
    };
    let owned = Owned::Container(started.guard);
    Ok(service(
        http_url,
        grpc_url,
        ProviderKind::Container,
        connected,
        owned,
        None,
    ))
}

async fn native_server(timeout: Duration) -> Result<QdrantService, ServiceError> {
    let binary = native::binary_for(Service::Qdrant)?;
    let dir = native::data_dir("qdrant")?;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let (http, grpc) = (native::pick_port()?, native::pick_port()?);
        let mut command = std::process::Command::new(&binary);
        // Qdrant reads ./config and writes ./.qdrant-initialized: the temp dir is its home.
        command
            .env("QDRANT__SERVICE__HOST", "127.0.0.1")
            .env("QDRANT__SERVICE__HTTP_PORT", http.to_string())
            .env("QDRANT__SERVICE__GRPC_PORT", grpc.to_string())
            .env("QDRANT__STORAGE__STORAGE_PATH", dir.path().join("storage"))
            .env(
                "QDRANT__STORAGE__SNAPSHOTS_PATH",
                dir.path().join("snapshots"),
            )
            .env("QDRANT__TELEMETRY_DISABLED", "true")
            .current_dir(dir.path());
        let log = dir.path().join(format!("qdrant-{attempt}.log"));
        let mut child = ChildProcess::spawn(Service::Qdrant, command, &log)?;
        let http_url = format!("http://127.0.0.1:{http}");
        let grpc_url = format!("http://127.0.0.1:{grpc}");
        match child.wait_ready(timeout, || readyz(&http_url)).await {
            Ok(()) => {
                let connected = connect(&http_url, &grpc_url, None, timeout)
                    .await
                    .map_err(|what| child.start_error(what))?;
                let owned = Owned::Child(child);
                return Ok(service(
                    http_url,
                    grpc_url,
                    ProviderKind::Native,
                    connected,
                    owned,
                    Some(dir),
                ));
            }
            Err(_) if attempt < PORT_RETRIES && child.log_tail().contains("in use") => continue,
            Err(e) => return Err(e),
        }
    }
}

fn service(
    http_url: String,
    grpc_url: String,
    provider: ProviderKind,
    connected: Connected,
    owned: Owned,
    data_dir: Option<tempfile::TempDir>,
) -> QdrantService {
    let server = Server {
        grpc: connected.client,
        rest: connected.rest,
        http_url: http_url.trim_end_matches('/').to_string(),
        grpc_url,
        // The REST client carries the key as a default header already.
        api_key: None,
    };
    QdrantService {
        target: Target::Server(server),
        provider,
        version: connected.version,
        owned,
        _data_dir: data_dir,
    }
}

/// Qdrant's engine in-process, with no collections yet.
#[cfg(feature = "embedded-qdrant")]
fn embedded() -> Result<QdrantService, ServiceError> {
    use crate::qdrant::engine::{EDGE_VERSION, EmbeddedOptions, Engine, THREAD_NAME};
    let fail = |what: String| ServiceError::Start {
        service: Service::Qdrant,
        provider: ProviderKind::Embedded,
        what,
        log: String::new(),
    };
    let opts = EmbeddedOptions::from_env().map_err(fail)?;
    let engine = Engine::start(opts).map_err(fail)?;
    Ok(QdrantService {
        target: Target::Embedded(std::sync::Arc::new(engine)),
        provider: ProviderKind::Embedded,
        version: EDGE_VERSION.to_string(),
        owned: Owned::InProcess {
            prefix: THREAD_NAME,
        },
        _data_dir: None,
    })
}

#[cfg(not(feature = "embedded-qdrant"))]
fn embedded() -> Result<QdrantService, ServiceError> {
    unreachable!("the chain lists Qdrant's embedded provider only when it is built in")
}

impl QdrantService {
    /// What to hand [`ResourceSampler::start`].
    pub(crate) fn resource_target(&self) -> ResourceTarget {
        self.owned.resource_target(Service::Qdrant)
    }

    /// Starts sampling this server's CPU and memory.
    pub fn sampler(&self) -> ResourceSampler {
        ResourceSampler::start(self.resource_target())
    }

    /// The server, unless this is the engine in-process.
    pub fn server(&self) -> Option<&Server> {
        self.target.server()
    }

    /// The line printed when the service was resolved.
    pub(crate) fn resolved(&self) -> Resolved {
        let (server, address, mut detail) = match &self.target {
            Target::Server(s) => ("qdrant", s.http_url.clone(), format!("gRPC {}", s.grpc_url)),
            #[cfg(feature = "embedded-qdrant")]
            Target::Embedded(e) => (
                "qdrant-edge",
                e.root().display().to_string(),
                format!("in-process, {} search threads", e.threads),
            ),
        };
        if let Owned::Container(c) = &self.owned {
            detail = format!("image {}, {detail}", c.image());
        }
        Resolved {
            service: Service::Qdrant,
            provider: self.provider,
            server: server.into(),
            version: self.version.clone(),
            address,
            detail: Some(detail),
        }
    }

    /// The pid of the child process, for a native server.
    pub fn pid(&self) -> Option<u32> {
        match &self.owned {
            Owned::Child(c) => Some(c.pid()),
            _ => None,
        }
    }
}
