//! Phase `mix`: the users' own workload against the run's collections. The mix file
//! (`PERFWARDEN_QDRANT_MIX`, default `fixtures/personas/seed-002.toml`: seed 002's Locust
//! personas) names request kinds by weight per persona; [`mix_kinds`](super::mix_kinds)
//! provides `dense`, `filtered`, `hybrid`, `fanout` and, with a Redis, `cache_lookup`.
//! The mix runs twice on the load engine, per kind and per persona:
//!
//! - `mix/<mix>/<protocol>/open_<rate>`: an open loop at the plan's rate, each slot's
//!   persona and kind drawn from the mix, latency from the intended send time
//!   (coordinated omission corrected);
//! - `mix/<mix>/<protocol>/users_<n>`: Locust's model, `n` users who each send, await and
//!   think (their think times times `PERFWARDEN_MIX_THINK_SCALE`), with the rate they
//!   achieved beside `users / (think + latency)`.
//!
//! Both runs share one cache namespace (removed after the phase): the open run starts it
//! cold, the users find it as the open run left it, popular queries cached.
//!
//! Why here and not in redis_cache: `fanout` needs all nine collections and `hybrid` their
//! sparse vectors, which this suite already creates, loads and checks (for a server and for
//! the engine in-process), while redis_cache sets up one collection; what the mix needs of
//! redis_cache is only its cache-aside, which it borrows. The mix runs over the target's
//! first protocol (gRPC for a server, the engine's calls in-process): the cache reaches a
//! server over gRPC, so a REST run would mix protocols within one kind. The protocol is in
//! every benchmark id and label; the engine's numbers are labelled as its.
//!
//! Without a Redis a mix that names `cache_lookup` is skipped in one line saying so (a
//! lookup is never faked); a kind no one provides is bad input.

use std::path::Path;
use std::sync::Arc;

use super::measure::Collection;
use super::mix_kinds::{self, CACHE_LOOKUP, CacheSetup};
use super::options::Options;
use super::record::{aborted, say};
use crate::load::{self, Kinds, Mix, MixPlan, MixReport, Shape};
use crate::qdrant::QdrantError;
use crate::qdrant::client::Target;
use crate::record::Recorder;
use crate::services::redis::RedisService;
use crate::suites::redis_cache::runner::cleanup_keys;

/// Redis connections the cache's lookups share.
const CONNECTIONS: usize = 4;

/// The Redis behind the mix's `cache_lookup`, or why there is none.
pub enum MixCache<'a> {
    Redis(&'a RedisService),
    /// The services layer's one line (or the caller's) on why there is no Redis.
    Missing(String),
}

/// Runs the mix of `opts` over `colls`, recording both runs.
pub(crate) async fn phase(
    rec: &mut Recorder<'_>,
    target: &Arc<Target>,
    colls: &[Arc<Collection>],
    cache: &MixCache<'_>,
    opts: &Options,
) -> Result<(), QdrantError> {
    let Some(path) = &opts.mix else {
        say("mix skipped: PERFWARDEN_QDRANT_MIX=none");
        return Ok(());
    };
    let mix = Mix::read(path).map_err(QdrantError::Config)?;
    let protocol = target.protocols()[0];
    let head = format!("mix/{}/{}", mix.name, protocol.name());
    let mut kinds = mix_kinds::searches(target, colls, protocol, opts.plan.fanout_timeout);
    let redis = match cache {
        MixCache::Redis(r) if mix.kinds().iter().any(|k| k == CACHE_LOOKUP) => Some(*r),
        _ => None,
    };
    let setup = match redis {
        Some(r) => Some(CacheSetup {
            pool: Arc::new(
                r.pool(CONNECTIONS)
                    .await
                    .map_err(|e| QdrantError::Aborted {
                        endpoint: r.address(),
                        benchmark: head.clone(),
                        what: e.to_string(),
                    })?,
            ),
            address: r.address(),
            namespace: opts.cache_namespace.clone(),
            seed: opts.seed,
        }),
        None => None,
    };
    if let Some(s) = &setup {
        kinds = mix_kinds::with_cache_lookup(kinds, target, colls, s);
    }
    let no_redis = match cache {
        MixCache::Missing(why) => Some(why.as_str()),
        MixCache::Redis(_) => None,
    };
    if let Some(line) = cache_skip(path, &missing(&mix, &kinds), no_redis) {
        say(&format!("{head}: skipped: {line}"));
        return Ok(());
    }
    let plan = MixPlan::new(mix, &kinds, opts.seed).map_err(QdrantError::Config)?;
    let labels = Labels {
        protocol: protocol.name(),
        cache: redis.map(|r| format!("redis {} ({})", r.version, r.provider.as_str())),
    };
    let result = both_runs(rec, target, plan, &head, &labels, opts).await;
    if let Some(s) = &setup {
        cleanup_keys(&s.pool, &s.address, &s.namespace).await;
    }
    result
}

/// The open run, then the users.
async fn both_runs(
    rec: &mut Recorder<'_>,
    target: &Target,
    plan: MixPlan,
    head: &str,
    labels: &Labels,
    opts: &Options,
) -> Result<(), QdrantError> {
    let p = &opts.plan;
    let cfg = |bench: &str| opts.config_for(bench.to_string(), p.mix_duration);
    let bench = format!("{head}/open_{}", p.mix_rate);
    let shape = Shape::Constant { rate: p.mix_rate };
    let m = load::open_loop_mix(&cfg(&bench), &shape, p.max_in_flight, plan.clone()).await;
    record(rec, target, &bench, &m, labels)?;
    let bench = format!(
        "{head}/users_{}",
        plan.mix.user_counts(p.mix_users).iter().sum::<usize>()
    );
    let m = load::closed_loop_mix(&cfg(&bench), plan, p.mix_users, p.mix_think_scale).await;
    record(rec, target, &bench, &m, labels)
}

/// What every metric of the phase carries besides the engine's own labels.
struct Labels {
    protocol: &'static str,
    /// The Redis behind `cache_lookup`, when the mix has one.
    cache: Option<String>,
}

fn record(
    rec: &mut Recorder<'_>,
    target: &Target,
    bench: &str,
    m: &MixReport,
    labels: &Labels,
) -> Result<(), QdrantError> {
    let from = rec.run.metrics.len();
    rec.extend(m.to_metrics(rec.suite(), bench));
    for metric in &mut rec.run.metrics[from..] {
        metric
            .labels
            .insert("protocol".into(), labels.protocol.into());
        if let Some(cache) = &labels.cache {
            metric.labels.insert("cache".into(), cache.clone());
        }
    }
    for line in m.lines() {
        say(&line);
    }
    match &m.report.aborted {
        Some(why) => Err(aborted(
            target,
            bench,
            format!(
                "{why}; first error: {}",
                m.report.error_samples.first().map_or("none", |s| s)
            ),
        )),
        None => Ok(()),
    }
}

/// The kinds `mix` names that `kinds` does not provide.
fn missing(mix: &Mix, kinds: &Kinds) -> Vec<String> {
    let have = kinds.names();
    mix.kinds()
        .into_iter()
        .filter(|k| !have.contains(&k.as_str()))
        .collect()
}

/// The line that skips the phase when the only kind missing is the cache's for want of a
/// Redis (`no_redis` says why); None otherwise: the mix then runs, or is refused as bad
/// input for a kind no one provides.
fn cache_skip(path: &Path, missing: &[String], no_redis: Option<&str>) -> Option<String> {
    match (missing, no_redis) {
        ([only], Some(why)) if only == CACHE_LOOKUP => Some(format!(
            "{}: kind {CACHE_LOOKUP} needs a Redis: {why}",
            path.display()
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_missing_cache_for_want_of_redis_skips() {
        let path = Path::new("fixtures/personas/seed-002.toml");
        let lookup = vec![CACHE_LOOKUP.to_string()];
        assert_eq!(
            cache_skip(
                path,
                &lookup,
                Some("redis: no REDIS_URL, no Docker, no redis-server on PATH")
            )
            .as_deref(),
            Some(
                "fixtures/personas/seed-002.toml: kind cache_lookup needs a Redis: redis: no REDIS_URL, no Docker, no redis-server on PATH"
            )
        );
        // With a Redis every kind is provided; a typo is refused, not skipped.
        assert_eq!(cache_skip(path, &lookup, None), None);
        let typo = vec![CACHE_LOOKUP.to_string(), "hybird".to_string()];
        assert_eq!(cache_skip(path, &typo, Some("none")), None);
        assert_eq!(cache_skip(path, &[], Some("none")), None);
    }

    #[test]
    fn seed_002_needs_the_cache_and_the_four_searches() {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/personas/seed-002.toml");
        let mix = Mix::read(&path).unwrap();
        let searches = ["dense", "fanout", "filtered", "hybrid"];
        let mut kinds = Kinds::new();
        for k in searches {
            kinds = kinds.with(k, |_| async { Ok(()) });
        }
        assert_eq!(missing(&mix, &kinds), [CACHE_LOOKUP]);
        let all = kinds.with(CACHE_LOOKUP, |_| async { Ok(()) });
        assert!(missing(&mix, &all).is_empty());
        assert_eq!(mix.user_counts(6), [3, 1, 2]);
    }
}
