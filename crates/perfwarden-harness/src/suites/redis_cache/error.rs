//! The suite's errors: each names the endpoint, program or benchmark it is about, in one line.

use crate::qdrant::QdrantError;
use crate::services::ServiceError;

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// A Redis command the suite cannot go on without failed (outside the measured
    /// requests, whose failures are counted instead).
    #[error("{address}: {what}")]
    Redis { address: String, what: String },
    /// Setting the backend's collection up failed (the shared Qdrant layer's error).
    #[error(transparent)]
    Backend(#[from] QdrantError),
    /// redis-benchmark could not be run or gave nothing to read.
    #[error("{program}: {what}")]
    RedisBenchmark { program: String, what: String },
    /// A phase stopped because nothing answered any more; what was measured is kept.
    #[error("{benchmark}: {what}")]
    Aborted { benchmark: String, what: String },
    /// A service could not be started or reached.
    #[error(transparent)]
    Service(#[from] ServiceError),
    /// A setting in the environment is invalid.
    #[error("{0}")]
    Config(String),
}

impl CacheError {
    /// True when the user's input is at fault (exit code 2), not the environment.
    pub fn is_bad_input(&self) -> bool {
        match self {
            CacheError::Config(_) => true,
            CacheError::Backend(e) => e.is_bad_input(),
            _ => false,
        }
    }
}
