//! `cargo bench --bench qdrant_search`: the qdrant_search suite on whatever Qdrant the
//! services layer provides (`QDRANT_URL`, a container, `qdrant` on PATH, or Qdrant's engine
//! in-process, labelled `embedded`), and on the engine in-process beside a server the chain
//! found (unless `PERFWARDEN_QDRANT_ALSO_EMBEDDED=0`), then Criterion's single-query latency per vector
//! dimension on the same collections. Without any Qdrant (a build without the
//! `embedded-qdrant` feature) it prints one line and exits 0. The server's or engine's CPU
//! and memory over the run are recorded too when perfwarden started it. The workload mix's
//! `cache_lookup` goes through a Redis from the services layer (`REDIS_URL`, a container,
//! `redis-server` on PATH); without one, a mix that needs it is skipped in one line.
//!
//! The profile comes from `PERFWARDEN_PROFILE` (default `pr`); results go to
//! `target/perfwarden/qdrant_search.json` and Criterion's to `target/criterion/`.

use std::collections::BTreeSet;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use criterion::{BenchmarkId, Criterion};
use perfwarden::profile::Profile;
use perfwarden_harness::bench::{Bench, Failure};
use perfwarden_harness::qdrant::client::search_quick;
use perfwarden_harness::services::{Provided, ProviderKind, qdrant, redis, server_metrics};
use perfwarden_harness::suites::qdrant_search::{
    self as suite, MixCache, Options, SUITE, SearchKind, Target, measure::Collection,
};

fn main() -> ExitCode {
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
    let rt = tokio::runtime::Runtime::new()?;
    let Some(service) = bench.service_or_skip(rt.block_on(qdrant::provide())?, "qdrant")? else {
        return Ok(ExitCode::SUCCESS);
    };
    let mut opts = Options::from_env(bench.profile)?;
    let mut services = vec![service];
    if let Some(engine) = engine_beside(&rt, &services[0], &opts)? {
        services.push(engine);
    }
    let redis = match &opts.mix {
        Some(_) => bench.optional_service(rt.block_on(redis::provide())?, "redis")?,
        None => Provided::Skipped("the mix is off (PERFWARDEN_QDRANT_MIX=none)".into()),
    };
    let cache = match &redis {
        Provided::Ready(r) => MixCache::Redis(r),
        Provided::Skipped(why) => MixCache::Missing(why.clone()),
    };
    let keep = opts.keep_collections;
    // Criterion needs the collections after the suite; they are deleted at the end.
    opts.keep_collections = true;
    let mut run = bench.run();
    let mut failure = None;
    let mut measured = Vec::new();
    for service in &services {
        let target = Target::from_service(service);
        match measure(&rt, service, &target, &cache, &opts, &mut run) {
            Ok(colls) => measured.push((target, colls)),
            Err(e) => {
                failure.get_or_insert(Failure {
                    message: format!("{}: {e}", target_name(&target)),
                    bad_input: e.is_bad_input(),
                });
            }
        }
        opts.renew_cache_namespace();
    }
    let code = bench.finish(run, failure, None)?;
    for (target, colls) in &measured {
        criterion_single_query(&rt, target, colls, bench.profile);
        #[cfg(feature = "embedded-qdrant")]
        if let Target::Embedded(engine) = target {
            criterion_engine_hot_path(&rt, engine.clone(), &opts)?;
        }
    }
    opts.keep_collections = keep;
    for (target, colls) in &measured {
        rt.block_on(suite::cleanup(target, colls, &opts));
    }
    Ok(code)
}

/// Qdrant's engine in-process, where the chain found a server and the engine is built in
/// (and not turned off with `PERFWARDEN_QDRANT_ALSO_EMBEDDED=0`): the same suite measures
/// both, each under its own ids, so a machine with a server still gates the engine's
/// baseline, and a server's numbers never stand in for it.
fn engine_beside(
    rt: &tokio::runtime::Runtime,
    first: &qdrant::QdrantService,
    opts: &Options,
) -> anyhow::Result<Option<qdrant::QdrantService>> {
    if !cfg!(feature = "embedded-qdrant")
        || !opts.also_embedded
        || first.provider == ProviderKind::Embedded
    {
        return Ok(None);
    }
    match rt.block_on(qdrant::provide_via(ProviderKind::Embedded))? {
        Provided::Ready(engine) => Ok(Some(engine)),
        Provided::Skipped(why) => {
            println!("{SUITE}: the engine in-process beside the server skipped: {why}");
            Ok(None)
        }
    }
}

/// How a failure names the Qdrant it happened on.
fn target_name(target: &Target) -> &'static str {
    match target.server() {
        Some(_) => "server",
        None => "engine in-process",
    }
}

/// The suite on one Qdrant, with that Qdrant's CPU and memory over the run: sampled from
/// /proc where perfwarden started it or a process of this host listens on the endpoint's
/// port, and read from the server's own /metrics behind an endpoint (1.18.3 gives memory
/// only); a figure both give is the sampler's.
fn measure(
    rt: &tokio::runtime::Runtime,
    service: &qdrant::QdrantService,
    target: &Target,
    cache: &MixCache,
    opts: &Options,
    run: &mut perfwarden::results::Run,
) -> Result<Vec<Arc<Collection>>, perfwarden_harness::qdrant::QdrantError> {
    let sampler = service.sampler();
    let endpoint = match (service.provider, target.server()) {
        (ProviderKind::Endpoint, Some(s)) => Some(s.clone()),
        _ => None,
    };
    let before = endpoint.as_ref().and_then(|s| {
        rt.block_on(server_metrics::read(&s.rest, &s.http_url))
            .map_err(|e| eprintln!("{SUITE}: the server's CPU and memory are not measured: {e}"))
            .ok()
    });
    let result = rt.block_on(suite::run_with(target.clone(), cache, opts, run));
    // The engine in-process is measured under an id of its own, never beside a server's.
    let resources = match target.server() {
        Some(_) => "qdrant/resources",
        None => "qdrant/embedded/resources",
    };
    run.metrics
        .extend(sampler.finish().metrics(SUITE.name, resources));
    if let (Some(s), Some(before)) = (&endpoint, before) {
        match rt.block_on(server_metrics::read(&s.rest, &s.http_url)) {
            Ok(after) => {
                let sampled: Vec<String> = (run.metrics.iter())
                    .filter(|m| m.benchmark == resources)
                    .map(|m| m.metric.clone())
                    .collect();
                let read = server_metrics::metrics(&before, &after, SUITE.name, resources);
                run.metrics
                    .extend(read.into_iter().filter(|m| !sampled.contains(&m.metric)));
            }
            Err(e) => eprintln!("{SUITE}: the server's CPU and memory are not measured: {e}"),
        }
    }
    result
}

/// The engine's hot path on its fixed collection (see `hot_path`): each kind of search at a
/// fixed `ef`, called on this thread, timed by Criterion under `qdrant_search/engine`.
#[cfg(feature = "embedded-qdrant")]
fn criterion_engine_hot_path(
    rt: &tokio::runtime::Runtime,
    engine: Arc<perfwarden_harness::qdrant::engine::Engine>,
    opts: &Options,
) -> anyhow::Result<()> {
    use perfwarden_harness::qdrant::fixture::Fixture;
    use perfwarden_harness::suites::qdrant_search::hot_path;
    let fixture = Fixture::load(&opts.fixture)?;
    let name = opts.qdrant_name("hot_path");
    let hot = rt.block_on(hot_path::set_up(engine, &fixture, &name))?;
    eprintln!(
        "{SUITE}: engine hot path on {} ({} points, {} indexed), ef {}",
        hot_path::COLLECTION,
        hot_path::POINTS,
        hot.indexed_vectors,
        hot_path::EF
    );
    let mut c = Criterion::default()
        .configure_from_args()
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    let mut group = c.benchmark_group("qdrant_search/engine");
    for (kind, queries) in &hot.queries {
        let next = AtomicU64::new(0);
        group.bench_function(BenchmarkId::new(kind.name(), hot_path::COLLECTION), |b| {
            b.iter(|| {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize % queries.len();
                hot.engine
                    .query_now(&hot.name, &queries[i])
                    .expect("search")
            })
        });
    }
    group.finish();
    hot.engine.delete(&hot.name);
    Ok(())
}

/// One search at a time, per protocol and per distinct dimension (the first collection of
/// each dimension), timed by Criterion.
fn criterion_single_query(
    rt: &tokio::runtime::Runtime,
    target: &Target,
    colls: &[Arc<Collection>],
    profile: Profile,
) {
    // Short runs for the quick profiles (the suite's own serial latency covers every
    // collection already); Criterion's defaults for the nightly and full ones.
    let mut c = Criterion::default().configure_from_args();
    c = match profile {
        Profile::Smoke => c
            .sample_size(10)
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(1)),
        Profile::Pr => c
            .sample_size(20)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2)),
        Profile::Nightly | Profile::Full => c,
    };
    let mut group = c.benchmark_group("qdrant_search/single_query");
    let mut seen = BTreeSet::new();
    for coll in colls.iter().filter(|c| seen.insert(c.spec.dim)) {
        for &protocol in target.protocols() {
            let id = BenchmarkId::new(protocol.name(), format!("{}d", coll.spec.dim));
            let reqs = coll.requests(SearchKind::Dense).clone();
            let next = AtomicU64::new(0);
            group.bench_function(id, |b| {
                b.to_async(rt).iter(|| {
                    let i = next.fetch_add(1, Ordering::Relaxed) as usize % reqs.len();
                    let (reqs, name) = (reqs.clone(), coll.qname.clone());
                    async move {
                        search_quick(target, protocol, &name, &reqs[i])
                            .await
                            .expect("search");
                    }
                })
            });
        }
    }
    group.finish();
    c.final_summary();
}
