//! The results schema and everything that reads, writes and transforms results.

mod atomic;
mod chart;
pub mod criterion;
mod environment;
pub mod export;
pub mod hist;
pub mod merge;
mod read;
mod rounds;
pub(crate) mod schema;
mod store;
mod validate;

pub use atomic::{write_atomic, write_atomic_all};
pub(crate) use read::{absorb, json_files};
pub use read::{parse_run, read_run, read_run_set};
pub(crate) use rounds::rounds_as_samples;
pub use schema::*;
pub use store::results_dir;
pub(crate) use validate::one_line;
pub use validate::validate;
