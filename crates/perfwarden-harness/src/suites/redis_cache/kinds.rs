//! The request kinds redis_cache provides to workload mixes (`fixtures/personas/*.toml`):
//!
//! - `cache_lookup`: a Zipf-drawn query of a fixed key set through the cache-aside: a hit,
//!   or a miss filled from search (a placeholder without a Qdrant);
//! - `cache_miss`: a key never asked before (one per slot): always a miss, then filled;
//! - with a Qdrant behind the cache, `dense` and `filtered`: uncached searches of the pool's
//!   unfiltered and filtered queries.
//!
//! Keys are derived before the run (off the clock); each request is one slot's.

use std::sync::Arc;

use super::cache::CacheAside;
use super::mix::{self, Mix};
use super::phases::Ctx;
use super::tally::Served;
use crate::load::Kinds;

/// The kinds over `ctx`, with `keys` distinct Zipf-drawn queries (exponent `zipf`) for
/// `cache_lookup`, under `namespace`.
pub(crate) fn kinds(ctx: &Ctx, namespace: &str, keys: usize, zipf: f64, seed: u64) -> Kinds {
    let queries = ctx.queries.clone();
    let ranks: Arc<Vec<u32>> = Arc::new((0..keys as u32).collect());
    let keyed: Arc<Vec<String>> = Arc::new(
        ranks
            .iter()
            .map(|&r| queries.key(namespace, &queries.digest(r).0))
            .collect(),
    );
    let draws = Arc::new(mix::draws(
        Mix::Zipf { exponent: zipf },
        keys,
        1 << 16,
        seed,
    ));
    let lookup = {
        let (cache, queries, keyed) = (ctx.cache.clone(), queries.clone(), keyed.clone());
        move |k: u64| {
            let rank = draws[(k % draws.len() as u64) as usize];
            let key = keyed[rank as usize].clone();
            let (cache, queries) = (cache.clone(), queries.clone());
            async move {
                let looked = cache
                    .lookup(&key, move || queries.request(&queries.query(rank)))
                    .await;
                served(&cache, looked.served, looked.error)
            }
        }
    };
    let pool = ranks.len().max(1) as u64;
    let miss_ns = format!("{namespace}miss:");
    let miss = {
        let (cache, queries) = (ctx.cache.clone(), queries.clone());
        move |k: u64| {
            let key = format!("{miss_ns}{k}");
            let rank = (k % pool) as u32;
            let (cache, queries) = (cache.clone(), queries.clone());
            async move {
                let looked = cache
                    .lookup(&key, move || queries.request(&queries.query(rank)))
                    .await;
                served(&cache, looked.served, looked.error)
            }
        }
    };
    let mut out = Kinds::new()
        .with("cache_lookup", lookup)
        .with("cache_miss", miss);
    if let Some(backend) = ctx.cache.backend.clone() {
        for (name, filtered) in [("dense", false), ("filtered", true)] {
            let (backend, queries) = (backend.clone(), queries.clone());
            out = out.with(name, move |k: u64| {
                let rank = queries.rank_with_filter(k as u32, filtered);
                let request = queries.request(&queries.query(rank));
                let backend = backend.clone();
                async move { backend.search(request).await.map(|_| ()) }
            });
        }
    }
    out
}

/// A lookup's outcome as a kind's result: only a failure is an error.
fn served(cache: &CacheAside, served: Served, error: Option<String>) -> Result<(), String> {
    match served {
        Served::Failed => Err(error.unwrap_or_else(|| format!("{}: lookup failed", cache.address))),
        _ => Ok(()),
    }
}
