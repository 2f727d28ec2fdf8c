//! perfgate: a benchmark harness with CI regression gating for a vector-search stack.
//!
//! Data flows one way: suites → [`results`] → gate → report → GitHub. See ARCHITECTURE.md.

pub mod error;
pub mod profile;
pub mod results;
pub mod services;

pub use error::Error;
