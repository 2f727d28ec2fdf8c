//! Suite `qdrant_search`: latency, throughput and recall of search over the seed's nine
//! collections, over gRPC and REST, with an open-loop load and a fan-out over all collections.

pub mod client;
pub mod data;
pub mod error;
pub mod fixture;
pub mod plan;
pub mod setup;
pub mod truth;
