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
//! fan-out; [`growth`] and [`fit`] the nightly growth curve; [`runner`] runs it all in order
//! and [`record`] turns results into schema metrics.
//!
//! Benchmarks are named `<collection>/<protocol>/<kind>` (`mixtral/grpc/dense`), with load
//! runs below them (`…/closed_c16`, `…/open_400`), plus `<collection>/setup`,
//! `fanout/<protocol>` and `growth/<collection>/<points>`. Sizes can be overridden from the
//! environment ([`overrides`]: `PERFWARDEN_QDRANT_POINTS`, `_QUERIES`, `_CONCURRENCY`,
//! `_RATES`, `_OPEN_SECS`; `PERFWARDEN_QDRANT_EMBEDDED_THREADS` bounds the engine's calls).

pub(crate) mod fanout;
pub(crate) mod fit;
pub(crate) mod growth;
#[cfg(feature = "embedded-qdrant")]
pub mod hot_path;
pub mod measure;
pub(crate) mod options;
pub(crate) mod overrides;
pub mod plan;
pub mod prepare;
pub(crate) mod record;
pub(crate) mod runner;
pub mod truth;

pub use crate::qdrant::{Protocol, QdrantError, SearchKind, Target};
pub use options::Options;
pub use record::SUITE;
pub use runner::{cleanup, run};
