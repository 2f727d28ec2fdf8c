//! Suite `redis_cache`: a Redis cache-aside in front of Qdrant search. Does the cache deliver
//! what the users promise (seed 000: a hit rate above 90%, cache latency under 5 ms), what
//! does it cost on a miss, how much faster is search with it, and does search survive
//! Redis going away?
//!
//! Code map: [`key`] derives cache keys (collection, vector hash, limit, filter); [`codec`]
//! encodes answers (ids and scores) compactly; [`mix`] draws the Zipf and uniform query
//! mixes and says what a perfect cache would hit on them; [`queries`] holds the query pool
//! and the Qdrant search; [`cache`] is the cache-aside itself; [`phases`] the measured loops
//! (on the load engine); [`tally`] counts what each request did; [`fault`] stalls or stops
//! Redis; [`redis_benchmark`] runs and reads `redis-benchmark`; [`runner`] runs it all and
//! [`report`], [`floor`] and [`record`] turn it into metrics and a printed report.
//!
//! Benchmarks: `zipf/<collection>` and `uniform/<collection>` (hit rate, hit and miss
//! latency, end-to-end latency with and without the cache, speed-up, Redis memory),
//! `hit_path/<collection>` (warm-cache hits and their ratio to redis-benchmark's GET),
//! `raw` (bare GET/SET from our client and from redis-benchmark), `fault/<collection>` (the
//! degraded window). Without a Qdrant the suite runs its Redis-only part and says which
//! metrics it could not measure. [`worker`] is the worker mode: one load machine's share of
//! an open-loop hit-path plan (`workers/hit_path/<collection>`), merged with the others'.

pub mod cache;
pub mod codec;
pub mod error;
pub mod fault;
pub mod floor;
pub mod key;
pub(crate) mod kinds;
pub mod mix;
pub(crate) mod options;
pub mod phases;
pub mod queries;
pub(crate) mod record;
pub mod redis_benchmark;
pub(crate) mod report;
pub mod runner;
pub(crate) mod shaped;
pub mod tally;
pub mod worker;

pub use options::{Options, Plan, SoakPlan, SpikePlan};
pub use record::SUITE;
pub use report::Summary;
pub use runner::{Backing, run};
