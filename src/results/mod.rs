//! The results schema and everything that reads, writes and transforms results.

mod environment;
mod read;
pub mod schema;
mod store;

pub use environment::MACHINE_CLASS_VAR;
pub use read::{MAX_FILE_BYTES, json_files, parse_run, read_run, read_run_set, validate};
pub use schema::*;
pub use store::{results_dir, write_atomic};
