//! Errors of the service chain. Each names the service, endpoint or env var it is about; a
//! server that did not come up carries the tail of its own log.

use std::path::PathBuf;

use super::chain::{ProviderKind, Service};

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// An env var the chain reads has a value it cannot use.
    #[error("{var}: {what}")]
    Config { var: String, what: String },

    /// A named endpoint that does not answer, or answers wrongly.
    #[error("{service}: endpoint {endpoint}: {what}")]
    Endpoint {
        service: Service,
        endpoint: String,
        what: String,
    },

    /// A server perfwarden started (container, child process, embedded) that did not come up.
    #[error("{service}: {provider} {what}{}", log_suffix(.log))]
    Start {
        service: Service,
        provider: ProviderKind,
        what: String,
        /// The last lines of the server's own output.
        log: String,
    },

    /// Talking to the Docker engine failed after it had answered.
    #[error("{service}: container {image}: {what}")]
    Container {
        service: Service,
        image: String,
        what: String,
    },

    /// A client for a running server could not be built or could not talk to it.
    #[error("{service}: client for {address}: {what}")]
    Client {
        service: Service,
        address: String,
        what: String,
    },

    /// A service that could not be had while [`REQUIRE_VAR`](super::REQUIRE_VAR) names it.
    #[error(
        "{key} is required ({}={list}) but was skipped: {reason}",
        super::REQUIRE_VAR
    )]
    Required {
        key: String,
        list: String,
        reason: String,
    },

    #[error("{}: {what}: {source}", path.display())]
    Io {
        path: PathBuf,
        what: String,
        #[source]
        source: std::io::Error,
    },
}

impl ServiceError {
    /// True when the error is the user's configuration (exit code 2), not the environment.
    pub fn is_bad_input(&self) -> bool {
        matches!(self, ServiceError::Config { .. })
    }
}

fn log_suffix(log: &str) -> String {
    if log.trim().is_empty() {
        " (the server printed nothing)".to_string()
    } else {
        format!("; its log ends with:\n{}", log.trim_end())
    }
}
