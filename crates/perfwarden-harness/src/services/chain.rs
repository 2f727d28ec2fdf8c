//! The provider chain's decision, as a pure function of the environment and of what the
//! machine offers. The provider modules probe the machine and start servers; this file only
//! says which provider to use, or the one line that explains a skip.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use super::ServiceError;

/// The env var forcing one provider for every service.
pub(crate) const PROVIDER_VAR: &str = "PERFWARDEN_PROVIDER";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Service {
    Redis,
    S3,
    Qdrant,
}

impl Service {
    /// The lowercase key used in env vars, `PERFWARDEN_REQUIRE_SERVICES` and printed lines.
    pub(crate) fn key(self) -> &'static str {
        match self {
            Service::Redis => "redis",
            Service::S3 => "s3",
            Service::Qdrant => "qdrant",
        }
    }

    pub(crate) fn title(self) -> &'static str {
        match self {
            Service::Redis => "Redis",
            Service::S3 => "S3",
            Service::Qdrant => "Qdrant",
        }
    }

    /// The env var forcing this service's provider, e.g. `PERFWARDEN_REDIS`.
    pub(crate) fn force_var(self) -> &'static str {
        match self {
            Service::Redis => "PERFWARDEN_REDIS",
            Service::S3 => "PERFWARDEN_S3",
            Service::Qdrant => "PERFWARDEN_QDRANT",
        }
    }

    /// The providers this service has, in the chain's order.
    pub(crate) fn providers(self) -> &'static [ProviderKind] {
        use ProviderKind::*;
        match self {
            Service::Redis => &[Endpoint, Container, Native],
            // Qdrant's engine in-process, when this binary was built with it.
            Service::Qdrant if cfg!(feature = "embedded-qdrant") => {
                &[Endpoint, Container, Native, Embedded]
            }
            Service::Qdrant => &[Endpoint, Container, Native],
            Service::S3 => &[Endpoint, Container, Native, Embedded],
        }
    }

    /// What the user sets to name an endpoint, as the skip line says it.
    pub(crate) fn endpoint_hint(self) -> &'static str {
        match self {
            Service::Redis => "set REDIS_URL",
            Service::S3 => "set AWS_ENDPOINT_URL_S3 (or S3_ENDPOINT) and S3_BUCKET",
            Service::Qdrant => "set QDRANT_URL (and QDRANT_API_KEY)",
        }
    }

    /// The server binary the native provider looks for on PATH.
    pub(crate) fn binary(self) -> &'static str {
        match self {
            Service::Redis => "redis-server",
            Service::S3 => "minio",
            Service::Qdrant => "qdrant",
        }
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProviderKind {
    Endpoint,
    Container,
    Native,
    Embedded,
}

impl ProviderKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Endpoint => "endpoint",
            ProviderKind::Container => "container",
            ProviderKind::Native => "native",
            ProviderKind::Embedded => "embedded",
        }
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ProviderKind {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s.trim().to_ascii_lowercase().as_str() {
            "endpoint" => Ok(ProviderKind::Endpoint),
            "container" | "docker" | "testcontainers" => Ok(ProviderKind::Container),
            "native" | "binary" | "process" => Ok(ProviderKind::Native),
            "embedded" | "in-process" => Ok(ProviderKind::Embedded),
            _ => Err(()),
        }
    }
}

/// A snapshot of the environment variables the chain reads. Empty values count as unset.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Env(BTreeMap<String, String>);

impl Env {
    /// The process environment, now.
    pub fn from_process() -> Env {
        Env(std::env::vars().collect())
    }

    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Env {
        Env(pairs
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect())
    }

    /// The value of `name`, trimmed, or `None` when unset or empty.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    /// A copy with `name` set (for callers that force a provider without touching the
    /// process environment).
    pub fn with(mut self, name: &str, value: &str) -> Env {
        self.0.insert(name.to_string(), value.to_string());
        self
    }
}

/// What probing found for one provider.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) enum Probe {
    /// Not looked at (the chain had already found an earlier provider).
    #[default]
    Unknown,
    Available,
    /// Not there; `why` completes the skip line, e.g. "Docker does not answer".
    Missing {
        why: String,
    },
    /// There, but unusable in a way the user should hear about at once, e.g. Docker answers
    /// but the image cannot be pulled. The chain prints `why` and falls through.
    Unusable {
        why: String,
    },
}

/// What the machine offers for one service, as far as it was probed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Availability {
    /// The endpoint env vars are set (their values are checked by `endpoint`).
    pub endpoint: bool,
    pub container: Probe,
    /// The image the container provider would run, for the skip line.
    pub image: String,
    pub native: Probe,
}

/// How a service is forced, if it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Forcing {
    Auto,
    /// `var` set to `value` forces `kind`.
    Provider {
        var: &'static str,
        kind: ProviderKind,
    },
    /// `var` turns the service off.
    Off {
        var: &'static str,
    },
}

/// The chain's answer for one service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    Use(ProviderKind),
    Skip(String),
}

/// Reads the forcing env vars; the per-service one wins over [`PROVIDER_VAR`].
pub(crate) fn forcing(service: Service, env: &Env) -> Result<Forcing, ServiceError> {
    for var in [service.force_var(), PROVIDER_VAR] {
        let Some(value) = env.get(var) else { continue };
        let lower = value.to_ascii_lowercase();
        if matches!(lower.as_str(), "skip" | "off" | "none") {
            return Ok(Forcing::Off { var });
        }
        if lower == "auto" {
            return Ok(Forcing::Auto);
        }
        return match value.parse::<ProviderKind>() {
            Ok(kind) => Ok(Forcing::Provider { var, kind }),
            Err(()) => Err(ServiceError::Config {
                var: var.into(),
                what: format!(
                    "unknown provider {value:?}; expected endpoint, container, native, embedded, auto or skip"
                ),
            }),
        };
    }
    Ok(Forcing::Auto)
}

/// The providers to probe, in order. Empty when the service is forced off or forced to a
/// provider it does not have ([`decide`] then says why).
pub(crate) fn candidates(service: Service, env: &Env) -> Result<Vec<ProviderKind>, ServiceError> {
    Ok(match forcing(service, env)? {
        Forcing::Auto => service.providers().to_vec(),
        Forcing::Provider { kind, .. } if service.providers().contains(&kind) => vec![kind],
        Forcing::Provider { .. } | Forcing::Off { .. } => Vec::new(),
    })
}

/// Picks the first candidate that is available, or says in one line why none is.
pub(crate) fn decide(
    service: Service,
    env: &Env,
    avail: &Availability,
) -> Result<Decision, ServiceError> {
    let forced = forcing(service, env)?;
    if let Forcing::Off { var } = forced {
        return Ok(Decision::Skip(format!(
            "{} is turned off by {var}",
            service.title()
        )));
    }
    if let Forcing::Provider { var, kind } = forced
        && !service.providers().contains(&kind)
    {
        return Ok(Decision::Skip(format!(
            "no {}: {var}={kind}, but {} has no {kind} provider",
            service.title(),
            service.title()
        )));
    }
    for kind in candidates(service, env)? {
        if is_available(kind, avail) {
            return Ok(Decision::Use(kind));
        }
    }
    let hints: Vec<String> = candidates(service, env)?
        .into_iter()
        .map(|kind| hint(service, kind, avail))
        .collect();
    Ok(Decision::Skip(match forced {
        Forcing::Provider { var, kind } => format!(
            "no {}: {var}={kind} forces the {kind} provider: {}",
            service.title(),
            hints.join("")
        ),
        _ => format!("no {}: {}", service.title(), join_or(&hints)),
    }))
}

fn is_available(kind: ProviderKind, avail: &Availability) -> bool {
    match kind {
        ProviderKind::Endpoint => avail.endpoint,
        ProviderKind::Container => avail.container == Probe::Available,
        ProviderKind::Native => avail.native == Probe::Available,
        // The embedded server or engine is part of this binary; the chain lists it only
        // where one was built in.
        ProviderKind::Embedded => true,
    }
}

/// What would enable one provider, with what probing found in parentheses.
fn hint(service: Service, kind: ProviderKind, avail: &Availability) -> String {
    let (text, probe) = match kind {
        ProviderKind::Endpoint => (service.endpoint_hint().to_string(), &Probe::Unknown),
        ProviderKind::Container => (
            format!("run Docker with the {} image", avail.image),
            &avail.container,
        ),
        ProviderKind::Native => (format!("put `{}` on PATH", service.binary()), &avail.native),
        ProviderKind::Embedded => ("use the embedded server".to_string(), &Probe::Unknown),
    };
    match probe {
        Probe::Missing { why } | Probe::Unusable { why } => format!("{text} ({why})"),
        Probe::Unknown | Probe::Available => text,
    }
}

/// "a, b, or c".
fn join_or(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{}, or {last}", init.join(", ")),
    }
}

#[cfg(test)]
#[path = "chain_tests.rs"]
mod tests;
