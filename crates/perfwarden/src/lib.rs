//! perfwarden: benchmark results, the regression gate and its reports.
//!
//! Data flows one way: [`results`] → [`gate`] → [`report`] → GitHub ([`github`]). The gate and
//! the renderers are pure; reading files, running benches ([`rerun`]) and talking to GitHub
//! sit at the edges. The suites that measure services live in the `perfwarden-harness`
//! package, which depends on this one for the results schema. See ARCHITECTURE.md.

pub mod baseline;
pub mod built_from;
pub mod calibrate;
pub mod cli;
pub mod commands;
pub mod confirm;
pub(crate) mod error;
pub mod gate;
pub mod github;
pub mod history;
pub mod logging;
pub mod profile;
pub(crate) mod pushgateway;
pub mod report;
pub(crate) mod rerun;
pub mod results;

pub use error::Error;
