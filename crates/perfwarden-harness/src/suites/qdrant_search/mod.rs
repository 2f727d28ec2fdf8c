//! Suite `qdrant_search`: latency, throughput and recall of search over the seed's nine
//! collections, over gRPC and REST, with an open-loop load and a fan-out over all collections.
//!
//! Code map: [`fixture`] reads the collections; [`data`] generates seeded, clustered points
//! and queries; [`truth`] finds the exact answers; [`setup`] and [`prepare`] create, load and
//! index a collection; [`client`] sends searches over both protocols; [`measure`] holds the
//! serial, closed-loop, open-loop and stress measurements; [`fanout`] the multi-collection
//! fan-out; [`growth`] and [`fit`] the nightly growth curve; [`runner`] runs it all in order
//! and [`record`] turns results into schema metrics.
//!
//! Benchmarks are named `<collection>/<protocol>/<kind>` (`mixtral/grpc/dense`), with load
//! runs below them (`…/closed_c16`, `…/open_400`), plus `<collection>/setup`,
//! `fanout/<protocol>` and `growth/<collection>/<points>`.

pub mod client;
pub mod data;
pub mod error;
pub mod fanout;
pub mod fit;
pub mod fixture;
pub mod growth;
pub mod measure;
pub mod options;
pub mod plan;
pub mod prepare;
pub mod record;
pub mod runner;
pub mod setup;
pub mod truth;

pub use client::{Protocol, SearchKind, Target};
pub use error::SuiteError;
pub use options::Options;
pub use record::SUITE;
pub use runner::{cleanup, run};
