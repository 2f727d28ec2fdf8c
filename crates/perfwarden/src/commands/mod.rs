//! The `perfwarden` subcommands: each a clap `Args` struct and a `run` function. What a
//! command ends with is an [`Outcome`]; an error is bad input or usage (exit code 2).

pub mod baseline;
pub mod calibrate;
pub mod check;
pub mod comment;
pub mod compare;
pub mod export;
pub mod history;
pub mod import;
pub mod merge;
pub mod publish;
pub mod report_html;

use std::path::PathBuf;
use std::process::ExitCode;

/// How a command ended, and so the process's exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0: the gate passed (or the command did its job).
    Passed,
    /// Exit 1: the gate failed (a regression, a broken budget, a goal not met).
    Failed,
    /// Exit 2: bad input or usage; nothing was written.
    BadInput,
}

impl Outcome {
    /// A command's exit status: 0 passed, 1 failed, anything else bad input.
    pub fn from_code(code: i32) -> Outcome {
        match code {
            0 => Outcome::Passed,
            1 => Outcome::Failed,
            _ => Outcome::BadInput,
        }
    }
}

impl From<Outcome> for ExitCode {
    fn from(o: Outcome) -> ExitCode {
        ExitCode::from(match o {
            Outcome::Passed => 0,
            Outcome::Failed => 1,
            Outcome::BadInput => 2,
        })
    }
}

/// Criterion's output directory: `$CARGO_TARGET_DIR/criterion`, or `target/criterion`.
pub fn default_criterion_dir() -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
    PathBuf::from(target).join("criterion")
}
