//! What the suites that search Qdrant share: the client over a server's two protocols or the
//! embedded engine ([`client`], [`engine`] with [`edge_query`]),
//! the seeded collection data ([`data`]), the collections fixture ([`fixture`]) and the
//! measured set-up of a collection ([`setup`]). `qdrant_search` measures search itself;
//! `redis_cache` puts a cache in front of the same collections. redis_cache never imports
//! qdrant_search; qdrant_search's workload mix borrows redis_cache's cache-aside for its
//! `cache_lookup` kind.

pub mod client;
pub mod data;
#[cfg(feature = "embedded-qdrant")]
pub mod edge_query;
#[cfg(feature = "embedded-qdrant")]
pub mod engine;
mod error;
pub mod fixture;
mod index;
pub mod setup;

pub use client::{Protocol, SearchKind, Target};
pub use error::QdrantError;
