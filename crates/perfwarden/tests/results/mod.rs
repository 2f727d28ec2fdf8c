//! Results I/O: Criterion import, exports, merging load machines, baseline updates and the
//! commands that wrap them.

use std::path::{Path, PathBuf};

/// Generators for the property tests of `malformed` and `schema`.
pub mod arb;

/// Where the committed fixtures are.
pub fn fixtures() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("fixtures")
}
mod atomic;
mod baseline;
mod commands;
mod criterion;
mod export;
mod merge;
