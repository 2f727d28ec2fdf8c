//! The suite's errors: each names the file, endpoint or collection it is about, in one line.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum QdrantError {
    /// The collections fixture is missing or invalid.
    #[error("{}: {what}", path.display())]
    Fixture { path: PathBuf, what: String },
    /// A collection of ours already exists with a shape we did not ask for; it may not be
    /// ours, so it is left alone.
    #[error(
        "{endpoint}: collection {collection:?} already exists as {existing}, the fixture wants {wanted}; \
         delete it or choose another prefix with PERFWARDEN_QDRANT_PREFIX"
    )]
    Shape {
        endpoint: String,
        collection: String,
        existing: String,
        wanted: String,
    },
    /// A request to Qdrant failed where the suite cannot go on without it.
    #[error("{endpoint}: {what}")]
    Qdrant { endpoint: String, what: String },
    /// The run was stopped because Qdrant stopped answering; what was measured is kept.
    #[error("{endpoint}: {benchmark}: {what}")]
    Aborted {
        endpoint: String,
        benchmark: String,
        what: String,
    },
    /// A setting in the environment is invalid.
    #[error("{0}")]
    Config(String),
}

impl QdrantError {
    /// True when the user's input is at fault (exit code 2), not the environment.
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            QdrantError::Fixture { .. } | QdrantError::Shape { .. } | QdrantError::Config(_)
        )
    }
}
