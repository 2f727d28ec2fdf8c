//! Suite `grpc_windows`: what each HTTP/2 flow-control profile buys a gRPC blob service,
//! measured against raw TCP on the same path in the same run.
//!
//! A tonic blob service and its client run in one process over loopback TCP. Three
//! operations ([`Op`]): **Write** (client streams the payload in chunks), **Read** (one
//! unary response carrying the whole payload) and **Stream** (server streams it in chunks,
//! 4 MiB by default). Message limits allow 256 MiB payloads. Six [`WindowProfile`]s are
//! applied to both the client `Endpoint` and the `Server`: `library` (tonic/hyper defaults,
//! the control), `default` (4 MiB stream / 32 MiB connection window, 1024 streams),
//! `conservative` (64 KiB, 100 streams), `aggressive` (16 MiB / 64 MiB, 2048 streams),
//! `adaptive` (hyper's BDP-probing window) and `bulk` (Aggressive's windows with 1 MiB
//! HTTP/2 frames instead of 16 KiB). Write goes through tonic's prost codec; Read and Stream
//! are framed by hand (module `wire`), the same bytes on the wire without the codec's two
//! copies of every message, which had held Read to 0.2-0.3 of raw TCP at 256 MB.
//!
//! Next to them, plain TCP moves the same bytes (module `tcp`): every profile is also
//! reported as `fraction_of_tcp`. Because windows only matter when bandwidth × delay
//! exceeds them, each run also measures under emulated round-trip times (10 and 50 ms)
//! through an in-process delaying proxy (module `delay`, which explains why not netem).
//! Under 10 ms, Conservative's 64 KiB window caps a stream at 64 KiB / 10 ms = 6.4 MiB/s;
//! expect about three quarters of such a bound, since h2 returns window to the sender only
//! once half of it has been consumed and the proxy's timers add up to a millisecond each way.
//!
//! # Results
//! Benchmarks `<profile>/<op>/<size>[/rtt<N>ms]` (e.g. `default/write/64MB`,
//! `conservative/stream/16MB/rtt10ms`) and `raw_tcp/{write,read}/<size>[/rtt<N>ms]`, with
//! metrics `throughput` (MB/s, where MB = MiB; the median over iterations, each sample
//! kept), `ops_per_s`, `latency_p50`/`latency_p99` (ms, with their HdrHistogram),
//! `fraction_of_tcp` (median throughput over raw TCP's median moving the same bytes the same
//! way under the same condition) and `peak_rss` (MB, see `memory`). Cases of one size are
//! run in interleaved rounds (one iteration of every case per round), so machine drift hits
//! gRPC and raw TCP alike.
//! `best/<op>/<size>[/rtt<N>ms]` carries the best profile's `fraction_of_tcp`, its name in
//! the `profile` label. The run profile (`PERFWARDEN_PROFILE`) picks sizes and iterations
//! ([`Config::for_profile`]): smoke 1 MB, pr 1 and 16 MB, nightly and full 1 to 256 MB.
//!
//! # Knobs (environment)
//! - `PERFWARDEN_GRPC_CONCURRENCY=N`: operations in flight at once, as concurrent streams
//!   on one HTTP/2 connection (raw TCP: N connections). Default 1.
//! - `PERFWARDEN_GRPC_CHUNK_BYTES=N`: Write and Stream chunk size. Default 4194304.
//! - `PERFWARDEN_GRPC_PROFILES=a,b`: only these profiles (names as above). Default all.
//! - `PERFWARDEN_GRPC_OPS=read,stream`: only these operations. Default all three.
//! - `PERFWARDEN_GRPC_RTTS=0,10`: only the conditions with these round-trip times (ms, 0
//!   for loopback as it is), of those the run profile has. Default all.
//! - `PERFWARDEN_GRPC_SIZES=16,256`: these payload sizes (MiB, 1 to 256) under every
//!   condition kept, with the profile's iterations for a size it has (else those of its
//!   largest). Default the profile's.
//! - `PERFWARDEN_INJECT_SLOWDOWN=F`: an injected regression of known size, for calibrating
//!   the gate. Every gRPC operation takes `1 + F` times as long, as if the server were that
//!   much slower: `0.15` lowers throughput and `fraction_of_tcp` to 1/1.15 (-13%) and raises
//!   latencies by 15%, on every profile and condition; raw TCP is not slowed. The wait is
//!   added where an operation's end is known, in the client (see
//!   [`BlobClient::with_slowdown`] for why not in the server). Metrics then carry an
//!   `injected_slowdown` label.

mod client;
mod config;
mod delay;
mod memory;
mod messages;
mod payload;
mod profiles;
mod report;
mod runner;
mod service;
mod tcp;
mod wire;

pub use client::{BlobClient, Delivered};
pub use config::{
    CHUNK_VAR, CONCURRENCY_VAR, Condition, Config, MIN_ITERATIONS, OPS_VAR, Op, PROFILES_VAR,
    RTTS_VAR, SIZES_VAR, SLOWDOWN_VAR, SizeCase,
};
pub use delay::{DEFAULT_PATH_WINDOW, DelayProxy, probe_netem};
pub use payload::{Checksum, DEFAULT_SEED, MIB, checksum, generate};
pub use profiles::WindowProfile;
pub use report::{Best, SUITE};
pub use runner::SuiteOutput;
pub(crate) use runner::run;
pub use service::{BlobServer, DEFAULT_CHUNK_BYTES};
pub use tcp::{RawTcpClient, RawTcpServer};

use perfwarden::results::{Environment, Run, SuiteOutcome};

/// What can go wrong; each names the endpoint or benchmark it is about.
#[derive(Debug, thiserror::Error)]
pub enum GrpcWindowsError {
    #[error("grpc_windows: {what} ({endpoint}): {source}")]
    Io {
        what: &'static str,
        endpoint: String,
        #[source]
        source: std::io::Error,
    },
    #[error("grpc_windows: connecting to {endpoint}: {source}")]
    Connect {
        endpoint: String,
        #[source]
        source: tonic::transport::Error,
    },
    #[error("grpc_windows/{benchmark}: call failed: {source}")]
    Rpc {
        benchmark: String,
        #[source]
        source: Box<tonic::Status>,
    },
    #[error("grpc_windows/{benchmark}: data corrupted: {what}")]
    Corrupt { benchmark: String, what: String },
    #[error("grpc_windows: {var}: {what}")]
    Config { var: &'static str, what: String },
    #[error("grpc_windows: cannot start the tokio runtime: {0}")]
    Runtime(#[source] std::io::Error),
}

impl GrpcWindowsError {
    pub(crate) fn io(what: &'static str, endpoint: &str, source: std::io::Error) -> Self {
        GrpcWindowsError::Io {
            what,
            endpoint: endpoint.to_string(),
            source,
        }
    }
}

/// Runs the suite on its own multi-threaded tokio runtime (one worker per core).
/// `progress` prints one line per finished case to stderr.
pub fn run_blocking(cfg: &Config, progress: bool) -> Result<SuiteOutput, GrpcWindowsError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(GrpcWindowsError::Runtime)?
        .block_on(run(cfg, progress))
}

impl SuiteOutput {
    /// A results-schema run holding this suite's metrics, marked passed.
    pub fn to_run(&self, environment: Environment) -> Run {
        let mut run = Run::new(environment);
        let (metrics, histograms) = self.metrics();
        run.metrics = metrics;
        run.histograms = histograms;
        run.suites.push(SUITE.status(SuiteOutcome::Passed, None));
        run
    }
}
