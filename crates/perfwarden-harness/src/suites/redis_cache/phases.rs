//! The measured loops, all on the load engine's closed loop at the plan's concurrency:
//! requests through the cache ([`through_cache`]), searches without it ([`uncached`]), and
//! bare GET and SET ([`raw`]).
//!
//! Requests through the cache keep one record each ([`Outcome`]) in a log per worker (the
//! engine gives worker w the sequence numbers w, w + c, …, so `seq % c` picks a log no one
//! else writes to); the logs are merged and counted after the run.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::cache::CacheAside;
use super::fault::{self, FaultKind};
use super::queries::{Backend, QueryPool};
use super::tally::{Outcome, Served};
use crate::load::{self, LoadConfig, LoadReport, Slowdown};
use crate::services::redis::{RedisPool, RedisService};

/// What a phase through the cache shares with its requests.
#[derive(Clone)]
pub struct Ctx {
    pub cache: Arc<CacheAside>,
    pub queries: Arc<QueryPool>,
    /// Applied inside each request, so hit and miss latencies include it too.
    pub slowdown: Slowdown,
}

/// A fault to inject during a phase.
pub struct FaultPlan<'a> {
    pub redis: &'a RedisService,
    pub kind: FaultKind,
    pub at: Duration,
    pub length: Duration,
}

/// A phase through the cache: the engine's view and one record per request.
pub struct Measured {
    pub report: LoadReport,
    /// Sorted by sequence number.
    pub outcomes: Vec<Outcome>,
    pub fault: Option<Injected>,
}

/// When a fault was injected, relative to the phase start, and whether it took.
#[derive(Clone, Debug)]
pub struct Injected {
    /// The drill began: its command was about to be sent.
    pub began: Duration,
    /// Redis acknowledged the pause, or closed the connection on shutdown.
    pub done: Duration,
    pub result: Result<(), String>,
}

/// Requests for `draws[seq % len]` through the cache under `namespace`, for `cfg`'s
/// duration or request budget, with `fault` injected on the way.
pub async fn through_cache(
    ctx: &Ctx,
    namespace: &str,
    draws: Arc<Vec<u32>>,
    cfg: &LoadConfig,
    concurrency: usize,
    fault: Option<FaultPlan<'_>>,
) -> Measured {
    let c = concurrency.max(1);
    let logs: Arc<Vec<Mutex<Vec<Outcome>>>> =
        Arc::new((0..c).map(|_| Mutex::new(Vec::new())).collect());
    // The engine must not add the slowdown a second time.
    let cfg = cfg.clone().slowdown(Slowdown::NONE);
    let namespace: Arc<str> = Arc::from(namespace);
    let phase_start = Instant::now();
    let op = {
        let (ctx, logs) = (ctx.clone(), logs.clone());
        move |seq: u64| {
            let rank = draws[(seq % draws.len() as u64) as usize];
            // Off the clock: the key's digest, and the query on its first draw.
            let (digest, fresh) = ctx.queries.digest(rank);
            let key = ctx.queries.key(&namespace, &digest);
            let fresh = fresh.filter(|_| ctx.cache.backend.is_some());
            let request = fresh.map(|q| ctx.queries.request(&q));
            let (ctx, logs) = (ctx.clone(), logs.clone());
            async move {
                let sent = Instant::now();
                let queries = ctx.queries.clone();
                let looked = ctx
                    .cache
                    .lookup(&key, move || {
                        request.unwrap_or_else(|| queries.request(&queries.query(rank)))
                    })
                    .await;
                ctx.slowdown.apply(sent).await;
                let done = Instant::now();
                let outcome = Outcome {
                    seq,
                    start: sent.saturating_duration_since(phase_start),
                    end: done.saturating_duration_since(phase_start),
                    served: looked.served,
                    redis_errors: looked.redis_errors,
                };
                logs[(seq % c as u64) as usize]
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(outcome);
                match looked.served {
                    Served::Failed => Err(looked.error.unwrap_or_else(|| "failed".into())),
                    _ => Ok(()),
                }
            }
        }
    };
    let injector = async {
        let f = fault?;
        tokio::time::sleep_until((phase_start + f.at).into()).await;
        let began = phase_start.elapsed();
        let result = fault::inject(f.redis, f.kind, f.length).await;
        Some(Injected {
            began,
            done: phase_start.elapsed(),
            result,
        })
    };
    let (report, fault) = tokio::join!(load::closed_loop(&cfg, c, op), injector);
    let mut outcomes: Vec<Outcome> = Arc::try_unwrap(logs)
        .map(|v| {
            v.into_iter()
                .flat_map(|m| m.into_inner().unwrap_or_else(|e| e.into_inner()))
                .collect()
        })
        .unwrap_or_else(|shared| {
            shared
                .iter()
                .flat_map(|m| m.lock().unwrap_or_else(|e| e.into_inner()).clone())
                .collect()
        });
    outcomes.sort_unstable_by_key(|o| o.seq);
    Measured {
        report,
        outcomes,
        fault,
    }
}

/// Searches for `draws[seq % len]` straight at the backend: the latency without a cache.
/// The query is generated before the clock starts, as a cached request's would be.
pub(crate) async fn uncached(
    backend: &Backend,
    queries: &Arc<QueryPool>,
    draws: Arc<Vec<u32>>,
    cfg: &LoadConfig,
    concurrency: usize,
) -> LoadReport {
    let (backend, queries) = (backend.clone(), queries.clone());
    load::closed_loop(cfg, concurrency, move |seq| {
        let rank = draws[(seq % draws.len() as u64) as usize];
        let req = queries.request(&queries.query(rank));
        let backend = backend.clone();
        async move { backend.search(req).await.map(drop) }
    })
    .await
}

/// Bare `GET key` (the key holding `value`) and then `SET key2 value`, each for `cfg`'s
/// duration: the floor under the cache's own latency, from the same client and pool.
pub(crate) async fn raw(
    pool: &Arc<RedisPool>,
    address: &str,
    namespace: &str,
    value: Vec<u8>,
    cfg: &LoadConfig,
    concurrency: usize,
    op_timeout: Duration,
) -> Result<(LoadReport, LoadReport), String> {
    let get_key = format!("{namespace}raw:get");
    let set_key = format!("{namespace}raw:set");
    let mut conn = pool.get();
    ::redis::cmd("SET")
        .arg(&get_key)
        .arg(&value)
        .query_async::<()>(&mut conn)
        .await
        .map_err(|e| format!("{address}: SET {get_key}: {e}"))?;
    let get = {
        let pool = pool.clone();
        let cfg = LoadConfig {
            label: format!("{} GET", cfg.label),
            ..cfg.clone()
        };
        load::closed_loop(&cfg, concurrency, move |_| {
            let mut conn = pool.get();
            let cmd = ::redis::cmd("GET").arg(&get_key).to_owned();
            async move {
                let got =
                    tokio::time::timeout(op_timeout, cmd.query_async::<Option<Vec<u8>>>(&mut conn))
                        .await
                        .map_err(|_| "GET timed out".to_string())?
                        .map_err(|e| e.to_string())?;
                got.map(drop).ok_or_else(|| "GET found nothing".to_string())
            }
        })
        .await
    };
    let set = {
        let pool = pool.clone();
        let value = Arc::new(value);
        let cfg = LoadConfig {
            label: format!("{} SET", cfg.label),
            ..cfg.clone()
        };
        load::closed_loop(&cfg, concurrency, move |_| {
            let mut conn = pool.get();
            let cmd = ::redis::cmd("SET")
                .arg(&set_key)
                .arg(value.as_slice())
                .to_owned();
            async move {
                tokio::time::timeout(op_timeout, cmd.query_async::<()>(&mut conn))
                    .await
                    .map_err(|_| "SET timed out".to_string())?
                    .map_err(|e| e.to_string())
            }
        })
        .await
    };
    Ok((get, set))
}
