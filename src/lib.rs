//! perfgate: a benchmark harness with CI regression gating for a vector-search stack.
//!
//! Data flows one way: suites → [`results`] → gate → report → GitHub. See ARCHITECTURE.md.

pub mod baseline;
pub mod commands;
pub mod error;
pub mod github;
pub mod history;
pub mod load;
pub mod profile;
pub mod results;
pub mod services;
pub mod suites;

pub use error::Error;
