//! The `perfgate` subcommands that are more than a call into the library: each a clap
//! `Args` struct and a `run` returning the process exit code.

pub mod comment;
pub mod history;
//! The CLI's commands about results files: thin wrappers that parse arguments, call the
//! library and say what they wrote. Each returns `Ok(())` for exit code 0; an [`Error`]
//! whose [`Error::is_bad_input`] is true means exit code 2.
//!
//! [`Error`]: crate::Error
//! [`Error::is_bad_input`]: crate::Error::is_bad_input

pub mod baseline;
pub mod export;
pub mod import;
pub mod merge;

use std::path::PathBuf;

/// Criterion's output directory: `$CARGO_TARGET_DIR/criterion`, or `target/criterion`.
pub fn default_criterion_dir() -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
    PathBuf::from(target).join("criterion")
}
