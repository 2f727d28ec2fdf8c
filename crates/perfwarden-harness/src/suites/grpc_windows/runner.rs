//! Runs the plan: per condition, one raw TCP server and one gRPC server per profile (each
//! behind its own delay proxy when the condition has an RTT), then every size × profile ×
//! operation, with raw TCP measured next to the gRPC cases it is compared with.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hdrhistogram::Histogram;
use tokio::sync::Mutex;

use super::GrpcWindowsError;
use super::client::{BlobClient, Delivered};
use super::config::{Condition, Config, MIN_ITERATIONS, Op, SizeCase};
use super::delay::{DelayProxy, probe_netem};
use super::memory;
use super::payload::{self, MIB};
use super::service::BlobServer;
use super::tcp::{RawTcpClient, RawTcpServer};

/// The target name of the raw TCP baseline in benchmark ids (`raw_tcp/read/64MB`).
pub(crate) const RAW_TCP: &str = "raw_tcp";

/// What one case (target × operation × size × condition) measured.
#[derive(Clone, Debug)]
pub(crate) struct CaseResult {
    /// A profile name, or [`RAW_TCP`].
    pub target: String,
    pub op: Op,
    pub bytes: usize,
    pub rtt_ms: Option<u32>,
    /// Measured operations (iterations × concurrency).
    pub ops: u64,
    /// Throughput of each measured iteration, MiB/s.
    pub samples_mib_s: Vec<f64>,
    /// Per-operation latency, microseconds.
    pub latency_us: Histogram<u64>,
    pub peak_rss_mib: Option<f64>,
    /// True when the peak was reset before the case (see [`memory`]).
    pub peak_rss_per_case: bool,
}

impl CaseResult {
    /// `default/write/64MB`, `raw_tcp/read/16MB/rtt10ms`.
    pub(crate) fn benchmark(&self) -> String {
        benchmark_id(&self.target, self.op, self.bytes, self.rtt_ms)
    }

    /// MiB/s: the median of the measured iterations' throughputs. The median rather than
    /// the mean, because on a shared machine one disturbed iteration should not move it.
    pub(crate) fn throughput_mib_s(&self) -> f64 {
        median(&self.samples_mib_s)
    }

    /// Operations per second at that throughput.
    pub(crate) fn ops_per_s(&self) -> f64 {
        self.throughput_mib_s() * MIB as f64 / self.bytes as f64
    }
}

fn median(samples: &[f64]) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let mut v = samples.to_vec();
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    if !v.len().is_multiple_of(2) {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    }
}

/// A payload size as written in benchmark ids: `64MB` (MiB), or `256KB` below 1 MiB.
pub(crate) fn size_label(bytes: usize) -> String {
    if bytes.is_multiple_of(MIB) {
        format!("{}MB", bytes / MIB)
    } else {
        format!("{}KB", bytes.div_ceil(1024))
    }
}

pub(crate) fn benchmark_id(target: &str, op: Op, bytes: usize, rtt_ms: Option<u32>) -> String {
    let mut id = format!("{target}/{}/{}", op.name(), size_label(bytes));
    if let Some(ms) = rtt_ms {
        id.push_str(&format!("/rtt{ms}ms"));
    }
    id
}

/// Everything a run produced, for [`super::report`].
#[derive(Debug)]
pub struct SuiteOutput {
    pub(crate) results: Vec<CaseResult>,
    /// How delay was emulated, when any condition had one: always the proxy, with the
    /// netem probe's answer kept for the report.
    pub netem: Option<Result<(), String>>,
    pub concurrency: usize,
    pub chunk_bytes: usize,
    pub path_window: usize,
    pub slowdown: f64,
}

/// A client of either kind; gRPC clients share one connection, raw TCP has one
/// connection per concurrent slot.
enum Target {
    Grpc(Box<BlobClient>),
    Raw(Vec<Arc<Mutex<RawTcpClient>>>),
}

/// Runs the whole plan.
pub async fn run(cfg: &Config, progress: bool) -> Result<SuiteOutput, GrpcWindowsError> {
    let payload = payload::generate(cfg.seed, cfg.max_bytes());
    let netem = cfg
        .conditions
        .iter()
        .any(|c| c.rtt_ms.is_some())
        .then(probe_netem);
    let mut results = Vec::new();
    for cond in &cfg.conditions {
        run_condition(cfg, cond, &payload, progress, &mut results).await?;
    }
    Ok(SuiteOutput {
        results,
        netem,
        concurrency: cfg.concurrency,
        chunk_bytes: cfg.chunk_bytes,
        path_window: cfg.path_window,
        slowdown: cfg.slowdown,
    })
}

async fn run_condition(
    cfg: &Config,
    cond: &Condition,
    payload: &Bytes,
    progress: bool,
    results: &mut Vec<CaseResult>,
) -> Result<(), GrpcWindowsError> {
    let rtt = cond.rtt_ms.map(|ms| Duration::from_millis(u64::from(ms)));
    // Servers and proxies live until the end of the condition.
    let mut proxies = Vec::new();
    let raw_server = RawTcpServer::start(payload.clone()).await?;
    let raw_addr = front(raw_server.addr, rtt, cfg.path_window, &mut proxies).await?;
    let mut raw_clients = Vec::new();
    for _ in 0..cfg.concurrency {
        raw_clients.push(Arc::new(Mutex::new(RawTcpClient::connect(raw_addr).await?)));
    }
    let raw = Target::Raw(raw_clients);

    let mut servers = Vec::new();
    let mut clients = Vec::new();
    for profile in &cfg.profiles {
        let server = BlobServer::start(profile, payload.clone()).await?;
        let addr = front(server.addr, rtt, cfg.path_window, &mut proxies).await?;
        clients.push((
            profile.name,
            Target::Grpc(Box::new(
                BlobClient::connect(addr, profile)
                    .await?
                    .with_slowdown(cfg.slowdown),
            )),
        ));
        servers.push(server);
    }

    let mut raw_ops: Vec<Op> = cfg.ops.iter().map(|op| op.tcp_counterpart()).collect();
    raw_ops.sort();
    raw_ops.dedup();
    for &size in &cond.sizes {
        let expected = payload::checksum(&payload[..size.bytes]);
        let case = |target: &'static str, op: Op| Case {
            target,
            op,
            size,
            rtt_ms: cond.rtt_ms,
            expected,
        };
        let mut cases: Vec<(&Target, Case)> = Vec::new();
        for &op in &raw_ops {
            cases.push((&raw, case(RAW_TCP, op)));
        }
        for (name, client) in &clients {
            for &op in &cfg.ops {
                cases.push((client, case(name, op)));
            }
        }
        let mut accs: Vec<Acc> = cases.iter().map(|_| Acc::new()).collect();
        // Rounds: one iteration of every case per round, starting one case later each
        // round. A slow drift of the machine (other work on a shared runner) then touches
        // every case alike instead of whichever case it happened to coincide with, which
        // matters most for `fraction_of_tcp`.
        let rounds = cfg.warmup + size.iterations;
        for round in 0..rounds {
            if progress {
                eprintln!(
                    "grpc_windows: {}{}: round {}/{rounds}{}",
                    size_label(size.bytes),
                    cond.rtt_ms
                        .map_or(String::new(), |ms| format!(" at {ms} ms RTT")),
                    round + 1,
                    if round < cfg.warmup {
                        " (warm-up, verified)"
                    } else {
                        ""
                    }
                );
            }
            for k in 0..cases.len() {
                let k = (k + round) % cases.len();
                let (target, case) = &cases[k];
                let measured = round >= cfg.warmup;
                if accs[k].samples.len() >= MIN_ITERATIONS && accs[k].measured >= cfg.case_budget {
                    continue;
                }
                iteration(
                    cfg,
                    target,
                    case,
                    round == 0,
                    measured,
                    payload,
                    &mut accs[k],
                )
                .await?;
            }
        }
        for ((_, case), acc) in cases.iter().zip(accs) {
            let r = acc.finish(cfg, case);
            if progress {
                eprintln!(
                    "grpc_windows: {:<36} {:>9.1} MB/s  p50 {:>9.2} ms",
                    r.benchmark(),
                    r.throughput_mib_s(),
                    r.latency_us.value_at_quantile(0.5) as f64 / 1000.0
                );
            }
            results.push(r);
        }
    }
    drop(servers);
    Ok(())
}

/// The address clients should use: the server's own, or a new delay proxy in front of it.
async fn front(
    addr: SocketAddr,
    rtt: Option<Duration>,
    window: usize,
    proxies: &mut Vec<DelayProxy>,
) -> Result<SocketAddr, GrpcWindowsError> {
    match rtt {
        None => Ok(addr),
        Some(rtt) => {
            let proxy = DelayProxy::start(addr, rtt, window).await?;
            let addr = proxy.addr;
            proxies.push(proxy);
            Ok(addr)
        }
    }
}

struct Case {
    target: &'static str,
    op: Op,
    size: SizeCase,
    rtt_ms: Option<u32>,
    expected: u64,
}

impl Case {
    fn benchmark(&self) -> String {
        benchmark_id(self.target, self.op, self.size.bytes, self.rtt_ms)
    }
}

/// What a case has measured so far.
struct Acc {
    latency: Histogram<u64>,
    samples: Vec<f64>,
    /// Measured wall time so far.
    measured: Duration,
    peak_rss_mib: Option<f64>,
    per_case: bool,
}

impl Acc {
    fn new() -> Acc {
        Acc {
            latency: Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3)
                .expect("constant histogram bounds are valid"),
            samples: Vec::new(),
            measured: Duration::ZERO,
            peak_rss_mib: None,
            per_case: true,
        }
    }

    fn finish(self, cfg: &Config, case: &Case) -> CaseResult {
        CaseResult {
            target: case.target.to_string(),
            op: case.op,
            bytes: case.size.bytes,
            rtt_ms: case.rtt_ms,
            ops: (self.samples.len() * cfg.concurrency) as u64,
            samples_mib_s: self.samples,
            latency_us: self.latency,
            peak_rss_mib: self.peak_rss_mib,
            peak_rss_per_case: self.per_case,
        }
    }
}

/// One iteration of a case: `concurrency` operations at once. `verify` checks every byte
/// by checksum (the first, warm-up round does); unmeasured iterations only warm up.
/// The memory peak is reset before the iteration and read after it, so a case's peak is
/// the largest of its own iterations.
async fn iteration(
    cfg: &Config,
    target: &Target,
    case: &Case,
    verify: bool,
    measured: bool,
    payload: &Bytes,
    acc: &mut Acc,
) -> Result<(), GrpcWindowsError> {
    let data = payload.slice(..case.size.bytes);
    acc.per_case &= memory::reset_peak();
    let started = Instant::now();
    let outcomes = futures::future::join_all((0..cfg.concurrency).map(|slot| {
        let data = data.clone();
        async move {
            let t = Instant::now();
            let got = once(target, slot, case, data, cfg.chunk_bytes, verify).await?;
            check(case, got, verify)?;
            Ok::<Duration, GrpcWindowsError>(t.elapsed())
        }
    }))
    .await;
    let elapsed = started.elapsed();
    let wall = elapsed.as_secs_f64();
    let peak = memory::peak_rss_mib();
    for outcome in outcomes {
        let took = outcome?;
        if measured {
            acc.latency
                .saturating_record((took.as_micros() as u64).max(1));
        }
    }
    if measured {
        let mib = (cfg.concurrency * case.size.bytes) as f64 / MIB as f64;
        acc.samples.push(mib / wall);
        acc.measured += elapsed;
        acc.peak_rss_mib = match (acc.peak_rss_mib, peak) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }
    Ok(())
}

async fn once(
    target: &Target,
    slot: usize,
    case: &Case,
    data: Bytes,
    chunk_bytes: usize,
    verify: bool,
) -> Result<Delivered, GrpcWindowsError> {
    let size = data.len() as u64;
    match target {
        Target::Grpc(client) => {
            let mut c = client.clone();
            let res = match case.op {
                Op::Write => c.write(data, chunk_bytes, verify).await,
                Op::Read => c.read(size, verify).await,
                Op::Stream => c.stream(size, chunk_bytes, verify).await,
            };
            res.map_err(|source| GrpcWindowsError::Rpc {
                benchmark: case.benchmark(),
                source: Box::new(source),
            })
        }
        Target::Raw(clients) => {
            let mut c = clients[slot].lock().await;
            match case.op {
                Op::Write => c.upload(&data, verify).await,
                Op::Read | Op::Stream => c.download(size, verify).await,
            }
        }
    }
}

/// Every operation must deliver the whole payload; verified ones must hash to the source.
fn check(case: &Case, got: Delivered, verify: bool) -> Result<(), GrpcWindowsError> {
    let corrupt = |what: String| GrpcWindowsError::Corrupt {
        benchmark: case.benchmark(),
        what,
    };
    if got.bytes != case.size.bytes as u64 {
        return Err(corrupt(format!(
            "{} bytes arrived, {} were sent",
            got.bytes, case.size.bytes
        )));
    }
    if verify && got.checksum != Some(case.expected) {
        return Err(corrupt(format!(
            "checksum {:x?} on arrival, {:x} at the source",
            got.checksum, case.expected
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn benchmark_ids_follow_the_schema_convention() {
        assert_eq!(
            benchmark_id("default", Op::Write, 64 * MIB, None),
            "default/write/64MB"
        );
        assert_eq!(
            benchmark_id("conservative", Op::Stream, 16 * MIB, Some(10)),
            "conservative/stream/16MB/rtt10ms"
        );
        assert_eq!(size_label(256 * 1024), "256KB");
    }

    #[test]
    fn median_of_samples() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(median(&[]), 0.0);
    }
}
