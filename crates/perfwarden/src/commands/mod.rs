//! The `perfwarden` subcommands that are more than a call into the library: each a clap
//! `Args` struct and a `run` returning the process exit code. An error whose
//! [`Error::is_bad_input`](crate::Error::is_bad_input) is true means exit code 2.

pub mod baseline;
pub mod calibrate;
pub mod comment;
pub mod export;
pub mod history;
pub mod import;
pub mod merge;
pub mod report_html;

use std::path::PathBuf;

/// Criterion's output directory: `$CARGO_TARGET_DIR/criterion`, or `target/criterion`.
pub fn default_criterion_dir() -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
    PathBuf::from(target).join("criterion")
}
