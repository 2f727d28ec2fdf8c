//! `cargo bench --bench peers`: our load engine against wrk, oha, Locust (on a no-op HTTP
//! server) and redis-benchmark (on a real Redis), the same work in alternating rounds; see
//! `perfwarden_harness::suites::peers`. Rounds and lengths follow `PERFWARDEN_PROFILE`.
//! Results go to `peers.json` in the results directory, the report to stdout.
//!
//! The same executable is each of the bench's child processes (the no-op server, our
//! client) when started with `--peers-role`, so every client is a process of its own.

use std::process::ExitCode;

use perfwarden_harness::bench::{Bench, Failure};
use perfwarden_harness::services::{self, Provided};
use perfwarden_harness::suites::peers::{self, Plan, Role, SUITE};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if let Some(role) = Role::from_args(&args) {
        return match role.map_err(anyhow::Error::msg).and_then(Role::run) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("peers: child: {e:#}");
                ExitCode::from(2)
            }
        };
    }
    match bench() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{SUITE}: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn bench() -> anyhow::Result<ExitCode> {
    let bench = Bench::from_env(&SUITE)?;
    // `cargo test --benches` runs bench targets without `--bench`: nothing to time then.
    if !Bench::bench_mode() {
        return Ok(ExitCode::SUCCESS);
    }
    let plan = Plan::for_profile(bench.profile);
    let rt = tokio::runtime::Runtime::new()?;
    // Kept until the end: dropping it stops a Redis perfwarden started.
    let redis = bench.optional_service(rt.block_on(services::redis::provide())?, "redis")?;
    let url = match &redis {
        Provided::Ready(r) => Some(r.url.as_str()),
        Provided::Skipped(_) => None,
    };
    let mut run = bench.run();
    let result = peers::run(&plan, url);
    let failure = match &result {
        Ok(results) => {
            results.record(&mut run);
            None
        }
        Err(e) => Some(Failure {
            message: format!("{e:#}"),
            bad_input: false,
        }),
    };
    let code = bench.finish(run, failure, None)?;
    if let Ok(results) = result {
        print!("{}", results.markdown());
    }
    drop(redis);
    Ok(code)
}
