//! Suite redis_cache against real servers (`#[ignore]`d: they need Redis, some also Qdrant):
//! TTL expiry, the Redis-only suite end to end, a cached answer equal to Qdrant's own, and
//! search going on while Redis is stopped mid-run. The pure parts (keys, codec, mixes,
//! tally, redis-benchmark's output) are unit-tested in the library.

use std::sync::Arc;
use std::time::Duration;

use perfwarden::profile::Profile;
use perfwarden::results::{Environment, Metric, Run, validate};
use perfwarden_harness::load::{LoadConfig, ProgressMode};
use perfwarden_harness::qdrant::client::Target;
use perfwarden_harness::qdrant::data::Generator;
use perfwarden_harness::qdrant::fixture::Fixture;
use perfwarden_harness::qdrant::setup;
use perfwarden_harness::services::{self, qdrant::QdrantService, redis::RedisService};
use perfwarden_harness::suites::redis_cache::cache::CacheAside;
use perfwarden_harness::suites::redis_cache::fault::FaultKind;
use perfwarden_harness::suites::redis_cache::mix::{self, Mix};
use perfwarden_harness::suites::redis_cache::phases::{self, Ctx, FaultPlan};
use perfwarden_harness::suites::redis_cache::queries::{Backend, QueryPool};
use perfwarden_harness::suites::redis_cache::tally::{Served, Tally};
use perfwarden_harness::suites::redis_cache::{self as suite, Backing, Options};

/// A plan small enough for a test: 300 points of 768 dimensions, 1,500 requests per mix.
fn tiny(prefix: &str) -> Options {
    let mut o = Options::new(Profile::Smoke);
    o.progress = ProgressMode::Quiet;
    o.collection_prefix = prefix.into();
    let p = &mut o.plan;
    p.collection = "deepcoder";
    p.points = 300;
    p.pool = 500;
    p.requests = 1_500;
    p.concurrency = 4;
    p.warmup = Duration::from_millis(100);
    p.duration = Duration::from_millis(400);
    p.window = Duration::from_millis(100);
    p.redis_benchmark_requests = 5_000;
    p.fault_phase = Duration::from_millis(1500);
    p.fault_at = Duration::from_millis(400);
    p.fault_for = Duration::from_millis(400);
    o
}

async fn redis_or_skip() -> anyhow::Result<Option<RedisService>> {
    Ok(services::require_or_skip(
        services::redis::provide().await?,
        "redis",
    )?)
}

async fn qdrant_or_skip() -> anyhow::Result<Option<(QdrantService, Target)>> {
    let Some(q) = services::require_or_skip(services::qdrant::provide().await?, "qdrant")? else {
        return Ok(None);
    };
    let target = Target::from_service(&q);
    Ok(Some((q, target)))
}

fn metric<'a>(run: &'a Run, benchmark: &str, name: &str) -> Option<&'a Metric> {
    run.metrics
        .iter()
        .find(|m| m.benchmark == benchmark && m.metric == name)
}

async fn keys_under(redis: &RedisService, prefix: &str) -> anyhow::Result<Vec<String>> {
    let mut conn = redis.connection().await?;
    Ok(::redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(&mut conn)
        .await?)
}

/// The collection of `opts` in Qdrant, loaded, and a pool of its queries.
async fn collection(target: &Target, opts: &Options) -> anyhow::Result<Arc<QueryPool>> {
    let fixture = Fixture::load(&opts.fixture)?;
    let spec = fixture.select(Some(&[opts.plan.collection]))?.remove(0);
    let qname = opts.qdrant_name();
    let generator = Generator::new(opts.seed, &spec.name, spec.dim);
    setup::create(target, &spec, &qname, opts.plan.points).await?;
    setup::upload(target, &qname, &generator, opts.plan.points, 100, 2).await?;
    setup::wait_indexed(target, &qname, opts.plan.points, Duration::from_secs(120)).await?;
    Ok(Arc::new(
        QueryPool::new(
            opts.seed,
            &spec,
            &qname,
            opts.plan.pool,
            opts.plan.limit,
            opts.plan.filtered_every,
        )
        .for_target_of(Some(&backend(target, opts))),
    ))
}

fn backend(target: &Target, opts: &Options) -> Backend {
    Backend {
        target: target.clone(),
        collection: opts.qdrant_name(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs redis"]
async fn ttl_expiry_turns_a_hit_back_into_a_miss() -> anyhow::Result<()> {
    let Some(redis) = redis_or_skip().await? else {
        return Ok(());
    };
    let ttl = Duration::from_millis(400);
    let cache = CacheAside::new(
        Arc::new(redis.pool(1).await?),
        redis.address(),
        ttl,
        Duration::from_secs(1),
        None,
        10,
    );
    let key = "perfwarden:rc:test-ttl:deepcoder:k10:0:-";
    let no_search = || unreachable!("Redis-only mode never searches");
    let first = cache.lookup(key, no_search).await;
    assert_eq!(first.served, Served::Unfilled, "{first:?}");
    let second = cache.lookup(key, no_search).await;
    assert_eq!(second.served, Served::Hit, "{second:?}");
    assert!(second.answer.as_ref().is_some_and(|a| a.placeholder));
    let mut conn = redis.connection().await?;
    let pttl: i64 = ::redis::cmd("PTTL").arg(key).query_async(&mut conn).await?;
    assert!(
        pttl > 0 && pttl <= 400,
        "PTTL {pttl} ms for a TTL of 400 ms"
    );
    tokio::time::sleep(ttl + Duration::from_millis(150)).await;
    let exists: bool = ::redis::cmd("EXISTS")
        .arg(key)
        .query_async(&mut conn)
        .await?;
    assert!(!exists, "the key outlived its TTL");
    let third = cache.lookup(key, no_search).await;
    assert_eq!(third.served, Served::Unfilled, "{third:?}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs redis"]
async fn redis_only_suite_measures_the_hit_path_and_says_what_it_could_not() -> anyhow::Result<()> {
    let Some(redis) = redis_or_skip().await? else {
        return Ok(());
    };
    let opts = tiny("perfwarden_test_rc_");
    let mut run = Run::new(Environment::detect(Profile::Smoke));
    let summary = suite::run(
        &redis,
        Backing::None("test: no Qdrant on purpose".into()),
        &opts,
        &mut run,
    )
    .await?;
    validate(&run).map_err(anyhow::Error::msg)?;
    assert!(
        summary
            .no_backend
            .as_deref()
            .is_some_and(|n| n.contains("speed-up are not measured"))
    );
    let zipf = metric(&run, "zipf/deepcoder", "hit_rate").expect("zipf hit rate");
    let perfect: f64 = zipf.labels["perfect_cache"].parse()?;
    // Four requests in flight can miss the same new key together; little else differs.
    assert!(
        (zipf.value - perfect).abs() < 5.0,
        "hit rate {} vs a perfect cache's {perfect}",
        zipf.value
    );
    // From a cold cache the skew is what makes the cache pay; at steady state a small pool
    // is mostly cached under either mix.
    let overall = |bench: &str| metric(&run, bench, "hit_rate_overall").map(|m| m.value);
    let (z, u) = (
        overall("zipf/deepcoder").expect("zipf"),
        overall("uniform/deepcoder").expect("uniform"),
    );
    assert!(z > u + 10.0, "from cold: zipf {z}% vs uniform {u}%");
    let hit_p50 = metric(&run, "hit_path/deepcoder", "hit_latency_p50").expect("hit p50");
    assert!(
        hit_p50.value > 0.0 && hit_p50.value < 50.0,
        "{}",
        hit_p50.value
    );
    assert_eq!(
        metric(&run, "hit_path/deepcoder", "misses").map(|m| m.value),
        Some(0.0)
    );
    assert!(metric(&run, "raw", "redis_get_p50").is_some());
    assert!(metric(&run, "raw", "redis_set_p99").is_some());
    assert!(metric(&run, "zipf/deepcoder", "redis_used_memory").is_some_and(|m| m.value > 0.0));
    if perfwarden_harness::suites::redis_cache::redis_benchmark::find_program().is_some() {
        assert!(metric(&run, "raw", "redis_benchmark_get_p50").is_some());
        let ratio =
            metric(&run, "hit_path/deepcoder", "hit_p50_over_redis_benchmark").expect("the ratio");
        assert!(ratio.value > 0.0);
    }
    for absent in ["miss_latency_p50", "e2e_p50_cached", "speedup"] {
        assert!(
            metric(&run, "zipf/deepcoder", absent).is_none(),
            "{absent} without a backend"
        );
    }
    // The personas' mix (per kind and persona) and the spike, from fixtures/personas.
    for (bench, name) in [
        ("mix/cache/deepcoder", "latency_p99"),
        ("mix/cache/deepcoder/kind/cache_lookup", "requests"),
        ("mix/cache/deepcoder/kind/cache_miss", "latency_p99"),
        ("mix/cache/deepcoder/persona/researcher", "errors"),
        ("spike/deepcoder", "recovery_time"),
        ("spike/deepcoder/during", "latency_p99"),
    ] {
        assert!(metric(&run, bench, name).is_some(), "{bench}/{name}");
    }
    assert!(keys_under(&redis, &opts.namespace).await?.is_empty());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs redis and qdrant"]
async fn a_cached_answer_equals_the_uncached_one() -> anyhow::Result<()> {
    let Some(redis) = redis_or_skip().await? else {
        return Ok(());
    };
    let Some((_qdrant, target)) = qdrant_or_skip().await? else {
        return Ok(());
    };
    let opts = tiny("perfwarden_test_rc_equal_");
    let queries = collection(&target, &opts).await?;
    let backend = backend(&target, &opts);
    let cache = CacheAside::new(
        Arc::new(redis.pool(2).await?),
        redis.address(),
        opts.ttl,
        Duration::from_secs(1),
        Some(backend.clone()),
        10,
    );
    // Ranks 3 and 7 carry a filter (every fourth query).
    for rank in 0..8u32 {
        let q = queries.query(rank);
        let uncached = backend
            .search(queries.request(&q))
            .await
            .map_err(anyhow::Error::msg)?;
        assert_eq!(uncached.hits.len(), 10, "rank {rank}");
        let (digest, _) = queries.digest(rank);
        let key = queries.key(&opts.namespace, &digest);
        let miss = cache.lookup(&key, || queries.request(&q)).await;
        assert_eq!(miss.served, Served::Miss, "rank {rank}: {miss:?}");
        let hit = cache
            .lookup(&key, || panic!("rank {rank}: a hit must not search"))
            .await;
        assert_eq!(hit.served, Served::Hit, "rank {rank}: {hit:?}");
        let cached = hit.answer.expect("a hit has an answer");
        assert!(
            cached.same_as(&uncached),
            "rank {rank}: cached {cached:?} vs Qdrant {uncached:?}"
        );
    }
    suite::runner::cleanup_keys(&redis.pool(1).await?, &redis.address(), &opts.namespace).await;
    target
        .delete_collection(&opts.qdrant_name())
        .await
        .map_err(anyhow::Error::msg)?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs redis and qdrant"]
async fn redis_stopped_mid_run_search_goes_on() -> anyhow::Result<()> {
    let Some(redis) = redis_or_skip().await? else {
        return Ok(());
    };
    let Some((_qdrant, target)) = qdrant_or_skip().await? else {
        return Ok(());
    };
    let opts = tiny("perfwarden_test_rc_fault_");
    let queries = collection(&target, &opts).await?;
    let cache = Arc::new(CacheAside::new(
        Arc::new(redis.pool(4).await?),
        redis.address(),
        opts.ttl,
        // Long enough that a busy machine never times a GET out: after a shutdown the
        // commands fail at once on the closed connection, so no request waits for it.
        Duration::from_secs(1),
        Some(backend(&target, &opts)),
        10,
    ));
    let ctx = Ctx {
        cache,
        queries,
        slowdown: opts.slowdown,
    };
    let draws = Arc::new(mix::draws(
        Mix::Zipf { exponent: 1.2 },
        opts.plan.pool,
        5_000,
        1,
    ));
    let cfg = LoadConfig::new("fault", Duration::ZERO, Duration::from_secs(2))
        .progress(ProgressMode::Quiet)
        .abort_after(None);
    let at = Duration::from_millis(700);
    let fault = FaultPlan {
        redis: &redis,
        kind: FaultKind::Shutdown,
        at,
        length: Duration::ZERO,
    };
    let m = phases::through_cache(&ctx, &opts.namespace, draws, &cfg, 4, Some(fault)).await;
    let fault = m.fault.expect("the fault ran");
    fault.result.clone().map_err(anyhow::Error::msg)?;
    // From here on Redis is gone: the server closed the connection that stopped it.
    let injected = fault.done;
    let t = Tally::from_outcomes(&m.outcomes, Duration::from_millis(100), 0);
    assert_eq!(t.failed, 0, "{}", m.report.one_line());
    assert_eq!(m.report.errors, 0, "{}", m.report.one_line());
    assert!(t.hits > 0, "the cache served hits before it went away");
    assert!(t.degraded > 0 && t.redis_errors >= t.degraded);
    let (from, to) = t.degraded_window.expect("a degraded window");
    assert!(
        from + Duration::from_millis(50) >= fault.began
            && from < injected + Duration::from_millis(500),
        "degraded from {from:?}, fault from {:?} to {injected:?}",
        fault.began
    );
    assert!(to > Duration::from_millis(1800), "degraded until {to:?}");
    // Search went on: every request sent after the stop was answered by Qdrant.
    let after: Vec<_> = m.outcomes.iter().filter(|o| o.start > injected).collect();
    assert!(
        after.len() > 10,
        "only {} requests after the stop",
        after.len()
    );
    let other: Vec<_> = after
        .iter()
        .filter(|o| o.served != Served::Degraded)
        .collect();
    assert!(
        other.is_empty(),
        "served otherwise after the stop: {other:?}"
    );
    target
        .delete_collection(&opts.qdrant_name())
        .await
        .map_err(anyhow::Error::msg)?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs redis and qdrant"]
async fn suite_end_to_end_with_qdrant() -> anyhow::Result<()> {
    let Some(redis) = redis_or_skip().await? else {
        return Ok(());
    };
    let Some((_qdrant, target)) = qdrant_or_skip().await? else {
        return Ok(());
    };
    let opts = tiny("perfwarden_test_rc_e2e_");
    let mut run = Run::new(Environment::detect(Profile::Smoke));
    let summary = suite::run(&redis, Backing::Qdrant(target.clone()), &opts, &mut run).await?;
    validate(&run).map_err(anyhow::Error::msg)?;
    assert!(summary.no_backend.is_none());
    for m in [
        "miss_latency_p50",
        "e2e_p50_cached",
        "e2e_p99_uncached",
        "speedup",
    ] {
        assert!(metric(&run, "zipf/deepcoder", m).is_some(), "no {m}");
    }
    let hit = metric(&run, "zipf/deepcoder", "hit_latency_p50")
        .unwrap()
        .value;
    let miss = metric(&run, "zipf/deepcoder", "miss_latency_p50")
        .unwrap()
        .value;
    assert!(
        miss > hit,
        "a miss ({miss} ms) searches, a hit ({hit} ms) does not"
    );
    assert!(summary.speedup.is_some_and(|s| s > 1.0), "{summary:?}");
    assert_eq!(
        metric(&run, "fault/deepcoder", "failed_requests").map(|m| m.value),
        Some(0.0)
    );
    let window = metric(&run, "fault/deepcoder", "degraded_window").expect("degraded window");
    assert!(window.value > 0.0 && window.labels.contains_key("start_s"));
    assert!(metric(&run, "fault/deepcoder", "degraded_requests").is_some_and(|m| m.value > 0.0));
    assert!(keys_under(&redis, &opts.namespace).await?.is_empty());
    Ok(())
}
