//! What every suite's bench target does around its suite: read the profile, have its
//! services provided (or skip with one line, or fail when `PERFWARDEN_REQUIRE_SERVICES`
//! names them), and write the run, a skipped suite included, to the results directory.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::services::{Provided, ServiceError};
use crate::suite::Suite;
use perfwarden::profile::Profile;
use perfwarden::results::{Environment, Run, SuiteOutcome};

/// Why a bench target could not do its part (the suite's own errors are the suite's).
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// `PERFWARDEN_PROFILE` names no profile.
    #[error("{0}")]
    Profile(String),
    #[error(transparent)]
    Service(#[from] ServiceError),
    /// The results file could not be written.
    #[error(transparent)]
    Results(#[from] perfwarden::Error),
}

/// One bench target's run of its suite.
#[derive(Debug)]
pub struct Bench {
    pub suite: &'static Suite,
    pub profile: Profile,
}

impl Bench {
    /// The bench of `suite` at `PERFWARDEN_PROFILE` (default `pr`), with diagnostics set up
    /// ([`crate::logging::init`], `RUST_LOG`).
    pub fn from_env(suite: &'static Suite) -> Result<Bench, BenchError> {
        crate::logging::init();
        let profile = Profile::from_env_or(Profile::Pr).map_err(BenchError::Profile)?;
        Ok(Bench { suite, profile })
    }

    /// True under `cargo bench`, which passes `--bench`; `cargo test --benches` does not,
    /// and then only the Criterion part runs (each benchmark once, as a test).
    pub fn bench_mode() -> bool {
        std::env::args().any(|a| a == "--bench")
    }

    /// A boolean environment switch: unset or empty means `default`; 0, false and no are off.
    pub fn env_flag(name: &str, default: bool) -> bool {
        match std::env::var(name) {
            Ok(v) if !v.trim().is_empty() => !matches!(v.trim(), "0" | "false" | "no"),
            _ => default,
        }
    }

    /// This machine's environment, at this bench's profile, with the services resolved so
    /// far.
    pub fn environment(&self) -> Environment {
        // Keeps this crate's folder in every suite's binary beside perfwarden's: `check` reads
        // both to know that the bench was built from the tree it asked for.
        let _ = perfwarden::manifest_dir!();
        let mut env = Environment::detect(self.profile);
        env.services = crate::services::served();
        env
    }

    /// A fresh run in [`environment`](Self::environment).
    pub fn run(&self) -> Run {
        Run::new(self.environment())
    }

    /// The service the suite cannot run without. When it is skipped: says so in one line,
    /// writes the skipped suite (so an earlier run's results are never gated as this one's)
    /// and gives `None`; an error instead when the service is required.
    pub fn service_or_skip<T>(
        &self,
        provided: Provided<T>,
        key: &str,
    ) -> Result<Option<T>, BenchError> {
        match provided.unless_required(key)? {
            Provided::Ready(service) => Ok(Some(service)),
            Provided::Skipped(reason) => {
                println!("{}: skipped: {key}: {reason}", self.suite);
                let run = Run::skipped(
                    self.environment(),
                    self.suite.name,
                    format!("{key}: {reason}"),
                );
                self.write(&run)?;
                Ok(None)
            }
        }
    }

    /// A service the suite can do part of its work without: skipped with one line, an error
    /// when required.
    pub fn optional_service<T>(
        &self,
        provided: Provided<T>,
        key: &str,
    ) -> Result<Provided<T>, BenchError> {
        let provided = provided.unless_required(key)?;
        if let Some(reason) = provided.skip_reason() {
            println!("{}: {key} skipped: {reason}", self.suite);
        }
        Ok(provided)
    }

    /// Writes `run` with the suite's status (passed, or failed with `failure`) and its
    /// charts, says where in one line, and returns the exit code: 0 passed, 1 failed, 2 when
    /// the failure is bad input.
    pub fn finish(
        &self,
        mut run: Run,
        failure: Option<Failure>,
        note: Option<String>,
    ) -> Result<ExitCode, BenchError> {
        let (outcome, reason, code) = match failure {
            None => (SuiteOutcome::Passed, note, ExitCode::SUCCESS),
            Some(f) => {
                eprintln!("{}: {}", self.suite, f.message);
                let code = ExitCode::from(if f.bad_input { 2 } else { 1 });
                (SuiteOutcome::Failed, Some(f.message), code)
            }
        };
        run.suites.push(self.suite.status(outcome, reason));
        let path = self.write(&run)?;
        println!(
            "{}: {} metrics in {}",
            self.suite,
            run.metrics.len(),
            path.display()
        );
        Ok(code)
    }

    /// Writes `run` as the suite's results file, whose path it returns.
    pub fn write(&self, run: &Run) -> Result<PathBuf, BenchError> {
        Ok(run.write_to_results_dir(self.suite.name)?)
    }
}

/// How a suite failed, for its status and the exit code.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    /// The user's input is at fault (exit code 2), not the environment.
    pub bad_input: bool,
}
