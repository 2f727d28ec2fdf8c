//! The suite from start to end. With a backend: set the collection up, then the Zipf mix
//! from a cold cache, the hit path on the warm cache, the raw GET/SET floor and
//! redis-benchmark at the same concurrency, the uniform control, search without the cache,
//! and the fault drill. Without one, the Redis-only part of the same: the mixes fill the
//! cache with placeholders (hit rate and hit latency, no miss latency, no speed-up).

use std::sync::Arc;
use std::time::Duration;

use super::cache::CacheAside;
use super::error::CacheError;
use super::fault::FaultKind;
use super::floor;
use super::mix::{self, Mix};
use super::options::Options;
use super::phases::{self, Ctx, FaultPlan};
use super::queries::{Backend, QueryPool};
use super::record::{SUITE, say};
use super::redis_benchmark;
use super::report::{self, Summary};
use super::tally::Tally;
use crate::load::LoadConfig;
use crate::qdrant::client::Target;
use crate::qdrant::data::Generator;
use crate::qdrant::fixture::Fixture;
use crate::qdrant::setup;
use crate::record::Recorder;
use crate::services::ProviderKind;
use crate::services::redis::{RedisPool, RedisService};
use perfwarden::results::Run;

/// What the cache sits in front of.
pub enum Backing {
    Qdrant(Target),
    /// No Qdrant: why not, in one line. The suite runs its Redis-only part.
    None(String),
}

/// Runs the suite, appending metrics to `run` as they are measured. Behind Qdrant's engine
/// in-process every metric says so (`backend=embedded`): its misses cost no network hop,
/// unlike a server's.
pub async fn run(
    redis: &RedisService,
    backing: Backing,
    opts: &Options,
    run: &mut Run,
) -> Result<Summary, CacheError> {
    let from = run.metrics.len();
    let embedded = matches!(&backing, Backing::Qdrant(t) if t.server().is_none());
    let result = measure_all(redis, backing, opts, run).await;
    if embedded {
        for m in run.metrics.iter_mut().skip(from) {
            m.labels.insert("backend".into(), "embedded".into());
        }
    }
    result
}

async fn measure_all(
    redis: &RedisService,
    backing: Backing,
    opts: &Options,
    run: &mut Run,
) -> Result<Summary, CacheError> {
    let plan = &opts.plan;
    let c = plan.concurrency;
    let mut rec = SUITE.recorder(run);
    let mut summary = Summary::default();
    let fixture = Fixture::load(&opts.fixture)?;
    let spec = fixture.select(Some(&[plan.collection]))?.remove(0);
    let qname = opts.qdrant_name();

    let backend = match backing {
        Backing::Qdrant(target) => {
            set_up_collection(&target, &spec, &qname, opts).await?;
            Some(Backend {
                target,
                collection: qname.clone(),
            })
        }
        Backing::None(reason) => {
            let note = format!(
                "no backend: hit-path only ({reason}); misses are counted and filled with \
                 placeholders, miss latency, end-to-end latency and speed-up are not measured"
            );
            say(&note);
            summary.no_backend = Some(note);
            None
        }
    };
    let pool = Arc::new(redis.pool(plan.connections).await?);
    let queries = Arc::new(
        QueryPool::new(
            opts.seed,
            &spec,
            &qname,
            plan.pool,
            plan.limit,
            plan.filtered_every,
        )
        .for_target_of(backend.as_ref()),
    );
    let cache = Arc::new(CacheAside::new(
        pool.clone(),
        redis.address(),
        opts.ttl,
        opts.redis_timeout,
        backend.clone(),
        plan.limit as usize,
    ));
    let ctx = Ctx {
        cache: cache.clone(),
        queries: queries.clone(),
        slowdown: opts.slowdown,
    };
    let zipf = Mix::Zipf {
        exponent: plan.zipf_exponent,
    };
    let draws = |mix: Mix| {
        Arc::new(mix::draws(
            mix,
            plan.pool,
            plan.requests as usize,
            opts.seed,
        ))
    };
    let zipf_draws = draws(zipf);
    let ns_zipf = format!("{}zipf:", opts.namespace);
    let coll = &spec.name;

    // The Zipf mix from a cold cache, and what it left in Redis.
    let before = used_memory(&pool, &cache.address).await?;
    let bench = format!("zipf/{coll}");
    let zipf_run = mixed(&mut rec, &ctx, opts, zipf, &zipf_draws, &ns_zipf, &bench).await?;
    summary.say(zipf_run.2.clone());
    let after = used_memory(&pool, &cache.address).await?;
    summary.say(report::memory(
        &mut rec,
        &bench,
        before,
        after,
        queries.touched(),
    ));
    summary.zipf_hit_rate = Some(zipf_run.1.steady_hit_rate());

    // The hit path on the warm cache, the raw floor and redis-benchmark, back to back at the
    // same concurrency so the three compare.
    let bench_hit = format!("hit_path/{coll}");
    let cfg = timed(opts, &bench_hit, plan.duration);
    let m = phases::through_cache(&ctx, &ns_zipf, zipf_draws.clone(), &cfg, c, None).await;
    let outcomes: Vec<_> = m
        .outcomes
        .iter()
        .filter(|o| o.start >= plan.warmup)
        .copied()
        .collect();
    let hit_tally = Tally::from_outcomes(&outcomes, plan.window, 0);
    summary.say(report::hit_path(
        &mut rec,
        &bench_hit,
        &m.report,
        &hit_tally,
        c,
        plan.connections,
    ));
    summary.hit_p50_ms =
        (hit_tally.hits > 0).then(|| hit_tally.hit_latency.quantile_us(0.5) as f64 / 1000.0);

    let value = cache.placeholder_value().to_vec();
    let cfg = timed(opts, "raw", plan.duration);
    let (get, set) = phases::raw(
        &pool,
        &cache.address,
        &opts.namespace,
        value.clone(),
        &cfg,
        c,
        opts.redis_timeout,
    )
    .await
    .map_err(|what| CacheError::Redis {
        address: cache.address.clone(),
        what,
    })?;
    summary.say(floor::raw(
        &mut rec,
        &get,
        &set,
        c,
        plan.connections,
        value.len(),
    ));
    summary.raw_get_p50_ms = Some(get.latency.quantile_us(0.5) as f64 / 1000.0);
    let rb = run_redis_benchmark(redis, opts, value.len()).await;
    summary.say(floor::redis_benchmark(&mut rec, &rb, c, value.len()));
    summary.redis_benchmark_get_p50_ms = rb
        .as_ref()
        .ok()
        .and_then(|o| o.test("GET"))
        .and_then(|t| t.p50_ms);
    if let Some(line) = floor::ratios(&mut rec, &bench_hit, &mut summary) {
        summary.say(line);
    }

    // The control.
    let bench_u = format!("uniform/{coll}");
    let uniform_draws = draws(Mix::Uniform);
    let (_, _, line) = mixed(
        &mut rec,
        &ctx,
        opts,
        Mix::Uniform,
        &uniform_draws,
        &format!("{}uniform:", opts.namespace),
        &bench_u,
    )
    .await?;
    summary.say(line);

    // The users' own shapes: the personas' mix, a spike, a soak (nightly).
    for line in super::shaped::run(&mut rec, &ctx, &pool, opts, coll).await? {
        summary.say(line);
    }

    if let Some(backend) = &backend {
        let cfg = timed(opts, &format!("{bench} uncached"), plan.duration);
        let uncached = phases::uncached(backend, &queries, zipf_draws.clone(), &cfg, c).await;
        let (speedup, line) = report::uncached(&mut rec, &bench, &uncached, &zipf_run.0.report);
        summary.speedup = speedup;
        summary.say(line);
        if let Some(why) = &uncached.aborted {
            return Err(CacheError::Aborted {
                benchmark: format!("{bench} uncached"),
                what: why.clone(),
            });
        }
    }

    let owned = redis.provider != ProviderKind::Endpoint;
    let mut redis_gone = false;
    match (&backend, opts.fault) {
        (Some(_), Some(kind)) if owned || opts.fault_forced => {
            let bench_f = format!("fault/{coll}");
            let cfg = timed(opts, &bench_f, plan.fault_phase).abort_after(None);
            let fault = FaultPlan {
                redis,
                kind,
                at: plan.warmup + plan.fault_at,
                length: plan.fault_for,
            };
            let m = phases::through_cache(&ctx, &ns_zipf, zipf_draws.clone(), &cfg, c, Some(fault))
                .await;
            let t = Tally::from_outcomes(&m.outcomes, plan.window / 2, 0);
            redis_gone = kind == FaultKind::Shutdown;
            let line = report::fault(
                &mut rec,
                &bench_f,
                kind,
                plan.fault_for,
                opts.redis_timeout,
                &m,
                &t,
            );
            summary.say(line.clone());
            summary.fault = Some(line);
        }
        (None, Some(_)) => {
            say("fault drill skipped: without a backend there is nothing to fall back on")
        }
        (Some(_), Some(_)) => say(&format!(
            "fault drill skipped: {} is a named endpoint, not perfwarden's to pause (set PERFWARDEN_REDIS_FAULT=pause to force it)",
            redis.address()
        )),
        (_, None) => {}
    }

    if !redis_gone {
        cleanup_keys(&pool, &cache.address, &opts.namespace).await;
    }
    if let Some(b) = &backend
        && !opts.keep_collection
        && let Err(e) = b.target.delete_collection(qname.as_str()).await
    {
        say(&format!("could not delete collection {qname}: {e}"));
    }
    Ok(summary)
}

/// A timed phase (raw, hit path, uncached, fault): warm-up then `duration`.
fn timed(opts: &Options, label: &str, duration: Duration) -> LoadConfig {
    LoadConfig::new(label, opts.plan.warmup, duration)
        .window(opts.plan.window)
        .timeout(opts.request_timeout)
        .progress(opts.progress)
        .slowdown(opts.slowdown)
}

/// A mixed phase from a cold namespace: `plan.requests` requests, drawn by `mix`.
async fn mixed(
    rec: &mut Recorder<'_>,
    ctx: &Ctx,
    opts: &Options,
    mix: Mix,
    draws: &Arc<Vec<u32>>,
    namespace: &str,
    bench: &str,
) -> Result<(phases::Measured, Tally, String), CacheError> {
    let plan = &opts.plan;
    let cfg = LoadConfig::new(bench, Duration::ZERO, plan.phase_bound)
        .max_requests(Some(plan.requests))
        .window(plan.window)
        .timeout(opts.request_timeout)
        .progress(opts.progress)
        .abort_after(Some(Duration::from_secs(5)));
    let m =
        phases::through_cache(ctx, namespace, draws.clone(), &cfg, plan.concurrency, None).await;
    let t = Tally::from_outcomes(&m.outcomes, plan.window, plan.steady_from());
    let model = report::Model {
        mix,
        pool: plan.pool,
        requests: plan.requests,
        steady_from: plan.steady_from(),
        ideal_steady: 100.0 * mix::ideal_hit_rate(draws, plan.steady_from() as usize),
        ideal_overall: 100.0 * mix::ideal_hit_rate(draws, 0),
        expected_steady: 100.0
            * mix::expected_hit_rate(mix, plan.pool, plan.steady_from(), plan.requests),
        backend: ctx.cache.backend.is_some(),
    };
    let line = report::mixed(rec, bench, &model, &m.report, &t);
    if let Some(why) = &m.report.aborted {
        return Err(CacheError::Aborted {
            benchmark: bench.to_string(),
            what: format!(
                "{why}; first error: {}",
                m.report.error_samples.first().map_or("none", |s| s)
            ),
        });
    }
    Ok((m, t, line))
}

/// Creates, loads and indexes the collection behind the cache (qdrant_search's setup).
async fn set_up_collection(
    target: &Target,
    spec: &crate::qdrant::fixture::CollectionSpec,
    qname: &str,
    opts: &Options,
) -> Result<(), CacheError> {
    let plan = &opts.plan;
    let generator = Generator::new(opts.seed, &spec.name, spec.dim);
    setup::create(target, spec, qname, plan.points).await?;
    let up = setup::upload(target, qname, &generator, plan.points, 128, 4).await?;
    let idx = setup::wait_indexed(target, qname, plan.points, Duration::from_secs(900)).await?;
    say(&format!(
        "collection {qname}: {} points of {} dimensions in {:.1} s, indexed after {:.1} s{}",
        up.points,
        spec.dim,
        up.elapsed.as_secs_f64(),
        idx.elapsed.as_secs_f64(),
        if idx.timed_out {
            " (gave up waiting)"
        } else {
            ""
        }
    ));
    Ok(())
}

/// redis-benchmark against the same server, or why it was not run (one line).
async fn run_redis_benchmark(
    redis: &RedisService,
    opts: &Options,
    value_size: usize,
) -> Result<redis_benchmark::Outcome, String> {
    let program = redis_benchmark::find_program().ok_or_else(|| {
        format!(
            "redis-benchmark not found (install Debian's redis-tools, or set {})",
            redis_benchmark::PROGRAM_VAR
        )
    })?;
    let plan = &opts.plan;
    let args = redis_benchmark::args(
        &redis.url,
        plan.concurrency,
        plan.redis_benchmark_requests,
        value_size,
    )?;
    // Generous: a slow 2-core runner still does 10,000 requests a second.
    let bound = Duration::from_secs(30 + 2 * plan.redis_benchmark_requests / 10_000);
    let out = redis_benchmark::run(&program, &args, bound)
        .await
        .map_err(|e| e.to_string());
    if let Ok(mut conn) = redis.connection().await {
        let _ = ::redis::cmd("DEL")
            .arg(redis_benchmark::KEY)
            .query_async::<()>(&mut conn)
            .await;
    }
    out
}

/// `used_memory` from `INFO memory`.
pub(crate) async fn used_memory(pool: &RedisPool, address: &str) -> Result<u64, CacheError> {
    let mut conn = pool.get();
    let info: String = ::redis::cmd("INFO")
        .arg("memory")
        .query_async(&mut conn)
        .await
        .map_err(|e| CacheError::Redis {
            address: address.to_string(),
            what: format!("INFO memory: {e}"),
        })?;
    report::parse_used_memory(&info).ok_or_else(|| CacheError::Redis {
        address: address.to_string(),
        what: "INFO memory has no used_memory line".into(),
    })
}

/// Removes every key of the run (SCAN by prefix, UNLINK in batches). Failures are said, not
/// returned: the measurements are done, and the TTL removes the rest.
pub async fn cleanup_keys(pool: &RedisPool, address: &str, namespace: &str) {
    let mut conn = pool.get();
    let pattern = format!("{namespace}*");
    let mut cursor: u64 = 0;
    let mut removed = 0usize;
    loop {
        let page: Result<(u64, Vec<String>), _> = ::redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(&pattern)
            .arg("COUNT")
            .arg(1000)
            .query_async(&mut conn)
            .await;
        let (next, keys) = match page {
            Ok(p) => p,
            Err(e) => {
                say(&format!(
                    "{address}: could not remove the run's keys ({pattern}): {e}"
                ));
                return;
            }
        };
        if !keys.is_empty() {
            removed += keys.len();
            if let Err(e) = ::redis::cmd("UNLINK")
                .arg(&keys)
                .query_async::<()>(&mut conn)
                .await
            {
                say(&format!("{address}: UNLINK: {e}"));
                return;
            }
        }
        if next == 0 {
            break;
        }
        cursor = next;
    }
    say(&format!("removed {removed} keys under {pattern}"));
}
