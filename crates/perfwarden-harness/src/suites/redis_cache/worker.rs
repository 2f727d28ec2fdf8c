//! The suite's worker mode: one load machine's share of an open-loop plan on the cache's hit
//! path, for several machines started together (see [`crate::load::Share`]; `cargo bench
//! --bench redis_cache` runs this instead of the suite when `PERFWARDEN_WORKER` or
//! `JOB_COMPLETION_INDEX` is set). Each worker writes its results; `perfwarden merge` adds
//! their histograms and rates into the run one machine would have measured.
//!
//! The plan: `PERFWARDEN_WORKER_RATE` requests per second in total (all workers together),
//! for `PERFWARDEN_WORKER_SECS` after the profile's warm-up, each a cache lookup of one of
//! `PERFWARDEN_WORKER_KEYS` ([`KEYS`]) queries drawn Zipf-distributed (seeded: slot `k` asks the same query on whichever
//! worker sends it). Before the start every worker fills the cache with those keys under its
//! own namespace (placeholders, no backend), so every measured request is a hit: the
//! cheapest real request there is, which makes the client machines the limit sooner.
//! `PERFWARDEN_WORKER_LOG=<file>` also writes each measured request's slot and completion
//! time (Unix ns), so a check outside the engine can recompute the latencies of all requests.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::cache::{CacheAside, Lookup};
use super::error::CacheError;
use super::mix::{self, Mix};
use super::options::Options;
use super::queries::QueryPool;
use super::record::SUITE;
use super::tally::Served;
use crate::load::{self, LoadConfig, LoadReport, Share};
use crate::qdrant::fixture::Fixture;
use crate::services::redis::RedisService;
use perfwarden::results::Run;

pub const RATE_VAR: &str = "PERFWARDEN_WORKER_RATE";
pub const SECS_VAR: &str = "PERFWARDEN_WORKER_SECS";
pub const LOG_VAR: &str = "PERFWARDEN_WORKER_LOG";
pub const KEYS_VAR: &str = "PERFWARDEN_WORKER_KEYS";

/// Distinct queries of the plan by default (all cached before the start).
pub const KEYS: usize = 1_000;
const DEFAULT_RATE: f64 = 1_000.0;
const DEFAULT_SECS: f64 = 10.0;
/// Requests a worker may have outstanding; beyond it, requests wait and count as late.
const MAX_IN_FLIGHT: usize = 64;

/// The plan every worker shares.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkerPlan {
    /// Requests per second of all workers together.
    pub rate: f64,
    pub duration: Duration,
    /// Distinct queries drawn from (each a 4096-dim vector to generate and hash first).
    pub keys: usize,
    pub log: Option<std::path::PathBuf>,
}

impl WorkerPlan {
    /// The plan from the `PERFWARDEN_WORKER_*` variables.
    pub fn from_env() -> Result<WorkerPlan, CacheError> {
        let var = |name: &str| std::env::var(name).ok().filter(|s| !s.trim().is_empty());
        let positive = |name: &str, default: f64| match var(name) {
            None => Ok(default),
            Some(s) => s
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v > 0.0)
                .ok_or_else(|| {
                    CacheError::Config(format!("{name}: {s:?} is not a positive number"))
                }),
        };
        Ok(WorkerPlan {
            rate: positive(RATE_VAR, DEFAULT_RATE)?,
            duration: Duration::from_secs_f64(positive(SECS_VAR, DEFAULT_SECS)?),
            keys: positive(KEYS_VAR, KEYS as f64)?.round().max(1.0) as usize,
            log: var(LOG_VAR).map(Into::into),
        })
    }

    /// The benchmark the workers' results share (so they merge).
    pub fn benchmark(collection: &str) -> String {
        format!("workers/hit_path/{collection}")
    }
}

/// Runs this worker's share of `plan`, appending its metrics to `run`.
pub async fn run(
    redis: &RedisService,
    opts: &Options,
    share: Share,
    plan: &WorkerPlan,
    run: &mut Run,
) -> Result<LoadReport, CacheError> {
    let fixture = Fixture::load(&opts.fixture)?;
    let spec = fixture.select(Some(&[opts.plan.collection]))?.remove(0);
    let pool = Arc::new(redis.pool(opts.plan.connections).await?);
    let queries = Arc::new(QueryPool::new(
        opts.seed,
        &spec,
        &opts.qdrant_name(),
        plan.keys,
        opts.plan.limit,
        opts.plan.filtered_every,
    ));
    let cache = Arc::new(CacheAside::new(
        pool,
        redis.address(),
        opts.ttl,
        opts.redis_timeout,
        None,
        opts.plan.limit as usize,
    ));
    let keys: Arc<Vec<String>> = Arc::new(
        (0..plan.keys as u32)
            .map(|rank| queries.key(&opts.namespace, &queries.digest(rank).0))
            .collect(),
    );
    for key in keys.iter() {
        let filled = cache.lookup(key, unreachable_request).await;
        if filled.served == Served::Failed {
            return Err(redis_error(&cache, filled));
        }
    }
    let slots = (opts.plan.warmup + plan.duration).as_secs_f64() * plan.rate;
    let draws = Arc::new(mix::draws(
        Mix::Zipf {
            exponent: opts.plan.zipf_exponent,
        },
        plan.keys,
        (slots.ceil() as usize).max(1),
        opts.seed,
    ));
    // Wait here rather than in the engine, so its progress lines count from the start.
    let start = share.start(Duration::ZERO).map_err(CacheError::Config)?;
    tokio::time::sleep_until(
        start
            .checked_sub(Duration::from_millis(50))
            .unwrap_or(start)
            .into(),
    )
    .await;
    let log: Arc<Mutex<Vec<(u64, u128)>>> = Arc::new(Mutex::new(Vec::new()));
    let cfg = LoadConfig::new(
        format!("{} worker {}", SUITE.name, share.label()),
        opts.plan.warmup,
        plan.duration,
    )
    .progress(opts.progress)
    .share(share);
    let report = {
        let (cache, keys, log, logging) =
            (cache.clone(), keys.clone(), log.clone(), plan.log.is_some());
        load::open_loop(&cfg, plan.rate, MAX_IN_FLIGHT, move |k| {
            let key = keys[draws[(k % draws.len() as u64) as usize] as usize].clone();
            let (cache, log) = (cache.clone(), log.clone());
            async move {
                let looked = cache.lookup(&key, unreachable_request).await;
                if logging {
                    let done = SystemTime::now()
                        .duration_since(UNIX_EPOCH)
                        .unwrap_or_default();
                    log.lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((k, done.as_nanos()));
                }
                match looked.served {
                    Served::Hit => Ok(()),
                    Served::Failed => Err(looked.error.unwrap_or_else(|| "failed".into())),
                    other => Err(format!(
                        "{key}: {other:?}, not a hit: the cache lost the key"
                    )),
                }
            }
        })
        .await
    };
    let (metrics, hists) = report.to_metrics(SUITE.name, &WorkerPlan::benchmark(&spec.name));
    run.metrics.extend(
        metrics
            .into_iter()
            .map(|m| m.label("workers", share.of.to_string())),
    );
    run.histograms.extend(hists);
    if let Some(path) = &plan.log {
        write_log(path, &log.lock().unwrap_or_else(|e| e.into_inner()))?;
    }
    Ok(report)
}

/// Without a backend the cache never builds a search; the type still asks for one.
fn unreachable_request() -> super::queries::SearchRequest {
    super::queries::SearchRequest::Grpc(Box::default())
}

fn redis_error(cache: &CacheAside, looked: Lookup) -> CacheError {
    CacheError::Redis {
        address: cache.address.clone(),
        what: looked
            .error
            .unwrap_or_else(|| "filling the cache failed".into()),
    }
}

/// `<slot> <completion, Unix ns>` per line.
fn write_log(path: &std::path::Path, entries: &[(u64, u128)]) -> Result<(), CacheError> {
    let mut text = String::with_capacity(entries.len() * 32);
    for (k, done) in entries {
        text.push_str(&format!("{k} {done}\n"));
    }
    std::fs::File::create(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| {
            CacheError::Config(format!("{LOG_VAR}: {}: cannot write: {e}", path.display()))
        })
}
