//! What the suites that search Qdrant share: the client over both protocols ([`client`]),
//! the seeded collection data ([`data`]), the collections fixture ([`fixture`]) and the
//! measured set-up of a collection ([`setup`]). `qdrant_search` measures search itself;
//! `redis_cache` puts a cache in front of the same collections. Neither imports the other.

pub mod client;
pub mod data;
mod error;
pub mod fixture;
pub mod setup;

pub use client::{Protocol, SearchKind, Target};
pub use error::QdrantError;
