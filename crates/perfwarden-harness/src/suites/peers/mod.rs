//! Suite `peers`: our load engine against the tools a user would pick instead, on the same
//! offered work in the same run, so what the harness adds to a number is measured too.
//!
//! Two targets: a no-op HTTP/1.1 server (hyper, `200 OK` with an empty body, in a child
//! process of its own) and a real Redis (the services layer's; GET of one 3-byte key).
//! Against the HTTP server: our engine behind a minimal HTTP/1.1 client (`ours`: a request
//! built once, `httparse` on the answer, as wrk's own; see [`raw_http`]), the same engine
//! behind hyper's client (`ours-hyper`, what oha uses: the library's cost shows as
//! `ours_vs_ours-hyper`), `wrk`, `oha` and Locust; against Redis: our engine (the `redis`
//! crate) and `redis-benchmark` (see [`tools`] for each command line). Every client runs
//! as a child process on one thread and is charged the CPU the kernel accounted to it
//! ([`child`]).
//!
//! Two loads, each run by every tool in turn, in rounds whose order rotates (A B C D,
//! B C D A, ...), so drift of a shared machine touches every tool alike:
//! - **saturated**: 16 connections back to back; the result is requests per client
//!   CPU-second (requests completed / user+system seconds of the client process).
//! - **at a fixed rate** well below saturation: HTTP at 500 requests/s over 5 connections
//!   (wrk approximates it with a per-connection delay); Redis over one connection back to
//!   back, since redis-benchmark has no rate option. The result is the p50 and p99 each
//!   tool reports.
//!
//! # Results
//! `http/<tool>/saturated` and `redis/<tool>/saturated`: `requests_per_cpu_s` (ops/s) and
//! `throughput` (ops/s); `http/<tool>/rate500` and `redis/<tool>/c1`: `latency_p50`,
//! `latency_p99` (ms) and `throughput`, and for ours at a rate `send_lag_p50` (µs: how late
//! the median request left after its slot, the engine's own share of its p50); each the
//! median over rounds, the rounds kept as samples. `http/ours_vs_<tool>` and
//! `redis/ours_vs_redis-benchmark`: `cpu_efficiency` (ours over theirs, a ratio, higher is
//! better), `p50_ratio` (ours over theirs, lower is better) and `p50_added` (µs our p50
//! exceeds theirs, 0 when it does not), from the paired rounds. Goals (issue 16): requests
//! per CPU-second at least the best of wrk and oha, p50 within 20 µs of it, at least 5
//! times Locust's.
//!
//! A tool that is not installed is skipped with one line saying how to install it; Redis
//! missing skips the Redis half. Rounds and seconds per run follow `PERFWARDEN_PROFILE`.

mod child;
mod ours;
mod raw_http;
mod report;
mod run;
mod tools;

pub use ours::{Client, Role};
pub use report::SUITE;
pub use run::{Plan, Results, run};

use serde::{Deserialize, Serialize};

/// The key both our client and redis-benchmark GET: redis-benchmark's own, without `-r`.
pub(crate) const REDIS_KEY: &str = "key:__rand_int__";

/// How a client loads the target.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Mode {
    /// Every connection sends its next request as soon as the last one is answered.
    Saturate,
    /// Requests per second, over all connections.
    Rate(f64),
}

impl Mode {
    fn parse(s: &str) -> Option<Mode> {
        match s.strip_prefix("rate:") {
            None if s == "saturate" => Some(Mode::Saturate),
            Some(r) => r
                .parse()
                .ok()
                .filter(|r: &f64| r.is_finite() && *r > 0.0)
                .map(Mode::Rate),
            None => None,
        }
    }

    fn arg(self) -> String {
        match self {
            Mode::Saturate => "saturate".into(),
            Mode::Rate(r) => format!("rate:{r}"),
        }
    }
}

/// What one client run reported, in the tool's own numbers.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// Requests answered successfully.
    pub requests: u64,
    pub errors: u64,
    /// The measured period as the tool reports it (0 when it does not).
    pub secs: f64,
    pub p50_us: Option<f64>,
    pub p99_us: Option<f64>,
    /// Ours at a fixed rate: the median request's lateness after its slot, the part of
    /// `p50_us` our engine added before the request left (the tools do not report theirs).
    #[serde(default)]
    pub send_lag_p50_us: Option<f64>,
}
