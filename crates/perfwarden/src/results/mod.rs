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
pub mod schema;
mod store;
mod validate;

pub use atomic::{write_atomic, write_atomic_all};
pub use environment::MACHINE_CLASS_VAR;
pub use read::{MAX_FILE_BYTES, absorb, json_files, parse_run, read_run, read_run_set};
pub use rounds::rounds_as_samples;
pub use schema::*;
pub use store::results_dir;
pub use validate::{one_line, validate};
