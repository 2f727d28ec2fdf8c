//! The real services the suites measure: Qdrant, Redis and S3, each provided by one chain.
//!
//! For every service the chain tries, in order: a named endpoint (`QDRANT_URL`, `REDIS_URL`,
//! `AWS_ENDPOINT_URL_S3` or `S3_ENDPOINT` + `S3_BUCKET`), a container through testcontainers,
//! the service's own binary on PATH started as a child process, an embedded in-process server
//! (S3 only, through `s3s-fs`), and otherwise skips with one line naming what would enable the
//! service. `PERFWARDEN_PROVIDER` forces one provider for every service, `PERFWARDEN_REDIS`,
//! `PERFWARDEN_S3` and `PERFWARDEN_QDRANT` force one per service (`skip` turns a service off).
//!
//! The decision is a pure function ([`chain::decide`]) of the environment and of what was
//! found on the machine; starting servers, talking to Docker and reading `/proc` sit in the
//! provider modules. A service value owns what it started: dropping it (also while a panic
//! unwinds) stops the child process or removes the container, and a killed test process
//! leaves nothing behind either (child processes die with it; containers are swept by the
//! next run, see [`container`]).
//!
//! ```no_run
//! # async fn demo() -> Result<(), perfwarden_harness::services::ServiceError> {
//! use perfwarden_harness::services::{self, redis};
//! let Some(redis) = services::require_or_skip(redis::provide().await?, "redis")? else {
//!     return Ok(());
//! };
//! let sampler = redis.sampler();
//! let mut conn = redis.connection_manager().await?;
//! // ... the suite's load ...
//! let metrics = sampler.finish().metrics("redis_cache", "redis/resources");
//! # let _ = (&mut conn, metrics); Ok(()) }
//! ```

pub(crate) mod chain;
pub mod container;
pub mod docker;
pub mod embedded_s3;
pub(crate) mod endpoint;
mod error;
mod listener;
pub(crate) mod native;
pub mod owner;
pub mod proc;
pub mod qdrant;
pub mod redis;
pub(crate) mod resources;
pub mod s3;
pub mod sdk_error;
pub mod server_metrics;

use std::fmt;
use std::time::Duration;

use chain::{Availability, Decision, Probe};
pub use chain::{Env, ProviderKind, Service};
use container::ImageRef;
pub use error::ServiceError;
pub use resources::{ResourceSampler, ResourceTarget, ResourceUsage, Usage};

/// The env var listing the services (and `service:provider` pairs) whose absence fails a
/// test instead of skipping it, e.g. `redis,s3,redis:container`.
pub(crate) const REQUIRE_VAR: &str = "PERFWARDEN_REQUIRE_SERVICES";

/// The env var bounding every readiness wait, in seconds.
pub(crate) const READY_TIMEOUT_VAR: &str = "PERFWARDEN_READY_TIMEOUT_SECS";

/// Readiness waits give up after this long unless [`READY_TIMEOUT_VAR`] says otherwise.
pub(crate) const DEFAULT_READY_TIMEOUT: Duration = Duration::from_secs(30);

/// A service the chain resolved, or the one line saying why it could not.
#[derive(Debug)]
pub enum Provided<T> {
    Ready(T),
    /// Why the service is not available, naming what would enable it.
    Skipped(String),
}

impl<T> Provided<T> {
    /// The skip reason, if the service was skipped.
    pub(crate) fn skip_reason(&self) -> Option<&str> {
        match self {
            Provided::Ready(_) => None,
            Provided::Skipped(reason) => Some(reason),
        }
    }

    /// The one "required or skip" rule: unchanged, unless the service was skipped while
    /// [`REQUIRE_VAR`] names `key` (a service such as `redis`, or a `service:provider` pair
    /// such as `redis:container`), which is an error, so CI cannot pass by skipping what it
    /// meant to measure or test.
    pub(crate) fn unless_required(self, key: &str) -> Result<Provided<T>, ServiceError> {
        match self {
            Provided::Skipped(reason) => {
                let list = std::env::var(REQUIRE_VAR).unwrap_or_default();
                if is_required(&list, key) {
                    return Err(ServiceError::Required {
                        key: key.to_string(),
                        list,
                        reason,
                    });
                }
                Ok(Provided::Skipped(reason))
            }
            ready => Ok(ready),
        }
    }
}

/// For `#[ignore]`d tests: the service, or `None` after printing the skip line; an error
/// when the service is required ([`Provided::unless_required`]).
pub fn require_or_skip<T>(provided: Provided<T>, key: &str) -> Result<Option<T>, ServiceError> {
    match provided.unless_required(key)? {
        Provided::Ready(service) => Ok(Some(service)),
        Provided::Skipped(reason) => {
            // The one line a skip owes the user, even in a test binary no one set logging up in.
            crate::logging::init();
            tracing::warn!("{key}: skipped: {reason}");
            Ok(None)
        }
    }
}

/// True when the comma-separated `list` names `key` (case and spaces ignored).
pub(crate) fn is_required(list: &str, key: &str) -> bool {
    list.split(',')
        .map(str::trim)
        .any(|item| item.eq_ignore_ascii_case(key.trim()))
}

/// The readiness bound: [`READY_TIMEOUT_VAR`] in seconds, else [`DEFAULT_READY_TIMEOUT`].
pub(crate) fn ready_timeout(env: &Env) -> Result<Duration, ServiceError> {
    match env.get(READY_TIMEOUT_VAR) {
        None => Ok(DEFAULT_READY_TIMEOUT),
        Some(text) => match text.parse::<f64>() {
            Ok(secs) if secs.is_finite() && secs > 0.0 => Ok(Duration::from_secs_f64(secs)),
            _ => Err(ServiceError::Config {
                var: READY_TIMEOUT_VAR.into(),
                what: format!("expected a positive number of seconds, got {text:?}"),
            }),
        },
    }
}

/// Probes the service's candidate providers in order, stopping at the first available one,
/// and lets the pure [`chain::decide`] pick. An image that cannot be had while Docker
/// answers is said in one line before the chain falls through.
pub(crate) async fn choose(
    service: Service,
    env: &Env,
    endpoint_set: bool,
    image: &ImageRef,
    pull: impl AsyncFnOnce() -> Result<(), String>,
) -> Result<Decision, ServiceError> {
    let mut avail = Availability {
        image: image.to_string(),
        ..Availability::default()
    };
    let candidates = chain::candidates(service, env)?;
    let mut pull = Some(pull);
    for (i, kind) in candidates.iter().enumerate() {
        let probe = match kind {
            ProviderKind::Endpoint => {
                avail.endpoint = endpoint_set;
                if endpoint_set {
                    break;
                }
                continue;
            }
            ProviderKind::Container => {
                let Some(pull) = pull.take() else { continue };
                avail.container = container::probe(env, image, pull).await;
                &avail.container
            }
            ProviderKind::Native => {
                avail.native = match native::find_on_path(service.binary()) {
                    Some(_) => Probe::Available,
                    None => Probe::Missing {
                        why: "not found".into(),
                    },
                };
                &avail.native
            }
            ProviderKind::Embedded => break,
        };
        match probe {
            Probe::Available => break,
            Probe::Unusable { why } if i + 1 < candidates.len() => {
                tracing::warn!("{service}: {kind}: {why}; trying the next provider");
            }
            _ => {}
        }
    }
    chain::decide(service, env, &avail)
}

/// A URL fit to print: its password, if any, replaced.
pub(crate) fn redact_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

/// What a resolved service prints: provider, server, version and address, in one line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Resolved {
    pub service: Service,
    pub provider: ProviderKind,
    /// The server program, e.g. `redis-server`, `MinIO`, `s3s-fs`, `qdrant`.
    pub server: String,
    pub version: String,
    pub address: String,
    /// Anything else worth the line, e.g. the container image.
    pub detail: Option<String>,
}

impl Resolved {
    /// Says what was resolved (the log line) and keeps it for the run's environment
    /// ([`served`]).
    pub(crate) fn announce(&self) {
        tracing::info!("{self}");
        let what = format!("{} {} {}", self.provider, self.server, self.version);
        let mut served = SERVED.lock().unwrap_or_else(|e| e.into_inner());
        let key = served_key(&served, self.service.key(), self.provider, &what);
        served.insert(key, what);
    }
}

/// The services this process resolved, by key: the bench binary is one run, so what served
/// it belongs in that run's environment.
static SERVED: std::sync::Mutex<std::collections::BTreeMap<String, String>> =
    std::sync::Mutex::new(std::collections::BTreeMap::new());

/// The key `what` is recorded under: the service's, or, where another provider of the same
/// service served this run first (Qdrant's engine beside a server), `service:provider`.
fn served_key(
    served: &std::collections::BTreeMap<String, String>,
    key: &str,
    provider: ProviderKind,
    what: &str,
) -> String {
    match served.get(key) {
        Some(first) if first != what => format!("{key}:{provider}"),
        _ => key.to_string(),
    }
}

/// What served each service this process resolved, by service key (`qdrant` -> `embedded
/// qdrant-edge 0.7.2`).
pub fn served() -> std::collections::BTreeMap<String, String> {
    SERVED.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

impl fmt::Display for Resolved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "perfwarden: {}: {} {} {} at {}",
            self.service.key(),
            self.provider,
            self.server,
            self.version,
            self.address
        )?;
        if let Some(detail) = &self.detail {
            write!(f, " ({detail})")?;
        }
        Ok(())
    }
}

/// What a service value owns: dropping it stops whatever perfwarden started.
///
/// Fields drop in declaration order, so a service struct keeps its `Owned` after the clients
/// that talk to it; the process or container then goes before its data directory.
pub(crate) enum Owned {
    /// A named endpoint: nothing to stop; measured only where it is on this host's loopback
    /// (through the process listening on its port, see [`listener`]).
    Endpoint {
        url: String,
        default_port: u16,
    },
    Container(container::ContainerGuard),
    Child(native::ChildProcess),
    Embedded(embedded_s3::EmbeddedS3),
    /// An engine the service value holds itself, running on threads named `prefix`.
    #[cfg_attr(not(feature = "embedded-qdrant"), allow(dead_code))]
    InProcess {
        prefix: &'static str,
    },
}

impl Owned {
    pub(crate) fn resource_target(&self, service: Service) -> ResourceTarget {
        match self {
            Owned::Endpoint { url, default_port } => {
                listener::endpoint_target(service, url, *default_port)
            }
            Owned::Container(c) => c.resource_target(service),
            Owned::Child(c) => ResourceTarget::Process {
                service,
                provider: ProviderKind::Native,
                pid: c.pid(),
            },
            Owned::Embedded(e) => e.resource_target(),
            Owned::InProcess { prefix } => ResourceTarget::Threads {
                service,
                prefix: (*prefix).into(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_printed_without_passwords() {
        assert_eq!(
            redact_url("redis://:hunter2@cache:6379/0"),
            "redis://:***@cache:6379/0"
        );
        assert_eq!(redact_url("redis://cache:6379"), "redis://cache:6379");
    }

    #[test]
    fn required_keys_match_whole_items() {
        assert!(is_required("redis,s3", "redis"));
        assert!(is_required(" Redis , s3 ", "redis"));
        assert!(is_required("redis:container", "redis:container"));
        assert!(!is_required("redis:container", "redis"));
        assert!(!is_required("redis", "redis:container"));
        assert!(!is_required("", "redis"));
    }

    #[test]
    fn ready_timeout_reads_seconds() {
        let env = Env::from_pairs([(READY_TIMEOUT_VAR, "2.5")]);
        assert_eq!(ready_timeout(&env).unwrap(), Duration::from_millis(2500));
        assert_eq!(
            ready_timeout(&Env::default()).unwrap(),
            DEFAULT_READY_TIMEOUT
        );
        let bad = Env::from_pairs([(READY_TIMEOUT_VAR, "soon")]);
        assert!(ready_timeout(&bad).is_err());
    }

    #[test]
    fn resolved_line_names_provider_version_and_address() {
        let line = Resolved {
            service: Service::Redis,
            provider: ProviderKind::Native,
            server: "redis-server".into(),
            version: "7.0.15".into(),
            address: "127.0.0.1:43211".into(),
            detail: None,
        };
        assert_eq!(
            line.to_string(),
            "perfwarden: redis: native redis-server 7.0.15 at 127.0.0.1:43211"
        );
        // Announced, it is part of this process's run environment (other tests announce
        // too: by value, not by key).
        line.announce();
        assert!(served().values().any(|v| v == "native redis-server 7.0.15"));
    }

    #[test]
    fn a_second_provider_of_a_service_is_recorded_beside_the_first() {
        let mut served = std::collections::BTreeMap::new();
        let server = "endpoint qdrant 1.18.3";
        let key = served_key(&served, "qdrant", ProviderKind::Endpoint, server);
        assert_eq!(key, "qdrant");
        served.insert(key, server.to_string());
        let engine = "embedded qdrant-edge 0.7.2";
        let key = served_key(&served, "qdrant", ProviderKind::Embedded, engine);
        assert_eq!(key, "qdrant:embedded");
        assert_eq!(
            served_key(&served, "qdrant", ProviderKind::Endpoint, server),
            "qdrant",
            "the same one again keeps its key"
        );
    }
}
