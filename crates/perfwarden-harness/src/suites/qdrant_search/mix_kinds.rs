//! The request kinds qdrant_search provides to a workload mix (`fixtures/personas/*.toml`),
//! over the run's collections and one protocol:
//!
//! - `dense`, `filtered`, `hybrid`: one search of one collection with the queries the
//!   serial phase prepared (and measured for recall): slot `k` asks collection `k mod n`
//!   its query `k / n`. `filtered` adds the query's payload filter; `hybrid` is the dense
//!   and sparse prefetches fused by RRF (`qdrant::client::prepare`), which every collection
//!   the suite creates can answer: it has the sparse vector `sparse`, and a server's
//!   existing collection without it is refused at setup;
//! - `fanout`: the same query over every collection of the run at once, each branch under
//!   the plan's fan-out timeout, as the fan-out phase sends it: one request is all the
//!   collections answered, and a failed branch fails it;
//! - `cache_lookup`, only with a Redis: a dense query through redis_cache's cache-aside,
//!   drawn by Zipf (s = 1.2) over every (collection, query) pair, popular ones repeating, as
//!   a casual user repeats them: a hit, or a miss searched and stored. Misses search the
//!   engine in-process, or a server over gRPC (the cache's own client).

use std::sync::Arc;
use std::time::Duration;

use super::fanout::{Branch, parallel_once};
use super::measure::Collection;
use crate::load::Kinds;
use crate::qdrant::client::{K, Prepared, Protocol, SearchKind, Target, search_quick};
use crate::qdrant::data::Generator;
use crate::services::redis::RedisPool;
use crate::suites::redis_cache::cache::CacheAside;
use crate::suites::redis_cache::key::{QueryDigest, cache_key};
use crate::suites::redis_cache::mix::{self as draws, Mix};
use crate::suites::redis_cache::queries::{Backend, SearchRequest};
use crate::suites::redis_cache::tally::Served;

/// The kind the cache provides, and only when there is a Redis.
pub(crate) const CACHE_LOOKUP: &str = "cache_lookup";
/// Zipf exponent of the cached queries' popularity (redis_cache's default).
const ZIPF: f64 = 1.2;
/// How long a cached answer lives; the run removes its keys anyway.
const TTL: Duration = Duration::from_secs(3600);
/// Bound on one Redis command; past it the request searches without the cache.
const REDIS_TIMEOUT: Duration = Duration::from_millis(250);

/// `dense`, `filtered`, `hybrid` and `fanout` over `colls` with `protocol`.
pub(crate) fn searches(
    target: &Arc<Target>,
    colls: &[Arc<Collection>],
    protocol: Protocol,
    fanout_timeout: Duration,
) -> Kinds {
    let colls = Arc::new(colls.to_vec());
    let mut kinds = Kinds::new();
    for (name, kind) in [
        ("dense", SearchKind::Dense),
        ("filtered", SearchKind::Filter),
        ("hybrid", SearchKind::Hybrid),
    ] {
        let (target, colls) = (target.clone(), colls.clone());
        kinds = kinds.with(name, move |k: u64| {
            let (c, q) = pick(colls.len(), k);
            let (target, coll) = (target.clone(), colls[c].clone());
            async move {
                let reqs = coll.requests(kind);
                search_quick(&target, protocol, &coll.qname, &reqs[q % reqs.len()])
                    .await
                    .map_err(|e| format!("{}: {e}", coll.spec.name))
            }
        });
    }
    let target = target.clone();
    kinds.with("fanout", move |k: u64| {
        let (target, colls) = (target.clone(), colls.clone());
        async move {
            let (_, branches) =
                parallel_once(&target, &colls, protocol, k as usize, fanout_timeout).await;
            match branches.iter().filter(|b| b.0 != Branch::Ok).count() {
                0 => Ok(()),
                failed => Err(format!("{failed} of {} branches failed", branches.len())),
            }
        }
    })
}

/// Slot `k`'s collection (of `n`) and query.
fn pick(n: usize, k: u64) -> (usize, usize) {
    let n = n.max(1) as u64;
    ((k % n) as usize, (k / n) as usize)
}

/// The Redis behind `cache_lookup`: where it is and the keys' prefix.
pub(crate) struct CacheSetup {
    pub pool: Arc<RedisPool>,
    pub address: String,
    pub namespace: String,
    /// The data seed: the queries are regenerated to key them.
    pub seed: u64,
}

/// `kinds` with `cache_lookup` added: one cache-aside per collection over `cache`'s Redis.
/// Every key is derived here, off the clock.
pub(crate) fn with_cache_lookup(
    kinds: Kinds,
    target: &Arc<Target>,
    colls: &[Arc<Collection>],
    cache: &CacheSetup,
) -> Kinds {
    let caches: Vec<Arc<CacheAside>> = colls
        .iter()
        .map(|c| {
            let backend = Backend {
                target: (**target).clone(),
                collection: c.qname.to_string(),
            };
            let (pool, address) = (cache.pool.clone(), cache.address.clone());
            Arc::new(CacheAside::new(
                pool,
                address,
                TTL,
                REDIS_TIMEOUT,
                Some(backend),
                K,
            ))
        })
        .collect();
    let keys = Arc::new(pool_keys(colls, &cache.namespace, cache.seed));
    if keys.is_empty() {
        // No query to look up: the mix is then refused for the kind it lacks.
        return kinds;
    }
    let drawn = Arc::new(draws::draws(
        Mix::Zipf { exponent: ZIPF },
        keys.len(),
        1 << 16,
        cache.seed,
    ));
    let (target, colls) = (target.clone(), Arc::new(colls.to_vec()));
    kinds.with(CACHE_LOOKUP, move |k: u64| {
        let (c, q, key) = keys[drawn[(k % drawn.len() as u64) as usize] as usize].clone();
        let (cache, coll, target) = (caches[c].clone(), colls[c].clone(), target.clone());
        async move {
            let request = || miss_request(&target, &coll.requests(SearchKind::Dense)[q]);
            let looked = cache.lookup(&key, request).await;
            match looked.served {
                Served::Failed => Err(looked
                    .error
                    .unwrap_or_else(|| format!("{}: lookup failed", cache.address))),
                _ => Ok(()),
            }
        }
    })
}

/// Every (collection, query) pair with its cache key, interleaved (rank `r` is collection
/// `r mod n`), so the popular ranks spread over the collections.
fn pool_keys(colls: &[Arc<Collection>], namespace: &str, seed: u64) -> Vec<(usize, usize, String)> {
    let queries = colls
        .iter()
        .map(|c| c.requests(SearchKind::Dense).len())
        .min()
        .unwrap_or(0);
    let generators: Vec<Generator> = colls
        .iter()
        .map(|c| Generator::new(seed, &c.spec.name, c.spec.dim))
        .collect();
    let mut keys = Vec::with_capacity(queries * colls.len());
    for q in 0..queries {
        for (c, coll) in colls.iter().enumerate() {
            let item = generators[c].query(q as u64);
            let digest = QueryDigest::of(&item.dense, None);
            let key = cache_key(namespace, &coll.spec.name, K as u64, &digest);
            keys.push((c, q, key));
        }
    }
    keys
}

/// A miss's search, for the cache's kind of Qdrant: the engine's own request, or gRPC.
fn miss_request(target: &Target, prepared: &Prepared) -> SearchRequest {
    #[cfg(feature = "embedded-qdrant")]
    if target.server().is_none() {
        return SearchRequest::Embedded(Box::new(prepared.edge.clone()));
    }
    let _ = target;
    SearchRequest::Grpc(Box::new(prepared.grpc.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_walk_the_collections_then_the_queries() {
        let picks: Vec<_> = (0..5).map(|k| pick(2, k)).collect();
        assert_eq!(picks, [(0, 0), (1, 0), (0, 1), (1, 1), (0, 2)]);
        assert_eq!(pick(0, 3), (0, 3));
    }
}
