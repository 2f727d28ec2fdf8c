//! The library's errors. Every variant names the file, endpoint or benchmark it is about,
//! so the one line printed by `main` is enough to act on.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file that cannot be read at all (missing, unreadable).
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A file that was read but is not valid input.
    #[error("{}: {what}", path.display())]
    BadInput { path: PathBuf, what: String },
    /// Valid input that a command will not act on without being forced (a baseline update
    /// from a run with failed suites).
    #[error("{}: {what}", path.display())]
    Refused { path: PathBuf, what: String },
    /// A service that did not do what was asked (a Pushgateway that is down or refuses).
    #[error("{endpoint}: {what}")]
    Endpoint { endpoint: String, what: String },
    #[error("{}: cannot write: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// True when the error is the user's input (exit code 2), not the environment.
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            Error::Read { .. } | Error::BadInput { .. } | Error::Refused { .. }
        )
    }
}
