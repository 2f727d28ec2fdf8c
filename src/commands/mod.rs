//! The `perfgate` subcommands that are more than a call into the library: each a clap
//! `Args` struct and a `run` returning the process exit code.

pub mod comment;
pub mod history;
