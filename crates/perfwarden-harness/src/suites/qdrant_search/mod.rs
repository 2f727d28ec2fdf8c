//! Suite `qdrant_search`: latency, throughput and recall of search over the seed's nine
//! collections, over gRPC and REST, with an open-loop load and a fan-out over all collections.
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
//! `fanout/<protocol>` and `growth/<collection>/<points>`.

pub(crate) mod fanout;
pub(crate) mod fit;
pub(crate) mod growth;
pub mod measure;
pub(crate) mod options;
pub mod plan;
pub mod prepare;
pub(crate) mod record;
pub(crate) mod runner;
pub mod truth;

pub use crate::qdrant::{Protocol, QdrantError, SearchKind, Target};
pub use options::Options;
pub use record::SUITE;
pub use runner::{cleanup, run};
