//! Suite `qdrant_search`: latency, throughput and recall of search over the seed's nine
//! collections, over gRPC and REST, with an open-loop load and a fan-out over all collections.
//! Without a Qdrant server it runs the same code against Qdrant's engine in-process
//! (`qdrant-edge`, the harness's default feature `embedded-qdrant`): its benchmarks read
//! `<collection>/embedded/<kind>`, `<collection>/embedded/setup`, `fanout/embedded`, and
//! every metric is labelled `protocol=embedded`, `engine=qdrant-edge <version>`, so it is
//! never compared with a server's.
//!
//! The dense index is real at every size: each collection's HNSW full-scan and indexing
//! thresholds are scaled to its point count ([`crate::qdrant::fixture::CollectionSpec::thresholds`]),
//! and every setup records indexed vectors, segments, index build time (`index_wait`),
//! upsert points/s and the agreement of our brute-force truth with the engine's exact search.
//!
//! Code map: the shared [`crate::qdrant`] layer reads the collections fixture, generates
//! seeded points and queries, creates and loads a collection and sends searches over both
//! protocols; here [`truth`] finds the exact answers; [`prepare`] sets a collection up with
//! its ground truth and requests; [`measure`] holds the
//! serial, closed-loop, open-loop and stress measurements; [`fanout`] the multi-collection
//! fan-out; [`mix`] runs the users' workload mix (seed 002's personas, open loop and
//! users who think) with the kinds of [`mix_kinds`], `cache_lookup` through redis_cache's
//! cache-aside when a Redis is given ([`run_with`]); [`growth`] and [`fit`] the nightly
//! growth curve; [`runner`] runs it all in order and [`record`] turns results into schema
//! metrics.
//!
//! What it costs here (2 cores shared with other builds, load average 6-9, debug build as
//! the tests run it): two collections of 400 points (4096-d and 768-d) end to end through
//! the embedded engine take 55 s, of which index builds 18.6 s and 5.4 s; the 13 Qdrant
//! tests take 206 s. The engine adds about 225 crates to a clean build (517 s of compile
//! units in a dev build, `qdrant-edge` alone 256 s, serial). Profiles: smoke is 2 collections
//! of 1,000 points, pr 9 of 5,000, nightly 9 of 100,000, full 9 of 1,000,000;
//! `PERFWARDEN_QDRANT_POINTS` scales any of them. The pr profile through the embedded engine,
//! release build, on a quiet 2-core machine (`perfwarden check`, 2026-12-02): 191 s for all
//! nine collections (each set up, indexed and checked in 2-9 s: 5,000 points upserted at
//! 8,700-32,000 points/s, HNSW ready after 1.6-6.6 s, 2 segments, ground truth agreeing 1.000
//! with exact search; recall@10 0.999-1.000), 741 metrics. Nightly and full were not run
//! here: at 100,000 4096-d points a collection holds 1.6 GB of vectors, so plan for hours on
//! 2 cores and run them on the nightly runner or a bigger machine. Against a Qdrant 1.18.3
//! server on loopback (built from source here, 2026-12-04: `QDRANT_URL=http://127.0.0.1:6333
//! PERFWARDEN_PROFILE=pr cargo bench --bench qdrant_search`), with the engine in-process beside
//! it: 8 min 50 s, 2,535 metrics (863 gRPC, 679 REST, 929 embedded); each collection's 10,000
//! vectors (dense and sparse) indexed in 2 segments after 5.7-14.7 s, ground truth agreeing
//! 1.000 with the server's exact search, recall@10 0.999-1.000.
//!
//! Benchmarks are named `<collection>/<protocol>/<kind>` (`mixtral/grpc/dense`), with load
//! runs below them (`…/closed_c16`, `…/open_400`), plus `<collection>/setup`,
//! `fanout/<protocol>`, `mix/<mix>/<protocol>/open_<rate>` and `…/users_<n>` (each with
//! `…/kind/<kind>` and `…/persona/<persona>`) and `growth/<collection>/<points>`. Sizes can
//! be overridden from the environment ([`overrides`]: `PERFWARDEN_QDRANT_POINTS`,
//! `_QUERIES`, `_CONCURRENCY`, `_RATES`, `_OPEN_SECS`, `_MIX_RATE`, `_MIX_SECS`,
//! `_MIX_USERS`, and `PERFWARDEN_MIX_THINK_SCALE`; `PERFWARDEN_QDRANT_MIX` names the mix
//! file or `none`; `PERFWARDEN_QDRANT_EMBEDDED_THREADS` bounds the engine's calls).

pub mod fanout;
pub(crate) mod fit;
pub(crate) mod growth;
#[cfg(feature = "embedded-qdrant")]
pub mod hot_path;
pub mod measure;
pub mod mix;
pub(crate) mod mix_kinds;
pub(crate) mod options;
pub(crate) mod overrides;
pub mod plan;
pub mod prepare;
pub(crate) mod record;
pub(crate) mod runner;
pub mod truth;

pub use crate::qdrant::{Protocol, QdrantError, SearchKind, Target};
pub use mix::MixCache;
pub use options::Options;
pub use record::SUITE;
pub use runner::{cleanup, run, run_with};
